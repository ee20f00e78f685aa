import pytest

from onetrip.core.errors import Conflict, DomainError
from onetrip.orgs import services
from onetrip.orgs.models import Department, DepartmentLevel, Region, RegionLevel, Window, WindowCategory
from onetrip.orgs.tests import factories as f

pytestmark = pytest.mark.django_db


def codes(exc: pytest.ExceptionInfo[DomainError]) -> set[tuple[str, str | None]]:
    return {(e.code, e.field) for e in exc.value.errors}


def test_region_chain_is_accepted_and_prefixes_follow_the_levels():
    chain = f.region_chain()
    assert [chain[k].prefix for k in ("province", "city", "county", "township")] == [
        "33",
        "3311",
        "331102",
        "331102001",
    ]
    village = services.region_create(
        code="331102001001", name="城北社区", level=RegionLevel.VILLAGE, parent=chain["township"]
    )
    assert village.prefix == "331102001001"


@pytest.mark.parametrize(
    "code,level,expected",
    [
        ("3311", RegionLevel.CITY, "invalid_region_code"),
        ("33110000000A", RegionLevel.CITY, "invalid_region_code"),
        ("331100000000", RegionLevel.COUNTY, "region_code_level_mismatch"),
        ("330000000001", RegionLevel.VILLAGE, "invalid_region_code"),  # township segment is zero
        ("000000000000", RegionLevel.PROVINCE, "invalid_region_code"),
    ],
)
def test_malformed_region_codes_are_refused(code, level, expected):
    with pytest.raises(DomainError) as exc:
        services.region_create(code=code, name="某地", level=level)
    assert (expected, "code") in codes(exc)
    assert not Region.objects.exists()


def test_child_region_must_be_one_level_below_and_share_the_parent_prefix():
    chain = f.region_chain()
    with pytest.raises(DomainError) as exc:
        services.region_create(
            code="331102002000", name="岩泉街道", level=RegionLevel.TOWNSHIP, parent=chain["city"]
        )
    assert ("region_level_not_below_parent", "level") in codes(exc)
    with pytest.raises(DomainError) as exc:
        services.region_create(
            code="331202000000", name="别处", level=RegionLevel.COUNTY, parent=chain["city"]
        )
    assert ("region_code_outside_parent", "code") in codes(exc)
    assert exc.value.errors[0].message_zh and exc.value.errors[0].message_en


def test_duplicate_region_code_is_a_conflict():
    chain = f.region_chain()
    with pytest.raises(Conflict) as exc:
        services.region_create(
            code="331102000000", name="重复", level=RegionLevel.COUNTY, parent=chain["city"]
        )
    assert codes(exc) == {("duplicate_region_code", "code")}


def test_department_validation_collects_every_problem_and_saves_nothing():
    chain = f.region_chain()
    city_dept = f.department(region=chain["city"])
    with pytest.raises(DomainError) as exc:
        services.department_create(
            code="bad code!",
            name="",
            uscc="91330000123456789X",  # wrong check digit
            level=DepartmentLevel.CITY,  # region is a county
            region=chain["township"],
            parent=None,
        )
    assert codes(exc) >= {
        ("invalid_department_code", "code"),
        ("required", "name"),
        ("invalid_uscc", "uscc"),
        ("department_level_region_mismatch", "level"),
    }
    assert list(Department.objects.all()) == [city_dept]


def test_department_parent_must_be_same_or_higher_level_in_an_enclosing_region():
    chain = f.region_chain()
    county_dept = f.department(region=chain["county"])
    other_county_dept = f.department(region=chain["other"])
    with pytest.raises(DomainError) as exc:
        f.department(region=chain["city"], parent=county_dept)
    assert ("department_parent_level_lower", "parent") in codes(exc)
    with pytest.raises(DomainError) as exc:
        f.department(region=chain["county"], parent=other_county_dept)
    assert ("department_parent_region_mismatch", "parent") in codes(exc)
    township_dept = f.department(region=chain["township"], parent=county_dept)
    assert township_dept.parent == county_dept


def test_department_cannot_become_its_own_ancestor():
    chain = f.region_chain()
    top = f.department(region=chain["county"])
    child = f.department(region=chain["county"], parent=top)
    with pytest.raises(DomainError) as exc:
        services.department_update(department=top, parent=child)
    assert codes(exc) == {("department_parent_cycle", "parent")}
    top.refresh_from_db()
    assert top.parent is None


def test_duplicate_department_code_and_uscc_are_conflicts():
    chain = f.region_chain()
    dept = f.department(region=chain["county"])
    with pytest.raises(Conflict) as exc:
        services.department_create(
            code=dept.code, name="另一个", uscc=dept.uscc, level=dept.level, region=chain["county"]
        )
    assert codes(exc) == {("duplicate_department_code", "code"), ("duplicate_uscc", "uscc")}


def test_department_window_needs_its_department_and_comprehensive_windows_take_none():
    chain = f.region_chain()
    hall = f.hall(region=chain["county"])
    dept = f.department(region=chain["county"])
    with pytest.raises(DomainError) as exc:
        services.window_create(hall=hall, number="G01", name="即办窗口", category=WindowCategory.DEPARTMENT)
    assert codes(exc) == {("window_department_required", "department")}
    with pytest.raises(DomainError) as exc:
        services.window_create(
            hall=hall, number="B01", name="商事登记", category=WindowCategory.COMMERCIAL, department=dept
        )
    assert codes(exc) == {("window_department_not_allowed", "department")}
    services.window_create(hall=hall, number="B01", name="商事登记", category=WindowCategory.COMMERCIAL)
    window = services.window_create(
        hall=hall, number="G01", name="即办窗口", category=WindowCategory.DEPARTMENT, department=dept
    )
    assert window.department == dept
    with pytest.raises(Conflict):
        services.window_create(hall=hall, number="G01", name="重复", category=WindowCategory.GENERAL)


def test_department_window_refuses_a_department_from_an_unrelated_region():
    chain = f.region_chain()
    hall = f.hall(region=chain["county"])
    elsewhere = f.department(region=chain["other"])
    city_dept = f.department(region=chain["city"])
    with pytest.raises(DomainError) as exc:
        services.window_create(
            hall=hall, number="G02", name="即办", category=WindowCategory.DEPARTMENT, department=elsewhere
        )
    assert codes(exc) == {("window_department_outside_region", "department")}
    # A city-level (vertically managed) body may staff a window in a county hall.
    services.window_create(
        hall=hall, number="G02", name="公积金即办", category=WindowCategory.DEPARTMENT, department=city_dept
    )
    assert Window.objects.count() == 1


def test_window_update_revalidates_the_category_rule():
    chain = f.region_chain()
    hall = f.hall(region=chain["county"])
    window = services.window_create(hall=hall, number="F01", name="综合", category=WindowCategory.GENERAL)
    with pytest.raises(DomainError):
        services.window_update(window=window, category=WindowCategory.DEPARTMENT)
    window.refresh_from_db()
    assert window.category == WindowCategory.GENERAL
