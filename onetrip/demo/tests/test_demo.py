"""The demo data: loads, is idempotent, and is a catalogue the linter and the code rules accept.

The demo is loaded once per module inside a transaction that is rolled back at the end; each test runs in
a savepoint within it (the `db` fixture), so tests see the loaded demo and leave the database as it was.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from stdnum.cn import ric, uscc

from onetrip.catalog import codes
from onetrip.catalog.lint import lint_version, promised_exceeds_statutory
from onetrip.catalog.models import (
    FormField,
    Item,
    ItemVersion,
    Material,
    MaterialSource,
    ProcessStep,
    ThemeAudience,
    VersionStatus,
)
from onetrip.demo.items import ITEMS
from onetrip.demo.loader import DemoSummary, load_demo
from onetrip.demo.people import CITIZEN_ID, COMPANY_USCC, DEMO_PASSWORD
from onetrip.orgs.models import (
    Department,
    Region,
    RegionLevel,
    Role,
    RoleAssignment,
    ServiceHall,
    User,
    WindowCategory,
)

pytestmark = pytest.mark.django_db


def published_versions() -> list[ItemVersion]:
    return list(ItemVersion.objects.filter(status=VersionStatus.PUBLISHED).select_related("item"))


def test_first_load_creates_every_kind_of_record(demo: DemoSummary) -> None:
    assert demo.changed
    # The global alert rule (Dongyang's 5/7 days) comes with the migrations; the demo adds the item rule.
    seeded = {"预警规则": 1}
    assert all(c.created + seeded.get(c.label, 0) == c.total for c in demo.counts), demo.counts


def test_region_tree_runs_from_province_to_villages(demo: DemoSummary) -> None:
    district = Region.objects.get(code="331102000000")
    assert (district.name, district.parent.name, district.parent.parent.name) == (
        "莲都区",
        "丽水市",
        "浙江省",
    )
    townships = Region.objects.filter(parent=district, level=RegionLevel.TOWNSHIP)
    assert {"紫金街道", "岩泉街道", "万象街道", "白云街道", "联城街道", "碧湖镇"} <= {
        t.name for t in townships
    }
    villages = Region.objects.filter(level=RegionLevel.VILLAGE, parent__parent=district)
    assert villages.count() >= 2
    for region in Region.objects.filter(code__startswith="33"):
        assert len(region.code) == 12 and region.code.isdigit()
        if region.parent is not None:
            assert region.level == region.parent.level + 1


def test_at_least_twelve_departments_with_valid_credit_codes(demo: DemoSummary) -> None:
    departments = list(Department.objects.filter(region__code__startswith="3311"))
    assert len(departments) >= 12
    for dept in departments:
        assert uscc.is_valid(dept.uscc), dept.name
        assert dept.uscc[0] == "1"  # registered by the establishment authority
        assert dept.responsibilities
    assert Department.objects.get(code="ld-bdc").parent.code == "ld-zrzy"


def test_service_hall_has_a_window_of_every_category(demo: DemoSummary) -> None:
    hall = ServiceHall.objects.get(name="莲都区行政服务中心")
    categories = set(hall.windows.values_list("category", flat=True))
    assert categories == set(WindowCategory.values)
    for window in hall.windows.filter(category=WindowCategory.DEPARTMENT):
        assert window.department is not None


def test_at_least_forty_items_are_published_and_pass_the_linter(demo: DemoSummary) -> None:
    versions = published_versions()
    assert len(versions) >= 40
    assert Item.objects.filter(is_published=False, basic_code__in=[s.basic_code for s in ITEMS]).count() == 0
    for version in versions:
        assert lint_version(version) == [], version.name


def test_item_codes_follow_the_national_rules(demo: DemoSummary) -> None:
    for item in Item.objects.filter(is_published=True).select_related("department"):
        assert codes.basic_code_errors(item.basic_code, item_type=item.item_type) == [], item.name
        assert (
            codes.implementation_code_errors(
                item.implementation_code,
                department_uscc=item.department.uscc,
                level=item.level,
                basic_code=item.basic_code,
            )
            == []
        ), item.name
        if item.parent_id is not None:
            assert item.basic_code[:7] == item.parent.basic_code[:7]
            assert item.parent.basic_code[7:10] == "000"


def test_every_item_type_and_theme_audience_is_represented(demo: DemoSummary) -> None:
    types = set(Item.objects.filter(is_published=True).values_list("item_type", flat=True))
    assert {"01", "04", "05", "07", "10", "20"} <= types
    audiences = set()
    for version in published_versions():
        audiences |= set(version.themes.values_list("audience", flat=True))
    assert audiences == set(ThemeAudience.values)


def test_promised_limits_never_exceed_statutory_ones(demo: DemoSummary) -> None:
    checked = 0
    for v in published_versions():
        if v.promised_limit is not None and v.statutory_limit is not None:
            checked += 1
            assert not promised_exceeds_statutory(
                v.promised_limit, v.promised_limit_unit, v.statutory_limit, v.statutory_limit_unit
            ), v.name
    assert checked >= 10


def test_most_trips_are_zero_or_one(demo: DemoSummary) -> None:
    trips = [v.trips for v in published_versions()]
    assert all(t in (0, 1) for t in trips)
    assert trips.count(0) > len(trips) / 2


def test_form_fields_are_mostly_data_elements(demo: DemoSummary) -> None:
    fields = FormField.objects.filter(version__status=VersionStatus.PUBLISHED)
    assert fields.filter(data_element__isnull=False).count() >= 0.8 * fields.count()


def test_materials_come_from_shared_data_and_e_licences(demo: DemoSummary) -> None:
    published = Material.objects.filter(version__status=VersionStatus.PUBLISHED)
    e_licences = published.filter(source=MaterialSource.E_LICENCE)
    assert {"居民身份证", "营业执照", "居民户口簿", "结婚证", "不动产权证书"} <= set(
        e_licences.values_list("licence_type", flat=True)
    )
    assert published.filter(source=MaterialSource.SHARED_DATA).exists()
    deficient = published.filter(deficiency_allowed=True)
    assert deficient.exists() and not deficient.filter(necessity="key").exists()


def test_property_transfer_runs_contract_filing_and_tax_in_parallel(demo: DemoSummary) -> None:
    version = ItemVersion.objects.get(name="不动产登记（存量房买卖转移登记）", status=VersionStatus.PUBLISHED)
    steps = {s.code: s for s in ProcessStep.objects.filter(version=version).select_related("department")}
    out_of_accept = {t.target.code for t in steps["accept"].outgoing.all()}
    into_register = {t.source.code for t in steps["register"].incoming.all()}
    assert out_of_accept == into_register == {"filing", "tax"}
    assert steps["filing"].department.code == "ld-zjj"
    assert steps["tax"].department.code == "ld-swj"
    assert steps["register"].department.code == "ld-bdc"


def test_main_item_offers_its_sub_items_as_situations(demo: DemoSummary) -> None:
    main = Item.objects.get(name="企业及分支机构登记", is_published=True)
    subs = main.sub_items.filter(is_published=True)
    assert subs.count() == 3
    situations = main.current_version.situations.values_list("name", flat=True)
    assert {"设立登记", "变更登记", "注销登记"} <= set(situations)


def test_demo_users_cover_every_role_with_the_demo_password(demo: DemoSummary) -> None:
    held = set(RoleAssignment.objects.values_list("role", flat=True))
    assert set(Role.values) <= held
    demo_users = User.objects.filter(username__in=[row[0] for row in demo.logins])
    assert demo_users.count() == len(demo.logins)
    # The catalogue's users share one hash (PBKDF2 is slow by design); the activity's users (deputies) have
    # their own. Checking each distinct hash checks them all.
    hashes = {u.password for u in demo_users}
    assert len(hashes) <= 3 and all(check_password(DEMO_PASSWORD, h) for h in hashes)
    for user in demo_users:
        # Deputies (人大代表) supervise from outside: they are not staff and have no admin access.
        staff_roles = set(user.roles.values_list("role", flat=True)) - {Role.APPLICANT, Role.DEPUTY}
        assert user.is_staff == bool(staff_roles)
    assert User.objects.get(username="admin").is_superuser
    assert ric.is_valid(CITIZEN_ID) and User.objects.get(username="zhangsan").id_number == CITIZEN_ID
    assert uscc.is_valid(COMPANY_USCC)
    clerk = RoleAssignment.objects.get(role=Role.CLERK)
    assert clerk.region.code == "331102000000" and clerk.window is not None
    assert RoleAssignment.objects.filter(role=Role.CATALOG_ADMIN, department__isnull=True).exists()
    assert RoleAssignment.objects.filter(role=Role.CATALOG_ADMIN, department__code="ld-scjg").exists()


def test_second_load_changes_nothing_and_says_so(demo: DemoSummary) -> None:
    before = (
        Item.objects.count(),
        ItemVersion.objects.count(),
        User.objects.count(),
        Material.objects.count(),
    )
    again = load_demo()
    assert not again.changed
    after = (
        Item.objects.count(),
        ItemVersion.objects.count(),
        User.objects.count(),
        Material.objects.count(),
    )
    assert after == before
    out = StringIO()
    call_command("demo", stdout=out)
    text = out.getvalue()
    assert "未做任何更改" in text
    assert DEMO_PASSWORD in text and "zhangsan" in text and "事项（已发布）" in text


def test_quiet_command_prints_one_line(demo: DemoSummary) -> None:
    out = StringIO()
    call_command("demo", "--quiet", stdout=out)
    assert out.getvalue().strip().count("\n") == 0


def test_every_demo_bundle_is_published_with_its_real_members(demo: DemoSummary) -> None:
    from onetrip.bundles.models import Bundle, BundleMember
    from onetrip.demo.bundles import BUNDLES

    bundles = {b.code: b for b in Bundle.objects.filter(code__in=[s.code for s in BUNDLES])}
    assert len(bundles) == len(BUNDLES) and all(b.is_published for b in bundles.values())
    for spec in BUNDLES:
        version = bundles[spec.code].current_version
        members = BundleMember.objects.filter(version=version).select_related("item_version")
        assert members.count() == len(spec.members), spec.code
        assert all(m.item_version is not None and m.item_version.status == "published" for m in members)
        assert version.computed["figures"]["computed"], spec.code
    retirement = bundles["enterprise-retirement"].current_version
    depts = set(
        BundleMember.objects.filter(version=retirement).values_list("item__department__code", flat=True)
    )
    assert depts == {"ld-rsj", "ld-ybj", "ls-gjj"}
    assert (retirement.stated_materials_before, retirement.stated_materials_after) == (43, 13)
    recruitment = bundles["public-recruitment"].current_version
    optional = BundleMember.objects.filter(version=recruitment, optional=True)
    assert set(optional.values_list("item__name", flat=True)) == {"社会保障卡启用", "户口登记（户口迁移）"}
