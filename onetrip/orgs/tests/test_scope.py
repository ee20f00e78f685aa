import pytest
from django.contrib.auth.models import AnonymousUser

from onetrip.catalog.models import Item
from onetrip.orgs import services
from onetrip.orgs.auth import api_key_create
from onetrip.orgs.models import ApiKey, Department, Role, WindowCategory
from onetrip.orgs.permissions import Scope, department_ids_for, scope_for, scope_queryset
from onetrip.orgs.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    chain = f.region_chain()
    city_dept = f.department(region=chain["city"], name="市公积金中心")
    county_a = f.department(region=chain["county"], name="区市场监管局")
    county_b = f.department(region=chain["county"], name="区民政局")
    township = f.department(region=chain["township"], name="紫金街道办事处")
    other = f.department(region=chain["other"], name="青田县民政局")
    items = {d.pk: f.item(department=d) for d in (city_dept, county_a, county_b, township, other)}
    return {
        "chain": chain,
        "city": city_dept,
        "a": county_a,
        "b": county_b,
        "township": township,
        "other": other,
        "items": items,
    }


def visible_items(user, **kwargs):
    return set(scope_queryset(Item.objects.all(), user, **kwargs).values_list("department_id", flat=True))


def test_handler_sees_only_their_departments_items(world):
    handler = f.user()
    services.role_assign(user=handler, role=Role.HANDLER, department=world["a"])
    assert visible_items(handler) == {world["a"].pk}
    assert department_ids_for(handler, Role.HANDLER) == {world["a"].pk}


def test_handler_of_two_departments_sees_both(world):
    handler = f.user()
    services.role_assign(user=handler, role=Role.HANDLER, department=world["a"])
    services.role_assign(user=handler, role=Role.LEADER, department=world["b"])
    assert visible_items(handler) == {world["a"].pk, world["b"].pk}
    assert visible_items(handler, role=Role.HANDLER) == {world["a"].pk}


def test_supervisor_of_a_region_sees_its_departments_and_those_below(world):
    supervisor = f.user()
    services.role_assign(user=supervisor, role=Role.SUPERVISOR, region=world["chain"]["county"])
    expected = {world["a"].pk, world["b"].pk, world["township"].pk}
    assert visible_items(supervisor) == expected
    assert department_ids_for(supervisor, Role.SUPERVISOR) == expected
    city_supervisor = f.user()
    services.role_assign(user=city_supervisor, role=Role.SUPERVISOR, region=world["chain"]["city"])
    assert visible_items(city_supervisor) == set(world["items"])


def test_clerk_at_a_comprehensive_window_sees_the_departments_stationed_in_the_hall(world):
    hall = f.hall(region=world["chain"]["county"])
    services.hall_departments_set(
        hall=hall, departments=[world["city"], world["a"], world["township"]], actor=None
    )
    window = services.window_create(hall=hall, number="F01", name="综合", category=WindowCategory.GENERAL)
    clerk = f.user()
    services.role_assign(user=clerk, role=Role.CLERK, window=window)
    # The city-level centre is stationed, the county's 民政局 (b) is not.
    assert visible_items(clerk) == {world["city"].pk, world["a"].pk, world["township"].pk}
    assert department_ids_for(clerk, Role.CLERK) == {world["city"].pk, world["a"].pk, world["township"].pk}


def test_system_admin_and_superuser_see_everything(world):
    admin = f.user()
    services.role_assign(user=admin, role=Role.SYSTEM_ADMIN)
    assert visible_items(admin) == set(world["items"])
    assert department_ids_for(admin) is None
    root = f.user()
    root.is_superuser = True
    root.save()
    assert visible_items(root) == set(world["items"])


def test_applicant_and_anonymous_see_no_department_work(world):
    applicant = f.user()
    services.role_assign(user=applicant, role=Role.APPLICANT)
    assert visible_items(applicant) == set()
    assert visible_items(AnonymousUser()) == set()
    assert department_ids_for(applicant) == frozenset()


def test_applicant_sees_only_rows_they_own(world):
    alice, bob = f.user(), f.user()
    services.role_assign(user=alice, role=Role.APPLICANT)
    mine, _ = api_key_create(name="alice", scopes=["orgs:read"], created_by=alice)
    api_key_create(name="bob", scopes=["orgs:read"], created_by=bob)
    api_key_create(name="cli", scopes=["orgs:read"], created_by=None)
    rows = scope_queryset(ApiKey.objects.all(), alice, department_field=None, owner_field="created_by")
    assert list(rows) == [mine]


def test_owner_rows_and_department_rows_combine_with_or(world):
    handler = f.user()
    services.role_assign(user=handler, role=Role.HANDLER, department=world["a"])
    own, _ = api_key_create(name="own", scopes=["orgs:read"], created_by=handler)
    dept_key, _ = api_key_create(name="dept", scopes=["orgs:read"], department=world["a"], created_by=None)
    api_key_create(name="other", scopes=["orgs:read"], department=world["b"], created_by=None)
    rows = scope_queryset(ApiKey.objects.all(), handler, owner_field="created_by")
    assert set(rows) == {own, dept_key}


def test_scope_filters_in_sql_with_a_single_query(world, django_assert_num_queries):
    supervisor = f.user()
    services.role_assign(user=supervisor, role=Role.SUPERVISOR, region=world["chain"]["county"])
    scope = scope_for(supervisor)
    qs = scope.filter(Item.objects.all())
    sql = str(qs.query)
    assert "LIKE" in sql.upper()
    with django_assert_num_queries(1):
        assert len(list(qs)) == 3


def test_department_queryset_itself_can_be_scoped_by_pk(world):
    handler = f.user()
    services.role_assign(user=handler, role=Role.HANDLER, department=world["township"])
    assert list(scope_queryset(Department.objects.all(), handler, department_field="pk")) == [
        world["township"]
    ]


def test_api_key_bound_to_a_department_is_scoped_to_it(world):
    key, _ = api_key_create(name="k", scopes=["catalog:read"], department=world["b"], created_by=None)
    assert visible_items(key) == {world["b"].pk}
    unbound, _ = api_key_create(name="u", scopes=["catalog:read"], created_by=None)
    assert visible_items(unbound) == set(world["items"])


def test_scope_allows_department_checks_regions(world):
    scope = Scope(region_prefixes=frozenset({world["chain"]["county"].prefix}))
    assert scope.allows_department(world["township"].pk)
    assert not scope.allows_department(world["other"].pk)
    assert not Scope.nothing().allows_department(world["a"].pk)
