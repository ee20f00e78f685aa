"""The 好差评 API (/api/v1/ratings): rating, follow-up, rectification, appeal and policy end to end, clear 4xx
errors for bad input, and every list filtered to the caller's scope (session or API key)."""

from __future__ import annotations

import json

import pytest

from onetrip.catalog.tests import factories as f
from onetrip.flow.tests.casebuilders import item_case
from onetrip.intake.tests import factories as itf
from onetrip.orgs.auth import api_key_create
from onetrip.ratings.models import Rating
from onetrip.ratings.tests.builders import (
    completed_case,
    hall_with_windows,
    handler,
    outside_supervisor,
    served_ticket,
    supervisor,
)

pytestmark = pytest.mark.django_db
BASE = "/api/v1/ratings"


def post(client, path, body, method="post"):
    return getattr(client, method)(f"{BASE}{path}", data=json.dumps(body), content_type="application/json")


def test_the_whole_path_through_the_api(client):
    case = completed_case()
    client.force_login(case.applicant)
    response = post(client, "/", {"case_number": case.number, "level": 1, "comment": "窗口推诿"})
    assert response.status_code == 201, response.content
    rating = response.json()
    assert rating["level"] == 1 and rating["bad"] and rating["case_number"] == case.number

    staff = handler(case.lead_department)
    client.force_login(staff)
    [rect] = client.get(f"{BASE}/rectifications?status=open").json()["items"]
    assert rect["rating"]["id"] == rating["id"] and rect["callback_days"] == 1
    assert (
        post(client, f"/rectifications/{rect['id']}/callback", {"note": "已回访"}).json()["status"]
        == "rectifying"
    )
    assert (
        post(client, f"/rectifications/{rect['id']}/close", {"note": "已整改"}).json()["status"] == "closed"
    )

    client.force_login(case.applicant)
    response = post(client, f"/{rating['id']}/follow-up", {"level": 4, "comment": "好多了"})
    assert response.status_code == 201 and response.json()["previous_id"] == rating["id"]
    response = post(client, f"/{rating['id']}/follow-up", {"level": 5})
    assert response.status_code == 409 and response.json()["errors"][0]["code"] == "follow_up_exists"
    mine = client.get(f"{BASE}/?mine=true").json()["items"]
    assert [r["status"] for r in mine] == ["valid", "replaced"]


def test_bad_input_gets_clear_errors_and_changes_nothing(client):
    case = completed_case()
    client.force_login(case.applicant)
    for body, status, code in (
        ({"case_number": case.number, "level": 7}, 400, "invalid_level"),
        ({"case_number": "331102-2026-999999", "level": 5}, 404, "not_found"),
        ({"level": 5}, 400, "subject_required"),
        ({"case_number": case.number, "ticket_id": 1, "level": 5}, 400, "subject_required"),
        ({"ticket_id": 999_999, "level": 5}, 404, "not_found"),
    ):
        response = post(client, "/", body)
        assert response.status_code == status, body
        assert response.json()["errors"][0]["code"] == code
    assert post(client, "/", {"case_number": case.number, "level": "很好"}).status_code == 422
    running = item_case()
    client.force_login(running.applicant)
    response = post(client, "/", {"case_number": running.number, "level": 5})
    assert response.status_code == 409 and response.json()["errors"][0]["code"] == "case_not_completed"
    client.force_login(itf.make_applicant())
    response = post(client, "/", {"case_number": case.number, "level": 5})
    assert response.status_code == 403 and response.json()["errors"][0]["code"] == "not_your_case"
    assert not Rating.objects.exists()
    client.logout()
    assert post(client, "/", {"case_number": case.number, "level": 5}).status_code == 401


def test_visits_appeals_and_scope(client):
    department = f.make_department()
    _, window = hall_with_windows(region=department.region, department=department)
    holder = itf.make_applicant()
    ticket = served_ticket(holder=holder, window=window)
    client.force_login(holder)
    rating = post(client, "/", {"ticket_id": ticket.pk, "level": 2, "comment": "态度差"}).json()
    assert rating["onsite"] and rating["department_id"] == department.pk

    client.force_login(handler(department))
    response = post(client, f"/{rating['id']}/appeal", {"reason": "malicious", "reasons": "现场录像可证"})
    assert response.status_code == 201
    appeal = response.json()
    assert post(client, f"/appeals/{appeal['id']}/decide", {"uphold": True, "note": "x"}).status_code == 403

    client.force_login(outside_supervisor())
    assert client.get(f"{BASE}/appeals").json()["items"] == []
    assert client.get(f"{BASE}/appeals/{appeal['id']}").status_code == 404

    client.force_login(supervisor(department=department))
    [pending] = client.get(f"{BASE}/appeals?status=pending").json()["items"]
    assert pending["id"] == appeal["id"]
    decided = post(client, f"/appeals/{appeal['id']}/decide", {"uphold": True, "note": "属实"}).json()
    assert decided["status"] == "upheld" and decided["rating"]["status"] == "voided"
    assert client.get(f"{BASE}/rectifications?status=voided").json()["items"][0]["status"] == "voided"


def test_an_api_key_reads_its_departments_ratings_only(client):
    case = completed_case()
    other = completed_case()
    client.force_login(case.applicant)
    post(client, "/", {"case_number": case.number, "level": 3})
    client.force_login(other.applicant)
    post(client, "/", {"case_number": other.number, "level": 4})
    client.logout()
    _, key = api_key_create(
        name="好差评系统", scopes=["ratings:read"], department=case.lead_department, created_by=None
    )
    items = client.get(f"{BASE}/", HTTP_X_API_KEY=key).json()["items"]
    assert [r["case_number"] for r in items] == [case.number]
    assert post(client, "/", {"case_number": case.number, "level": 5}).status_code == 401


def test_the_policy_is_read_and_set_by_region(client):
    case = completed_case()
    region = case.lead_department.region
    client.force_login(supervisor(region=region))
    assert client.get(f"{BASE}/policy?region={region.code}").json()["rectify_days"] == 15
    body = {"region": region.code, "callback_days": 2, "rectify_days": 1}
    response = post(client, "/policy", body, method="put")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "rectify_days"
    body["rectify_days"] = 10
    assert post(client, "/policy", body, method="put").status_code == 200
    assert client.get(f"{BASE}/policy?region={region.code}").json()["callback_days"] == 2
    assert client.get(f"{BASE}/policy?region=999999999999").status_code == 404
