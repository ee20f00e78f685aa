"""One notice means one notice (issue 13, point 7; 《行政许可法》第三十二条): a one-time notice lists every
problem the system knows — missing materials, empty or invalid fields — plus what the clerk adds; the clerk
cannot drop a known problem; a notice with no problem is refused; a later notice adds only what could not be
known before (a newly uploaded correction file)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from onetrip.core import clock
from onetrip.core.errors import DomainError
from onetrip.intake.checklist import checklist_for
from onetrip.intake.documents import notice_pdf
from onetrip.intake.models import Case, CaseEvent, CaseStatus, Notice
from onetrip.intake.services.acceptance import case_notice
from onetrip.intake.services.application import application_material_upload, case_resubmit
from onetrip.intake.services.notice import notice_known_problems
from onetrip.intake.tests import factories as itf
from onetrip.workdays.core import SHANGHAI
from onetrip.workdays.selectors import calendar_cache_clear

pytestmark = pytest.mark.django_db


def at(d: int, h: int = 10) -> dt.datetime:
    return dt.datetime(2026, 9, d, h, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _clock():
    calendar_cache_clear()
    previous = clock.set_clock(clock.FixedClock(at(28)))
    yield
    clock.set_clock(previous)
    calendar_cache_clear()


def codes(exc: DomainError) -> list[str]:
    return [e.code for e in exc.errors]


def missing_keys(case: Case) -> list[str]:
    return [e.key for e in checklist_for(application=case.application) if e.asked and e.missing]


def upload(case: Case, key: str, content: bytes) -> None:
    application_material_upload(
        application=case.application,
        key=key,
        data=itf.PDF_BYTES + content,
        declared_name=f"{key}.pdf",
        actor=case.applicant,
    )


def test_a_notice_lists_every_missing_material_even_when_the_clerk_sends_none():
    case = itf.make_submitted_case()
    clerk = itf.make_clerk(region=case.region)
    assert missing_keys(case) == ["household_register"]
    notice = case_notice(case=case, clerk=clerk, problems=[], now=at(29))
    assert notice.problems == [
        {
            "problem": "缺少该材料，请补交",
            "known": True,
            "material_key": "household_register",
            "material_name": "户口簿",
        }
    ]
    case.refresh_from_db()
    assert case.status == CaseStatus.CORRECTION


def test_the_clerk_can_reword_a_known_problem_and_add_others_but_not_drop_one():
    case = itf.make_submitted_case()
    clerk = itf.make_clerk(region=case.region)
    notice = case_notice(
        case=case,
        clerk=clerk,
        problems=[
            {"material_key": "site_photo", "problem": "照片模糊，请重新拍摄"},
            {"material_key": "household_register", "problem": "请补交户口簿首页及本人页"},
            {"problem": "申请表未签名"},
        ],
        now=at(29),
    )
    assert [(p.get("material_key", ""), p["problem"], p.get("known", False)) for p in notice.problems] == [
        ("household_register", "请补交户口簿首页及本人页", True),
        ("site_photo", "照片模糊，请重新拍摄", False),
        ("", "申请表未签名", False),
    ]


def test_the_clerks_page_pre_lists_known_problems_and_the_form_cannot_leave_them_out():
    case = itf.make_submitted_case()
    clerk = itf.make_clerk(region=case.region)
    c = Client()
    c.force_login(clerk)
    page = c.get(reverse("intake:window_case", args=[case.pk])).content.decode()
    assert "系统已发现的问题（1项，必须告知）" in page
    assert 'name="problem" value="material:household_register"' in page
    # A form that sends only a free-text item (the known problem's row removed): the notice still lists it.
    response = c.post(
        reverse("intake:window_case_decide", args=[case.pk, "notice"]),
        {"row_version": str(case.row_version), "extra": "申请表未签名\n\n身份证复印件不清晰"},
    )
    assert response.status_code == 303
    problems = Notice.objects.get(case=case).problems
    assert [p.get("material_key", p["problem"]) for p in problems] == [
        "household_register",
        "申请表未签名",
        "身份证复印件不清晰",
    ]


def test_a_notice_with_no_problems_is_refused_and_nothing_changes():
    case = itf.make_submitted_case(upload_all=True)
    clerk = itf.make_clerk(region=case.region)
    assert missing_keys(case) == []
    with pytest.raises(DomainError) as exc:
        case_notice(case=case, clerk=clerk, problems=[], now=at(29))
    assert exc.value.status_code == 400
    assert codes(exc.value) == ["problems_required"]
    assert exc.value.errors[0].field == "problems"
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.status == CaseStatus.SUBMITTED and fresh.row_version == case.row_version
    assert not Notice.objects.filter(case=case).exists()
    assert not CaseEvent.objects.filter(case=case, kind="notice").exists()
    # The same through the window API: a 400 naming the field.
    c = Client()
    c.force_login(clerk)
    response = c.post(
        f"/api/v1/intake/window/cases/{case.pk}/notice", {"problems": []}, content_type="application/json"
    )
    assert response.status_code == 400
    assert [(e["code"], e["field"]) for e in response.json()["errors"]] == [("problems_required", "problems")]
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED


def test_a_second_notice_lists_only_what_could_not_be_known_at_the_first():
    case = itf.make_submitted_case()
    clerk = itf.make_clerk(region=case.region)
    case_notice(case=case, clerk=clerk, problems=[], now=at(29))
    # The applicant supplies the missing 户口簿 (the correction) and resubmits.
    upload(case, "household_register", b"household")
    case = case_resubmit(
        case=Case.objects.get(pk=case.pk), actor=case.applicant, idempotency_key="resubmit-again-1"
    )
    assert case.submission == 2 and missing_keys(case) == []
    # 现场照片 was there, unchanged, at the first notice: finding fault with it now is drip-feeding.
    with pytest.raises(DomainError) as exc:
        case_notice(
            case=case,
            clerk=clerk,
            problems=[
                {"material_key": "household_register", "problem": "户口簿复印件缺本人页"},
                {"material_key": "site_photo", "problem": "照片模糊"},
            ],
            now=at(30),
        )
    assert codes(exc.value) == ["problem_known_before"]
    assert exc.value.errors[0].row == 1 and "现场照片" in exc.value.errors[0].message_zh
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED
    # A problem of the newly uploaded correction file could not be known before: it may be notified.
    notice = case_notice(
        case=case,
        clerk=clerk,
        problems=[{"material_key": "household_register", "problem": "户口簿复印件缺本人页"}],
        now=at(30),
    )
    assert notice.submission == 2
    assert [p["material_key"] for p in notice.problems] == ["household_register"]


def test_a_later_free_text_problem_needs_something_new_to_be_about():
    case = itf.make_submitted_case()
    clerk = itf.make_clerk(region=case.region)
    case_notice(case=case, clerk=clerk, problems=[], now=at(29))
    case = case_resubmit(
        case=Case.objects.get(pk=case.pk), actor=case.applicant, idempotency_key="resubmit-again-2"
    )
    # Nothing was corrected: the 户口簿 is listed again (still missing), a new free-text item is refused.
    with pytest.raises(DomainError) as exc:
        case_notice(case=case, clerk=clerk, problems=[{"problem": "申请表未签名"}], now=at(30))
    assert codes(exc.value) == ["problem_known_before"]
    notice = case_notice(case=case, clerk=clerk, problems=[], now=at(30))
    assert [p["material_key"] for p in notice.problems] == ["household_register"]


def test_known_problems_include_empty_and_invalid_form_fields_with_their_labels():
    from onetrip.intake.services.application import application_save

    application = itf.make_draft_application(complete=False)
    application = application_save(
        application=application,
        revision=application.revision,
        form_data={"person.phone": None, "person.id_number": "123456"},
    ).application
    fields = [
        (p.field, p.field_label, p.problem) for p in notice_known_problems(application=application) if p.field
    ]
    assert fields == [
        ("person.id_number", "身份证号", "身份证号：身份证号码不正确"),
        ("person.phone", "联系电话", "联系电话：必填"),
    ]


def test_the_notice_pdf_lists_every_problem_in_peoples_words():
    case = itf.make_submitted_case()
    clerk = itf.make_clerk(region=case.region)
    notice = case_notice(
        case=case,
        clerk=clerk,
        problems=[
            {"field": "person.phone", "problem": "联系电话无法接通，请核实"},
            {"problem": "申请表未签名"},
        ],
        now=at(29),
    )
    pdf = notice_pdf(Notice.objects.select_related("case").get(pk=notice.pk))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).replace("\n", "")
    assert "共列明需要补正的内容3项" in text
    assert "《户口簿》" in text and "缺少该材料，请补交" in text
    assert "申请表：联系电话" in text and "联系电话无法接通，请核实" in text
    assert "申请表未签名" in text
    assert "person.phone" not in text  # no data-element codes on a document
