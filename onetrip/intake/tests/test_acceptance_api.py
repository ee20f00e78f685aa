"""The window API: look-up by ID number, the clerk's queue of cases, the four answers, documents, queue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from onetrip.catalog.tests import factories as cf
from onetrip.core import clock
from onetrip.core.models import AuditEvent
from onetrip.intake.models import Case, CaseStatus
from onetrip.intake.tests import factories as itf
from onetrip.orgs.auth import api_key_create
from onetrip.orgs.models import ServiceHall, Window, WindowCategory
from onetrip.workdays.core import SHANGHAI

pytestmark = pytest.mark.django_db
BASE = "/api/v1/intake/window"


@pytest.fixture(autouse=True)
def _clock():
    previous = clock.set_clock(clock.FixedClock(dt.datetime(2026, 9, 30, 10, tzinfo=SHANGHAI)))
    yield
    clock.set_clock(previous)


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def error_codes(response) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


def test_lookup_by_id_number_in_body_returns_masked_data_and_open_cases():
    case = itf.make_submitted_case()
    clerk = itf.make_clerk(region=case.region)
    c = client_for(clerk)
    person = case.applicant
    r = c.post(f"{BASE}/applicants/lookup", {"id_number": person.id_number}, content_type="application/json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["found"] is True and person.id_number not in r.content.decode()
    assert body["id_number_masked"].startswith(person.id_number[:6]) and "*" in body["id_number_masked"]
    assert [x["id"] for x in body["cases"]] == [case.pk]
    assert AuditEvent.objects.filter(action="applicant.lookup", object_id=str(person.pk)).exists()
    bad = c.post(f"{BASE}/applicants/lookup", {"id_number": "123"}, content_type="application/json")
    assert bad.status_code == 400 and error_codes(bad) == ["invalid_id_number"]


def test_applicant_cannot_use_the_window_api():
    case = itf.make_submitted_case()
    r = client_for(case.applicant).post(f"{BASE}/cases/{case.pk}/accept", {}, content_type="application/json")
    assert r.status_code == 403


def test_case_queue_is_scoped_and_keyset_paginated():
    item = itf.make_intake_item()
    cases = [itf.make_submitted_case(item=item) for _ in range(3)]
    other = itf.make_submitted_case(
        item=itf.make_intake_item(department=cf.make_department(region=cf.make_region(code="339900000000")))
    )
    clerk = itf.make_clerk(region=cases[0].region)
    c = client_for(clerk)
    first = c.get(f"{BASE}/cases", {"limit": 2}).json()
    assert [r["id"] for r in first["rows"]] == [cases[0].pk, cases[1].pk]
    second = c.get(f"{BASE}/cases", {"limit": 2, "after": first["next_cursor"]}).json()
    assert [r["id"] for r in second["rows"]] == [cases[2].pk] and second["next_cursor"] is None
    assert other.pk not in [r["id"] for r in first["rows"] + second["rows"]]


def test_accept_then_download_receipt_and_second_accept_is_409():
    case = itf.make_submitted_case(upload_all=True)
    clerk = itf.make_clerk(region=case.region)
    hall = itf.station_departments(ServiceHall.objects.create(name="测试中心", region=case.region))
    window = Window.objects.create(hall=hall, number="3", name="综合受理", category=WindowCategory.GENERAL)
    c = client_for(clerk)
    detail = c.get(f"{BASE}/cases/{case.pk}").json()
    assert {m["key"] for m in detail["materials"]} >= {"application", "household_register"}
    r = c.post(
        f"{BASE}/cases/{case.pk}/accept",
        {"window_id": window.pk, "row_version": detail["case"]["row_version"], "applicant_present": True},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["number"] and body["trips"] == 1
    again = c.post(f"{BASE}/cases/{case.pk}/accept", {}, content_type="application/json")
    assert again.status_code == 409 and error_codes(again) == ["already_accepted"]
    pdf = c.get(f"{BASE}/cases/{case.pk}/receipt.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    # The applicant may download their own receipt; a stranger may not see the case at all.
    assert client_for(case.applicant).get(f"{BASE}/cases/{case.pk}/receipt.pdf").status_code == 200
    assert client_for(itf.make_applicant()).get(f"{BASE}/cases/{case.pk}/receipt.pdf").status_code == 404


def test_stale_row_version_is_409():
    case = itf.make_submitted_case(upload_all=True)
    clerk = itf.make_clerk(region=case.region)
    r = client_for(clerk).post(
        f"{BASE}/cases/{case.pk}/accept",
        {"row_version": case.row_version + 5},
        content_type="application/json",
    )
    assert r.status_code == 409 and error_codes(r) == ["case_changed"]


def test_accept_with_deficiency_refuses_key_material_commitment():
    case = itf.make_submitted_case()
    clerk = itf.make_clerk(region=case.region)
    r = client_for(clerk).post(
        f"{BASE}/cases/{case.pk}/accept-with-deficiency",
        {
            "commitments": [
                {"material_key": "application", "due_date": "2026-10-10"},
                {"material_key": "household_register", "due_date": "2026-10-10"},
            ]
        },
        content_type="application/json",
    )
    assert r.status_code == 400 and error_codes(r) == ["material_not_missing"]
    ok = client_for(clerk).post(
        f"{BASE}/cases/{case.pk}/accept-with-deficiency",
        {"commitments": [{"material_key": "household_register", "due_date": "2026-10-10"}]},
        content_type="application/json",
    )
    assert ok.status_code == 200, ok.content
    assert Case.objects.get(pk=case.pk).deficiencies.count() == 1


def test_notice_once_and_its_pdf_then_refusal_and_its_pdf():
    case = itf.make_submitted_case()
    clerk = itf.make_clerk(region=case.region)
    c = client_for(clerk)
    r = c.post(
        f"{BASE}/cases/{case.pk}/notice",
        {"problems": [{"material_key": "household_register", "problem": "缺少户口簿"}]},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["case"]["status"] == CaseStatus.CORRECTION
    twice = c.post(
        f"{BASE}/cases/{case.pk}/notice",
        {"problems": [{"problem": "再补一项"}]},
        content_type="application/json",
    )
    assert twice.status_code == 409 and error_codes(twice) == ["notice_already_issued"]
    assert c.get(f"{BASE}/cases/{case.pk}/notices/1.pdf").status_code == 200
    assert c.get(f"{BASE}/cases/{case.pk}/notices/2.pdf").status_code == 404
    refused = c.post(
        f"{BASE}/cases/{case.pk}/refuse",
        {
            "reasons": "逾期未补正且申请事项依法不需要取得行政许可",
            "legal_basis": "《中华人民共和国行政许可法》第三十二条",
        },
        content_type="application/json",
    )
    assert refused.status_code == 200 and refused.json()["case"]["status"] == CaseStatus.REFUSED
    assert c.get(f"{BASE}/cases/{case.pk}/refusal.pdf").status_code == 200


def test_queue_over_the_api_with_a_kiosk_key_and_a_clerk():
    region = cf.make_region(code="331102000000")
    hall = ServiceHall.objects.create(name="莲都区行政服务中心", region=region)
    window = Window.objects.create(hall=hall, number="1", name="综合受理", category=WindowCategory.GENERAL)
    _, secret = api_key_create(name="取号机", scopes=["window:write"], created_by=None)
    kiosk = Client(HTTP_X_API_KEY=secret)
    taken = kiosk.post(
        f"{BASE}/queue/tickets", {"hall_id": hall.pk, "category": "general"}, content_type="application/json"
    )
    assert taken.status_code == 201 and taken.json()["number"] == "F001"
    # A key is not a clerk: calling needs a signed-in clerk.
    assert (
        kiosk.post(
            f"{BASE}/queue/call-next", {"window_id": window.pk}, content_type="application/json"
        ).status_code
        == 403
    )
    clerk = client_for(itf.make_clerk(region=region))
    assert [
        t["number"]
        for t in clerk.get(f"{BASE}/queue/waiting", {"hall_id": hall.pk, "category": "general"}).json()
    ] == ["F001"]
    called = clerk.post(f"{BASE}/queue/call-next", {"window_id": window.pk}, content_type="application/json")
    assert called.status_code == 200 and called.json()["ticket"]["number"] == "F001"
    ticket_id = called.json()["ticket"]["id"]
    done = clerk.post(f"{BASE}/queue/tickets/{ticket_id}/finish", {}, content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "done"
    empty = clerk.post(f"{BASE}/queue/call-next", {"window_id": window.pk}, content_type="application/json")
    assert empty.json() == {"ticket": None}


def test_admin_lists_cases_read_only_with_masked_id_numbers(admin_client):
    case = itf.make_submitted_case()
    r = admin_client.get("/admin/intake/case/")
    assert r.status_code == 200
    page = r.content.decode()
    assert case.applicant.id_number not in page and case.applicant.id_number[:6] in page
    assert admin_client.get("/admin/intake/case/add/").status_code == 403
