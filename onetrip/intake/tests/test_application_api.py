"""The applying API at /api/v1/intake: sessions, clerks entering for others, API keys, bad input as JSON."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from onetrip.core import clock
from onetrip.intake.models import Application, Case, CaseStatus, Channel
from onetrip.intake.tests import factories as itf
from onetrip.orgs.auth import api_key_create

pytestmark = pytest.mark.django_db
BASE = "/api/v1/intake"


@pytest.fixture
def item():
    return itf.make_intake_item()


@pytest.fixture
def applicant(client):
    user = itf.make_applicant()
    client.force_login(user)
    return user


def _start(client, item, **extra):
    body = {"item_code": item.implementation_code, "channel": "online", **extra}
    return client.post(f"{BASE}/applications", body, content_type="application/json")


def _fill(client, app_id, revision=0):
    return client.patch(
        f"{BASE}/applications/{app_id}",
        {"revision": revision, "answers": {"agent": "no"}, "form_data": {"reason": "申请"}},
        content_type="application/json",
    )


def _upload(client, app_id, key, data=itf.PDF_BYTES, name="a.pdf"):
    return client.post(
        f"{BASE}/applications/{app_id}/materials/{key}", {"file": SimpleUploadedFile(name, data)}
    )


@pytest.fixture
def wednesday():
    # 2026-11-25 10:00 in Shanghai, a Wednesday: the answer period ends five working days later.
    previous = clock.set_clock(clock.FixedClock(dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)))
    yield
    clock.set_clock(previous)


def test_apply_online_end_to_end(client, applicant, item, wednesday):
    r = _start(client, item)
    assert r.status_code == 201, r.content
    body = r.json()
    app_id = body["id"]
    by_key = {f["key"]: f for f in body["fields"]}
    assert by_key["person.name"]["value"] == applicant.display_name
    assert by_key["person.name"]["prefilled_from"] == "实名账户信息"
    assert body["questions"][0]["key"] == "agent"

    r = _fill(client, app_id)
    assert r.status_code == 200 and r.json()["revision"] == 1
    assert _upload(client, app_id, "application").status_code == 200
    r = _upload(client, app_id, "site_photo", itf.PNG_BYTES, "photo.png")
    assert r.json()["state"] == "uploaded" and r.json()["file_name"] == "photo.png"

    r = client.get(f"{BASE}/applications/{app_id}/precheck")
    assert r.json()["ready"] is True
    assert [p["code"] for p in r.json()["problems"]] == ["material_missing_deficiency_allowed"]

    r = client.post(f"{BASE}/applications/{app_id}/submit", HTTP_IDEMPOTENCY_KEY="browser-0001")
    assert r.status_code == 201, r.content
    case = r.json()
    assert case["status"] == CaseStatus.SUBMITTED and case["trips"] == 0
    r = client.post(f"{BASE}/applications/{app_id}/submit", HTTP_IDEMPOTENCY_KEY="browser-0001")
    assert r.status_code == 200 and r.json()["id"] == case["id"]
    assert Case.objects.count() == 1

    r = client.get(f"{BASE}/cases")
    assert [c["id"] for c in r.json()["items"]] == [case["id"]]
    r = client.get(f"{BASE}/cases/{case['id']}")
    detail = r.json()
    assert [e["kind"] for e in detail["events"]] == ["submitted"]
    assert detail["deadline"]["kind"] == "accept"
    assert detail["deadline"]["remaining_working_days"] == 5
    assert detail["deadline"]["due_at"].startswith("2026-12-02")


def test_stale_revision_is_409_with_the_current_revision(client, applicant, item):
    app_id = _start(client, item).json()["id"]
    _fill(client, app_id)
    r = _fill(client, app_id, revision=0)
    assert r.status_code == 409
    assert r.json()["errors"][0]["code"] == "stale_draft"
    assert r.json()["current_revision"] == 1


def test_invalid_values_are_kept_and_reported_per_field(client, applicant, item):
    app_id = _start(client, item).json()["id"]
    r = client.patch(
        f"{BASE}/applications/{app_id}",
        {"revision": 0, "form_data": {"person.id_number": "123456", "person.phone": "abc"}},
        content_type="application/json",
    )
    assert r.status_code == 200
    body = r.json()
    values = {f["key"]: f["value"] for f in body["fields"]}
    assert values["person.id_number"] == "123456" and values["person.phone"] == "abc"
    errors = {e["field"]: e for e in body["field_errors"]}
    assert errors["form.person.id_number"]["code"] == "invalid_id_number"
    assert errors["form.person.id_number"]["message_zh"]
    assert errors["form.person.phone"]["code"] == "invalid_phone"


def test_upload_checks_content_and_submit_needs_the_header(client, applicant, item):
    app_id = _start(client, item).json()["id"]
    r = _upload(client, app_id, "application", b"plain text, not a PDF", "fake.pdf")
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "unsupported_file_type"
    r = client.post(f"{BASE}/applications/{app_id}/submit")
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "idempotency_key_required"
    r = client.post(f"{BASE}/applications/{app_id}/submit", HTTP_IDEMPOTENCY_KEY="browser-0002")
    assert r.status_code == 400
    assert {"required", "material_missing_key"} <= {e["code"] for e in r.json()["errors"]}


def test_others_see_nothing(client, item):
    owner = itf.make_applicant()
    app = itf.make_draft_application(applicant=owner, item=item)
    client.force_login(itf.make_applicant())
    assert client.get(f"{BASE}/applications/{app.pk}").status_code == 404
    assert _fill(client, app.pk).status_code == 404
    assert client.get(f"{BASE}/applications").json()["items"] == []


def test_only_clerks_enter_for_someone_else(client, item):
    walk_in = itf.make_applicant()
    client.force_login(itf.make_applicant())
    r = _start(client, item, applicant_id=walk_in.pk, channel="window")
    assert r.status_code == 403 and r.json()["errors"][0]["code"] == "clerk_required"
    clerk = itf.make_clerk(region=item.department.region)
    client.force_login(clerk)
    r = _start(client, item, applicant_id=walk_in.pk, channel="window")
    assert r.status_code == 201
    app = Application.objects.get(pk=r.json()["id"])
    assert app.applicant == walk_in and app.entered_by == clerk and app.channel == Channel.WINDOW
    number = itf.make_id_number()
    r = _start(client, item, applicant_id_number=number, applicant_name="赵六", channel="window")
    assert r.status_code == 201
    assert Application.objects.get(pk=r.json()["id"]).applicant.id_number == number


def _authorisation() -> dict[str, str]:
    """The applicant's signed authorisation another system applies with (channel api)."""
    return {
        "agent_name": "市民服务系统经办人",
        "agent_id_number": itf.make_id_number(birth="19850101"),
        "scope": "代为提交本事项申请",
        "valid_until": "2099-12-31",
        "reference": "授权委托书 2026-001",
    }


