"""Acceptance at the window: accept, 容缺受理, one-time notice, refusal, entitlement, deadlines."""

from __future__ import annotations

import datetime as dt

import pytest

from onetrip.catalog.tests import factories as cf
from onetrip.core import clock
from onetrip.core.errors import Conflict, DomainError, Forbidden
from onetrip.core.models import AuditEvent
from onetrip.flow.models import ProcessInstanceRecord
from onetrip.intake.models import (
    ApplicationMaterial,
    Case,
    CaseEvent,
    CaseStatus,
    Channel,
    Deficiency,
    DeficiencyStatus,
    MaterialState,
    Notice,
)
from onetrip.intake.services.acceptance import (
    case_accept,
    case_accept_with_deficiency,
    case_notice,
    case_refuse,
)
from onetrip.intake.services.deficiency import deficiency_check, deficiency_supply
from onetrip.intake.services.files import file_store
from onetrip.intake.tests import factories as itf
from onetrip.orgs.models import Role, RoleAssignment, ServiceHall, Window, WindowCategory
from onetrip.workdays.core import SHANGHAI
from onetrip.workdays.selectors import calendar_cache_clear

pytestmark = pytest.mark.django_db


def at(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _clock():
    calendar_cache_clear()
    fixed = clock.FixedClock(at(2026, 9, 28))
    previous = clock.set_clock(fixed)
    yield fixed
    clock.set_clock(previous)
    calendar_cache_clear()


def codes(exc: DomainError) -> list[str]:
    return [e.code for e in exc.errors]


def make_window(region, *, category: str = WindowCategory.GENERAL, number: str = "1") -> Window:
    hall = itf.station_departments(ServiceHall.objects.create(name="测试县政务服务中心", region=region))
    return Window.objects.create(hall=hall, number=number, name="综合受理", category=category)


def complete_case(**kwargs) -> Case:
    return itf.make_submitted_case(upload_all=True, **kwargs)


def test_accept_assigns_number_and_dates_across_national_day():
    case = complete_case()
    clerk = itf.make_clerk(region=case.region)
    window = make_window(case.region)

    accepted = case_accept(case=case, clerk=clerk, window=window, now=at(2026, 9, 30, 10))

    # Dispatched to the workflow in the same transaction (按责转办): accepted, then in progress.
    assert accepted.status == CaseStatus.IN_PROGRESS
    assert ProcessInstanceRecord.objects.filter(case=case).exists()
    year = accepted.number.split("-")[1]
    assert accepted.number.startswith(case.region.code[:6] + "-") and year == "2026"
    assert accepted.accepted_by == clerk and accepted.window == window
    # 5 working days from the day after 30 September: 8, 9, 10 (adjusted Saturday), 12, 13 October.
    promised = accepted.promised_due_at.astimezone(SHANGHAI)
    assert promised.date() == dt.date(2026, 10, 13) and promised.time() == dt.time(17, 30)
    # Statutory 20 working days.
    assert accepted.statutory_due_at.astimezone(SHANGHAI).date() == dt.date(2026, 11, 3)
    assert accepted.due_provisional is False
    assert accepted.row_version > case.row_version
    assert CaseEvent.objects.filter(case=case, kind="accepted").exists()
    assert AuditEvent.objects.filter(action="case.accept", object_id=str(case.pk)).exists()


def test_accept_after_cut_off_counts_from_next_working_day():
    case = complete_case()
    clerk = itf.make_clerk(region=case.region)
    # 18:00 on 30 September is after office hours: deemed accepted on 8 October, due 5 working days later.
    accepted = case_accept(case=case, clerk=clerk, now=at(2026, 9, 30, 18))
    assert accepted.promised_due_at.astimezone(SHANGHAI).date() == dt.date(2026, 10, 14)


def test_accept_in_a_year_without_calendar_is_provisional():
    case = complete_case()
    clerk = itf.make_clerk(region=case.region)
    accepted = case_accept(case=case, clerk=clerk, now=at(2026, 12, 28, 10))
    assert accepted.number.split("-")[1] == "2026"
    assert accepted.due_provisional is True


def test_second_acceptance_is_refused_with_409():
    case = complete_case()
    clerk = itf.make_clerk(region=case.region)
    accepted = case_accept(case=case, clerk=clerk, now=at(2026, 9, 30))
    with pytest.raises(Conflict) as exc:
        case_accept(case=accepted, clerk=clerk, now=at(2026, 9, 30, 11))
    assert codes(exc.value) == ["already_accepted"]


def test_stale_row_version_is_a_conflict():
    case = complete_case()
    clerk = itf.make_clerk(region=case.region)
    stale = Case.objects.get(pk=case.pk)
    case_accept(case=case, clerk=clerk, now=at(2026, 9, 30))
    with pytest.raises(Conflict) as exc:
        case_refuse(case=stale, clerk=clerk, reasons="不符合条件", legal_basis="某条例第一条")
    assert codes(exc.value) == ["case_changed"]


def test_missing_key_material_blocks_acceptance_and_names_it():
    case = complete_case()
    ApplicationMaterial.objects.filter(application=case.application, key="application").update(
        state=MaterialState.MISSING, file=None
    )
    clerk = itf.make_clerk(region=case.region)
    with pytest.raises(DomainError) as exc:
        case_accept(case=case, clerk=clerk, now=at(2026, 9, 30))
    assert codes(exc.value) == ["key_material_missing"]
    assert "申请表" in exc.value.errors[0].message_zh
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and case.number is None


def test_plain_acceptance_refuses_missing_non_key_material():
    case = itf.make_submitted_case()  # 户口簿 (non-key, 容缺-able) missing
    clerk = itf.make_clerk(region=case.region)
    with pytest.raises(DomainError) as exc:
        case_accept(case=case, clerk=clerk, now=at(2026, 9, 30))
    assert codes(exc.value) == ["material_missing"]


def test_clerk_of_another_region_may_not_accept():
    case = complete_case()
    outsider = itf.make_clerk(region=cf.make_region(code="339900000000"))
    with pytest.raises(Forbidden) as exc:
        case_accept(case=case, clerk=outsider, now=at(2026, 9, 30))
    assert codes(exc.value) == ["clerk_not_entitled"]
    handler = itf.make_applicant()
    RoleAssignment.objects.create(user=handler, role=Role.HANDLER, department=case.lead_department)
    with pytest.raises(Forbidden) as exc:
        case_accept(case=case, clerk=handler, now=at(2026, 9, 30))
    assert codes(exc.value) == ["clerk_required"]


def test_clerk_assigned_to_a_window_accepts_in_that_hall_region():
    case = complete_case()
    window = make_window(case.region)
    clerk = itf.make_clerk(window=window)
    accepted = case_accept(case=case, clerk=clerk, window=window, now=at(2026, 9, 30))
    assert accepted.number and accepted.window == window


def test_online_application_accepted_with_applicant_at_window_counts_one_trip():
    case = complete_case()
    assert case.trips == 0
    clerk = itf.make_clerk(region=case.region)
    window = make_window(case.region)
    accepted = case_accept(case=case, clerk=clerk, window=window, now=at(2026, 9, 30), applicant_present=True)
    assert accepted.trips == 1


def test_window_application_accepted_on_the_spot_adds_no_trip(_clock):
    _clock._at = at(2026, 9, 30, 9)
    case = complete_case(channel=Channel.WINDOW)
    assert case.trips == 1
    clerk = itf.make_clerk(region=case.region)
    window = make_window(case.region)
    accepted = case_accept(
        case=case, clerk=clerk, window=window, now=at(2026, 9, 30, 9, 30), applicant_present=True
    )
    assert accepted.trips == 1


# ----------------------------------------------------------------------------------- 容缺受理


def test_accept_with_deficiency_holds_result_and_records_commitment():
    case = itf.make_submitted_case()
    clerk = itf.make_clerk(region=case.region)
    accepted = case_accept_with_deficiency(
        case=case,
        clerk=clerk,
        commitments=[{"material_key": "household_register", "due_date": dt.date(2026, 10, 20)}],
        now=at(2026, 9, 30),
    )
    assert accepted.number
    assert CaseEvent.objects.filter(case=case, kind=CaseStatus.ACCEPTED_DEFICIENT).exists()
    deficiency = Deficiency.objects.get(case=case)
    assert deficiency.material_name == "户口簿" and deficiency.status == DeficiencyStatus.PENDING
    assert "2026年10月20日" in deficiency.commitment_text and "户口簿" in deficiency.commitment_text


def test_commitment_for_key_material_is_refused():
    case = itf.make_submitted_case()
    ApplicationMaterial.objects.filter(application=case.application, key="application").update(
        state=MaterialState.MISSING, file=None
    )
    clerk = itf.make_clerk(region=case.region)
    with pytest.raises(DomainError) as exc:
        case_accept_with_deficiency(
            case=case,
            clerk=clerk,
            commitments=[
                {"material_key": "household_register", "due_date": "2026-10-20"},
                {"material_key": "application", "due_date": "2026-10-20"},
            ],
            now=at(2026, 9, 30),
        )
    assert "key_material_no_commitment" in codes(exc.value)
    assert exc.value.errors[0].row == 1
    assert not Deficiency.objects.filter(case=case).exists()


def test_commitment_dates_must_be_future_and_within_30_days():
    case = itf.make_submitted_case()
    clerk = itf.make_clerk(region=case.region)
    for due, code in (("2026-09-30", "due_date_not_future"), ("2026-10-31", "due_date_too_late")):
        with pytest.raises(DomainError) as exc:
            case_accept_with_deficiency(
                case=case,
                clerk=clerk,
                commitments=[{"material_key": "household_register", "due_date": due}],
                now=at(2026, 9, 30),
            )
        assert codes(exc.value) == [code]
    # 30 natural days is the last allowed date.
    case_accept_with_deficiency(
        case=case,
        clerk=clerk,
        commitments=[{"material_key": "household_register", "due_date": "2026-10-30"}],
        now=at(2026, 9, 30),
    )


def test_non_deficiency_material_cannot_be_committed():
    case = itf.make_submitted_case()
    ApplicationMaterial.objects.filter(application=case.application, key="site_photo").update(
        state=MaterialState.MISSING, file=None
    )
    clerk = itf.make_clerk(region=case.region)
    with pytest.raises(DomainError) as exc:
        case_accept_with_deficiency(
            case=case,
            clerk=clerk,
            commitments=[
                {"material_key": "household_register", "due_date": "2026-10-20"},
                {"material_key": "site_photo", "due_date": "2026-10-20"},
            ],
            now=at(2026, 9, 30),
        )
    assert codes(exc.value) == ["material_not_deficiency_allowed"]


def test_every_missing_material_needs_a_commitment():
    case = itf.make_submitted_case()
    clerk = itf.make_clerk(region=case.region)
    with pytest.raises(DomainError) as exc:
        case_accept_with_deficiency(case=case, clerk=clerk, commitments=[], now=at(2026, 9, 30))
    assert codes(exc.value) == ["commitments_required", "material_missing_no_commitment"]


def test_supplying_the_last_deficiency_releases_the_result(_clock):
    case = itf.make_submitted_case()
    clerk = itf.make_clerk(region=case.region)
    accepted = case_accept_with_deficiency(
        case=case,
        clerk=clerk,
        commitments=[{"material_key": "household_register", "due_date": "2026-10-20"}],
        now=at(2026, 9, 30),
    )
    deficiency = Deficiency.objects.get(case=accepted)
    stored = file_store(data=itf.PDF_BYTES + b"supply", declared_name="户口簿.pdf")
    outsider = itf.make_applicant()
    with pytest.raises(Forbidden):
        deficiency_supply(deficiency=deficiency, file=stored, actor=outsider)
    deficiency_supply(deficiency=deficiency, file=stored, actor=case.applicant, now=at(2026, 10, 9))
    supplied = deficiency_check(deficiency=deficiency, actor=clerk, accepted=True, now=at(2026, 10, 9))
    assert supplied.status == DeficiencyStatus.SUPPLIED
    case.refresh_from_db()
    assert case.result_held is False
    row = ApplicationMaterial.objects.get(application=case.application, key="household_register")
    assert row.state == MaterialState.UPLOADED and row.file == stored
    other = file_store(data=itf.PDF_BYTES + b"another", declared_name="户口簿.pdf")
    with pytest.raises(Conflict) as exc:
        deficiency_supply(deficiency=deficiency, file=other, actor=case.applicant, now=at(2026, 10, 9))
    assert codes(exc.value) == ["deficiency_already_supplied"]


# ------------------------------------------------------------------------------ notice, refusal


def test_one_time_notice_once_per_submission():
    case = itf.make_submitted_case()
    clerk = itf.make_clerk(region=case.region)
    problems = [
        {"material_key": "household_register", "problem": "缺少户口簿复印件"},
        {"field": "person.phone", "problem": "联系电话无法接通，请核实"},
    ]
    notice = case_notice(case=case, clerk=clerk, problems=problems, now=at(2026, 9, 30))
    assert notice.submission == 1 and len(notice.problems) == 2
    assert notice.problems[0]["material_name"] == "户口簿"
    case.refresh_from_db()
    assert case.status == CaseStatus.CORRECTION
    with pytest.raises(Conflict) as exc:
        case_notice(case=case, clerk=clerk, problems=[{"problem": "又发现一个问题"}], now=at(2026, 9, 30))
    assert codes(exc.value) == ["notice_already_issued"]
    assert Notice.objects.filter(case=case).count() == 1


def test_resubmission_can_get_its_own_notice():
    from onetrip.intake.services.application import case_resubmit

    case = itf.make_submitted_case()
    clerk = itf.make_clerk(region=case.region)
    case_notice(case=case, clerk=clerk, problems=[{"problem": "缺少户口簿"}], now=at(2026, 9, 30))
    case.refresh_from_db()
    # A new photo comes with the correction: a problem of it could not be known at the first notice.
    from onetrip.intake.services.application import application_material_upload

    application_material_upload(
        application=case.application,
        key="site_photo",
        data=itf.PDF_BYTES + b"new photo",
        declared_name="photo.pdf",
        actor=case.applicant,
    )
    again = case_resubmit(case=case, actor=case.applicant, idempotency_key="resubmit-1")
    assert again.submission == 2 and again.status == CaseStatus.SUBMITTED
    notice = case_notice(
        case=again,
        clerk=clerk,
        problems=[{"material_key": "site_photo", "problem": "照片不清晰"}],
        now=at(2026, 10, 9),
    )
    assert notice.submission == 2


def test_notice_needs_problems_and_known_materials():
    case = itf.make_submitted_case(upload_all=True)  # nothing missing: the system knows of no problem
    clerk = itf.make_clerk(region=case.region)
    with pytest.raises(DomainError) as exc:
        case_notice(case=case, clerk=clerk, problems=[], now=at(2026, 9, 30))
    assert codes(exc.value) == ["problems_required"]
    with pytest.raises(DomainError) as exc:
        case_notice(
            case=case,
            clerk=clerk,
            problems=[{"material_key": "nope", "problem": "x"}, {"problem": "  "}],
            now=at(2026, 9, 30),
        )
    assert codes(exc.value) == ["unknown_material", "required"]


def test_refusal_requires_reasons_and_legal_basis():
    case = itf.make_submitted_case()
    clerk = itf.make_clerk(region=case.region)
    with pytest.raises(DomainError) as exc:
        case_refuse(case=case, clerk=clerk, reasons=" ", legal_basis="")
    assert codes(exc.value) == ["required", "required"]
    assert [e.field for e in exc.value.errors] == ["reasons", "legal_basis"]
    refusal = case_refuse(
        case=case,
        clerk=clerk,
        reasons="申请事项不属于本机关职权范围",
        legal_basis="《中华人民共和国行政许可法》第三十二条第一款第（二）项",
        now=at(2026, 9, 30),
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.REFUSED and case.number is None
    assert refusal.reasons.startswith("申请事项")
    with pytest.raises(Conflict):
        case_accept(case=case, clerk=clerk, now=at(2026, 9, 30))


def test_bundle_case_uses_combined_limit():
    bundle = itf.make_intake_bundle(members=2)
    case = itf.make_submitted_case(bundle=bundle, upload_all=True)
    clerk = itf.make_clerk(region=case.region)
    accepted = case_accept(case=case, clerk=clerk, now=at(2026, 9, 30))
    # Two members of 5 working days each: side by side (no dependency) → 5 working days.
    from onetrip.bundles.selectors import computed

    critical = computed(bundle)["limit"]["critical_days"]
    assert critical in ("5", "10")
    expected = {"5": dt.date(2026, 10, 13), "10": dt.date(2026, 10, 20)}[critical]
    assert accepted.promised_due_at.astimezone(SHANGHAI).date() == expected
    assert accepted.statutory_due_at is not None
