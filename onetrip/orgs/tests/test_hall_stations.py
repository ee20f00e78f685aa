"""A hall's stationed departments (进驻部门) and the one window-entitlement rule built on them."""

import pytest

from onetrip.catalog.models import Item
from onetrip.core.errors import DomainError, Forbidden
from onetrip.core.models import AuditEvent
from onetrip.orgs import services
from onetrip.orgs.models import HallDepartment, Role, WindowCategory
from onetrip.orgs.permissions import (
    clerk_covers,
    clerk_filter,
    clerk_may_use_window,
    require_clerk_covers,
)
from onetrip.orgs.selectors import clerk_windows, hall_get
from onetrip.orgs.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def hall_world():
    chain = f.region_chain()
    fund = f.department(region=chain["city"], name="市住房公积金管理中心")
    city_hr = f.department(region=chain["city"], name="市人力社保局")
    market = f.department(region=chain["county"], name="区市场监管局")
    tax = f.department(region=chain["county"], name="区税务局")
    qingtian = f.department(region=chain["other"], name="青田县民政局")
    hall = f.hall(region=chain["county"])
    services.hall_departments_set(hall=hall, departments=[fund, market, tax], actor=None)
    general = services.window_create(hall=hall, number="F01", name="综合", category=WindowCategory.GENERAL)
    tax_window = services.window_create(
        hall=hall, number="G01", name="税务即办", category=WindowCategory.DEPARTMENT, department=tax
    )
    return {
        "chain": chain,
        "hall": hall,
        "fund": fund,
        "city_hr": city_hr,
        "market": market,
        "tax": tax,
        "qingtian": qingtian,
        "general": general,
        "tax_window": tax_window,
    }


def clerk_at(window=None, region=None):
    clerk = f.user()
    services.role_assign(user=clerk, role=Role.CLERK, window=window, region=region)
    return clerk


def test_stationing_a_city_centre_in_a_district_hall_is_audited_with_what_changed(hall_world):
    w = hall_world
    admin = f.user()
    services.hall_departments_set(
        hall=w["hall"], departments=[w["fund"], w["city_hr"], w["tax"]], actor=admin
    )
    assert set(w["hall"].departments.all()) == {w["fund"], w["city_hr"], w["tax"]}
    event = AuditEvent.objects.filter(action="orgs.hall_departments_set", actor_id=admin.pk).get()
    assert event.object_id == str(w["hall"].pk)
    assert event.data == {"added": [w["city_hr"].code], "removed": [w["market"].code]}
    # Setting the same set again changes nothing and records nothing.
    services.hall_departments_set(
        hall=w["hall"], departments=[w["fund"], w["city_hr"], w["tax"]], actor=admin
    )
    assert AuditEvent.objects.filter(action="orgs.hall_departments_set", actor_id=admin.pk).count() == 1


def test_a_department_of_an_unrelated_region_or_an_inactive_one_cannot_be_stationed(hall_world):
    w = hall_world
    w["city_hr"].is_active = False
    w["city_hr"].save()
    before = set(HallDepartment.objects.values_list("hall_id", "department_id"))
    with pytest.raises(DomainError) as exc:
        services.hall_departments_set(
            hall=w["hall"], departments=[w["fund"], w["qingtian"], w["city_hr"]], actor=None
        )
    errors = {e.code: e for e in exc.value.errors}
    assert set(errors) == {"station_outside_region", "department_inactive"}
    assert "青田县民政局" in errors["station_outside_region"].message_zh
    assert errors["station_outside_region"].field == "departments"
    assert set(HallDepartment.objects.values_list("hall_id", "department_id")) == before


def test_comprehensive_window_clerk_covers_every_stationed_department_of_any_level(hall_world):
    w = hall_world
    clerk = clerk_at(window=w["general"])
    assert clerk_covers(clerk, w["fund"].pk)  # city level, stationed
    assert clerk_covers(clerk, w["market"].pk)
    assert clerk_covers(clerk, w["tax"].pk)
    assert not clerk_covers(clerk, w["city_hr"].pk)  # city level, not stationed
    assert not clerk_covers(clerk, w["qingtian"].pk)
    assert not clerk_covers(clerk, None)


def test_department_window_clerk_covers_only_its_department(hall_world):
    w = hall_world
    clerk = clerk_at(window=w["tax_window"])
    assert clerk_covers(clerk, w["tax"].pk)
    assert not clerk_covers(clerk, w["market"].pk)
    assert clerk_may_use_window(clerk, w["tax_window"])
    assert not clerk_may_use_window(clerk, w["general"])