def test_api_key_applies_for_a_person_named_by_id_number(client, item):
    _, key = api_key_create(name="某市民服务系统", scopes=["intake:write", "intake:read"], created_by=None)
    number = itf.make_id_number()
    r = client.post(
        f"{BASE}/applications",
        {
            "item_code": item.implementation_code,
            "channel": "api",
            "applicant_id_number": number,
            "applicant_name": "钱七",
            "proxy_authorisation": _authorisation(),
        },
        content_type="application/json",
        HTTP_X_API_KEY=key,
    )
    assert r.status_code == 201, r.content
    app_id = r.json()["id"]
    assert Application.objects.get(pk=app_id).channel == Channel.API
    r = client.get(f"{BASE}/applications/{app_id}", HTTP_X_API_KEY=key)
    assert r.status_code == 200
    _, read_only = api_key_create(name="只读", scopes=["intake:read"], created_by=None)
    r = client.patch(
        f"{BASE}/applications/{app_id}",
        {"revision": 0, "form_data": {}},
        content_type="application/json",
        HTTP_X_API_KEY=read_only,
    )
    assert r.status_code == 403
    r = client.post(
        f"{BASE}/applications",
        {
            "item_code": item.implementation_code,
            "channel": "api",
            "applicant_id_number": "1234",
            "proxy_authorisation": _authorisation(),
        },
        content_type="application/json",
        HTTP_X_API_KEY=key,
    )
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "invalid_id_number"


def test_my_cases_paginate_newest_first(client, applicant, item):
    cases = [itf.make_submitted_case(applicant=applicant, item=item) for _ in range(3)]
    r = client.get(f"{BASE}/cases", {"limit": 2})
    page = r.json()
    assert [c["id"] for c in page["items"]] == [cases[2].pk, cases[1].pk]
    r = client.get(f"{BASE}/cases", {"limit": 2, "after": page["next_cursor"]})
    assert [c["id"] for c in r.json()["items"]] == [cases[0].pk] and r.json()["next_cursor"] is None
    assert client.get(f"{BASE}/cases", {"after": "garbage"}).status_code == 400


def test_unauthenticated_requests_are_refused(client, item):
    assert _start(client, item).status_code == 401
    assert client.get(f"{BASE}/cases").status_code == 401


def test_department_staff_read_but_only_clerks_and_the_applicant_write(client, item):
    from onetrip.catalog.tests import factories as f
    from onetrip.orgs.models import Role, RoleAssignment

    app = itf.make_draft_application(item=item)
    handler = f.make_user()
    RoleAssignment.objects.create(user=handler, role=Role.HANDLER, department=item.department)
    client.force_login(handler)
    assert client.get(f"{BASE}/applications/{app.pk}").status_code == 200
    assert _fill(client, app.pk, revision=app.revision).status_code == 404
    client.force_login(itf.make_clerk(region=item.department.region))
    assert _fill(client, app.pk, revision=app.revision).status_code == 200


def test_window_or_proxy_needs_the_applicant_named(client, item):
    client.force_login(itf.make_clerk(region=item.department.region))
    r = _start(client, item, channel="proxy")
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "applicant_required"
