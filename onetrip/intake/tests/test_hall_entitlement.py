"""一窗受理 across levels: a district hall's comprehensive window accepts for every department stationed in the
hall (进驻部门), city-level centres included; a department window only for its own department; a department
that is not stationed is refused with `clerk_not_entitled` naming it, and nothing changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from onetrip.bundles.tests import factories as bf
from onetrip.catalog.tests import factories as cf
from onetrip.core import clock
from onetrip.core.errors import Forbidden
from onetrip.core.models import AuditEvent
from onetrip.intake.models import Case, CaseEvent, CaseStatus, Notice, Refusal
from onetrip.intake.services.acceptance import (
    case_accept,
    case_accept_with_deficiency,
    case_notice,
    case_refuse,
)
from onetrip.intake.tests import factories as itf
from onetrip.orgs import services as org_services
from onetrip.orgs.models import RegionLevel, Role, WindowCategory
from onetrip.workdays.core import SHANGHAI
from onetrip.workdays.selectors import calendar_cache_clear

pytestmark = pytest.mark.django_db
API = "/api/v1/intake/window"


@pytest.fixture(autouse=True)
def _clock():
    calendar_cache_clear()
    previous = clock.set_clock(clock.FixedClock(dt.datetime(2026, 9, 28, 10, tzinfo=SHANGHAI)))
    yield
    clock.set_clock(previous)
    calendar_cache_clear()


@pytest.fixture
def hall():
    """莲都区's hall hosts the city housing-fund centre and a district bureau; the city HR bureau is not
    stationed there."""
    city = cf.make_region(code="331100000000", name="丽水市", level=RegionLevel.CITY)
    district = cf.make_region(code="331102000000", name="莲都区", level=RegionLevel.COUNTY)
    district.parent = city
    district.save()
    fund = cf.make_department(name="丽水市住房公积金管理中心", region=city, level=3)
    city_hr = cf.make_department(name="丽水市人力资源和社会保障局", region=city, level=3)
    market = cf.make_department(name="莲都区市场监督管理局", region=district)
    hall = org_services.hall_create(name="莲都区行政服务中心", region=district)
    org_services.hall_departments_set(hall=hall, departments=[fund, market], actor=None)
    general = org_services.window_create(
        hall=hall, number="B01", name="商事登记综合受理窗口", category=WindowCategory.COMMERCIAL
    )
    fund_window = org_services.window_create(
        hall=hall,
        number="G02",
        name="住房公积金即办窗口",
        category=WindowCategory.DEPARTMENT,
        department=fund,
    )
    clerk = cf.make_user(display_name="窗口人员")
    org_services.role_assign(user=clerk, role=Role.CLERK, region=district, window=general)
    return {
        "fund": fund,
        "city_hr": city_hr,
        "market": market,
        "general": general,
        "fund_window": fund_window,
        "clerk": clerk,
    }


def bundle_case(lead, *members) -> Case:
    items = [itf.make_intake_item(department=d) for d in members]
    version = bf.make_published_bundle(items=items, lead_department=lead)
    return itf.make_submitted_case(bundle=version, upload_all=True)


def snapshot(case: Case) -> tuple:
    row = Case.objects.get(pk=case.pk)
    return (
        row.status,
        row.row_version,
        row.number,
        CaseEvent.objects.filter(case=case).count(),
        Notice.objects.filter(case=case).count(),
        Refusal.objects.filter(case=case).count(),
        AuditEvent.objects.filter(object_type="case", object_id=str(case.pk)).count(),
    )


def test_a_stationed_city_centres_bundle_is_accepted_at_the_district_halls_comprehensive_window(hall):
    case = bundle_case(hall["fund"], hall["fund"], hall["market"])
    accepted = case_accept(case=case, clerk=hall["clerk"], window=hall["general"])
    assert accepted.status in (CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS)
    assert accepted.number and accepted.window == hall["general"]


def test_every_window_decision_refuses_a_department_not_stationed_and_changes_nothing(hall):
    case = bundle_case(hall["city_hr"], hall["city_hr"])
    before = snapshot(case)
    clerk, window = hall["clerk"], hall["general"]
    attempts = {
        "accept": lambda: case_accept(case=case, clerk=clerk, window=window),
        "deficiency": lambda: case_accept_with_deficiency(
            case=case,
            clerk=clerk,
            window=window,
            commitments=[{"material_key": "m1.household_register", "due_date": dt.date(2026, 10, 20)}],
        ),
        "notice": lambda: case_notice(
            case=case, clerk=clerk, window=window, problems=[{"text": "请补充申请表签字"}]
        ),
        "refuse": lambda: case_refuse(
            case=case,
            clerk=clerk,
            window=window,
            reasons="不属于受理范围",
            legal_basis="《行政许可法》第三十二条",
        ),
        "accept without a window": lambda: case_accept(case=case, clerk=clerk),
    }
    for name, attempt in attempts.items():
        with pytest.raises(Forbidden) as exc:
            attempt()
        [error] = exc.value.errors
        assert error.code == "clerk_not_entitled", name
        assert "丽水市人力资源和社会保障局" in error.message_zh and "未进驻" in error.message_zh, name
    assert snapshot(case) == before


def test_the_department_window_accepts_only_its_own_departments_work(hall):
    fund_clerk = cf.make_user(display_name="公积金窗口人员")
    org_services.role_assign(user=fund_clerk, role=Role.CLERK, window=hall["fund_window"])
    loan = bundle_case(hall["fund"], hall["fund"])
    licence = itf.make_submitted_case(item=itf.make_intake_item(department=hall["market"]), upload_all=True)
    before = snapshot(licence)
    with pytest.raises(Forbidden) as exc:
        case_accept(case=licence, clerk=fund_clerk, window=hall["fund_window"])
    assert exc.value.errors[0].code == "clerk_not_entitled"
    assert "莲都区市场监督管理局" in exc.value.errors[0].message_zh
    assert snapshot(licence) == before
    assert case_accept(case=loan, clerk=fund_clerk, window=hall["fund_window"]).number
    # The comprehensive clerk sitting at the fund window accepts there only the fund's work, too.
    with pytest.raises(Forbidden):
        case_accept(case=licence, clerk=hall["clerk"], window=hall["fund_window"])
    assert case_accept(case=licence, clerk=hall["clerk"], window=hall["general"]).number


def test_the_windows_lists_and_lookup_show_what_the_hall_accepts(hall):
    applicant = itf.make_applicant()
    stationed = bundle_case(hall["fund"], hall["fund"])
    elsewhere = bundle_case(hall["city_hr"], hall["city_hr"])
    for case in (stationed, elsewhere):
        Case.objects.filter(pk=case.pk).update(applicant=applicant)
    client = Client()
    client.force_login(hall["clerk"])

    queue = client.get(f"{API}/cases").json()
    ids = [row["id"] for row in queue["rows"]]
    assert stationed.pk in ids and elsewhere.pk not in ids

    page = client.get(reverse("intake:window")).content.decode()
    assert reverse("intake:window_case", args=[stationed.pk]) in page
    assert reverse("intake:window_case", args=[elsewhere.pk]) not in page
    assert client.get(reverse("intake:window_case", args=[elsewhere.pk])).status_code == 404

    found = client.post(
        f"{API}/applicants/lookup", {"id_number": applicant.id_number}, content_type="application/json"
    ).json()
    assert [c["id"] for c in found["cases"]] == [stationed.pk]

    refused = client.post(f"{API}/cases/{elsewhere.pk}/accept", {}, content_type="application/json")
    assert refused.status_code == 404  # not even visible to this hall
    assert Case.objects.get(pk=elsewhere.pk).status == CaseStatus.SUBMITTED
