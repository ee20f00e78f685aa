"""The applying pages and the window workstation, through the test client (both databases)."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from onetrip.catalog.tests import factories as f
from onetrip.intake.models import Application, Case, CaseStatus, Channel, Deficiency, Notice
from onetrip.intake.tests import factories as itf

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    return client


def _hx(**extra):
    return {"HTTP_HX_REQUEST": "true", **extra}


# ------------------------------------------------------------------------------ access by role


def test_pages_need_a_sign_in(client):
    item = itf.make_intake_item()
    for url in (
        reverse("intake:my"),
        reverse("intake:apply_item", args=[item.implementation_code]),
        reverse("intake:window"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_window_workstation_is_for_clerks_only(client):
    applicant = itf.make_applicant()
    response = _login(client, applicant).get(reverse("intake:window"))
    assert response.status_code == 403
    assert "综合窗口人员" in response.content.decode()
    clerk = itf.make_clerk()
    response = _login(client, clerk).get(reverse("intake:window"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "综合窗口工作台" in html and "查找申请人" in html and "排队叫号" in html


def test_applicant_cannot_see_another_applicants_case_or_draft(client):
    case = itf.make_submitted_case()
    other = itf.make_applicant()
    _login(client, other)
    assert client.get(reverse("intake:case", args=[case.pk])).status_code == 404
    assert client.get(reverse("intake:case_document", args=[case.pk, "receipt"])).status_code == 404
    assert client.get(reverse("intake:application", args=[case.application_id])).status_code == 404
    response = client.post(
        reverse("intake:application_field", args=[case.application_id]),
        {"key": "person.name", "value": "冒名", "revision": 99},
    )
    assert response.status_code == 404
    draft = itf.make_draft_application(complete=False)
    assert client.get(reverse("intake:application", args=[draft.pk])).status_code == 404


def test_clerk_of_another_region_cannot_open_a_case(client):
    case = itf.make_submitted_case()
    stranger = itf.make_clerk(region=f.make_region(code="330702000000", name="婺城区"))
    response = _login(client, stranger).get(reverse("intake:window_case", args=[case.pk]))
    assert response.status_code == 404


def test_portal_links_lead_to_applying(client):
    item = itf.make_intake_item()
    applicant = itf.make_applicant()
    html = (
        _login(client, applicant)
        .get(reverse("portal:item_guide", args=[item.implementation_code]))
        .content.decode()
    )
    assert reverse("intake:apply_item", args=[item.implementation_code]) in html and "在线申请" in html
    assert reverse("intake:my") in html and "我的办件" in html
    clerk = itf.make_clerk()
    html = _login(client, clerk).get(reverse("portal:staff_home")).content.decode()
    assert "综合窗口工作台" in html and reverse("intake:window") in html


# ---------------------------------------------------------------------------------- applying


def test_start_from_an_item_prefills_the_form_with_its_source(client):
    item = itf.make_intake_item()
    applicant = itf.make_applicant(display_name="王小明")
    _login(client, applicant)
    page = client.get(reverse("intake:apply_item", args=[item.implementation_code]))
    assert page.status_code == 200 and "开始申请" in page.content.decode()
    response = client.post(reverse("intake:apply_item", args=[item.implementation_code]))
    assert response.status_code == 303
    application = Application.objects.get(applicant=applicant)
    assert response["Location"] == reverse("intake:application", args=[application.pk])
    html = client.get(response["Location"]).content.decode()
    assert 'value="王小明"' in html
    assert "来自：实名账户信息" in html
    assert 'hx-trigger="input changed delay:800ms, autosave"' in html
    assert "电子证照获取" in html and "缺少" in html  # the id card comes from the e-licence library
    assert 'name="idempotency_key"' in html


def test_start_from_a_bundle_takes_the_chosen_optional_members(client):
    version = itf.make_intake_bundle(members=3, optional=["m3"])
    applicant = itf.make_applicant()
    _login(client, applicant)
    url = reverse("intake:apply_bundle", args=[version.bundle.code])
    assert "可选" in client.get(url, {"members": "m3"}).content.decode()
    response = client.post(url, {"members": ["m3"]})
    assert response.status_code == 303
    application = Application.objects.get(applicant=applicant)
    assert application.chosen_members == ["m3"] and application.bundle_version_id == version.pk
    bad = client.post(url, {"members": ["nope"]})
    assert bad.status_code == 400


def test_autosave_keeps_invalid_input_and_shows_the_error(client):
    application = itf.make_draft_application(complete=False)
    _login(client, application.applicant)
    url = reverse("intake:application_field", args=[application.pk])
    response = client.post(
        url, {"key": "person.phone", "value": "12345", "revision": application.revision}, **_hx()
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "请填写11位手机号码" in body
    assert f'id="revision" name="revision" value="{application.revision + 1}" hx-swap-oob="true"' in body
    application.refresh_from_db()
    assert application.form_data["person.phone"] == "12345"
    html = client.get(reverse("intake:application", args=[application.pk])).content.decode()
    assert 'value="12345"' in html and "请填写11位手机号码" in html and 'aria-invalid="true"' in html


def test_stale_revision_gets_a_non_destructive_message(client):
    application = itf.make_draft_application(complete=False)
    _login(client, application.applicant)
    url = reverse("intake:application_field", args=[application.pk])
    stale = application.revision
    assert (
        client.post(url, {"key": "reason", "value": "第一处", "revision": stale}, **_hx()).status_code == 200
    )
    response = client.post(url, {"key": "reason", "value": "旧页面", "revision": stale}, **_hx())
    assert response.status_code == 409
    assert response["HX-Retarget"] == "#save-banner"
    assert "仍保留在本页" in response.content.decode()
    application.refresh_from_db()
    assert application.form_data["reason"] == "第一处"


def test_answers_change_the_material_checklist(client):
    application = itf.make_draft_application(complete=False)
    _login(client, application.applicant)
    url = reverse("intake:application_answers", args=[application.pk])
    yes = client.post(url, {"answer:agent": "yes", "revision": application.revision}, **_hx())
    assert yes.status_code == 200 and "授权委托书" in yes.content.decode()
    no = client.post(url, {"answer:agent": "no", "revision": application.revision + 1}, **_hx())
    assert no.status_code == 200 and "授权委托书" not in no.content.decode()


def test_upload_by_content_and_precheck_lists_every_problem(client):
    application = itf.make_draft_application(complete=False)
    _login(client, application.applicant)
    precheck = client.post(reverse("intake:application_precheck", args=[application.pk]), **_hx())
    body = precheck.content.decode()
    assert "预审发现" in body
    assert "请回答" in body and "缺少关键材料：申请表" in body and "现场照片" in body
    upload = reverse("intake:application_upload", args=[application.pk])
    fake = SimpleUploadedFile("申请表.pdf", b"not a pdf at all", content_type="application/pdf")
    response = client.post(upload, {"key": "application", "file": fake}, **_hx())
    assert response.status_code == 200 and "只能上传 PDF" in response.content.decode()
    real = SimpleUploadedFile("申请表.pdf", itf.PDF_BYTES, content_type="application/pdf")
    response = client.post(upload, {"key": "application", "file": real}, **_hx())
    assert "已上传" in response.content.decode()
    assert (
        client.get(reverse("intake:application_file", args=[application.pk, "application"])).status_code
        == 200
    )


def test_submit_twice_with_the_same_key_makes_one_case(client):
    application = itf.make_draft_application()
    _login(client, application.applicant)
    url = reverse("intake:application_submit", args=[application.pk])
    first = client.post(url, {"idempotency_key": "k" * 32})
    second = client.post(url, {"idempotency_key": "k" * 32})
    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"]
    assert Case.objects.filter(application=application).count() == 1
    case = Case.objects.get(application=application)
    html = client.get(first["Location"]).content.decode()
    assert "待受理" in html and "提交申请（网上申请）" in html
    assert html.count("<li><strong>") == 1  # one timeline event
    my = client.get(reverse("intake:my")).content.decode()
    assert reverse("intake:case", args=[case.pk]) in my


def test_submit_with_problems_lists_them_and_keeps_the_draft(client):
    application = itf.make_draft_application(complete=False)
    _login(client, application.applicant)
    response = client.post(
        reverse("intake:application_submit", args=[application.pk]), {"idempotency_key": "x" * 16}
    )
    assert response.status_code == 400
    assert "预审发现" in response.content.decode()
    assert not Case.objects.exists()


# --------------------------------------------------------------------------------- the window


def test_lookup_by_id_number_is_a_post_and_shows_it_masked(client):
    applicant = itf.make_applicant(display_name="李四")
    clerk = itf.make_clerk()
    _login(client, clerk)
    assert client.get(reverse("intake:window_lookup")).status_code == 405
    response = client.post(reverse("intake:window_lookup"), {"id_number": applicant.id_number}, **_hx())
    html = response.content.decode()
    assert "李四" in html and applicant.id_number not in html
    assert applicant.id_number[:3] in html and "*" in html
    wrong = client.post(reverse("intake:window_lookup"), {"id_number": "123"}, **_hx())
    assert "身份证号码不正确" in wrong.content.decode() and 'value="123"' in wrong.content.decode()


def test_clerk_enters_an_application_for_the_applicant_and_ticks_paper(client):
    item = itf.make_intake_item()
    applicant = itf.make_applicant()
    clerk = itf.make_clerk(region=item.department.region)
    _login(client, clerk)
    response = client.post(
        reverse("intake:window_start"), {"applicant": applicant.pk, "target": item.implementation_code}
    )
    assert response.status_code == 303
    application = Application.objects.get(applicant=applicant)
    assert application.channel == Channel.WINDOW and application.entered_by == clerk
    html = client.get(response["Location"]).content.decode()
    assert "已收纸质" in html and "提交并转入受理" in html
    paper = client.post(
        reverse("intake:application_material", args=[application.pk]),
        {"key": "application", "state": "paper"},
        **_hx(),
    )
    assert "已收纸质材料" in paper.content.decode()
    # The applicant does not edit what the clerk is entering at the window.
    _login(client, applicant)
    assert client.get(reverse("intake:window_application", args=[application.pk])).status_code == 403


def test_clerk_accepts_with_deficiency_and_prints_the_receipt(client):
    case = itf.make_submitted_case()
    clerk = itf.make_clerk(region=case.region)
    _login(client, clerk)
    page = client.get(reverse("intake:window_case", args=[case.pk])).content.decode()
    assert "户口簿" in page and 'name="deficient" value="household_register"' in page
    assert 'value="application"' not in re.findall(r'name="deficient" value="[^"]+"', page)[0]
    url = reverse("intake:window_case_decide", args=[case.pk, "deficiency"])
    key_try = client.post(
        url, {"row_version": case.row_version, "deficient": ["application"], "due_application": "2099-01-01"}
    )
    assert key_try.status_code == 400 and "不可容缺" in key_try.content.decode()
    response = client.post(
        url,
        {
            "row_version": case.row_version,
            "deficient": ["household_register"],
            "due_household_register": _days_ahead(10),
        },
    )
    assert response.status_code == 303, response.content.decode()[:2000]
    case.refresh_from_db()
    # Accepted, then dispatched to the departments (flow) straight away.
    assert case.status in (CaseStatus.ACCEPTED_DEFICIENT, CaseStatus.IN_PROGRESS)
    assert case.number
    assert Deficiency.objects.filter(case=case, material_key="household_register").exists()
    page = client.get(reverse("intake:window_case", args=[case.pk])).content.decode()
    assert case.number in page and "打印受理回执" in page
    pdf = client.get(reverse("intake:window_case_document", args=[case.pk, "receipt"]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    again = client.post(
        reverse("intake:window_case_decide", args=[case.pk, "accept"]), {"row_version": case.row_version}
    )
    assert again.status_code == 409
    # The applicant sees the number, the commitment and the remaining working days.
    _login(client, case.applicant)
    html = client.get(reverse("intake:case", args=[case.pk])).content.decode()
    assert case.number in html and "容缺材料" in html and "个工作日" in html
    assert client.get(reverse("intake:case_document", args=[case.pk, "receipt"])).status_code == 200


def test_clerk_issues_one_notice_and_the_applicant_resubmits(client):
    case = itf.make_submitted_case()
    clerk = itf.make_clerk(region=case.region)
    _login(client, clerk)
    url = reverse("intake:window_case_decide", args=[case.pk, "notice"])
    # Nothing wrong with a complete application: a notice without any problem is refused.
    complete = itf.make_submitted_case(item=case.item_version.item, upload_all=True)
    empty = client.post(
        reverse("intake:window_case_decide", args=[complete.pk, "notice"]),
        {"row_version": complete.row_version},
    )
    assert empty.status_code == 400 and "没有需要补正的问题" in empty.content.decode()
    response = client.post(
        url,
        {
            "row_version": case.row_version,
            "problem": ["material:household_register", "other"],
            "text_material:household_register": "缺少户口簿",
            "text_other": "申请表未签名",
        },
    )
    assert response.status_code == 303
    notice = Notice.objects.get(case=case)
    assert [p["problem"] for p in notice.problems] == ["缺少户口簿", "申请表未签名"]
    case.refresh_from_db()
    assert case.status == CaseStatus.CORRECTION
    second = client.post(url, {"row_version": case.row_version, "problem": ["other"], "text_other": "再告知"})
    assert second.status_code in (400, 409)
    assert Notice.objects.filter(case=case).count() == 1
    _login(client, case.applicant)
    html = client.get(reverse("intake:case", args=[case.pk])).content.decode()
    assert "缺少户口簿" in html and "去补正" in html
    pdf = client.get(reverse("intake:case_document", args=[case.pk, "notice"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    resubmit = client.post(
        reverse("intake:application_submit", args=[case.application_id]), {"idempotency_key": "r" * 20}
    )
    assert resubmit.status_code == 303
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and case.submission == 2


def test_clerk_refuses_with_reasons_and_legal_basis(client):
    case = itf.make_submitted_case()
    clerk = itf.make_clerk(region=case.region)
    _login(client, clerk)
    url = reverse("intake:window_case_decide", args=[case.pk, "refuse"])
    missing = client.post(url, {"row_version": case.row_version, "reasons": "不属于本机关职权范围"})
    assert missing.status_code == 400 and "请填写法律依据" in missing.content.decode()
    assert "不属于本机关职权范围" in missing.content.decode()  # what was typed stays
    response = client.post(
        url,
        {
            "row_version": case.row_version,
            "reasons": "不属于本机关职权范围",
            "legal_basis": "《中华人民共和国行政许可法》第三十二条第一款第（二）项",
        },
    )
    assert response.status_code == 303
    case.refresh_from_db()
    assert case.status == CaseStatus.REFUSED and case.number is None
    _login(client, case.applicant)
    pdf = client.get(reverse("intake:case_document", args=[case.pk, "refusal"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_queue_panel_calls_the_next_ticket(client):
    from onetrip.intake.services.queue import ticket_take
    from onetrip.orgs.models import ServiceHall, Window, WindowCategory

    region = f.make_region()
    hall = ServiceHall.objects.create(name="行政服务中心", region=region)
    window = Window.objects.create(hall=hall, number="3", name="综合窗口", category=WindowCategory.GENERAL)
    clerk = itf.make_clerk(region=region, window=window)
    ticket = ticket_take(hall=hall, category=WindowCategory.GENERAL)
    _login(client, clerk)
    html = client.get(reverse("intake:window")).content.decode()
    assert "等候 1 人" in html and ticket.number in html
    called = client.post(reverse("intake:window_queue_action", args=["call"]), **_hx())
    assert called.status_code == 200
    body = called.content.decode()
    assert f"请 {ticket.number} 号到 3 窗口办理" in body and "过号" in body
    skipped = client.post(
        reverse("intake:window_queue_action", args=["skip"]), {"ticket": ticket.pk}, **_hx()
    )
    assert "已过号" in skipped.content.decode()


def _days_ahead(n: int) -> str:
    import datetime as dt

    from onetrip.core import clock
    from onetrip.workdays.core import SHANGHAI

    return (clock.now().astimezone(SHANGHAI).date() + dt.timedelta(days=n)).isoformat()