def test_at_a_department_window_a_hall_clerk_accepts_only_that_department(hall_world):
    w = hall_world
    clerk = clerk_at(region=w["chain"]["county"])  # a clerk of the county's halls, no fixed window
    assert clerk_may_use_window(clerk, w["tax_window"]) and clerk_may_use_window(clerk, w["general"])
    assert clerk_covers(clerk, w["market"].pk, window=w["general"])
    assert not clerk_covers(clerk, w["market"].pk, window=w["tax_window"])
    with pytest.raises(Forbidden) as exc:
        require_clerk_covers(clerk, w["market"], window=w["tax_window"])
    assert exc.value.errors[0].code == "clerk_not_entitled"
    assert "区市场监管局" in exc.value.errors[0].message_zh and "G01" in exc.value.errors[0].message_zh


def test_refusal_names_the_department_that_is_not_stationed(hall_world):
    w = hall_world
    clerk = clerk_at(window=w["general"])
    require_clerk_covers(clerk, w["fund"], window=w["general"])  # stationed: no error
    with pytest.raises(Forbidden) as exc:
        require_clerk_covers(clerk, w["city_hr"], window=w["general"])
    error = exc.value.errors[0]
    assert error.code == "clerk_not_entitled"
    assert "市人力社保局" in error.message_zh and "未进驻" in error.message_zh


def test_a_clerk_of_another_county_may_not_use_the_halls_windows(hall_world):
    w = hall_world
    outsider = clerk_at(region=w["chain"]["other"])
    assert not clerk_may_use_window(outsider, w["general"])
    assert clerk_windows(clerk=outsider) == []
    assert not clerk_covers(outsider, w["fund"].pk)
    insider = clerk_at(region=w["chain"]["county"])
    assert [x.number for x in clerk_windows(clerk=insider)] == ["F01", "G01"]


def test_unstationing_takes_effect_for_the_clerk(hall_world):
    w = hall_world
    clerk = clerk_at(window=w["general"])
    assert clerk_covers(clerk, w["fund"].pk)
    services.hall_departments_set(hall=w["hall"], departments=[w["market"], w["tax"]], actor=None)
    fresh = type(clerk).objects.get(pk=clerk.pk)  # a new request: no cached scope
    assert not clerk_covers(fresh, w["fund"].pk)


def test_clerk_filter_is_one_sql_query_over_the_hall_stations(hall_world, django_assert_num_queries):
    w = hall_world
    items = {d: f.item(department=w[d]) for d in ("fund", "city_hr", "market", "tax", "qingtian")}
    clerk = clerk_at(window=w["general"])
    qs = clerk_filter(Item.objects.all(), clerk)
    assert HallDepartment._meta.db_table in str(qs.query)
    with django_assert_num_queries(1):
        assert set(qs) == {items["fund"], items["market"], items["tax"]}
    at_tax = clerk_filter(Item.objects.all(), clerk, window=w["tax_window"])
    assert set(at_tax) == {items["tax"]}
    applicant = f.user()
    assert not clerk_filter(Item.objects.all(), applicant).exists()


def test_hall_detail_lists_its_stationed_departments(hall_world):
    w = hall_world
    hall = hall_get(hall_id=w["hall"].pk)
    assert {d.code for d in hall.departments.all()} == {w["fund"].code, w["market"].code, w["tax"].code}


# --- admin -----------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    root = services.user_create(username="root", password="a-long-enough-pass", is_staff=True)
    root.is_superuser = True
    root.save()
    client.force_login(root)
    return client, root


def _hall_form(hall, departments):
    return {
        "name": hall.name,
        "region": hall.region.pk,
        "address": "",
        "opening_hours": "",
        "phone": "",
        "stationed": [d.pk for d in departments],
        "windows-TOTAL_FORMS": "0",
        "windows-INITIAL_FORMS": "0",
        "windows-MIN_NUM_FORMS": "0",
        "windows-MAX_NUM_FORMS": "1000",
    }


def test_admin_edits_the_stationed_departments_through_the_audited_service(admin_client, hall_world):
    client, root = admin_client
    w = hall_world
    url = f"/admin/orgs/servicehall/{w['hall'].pk}/change/"
    page = client.get(url).content.decode()
    assert "进驻部门" in page and "市住房公积金管理中心" in page
    response = client.post(url, _hall_form(w["hall"], [w["fund"], w["city_hr"]]))
    assert response.status_code == 302, response.content.decode()
    assert set(w["hall"].departments.all()) == {w["fund"], w["city_hr"]}
    event = AuditEvent.objects.get(action="orgs.hall_departments_set", actor_id=root.pk)
    assert event.data["added"] == [w["city_hr"].code]
    assert sorted(event.data["removed"]) == sorted([w["market"].code, w["tax"].code])


def test_admin_refuses_a_department_of_another_county_in_chinese(admin_client, hall_world):
    client, _ = admin_client
    w = hall_world
    url = f"/admin/orgs/servicehall/{w['hall'].pk}/change/"
    response = client.post(url, _hall_form(w["hall"], [w["fund"], w["qingtian"]]))
    assert response.status_code == 200
    assert "青田县民政局不属于大厅所在区划或其上级区划，不能进驻" in response.content.decode()
    assert set(w["hall"].departments.all()) == {w["fund"], w["market"], w["tax"]}
