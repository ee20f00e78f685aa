"""容缺 closes the loop: the applicant (on the phone page) or the clerk (at the window) supplies a committed
material, by upload or from the e-licence register; the clerk checks it; the held result is released. Before
the date a reminder, after it the case ends with a 终止办理告知书. And the bad inputs: someone else's case,
after the date, twice, a wrong file type — each a 4xx naming the field, with nothing changed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from onetrip.catalog.models import Material
from onetrip.catalog.tests import factories as cf
from onetrip.core import clock
from onetrip.core.errors import Conflict, DomainError, Forbidden
from onetrip.flow.models import ProcessInstanceRecord
from onetrip.flow.services import flow_sweep
from onetrip.intake.documents_deficiency import termination_event, termination_pdf
from onetrip.intake.models import (
    ApplicationMaterial,
    Case,
    CaseEvent,
    CaseStatus,
    Deficiency,
    DeficiencyStatus,
    MaterialState,
    StoredFile,
)
from onetrip.intake.services.acceptance import case_accept_with_deficiency, deficiencies_sweep
from onetrip.intake.services.deficiency import (
    deficiencies_overdue_notice,
    deficiencies_remind,
    deficiency_check,
    deficiency_supply,
)
from onetrip.intake.tasks import intake_sweep
from onetrip.intake.tests import factories as itf
from onetrip.sharing.models import LicenceType
from onetrip.sharing.services import licence_issue
from onetrip.workdays.core import SHANGHAI
from onetrip.workdays.selectors import calendar_cache_clear

pytestmark = pytest.mark.django_db
ACCEPTED = dt.datetime(2026, 11, 2, 10, tzinfo=SHANGHAI)  # a Monday
DUE = dt.date(2026, 11, 10)  # a Tuesday
API = "/api/v1/intake/deficiencies"


def at(d: int, h: int = 10) -> dt.datetime:
    return dt.datetime(2026, 11, d, h, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _clock():
    calendar_cache_clear()
    fixed = clock.FixedClock(at(3))
    previous = clock.set_clock(fixed)
    yield fixed
    clock.set_clock(previous)
    calendar_cache_clear()


def deficient_case(*, item=None, applicant=None, due: dt.date = DUE) -> tuple[Case, Deficiency]:
    """A case accepted at the window with 户口簿 missing under a commitment (dispatched: the flow holds it)."""
    case = itf.make_submitted_case(item=item, applicant=applicant)
    clerk = itf.make_clerk(region=case.region)
    case = case_accept_with_deficiency(
        case=case,
        clerk=clerk,
        commitments=[{"material_key": "household_register", "due_date": due}],
        now=ACCEPTED,
    )
    case.refresh_from_db()
    return case, Deficiency.objects.get(case=case)


def clerk_of(case: Case):
    return itf.make_clerk(region=case.region)


def pdf(tag: str) -> bytes:
    return itf.PDF_BYTES + tag.encode()


def snapshot(deficiency: Deficiency) -> tuple:
    d = Deficiency.objects.get(pk=deficiency.pk)
    return (
        d.status,
        d.file_id,
        d.licence_id,
        d.supplied_at,
        CaseEvent.objects.filter(case_id=d.case_id).count(),
    )


def client_for(user, **headers) -> Client:
    c = Client(**headers)
    c.force_login(user)
    return c


# ------------------------------------------------------------------------------------------ services


def test_supplied_material_waits_for_the_check_and_accepted_it_releases_the_held_result():
    case, deficiency = deficient_case()
    assert case.result_held and ProcessInstanceRecord.objects.filter(case=case).exists()

    row = deficiency_supply(
        deficiency=deficiency, actor=case.applicant, file=pdf("hr"), file_name="户口簿.pdf", now=at(3)
    )
    assert (
        row.status == DeficiencyStatus.CHECKING
        and row.file_name == "户口簿.pdf"
        and row.supplied_by == case.applicant
    )
    case.refresh_from_db()
    assert case.result_held  # not before a clerk has checked it
    assert CaseEvent.objects.filter(case=case, kind="deficiency_submitted").count() == 1

    clerk = clerk_of(case)
    row = deficiency_check(deficiency=deficiency, actor=clerk, accepted=True, now=at(3, 11))
    assert row.status == DeficiencyStatus.SUPPLIED and row.checked_by == clerk
    case.refresh_from_db()
    assert not case.result_held
    material = ApplicationMaterial.objects.get(application=case.application, key="household_register")
    assert material.state == MaterialState.UPLOADED and material.file_id == row.file_id
    event = CaseEvent.objects.get(case=case, kind="deficiency_supplied")
    assert "户口簿" in event.title and event.actor == clerk
    assert CaseEvent.objects.filter(case=case, kind="deficiencies_complete").count() == 1


def test_rejected_supplement_tells_the_reason_and_may_be_supplied_again_before_the_date():
    case, deficiency = deficient_case()
    clerk = clerk_of(case)
    deficiency_supply(deficiency=deficiency, actor=case.applicant, file=pdf("blurred"), now=at(3))
    row = deficiency_check(
        deficiency=deficiency, actor=clerk, accepted=False, reason="照片模糊，无法辨认", now=at(4)
    )
    assert row.status == DeficiencyStatus.PENDING and row.rejection_reason == "照片模糊，无法辨认"
    event = CaseEvent.objects.get(case=case, kind="deficiency_rejected")
    assert "照片模糊" in event.title and event.data["reason"] == "照片模糊，无法辨认"
    case.refresh_from_db()
    assert case.result_held

    deficiency_supply(deficiency=deficiency, actor=case.applicant, file=pdf("sharp"), now=at(5))
    deficiency_check(deficiency=deficiency, actor=clerk, accepted=True, now=at(5))
    case.refresh_from_db()
    assert not case.result_held


def test_a_check_without_a_reason_is_refused_and_changes_nothing():
    case, deficiency = deficient_case()
    deficiency_supply(deficiency=deficiency, actor=case.applicant, file=pdf("x"), now=at(3))
    before = snapshot(deficiency)
    with pytest.raises(DomainError) as err:
        deficiency_check(deficiency=deficiency, actor=clerk_of(case), accepted=False, reason="  ", now=at(3))
    assert [(e.code, e.field) for e in err.value.errors] == [("reason_required", "reason")]
    assert snapshot(deficiency) == before


def test_only_a_clerk_entitled_to_the_case_checks():
    case, deficiency = deficient_case()
    deficiency_supply(deficiency=deficiency, actor=case.applicant, file=pdf("x"), now=at(3))
    before = snapshot(deficiency)
    with pytest.raises(Forbidden) as err:
        deficiency_check(deficiency=deficiency, actor=case.applicant, accepted=True, now=at(3))
    assert err.value.errors[0].code == "clerk_required"
    with pytest.raises(Forbidden) as err:
        deficiency_check(deficiency=deficiency, actor=itf.make_clerk(), accepted=True, now=at(3))
    assert (err.value.errors[0].code, err.value.errors[0].field) == ("clerk_not_entitled", "deficiency")
    assert snapshot(deficiency) == before


def test_the_clerk_supplies_at_the_window_for_the_applicant():
    case, deficiency = deficient_case()
    clerk = clerk_of(case)
    row = deficiency_supply(
        deficiency=deficiency, actor=clerk, file=pdf("paper scan"), file_name="scan.png.pdf", now=at(3)
    )
    assert row.status == DeficiencyStatus.CHECKING and row.supplied_by == clerk
    assert "窗口收取" in CaseEvent.objects.get(case=case, kind="deficiency_submitted").title
    deficiency_check(deficiency=deficiency, actor=clerk, accepted=True, now=at(3))
    case.refresh_from_db()
    assert not case.result_held


def test_someone_elses_case_is_refused_naming_the_field_and_nothing_changes():
    case, deficiency = deficient_case()
    stranger = itf.make_applicant()
    files_before = StoredFile.objects.count()
    before = snapshot(deficiency)
    with pytest.raises(Forbidden) as err:
        deficiency_supply(deficiency=deficiency, actor=stranger, file=pdf("not mine"), now=at(3))
    assert (err.value.errors[0].code, err.value.errors[0].field) == ("deficiency_not_yours", "deficiency")
    with pytest.raises(Forbidden):  # a clerk of another county is a stranger too
        deficiency_supply(deficiency=deficiency, actor=itf.make_clerk(), file=pdf("not mine"), now=at(3))
    assert snapshot(deficiency) == before and StoredFile.objects.count() == files_before


def test_after_the_commitment_date_nothing_can_be_supplied():
    case, deficiency = deficient_case()
    before = snapshot(deficiency)
    # The date itself still counts…
    deficiency_supply(deficiency=deficiency, actor=case.applicant, file=pdf("in time"), now=at(10, 23))
    deficiency.refresh_from_db()
    assert deficiency.status == DeficiencyStatus.CHECKING
    # …the day after does not.
    case2, late = deficient_case(item=case.item_version.item)
    before = snapshot(late)
    with pytest.raises(Conflict) as err:
        deficiency_supply(deficiency=late, actor=case2.applicant, file=pdf("late"), now=at(11, 8))
    assert (err.value.errors[0].code, err.value.errors[0].field) == ("deficiency_past_due", "due_date")
    assert snapshot(late) == before


def test_twice_an_identical_retry_is_one_supply_and_a_different_one_is_refused():
    case, deficiency = deficient_case()
    first = deficiency_supply(deficiency=deficiency, actor=case.applicant, file=pdf("same"), now=at(3))
    again = deficiency_supply(deficiency=deficiency, actor=case.applicant, file=pdf("same"), now=at(3, 11))
    assert again.file_id == first.file_id and again.supplied_at == first.supplied_at
    assert CaseEvent.objects.filter(case=case, kind="deficiency_submitted").count() == 1
    before = snapshot(deficiency)
    with pytest.raises(Conflict) as err:
        deficiency_supply(deficiency=deficiency, actor=case.applicant, file=pdf("other"), now=at(3, 12))
    assert (err.value.errors[0].code, err.value.errors[0].field) == (
        "deficiency_awaiting_check",
        "deficiency",
    )
    assert snapshot(deficiency) == before

    clerk = clerk_of(case)
    deficiency_check(deficiency=deficiency, actor=clerk, accepted=True, now=at(4))
    deficiency_check(deficiency=deficiency, actor=clerk, accepted=True, now=at(4, 11))  # a double click
    assert CaseEvent.objects.filter(case=case, kind="deficiency_supplied").count() == 1
    with pytest.raises(Conflict) as err:
        deficiency_supply(deficiency=deficiency, actor=case.applicant, file=pdf("third"), now=at(4, 12))
    assert err.value.errors[0].code == "deficiency_already_supplied"


def test_a_wrong_file_type_is_refused_by_its_content_and_nothing_changes():
    case, deficiency = deficient_case()
    before = snapshot(deficiency)
    with pytest.raises(DomainError) as err:
        deficiency_supply(
            deficiency=deficiency,
            actor=case.applicant,
            file=b"MZ\x90\x00 not a pdf",
            file_name="户口簿.pdf",
            now=at(3),
        )
    assert (err.value.errors[0].code, err.value.errors[0].field) == ("unsupported_file_type", "file")
    with pytest.raises(DomainError) as err:
        deficiency_supply(deficiency=deficiency, actor=case.applicant, now=at(3))
    assert (err.value.errors[0].code, err.value.errors[0].field) == ("supply_source_required", "file")
    assert snapshot(deficiency) == before


def _household_licence_type() -> LicenceType:
    return LicenceType.objects.create(
        code="household-register",
        name="居民户口簿",
        issuer=cf.make_department(),
        satisfies="居民户口簿",
        holder_kind="person",
    )


def _licenced_item():
    item = itf.make_intake_item()
    Material.objects.filter(version=item.current_version, code="household_register").update(
        licence_type="居民户口簿"
    )
    return item


def test_a_material_is_supplied_from_the_applicants_e_licence():
    item = _licenced_item()
    case, deficiency = deficient_case(item=item)
    kind = _household_licence_type()
    licence = licence_issue(
        licence_type=kind,
        holder=case.applicant.id_number,
        holder_name=case.applicant_name,
        valid_from=dt.date(2020, 1, 1),
        valid_to=None,
        actor=None,
    )
    row = deficiency_supply(deficiency=deficiency, actor=case.applicant, licence=licence.pk, now=at(3))
    assert row.status == DeficiencyStatus.CHECKING and row.licence_id == licence.pk and row.file_id is None
    deficiency_check(deficiency=deficiency, actor=clerk_of(case), accepted=True, now=at(3))
    material = ApplicationMaterial.objects.get(application=case.application, key="household_register")
    assert material.state == MaterialState.E_LICENCE and licence.number in material.source_note


def test_someone_elses_or_the_wrong_e_licence_is_refused():
    item = _licenced_item()
    case, deficiency = deficient_case(item=item)
    kind = _household_licence_type()
    other = licence_issue(
        licence_type=kind,
        holder=itf.make_id_number(birth="19850101"),
        holder_name="王五",
        valid_from=dt.date(2020, 1, 1),
        valid_to=None,
        actor=None,
    )
    id_card = LicenceType.objects.create(
        code="id-card", name="居民身份证", issuer=kind.issuer, satisfies="居民身份证", holder_kind="person"
    )
    wrong = licence_issue(
        licence_type=id_card,
        holder=case.applicant.id_number,
        holder_name=case.applicant_name,
        valid_from=dt.date(2020, 1, 1),
        valid_to=None,
        actor=None,
    )
    before = snapshot(deficiency)
    for licence, code in ((other, "licence_not_found"), (wrong, "licence_wrong_type")):
        with pytest.raises(DomainError) as err:
            deficiency_supply(deficiency=deficiency, actor=case.applicant, licence=licence.pk, now=at(3))
        assert (err.value.errors[0].code, err.value.errors[0].field) == (code, "licence")
    assert snapshot(deficiency) == before


# --------------------------------------------------------------------------------------------- sweeps


def test_a_reminder_goes_out_once_two_working_days_before_the_date():
    case, deficiency = deficient_case()
    assert deficiencies_remind(now=ACCEPTED) == 0  # not on the day it was signed
    assert deficiencies_remind(now=at(5)) == 0  # Thursday: the 10th is three working days away
    assert deficiencies_remind(now=at(6)) == 1  # Friday: Monday and Tuesday are left
    assert deficiencies_remind(now=at(9)) == 0  # once
    [event] = CaseEvent.objects.filter(case=case, kind="deficiency_due_soon")
    assert "2026年11月10日" in event.title and "户口簿" in event.title and "还有2个工作日" in event.title


def test_the_reminder_period_is_a_setting(settings):
    settings.ONETRIP_DEFICIENCY_REMIND_WORKING_DAYS = 5
    case, _ = deficient_case()
    assert deficiencies_remind(now=at(3)) == 1


def test_no_reminder_for_a_material_already_supplied():
    case, deficiency = deficient_case()
    deficiency_supply(deficiency=deficiency, actor=case.applicant, file=pdf("early"), now=at(4))
    assert deficiencies_remind(now=at(6)) == 0


def test_when_the_date_passes_the_case_ends_with_a_termination_notice():
    case, deficiency = deficient_case()
    flow_sweep(now=at(11, 8))  # the workflow ends the dispatched case
    case.refresh_from_db()
    assert case.status == CaseStatus.TERMINATED
    assert deficiencies_overdue_notice(now=at(11, 8)) == 1
    assert deficiencies_overdue_notice(now=at(11, 9)) == 0  # once
    [event] = CaseEvent.objects.filter(case=case, kind="deficiency_overdue")
    assert "终止办理" in event.title and event.data["terminated"] is True
    assert termination_event(case) == event
    document = termination_pdf(case, event)
    assert document.startswith(b"%PDF")
    with pytest.raises(Conflict) as err:
        deficiency_supply(deficiency=deficiency, actor=case.applicant, file=pdf("too late"), now=at(11, 9))
    assert err.value.errors[0].code == "deficiency_closed"


def test_intake_sweep_ends_a_case_outside_the_workflow_and_tells_the_applicant(_clock):
    case, deficiency = deficient_case()
    ProcessInstanceRecord.objects.filter(case=case).delete()
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.ACCEPTED_DEFICIENT)
    _clock.advance(at(11, 8) - clock.now())
    counts = intake_sweep.call()
    assert counts["deficiency_terminated"] == 1 and counts["deficiency_overdue_noticed"] == 1
    case.refresh_from_db()
    assert case.status == CaseStatus.TERMINATED
    assert CaseEvent.objects.filter(case=case, kind="deficiency_overdue").count() == 1
    assert deficiencies_sweep(now=at(12)) == 0


# ---------------------------------------------------------------------------------------------- pages


PHONE = {"HTTP_USER_AGENT": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"}


def test_applicant_page_shows_each_commitment_and_supplies_from_the_phone():
    case, deficiency = deficient_case()
    c = client_for(case.applicant, **PHONE)
    page = c.get(f"/apply/cases/{case.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "户口簿" in html and "2026年11月10日" in html and 'type="file"' in html and "待补交" in html
    assert "从电子证照选择" not in html  # the applicant holds no licence of that type
    upload = _upload("户口簿.jpg", itf.JPEG_BYTES)
    r = c.post(f"/apply/cases/{case.pk}/deficiencies/{deficiency.pk}/supply/", {"file": upload})
    assert r.status_code == 303
    deficiency.refresh_from_db()
    assert deficiency.status == DeficiencyStatus.CHECKING
    html = c.get(f"/apply/cases/{case.pk}/").content.decode()
    assert "等待窗口核验" in html
    assert c.get(f"/apply/cases/{case.pk}/deficiencies/{deficiency.pk}/file/").status_code == 200


def _upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_applicant_page_offers_a_licence_of_the_right_type():
    item = _licenced_item()
    case, deficiency = deficient_case(item=item)
    licence = licence_issue(
        licence_type=_household_licence_type(),
        holder=case.applicant.id_number,
        holder_name=case.applicant_name,
        valid_from=dt.date(2020, 1, 1),
        valid_to=None,
        actor=None,
    )
    c = client_for(case.applicant)
    html = c.get(f"/apply/cases/{case.pk}/").content.decode()
    assert "从电子证照选择" in html and licence.number in html
    r = c.post(f"/apply/cases/{case.pk}/deficiencies/{deficiency.pk}/supply/", {"licence": str(licence.pk)})
    assert r.status_code == 303
    deficiency.refresh_from_db()
    assert deficiency.licence_id == licence.pk


def test_applicant_page_answers_a_wrong_file_with_the_message_and_keeps_the_choice():
    item = _licenced_item()
    case, deficiency = deficient_case(item=item)
    licence = licence_issue(
        licence_type=_household_licence_type(),
        holder=case.applicant.id_number,
        holder_name=case.applicant_name,
        valid_from=dt.date(2020, 1, 1),
        valid_to=None,
        actor=None,
    )
    c = client_for(case.applicant)
    r = c.post(
        f"/apply/cases/{case.pk}/deficiencies/{deficiency.pk}/supply/",
        {"file": _upload("a.pdf", b"GIF89a not allowed"), "licence": str(licence.pk)},
    )
    assert r.status_code == 400
    html = r.content.decode()
    assert "二选一" in html and f'value="{licence.pk}" checked' in html
    r = c.post(
        f"/apply/cases/{case.pk}/deficiencies/{deficiency.pk}/supply/", {"file": _upload("a.pdf", b"GIF89a")}
    )
    assert r.status_code == 400 and "只能上传 PDF、JPG 或 PNG" in r.content.decode()
    deficiency.refresh_from_db()
    assert deficiency.status == DeficiencyStatus.PENDING


def test_someone_elses_case_page_and_supply_are_not_found():
    case, deficiency = deficient_case()
    c = client_for(itf.make_applicant())
    assert c.get(f"/apply/cases/{case.pk}/").status_code == 404
    r = c.post(
        f"/apply/cases/{case.pk}/deficiencies/{deficiency.pk}/supply/", {"file": _upload("a.pdf", pdf("x"))}
    )
    assert r.status_code == 404
    deficiency.refresh_from_db()
    assert deficiency.status == DeficiencyStatus.PENDING


def test_window_page_supplies_checks_and_keeps_the_reason_after_an_error():
    case, deficiency = deficient_case()
    clerk = clerk_of(case)
    c = client_for(clerk)
    base = f"/window/cases/{case.pk}/deficiencies/{deficiency.pk}"
    html = c.get(f"/window/cases/{case.pk}/").content.decode()
    assert "容缺材料" in html and 'type="file"' in html and "核验通过" not in html
    assert c.post(f"{base}/supply/", {"file": _upload("hr.png", itf.PNG_BYTES)}).status_code == 303
    # A reason too long: the message, and what was typed kept.
    typed = "请提供原件扫描件" + "。" * 2000
    r = c.post(f"{base}/reject/", {"reason": typed})
    assert r.status_code == 400 and "原因不超过2000字" in r.content.decode()
    assert typed in r.content.decode()
    r = c.post(f"{base}/supply/", {"file": _upload("hr.png", itf.PNG_BYTES + b"other")})
    assert r.status_code == 409 and "等待窗口核验" in r.content.decode()
    html = c.get(f"/window/cases/{case.pk}/").content.decode()
    assert "核验通过" in html and "核验不通过" in html
    assert c.get(f"{base}/file/").status_code == 200
    assert c.post(f"{base}/accept/").status_code == 303
    case.refresh_from_db()
    assert not case.result_held


def test_window_page_of_another_county_is_not_found():
    case, deficiency = deficient_case()
    c = client_for(itf.make_clerk())
    assert c.post(f"/window/cases/{case.pk}/deficiencies/{deficiency.pk}/accept/").status_code == 404


def test_termination_notice_is_on_both_pages():
    case, _ = deficient_case()
    flow_sweep(now=at(11, 8))
    deficiencies_overdue_notice(now=at(11, 8))
    applicant = client_for(case.applicant)
    assert "终止办理告知书" in applicant.get(f"/apply/cases/{case.pk}/").content.decode()
    r = applicant.get(f"/apply/cases/{case.pk}/termination.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    clerk = client_for(clerk_of(case))
    assert clerk.get(f"/window/cases/{case.pk}/termination.pdf").status_code == 200
    assert client_for(itf.make_applicant()).get(f"/apply/cases/{case.pk}/termination.pdf").status_code == 404


# ------------------------------------------------------------------------------------------------ API


def error_of(response) -> tuple[str, str | None]:
    e = response.json()["errors"][0]
    return e["code"], e.get("field")


def test_api_lists_supplies_and_checks():
    case, deficiency = deficient_case()
    applicant = client_for(case.applicant)
    listed = applicant.get(API, {"case_id": case.pk})
    assert listed.status_code == 200
    [row] = listed.json()
    assert row["material_name"] == "户口簿" and row["due_date"] == "2026-11-10" and row["can_supply"] is True
    r = applicant.post(f"{API}/{deficiency.pk}/supply", {"file": _upload("hr.pdf", pdf("api"))})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "checking"
    clerk = client_for(clerk_of(case))
    denied = applicant.post(
        f"{API}/{deficiency.pk}/check", {"accepted": True}, content_type="application/json"
    )
    assert denied.status_code == 403
    r = clerk.post(f"{API}/{deficiency.pk}/check", {"accepted": True}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "supplied"
    case.refresh_from_db()
    assert not case.result_held


def test_api_bad_inputs_are_4xx_naming_the_field():
    case, deficiency = deficient_case()
    applicant = client_for(case.applicant)
    stranger = client_for(itf.make_applicant())
    r = stranger.post(f"{API}/{deficiency.pk}/supply", {"file": _upload("hr.pdf", pdf("x"))})
    assert r.status_code == 404 and error_of(r) == ("not_found", "deficiency_id")
    r = applicant.post(f"{API}/{deficiency.pk}/supply", {"file": _upload("hr.pdf", b"<html>no</html>")})
    assert r.status_code == 400 and error_of(r) == ("unsupported_file_type", "file")
    r = applicant.post(f"{API}/{deficiency.pk}/check", {"accepted": False}, content_type="application/json")
    assert r.status_code == 403
    clock.get_clock().advance(at(11, 9) - clock.now())
    r = applicant.post(f"{API}/{deficiency.pk}/supply", {"file": _upload("hr.pdf", pdf("late"))})
    assert r.status_code == 409 and error_of(r) == ("deficiency_past_due", "due_date")
    deficiency.refresh_from_db()
    assert deficiency.status == DeficiencyStatus.PENDING


# ------------------------------------------------------------------------------- the demo, end to end

from onetrip.demo.tests.conftest import demo  # noqa: E402,F401  (the loaded demo city, a module fixture)


def _officer(department):
    from onetrip.flow.tests.casebuilders import staff
    from onetrip.orgs.models import Role, RoleAssignment

    user = staff(department)
    RoleAssignment.objects.create(user=user, role=Role.LEADER, department=department)
    return user


def _demo_value(field, applicant):
    options = [o.get("value", o) if isinstance(o, dict) else o for o in field.options]
    by_type = {
        "id_number": applicant.id_number or itf.make_id_number(),
        "phone": "13800138000",
        "date": "2026-10-30",
        "integer": "1",
        "decimal": "1",
        "boolean": True,
        "choice": options[0] if options else "",
        "multi_choice": options[:1],
    }
    value = by_type.get(field.field_type, "示例内容")
    return value[: field.max_length] if isinstance(value, str) and field.max_length else value


def test_demo_food_licence_with_one_deficiency_runs_from_application_to_delivery(demo):  # noqa: F811
    """The demo company applies online for 食品经营许可 without 食品安全管理人员名单 (容缺); the demo window clerk
    accepts on commitment; the department approves and issues; the result is held; the company supplies on
    its phone; the clerk checks; the result is released and collected."""
    from onetrip.catalog.models import Item
    from onetrip.flow import services as flow
    from onetrip.flow.models import DeliveryStatus
    from onetrip.flow.tests.casebuilders import open_tasks, version
    from onetrip.intake.checklist import checklist_for
    from onetrip.intake.formspec import form_definition
    from onetrip.intake.models import Channel
    from onetrip.intake.services.application import (
        application_material_upload,
        application_save,
        application_start,
        application_submit,
    )
    from onetrip.orgs.models import Role, RoleAssignment, User

    company = User.objects.get(username="lvgu")
    clerk = User.objects.get(username="chuangkou")
    window = RoleAssignment.objects.get(user=clerk, role=Role.CLERK).window
    item = Item.objects.filter(name__startswith="食品经营许可", current_version__isnull=False).first()
    assert item is not None

    application = application_start(applicant=company, item=item, channel=Channel.MOBILE)
    spec = form_definition(application=application)
    form = {
        f.key: _demo_value(f, company)
        for f in spec.fields
        if f.required and not application.form_data.get(f.key)
    }
    answers = {
        q.key: (q.options[0].get("value") if isinstance(q.options[0], dict) else q.options[0])
        for q in spec.questions
        if q.options
    }
    saved = application_save(
        application=application, revision=application.revision, form_data=form, answers=answers
    )
    entries = [e for e in checklist_for(application=saved.application) if e.asked]
    committed = [e for e in entries if e.requirement.deficiency_allowed]
    assert [e.name for e in committed] == ["食品安全管理人员名单及培训考核记录"]
    for n, entry in enumerate(e for e in entries if e not in committed):
        application_material_upload(
            application=saved.application,
            key=entry.key,
            data=pdf(f"demo-{n}"),
            declared_name=f"{entry.name}.pdf",
            actor=company,
        )
    case = application_submit(application=saved.application, idempotency_key="demo-food-0001", actor=company)
    case = case_accept_with_deficiency(
        case=case,
        clerk=clerk,
        window=window,
        commitments=[{"material_key": committed[0].key, "due_date": DUE}],
        now=ACCEPTED,
        applicant_present=True,
    )
    case.refresh_from_db()
    assert case.result_held and case.status == CaseStatus.IN_PROGRESS

    # The department works the case and issues its result (at the step that decides); the result is then
    # held for the missing material.
    department = item.current_version.implementing_department
    officers: dict[int, User] = {}
    issued = False
    for hour in range(1, 30):
        tasks = open_tasks(case)
        if not tasks:
            break
        task = tasks[0]
        actor = officers.setdefault(task.department_id, _officer(task.department))
        now = ACCEPTED + dt.timedelta(hours=hour)
        try:
            flow.task_approve(task=task, actor=actor, now=now, expected_version=version(case), opinion="同意")
        except Conflict as exc:
            assert exc.errors[0].code == "results_missing" and not issued, exc
            flow.result_issue(
                case=case,
                item=item,
                kind="approval",
                document_number="丽莲市监食〔2026〕1号",
                title="食品经营许可决定",
                actor=officers.get(department.pk) or _officer(department),
                now=now,
            )
            issued = True
    assert issued
    case.refresh_from_db()
    assert ProcessInstanceRecord.objects.get(case=case).status == "held" and case.result_held
    with pytest.raises(Conflict) as err:
        flow.delivery_create(case=case, method="pickup", actor=clerk, now=at(3), window=window)
    assert err.value.errors[0].code == "result_held"

    # The company supplies on its phone page; the clerk checks at the window.
    deficiency = Deficiency.objects.get(case=case)
    phone = client_for(company, **PHONE)
    page = phone.get(f"/apply/cases/{case.pk}/").content.decode()
    assert "食品安全管理人员名单及培训考核记录" in page and "2026年11月10日" in page
    r = phone.post(
        f"/apply/cases/{case.pk}/deficiencies/{deficiency.pk}/supply/",
        {"file": _upload("管理人员名单.jpg", itf.JPEG_BYTES)},
    )
    assert r.status_code == 303
    desk = client_for(clerk)
    assert "核验通过" in desk.get(f"/window/cases/{case.pk}/").content.decode()
    assert desk.post(f"/window/cases/{case.pk}/deficiencies/{deficiency.pk}/accept/").status_code == 303
    case.refresh_from_db()
    assert not case.result_held and case.status == CaseStatus.COMPLETED
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds.count("deficiency_submitted") == 1 and kinds.count("deficiency_supplied") == 1

    delivery = flow.delivery_create(case=case, method="pickup", actor=clerk, now=at(3, 14), window=window)
    flow.delivery_confirm(delivery=delivery, actor=company, now=at(4))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.RECEIVED
