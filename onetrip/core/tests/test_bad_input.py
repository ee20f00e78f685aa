"""Bad input never answers 5xx: NUL characters and lone surrogates are refused with 400 and the standard
error body wherever text comes in (one middleware, not per field); out-of-range ids, numbers and dates are
refused or treated as not found. These requests answered 500 on PostgreSQL (and saved NUL on SQLite)."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from onetrip.catalog.tests import factories as f
from onetrip.core import clock
from onetrip.flow.tests.casebuilders import NOW, item_case
from onetrip.intake.models import Application
from onetrip.intake.tests import factories as itf
from onetrip.orders.models import SupervisionOrder
from onetrip.ratings.tests.builders import load_calendar, supervisor

pytestmark = pytest.mark.django_db


def _json(client, method, path, body_text):
    return getattr(client, method)(path, data=body_text, content_type="application/json")


def _refused(response, field=None):
    assert response.status_code == 400, response.content
    [error] = response.json()["errors"]
    assert error["code"] == "invalid_characters" and error["message_zh"] and error["message_en"]
    assert error.get("field") == field


def test_a_search_with_nul_is_refused_on_the_api_and_on_the_page(client):
    _refused(client.get("/api/v1/catalog/items", {"q": "营业\x00执照"}), "q")
    page = client.get("/search/", {"q": "营业\x00执照"})
    assert page.status_code == 400 and "无法保存的字符" in page.content.decode()
    assert client.get("/search/", {"q": "营业执照"}).status_code == 200


@pytest.mark.parametrize("text", ["\\u0000", "\\ud800", "x\\udfffy"])
def test_a_draft_with_nul_or_a_lone_surrogate_is_refused_and_not_saved(client, text):
    item = itf.make_intake_item()
    client.force_login(itf.make_applicant())
    app_id = client.post(
        "/api/v1/intake/applications",
        {"item_code": item.implementation_code, "channel": "online"},
        content_type="application/json",
    ).json()["id"]
    body = '{"revision": 0, "form_data": {"reason": "申请' + text + '"}}'
    _refused(_json(client, "patch", f"/api/v1/intake/applications/{app_id}", body), "form_data.reason")
    assert Application.objects.get(pk=app_id).form_data.get("reason") in (None, "")
    # The page's autosave (a form post through htmx) is refused the same way.
    url = reverse("intake:application_field", args=[app_id])
    response = client.post(url, {"key": "reason", "value": "a\x00b", "revision": 0})
    assert response.status_code == 400 and "无法保存的字符" in response.content.decode()
    assert Application.objects.get(pk=app_id).form_data.get("reason") in (None, "")


def test_an_order_title_with_nul_is_refused_and_no_order_is_made(client):
    previous = clock.set_clock(clock.FixedClock(NOW))
    try:
        load_calendar()
        case = item_case()
        client.force_login(supervisor(department=case.lead_department))
        body = {"target": "case", "case_number": case.number, "content": "请加快", "working_days": 3}
        response = client.post(
            "/api/v1/orders/", json.dumps({**body, "title": "办件\x00超时"}), content_type="application/json"
        )
        _refused(response, "title")
        assert not SupervisionOrder.objects.exists()
        ok = client.post(
            "/api/v1/orders/", json.dumps({**body, "title": "办件超时"}), content_type="application/json"
        )
        assert ok.status_code == 201, ok.content
        # The same on the page's form.
        page = client.post(reverse("orders:new"), {**body, "title": "办件\x00超时"})
        assert page.status_code == 400 and SupervisionOrder.objects.count() == 1
    finally:
        clock.set_clock(previous)


def test_oversized_ids_are_not_found_or_refused_never_500(client):
    client.force_login(f.make_user(username="clerk-x"))
    huge = "82757427283971784704"
    assert client.get(f"/api/v1/orgs/halls/{huge}").status_code == 404
    response = client.get("/api/v1/intake/queue/waiting", {"hall_id": huge, "category": "综合"})
    assert 400 <= response.status_code < 500
    response = _json(
        client,
        "post",
        "/api/v1/flow/tasks/batch-approve",
        '{"tasks": [{"id": ' + huge + ', "expected_version": 1}]}',
    )
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "code": "out_of_range",
        "message_zh": "数值超出允许范围",
        "message_en": "Number out of range",
        "field": "tasks[0].id",
    }


def test_a_date_in_year_one_on_the_supervision_pages_is_not_a_500(client):
    load_calendar()
    department = f.make_department()
    client.force_login(supervisor(department=department))
    for name in ("supervision:accountability", "supervision:overdue_list", "supervision:board"):
        response = client.get(reverse(name), {"start": "0001-01-01", "end": "9999-12-31"})
        assert response.status_code == 200, name
    response = client.get("/api/v1/supervision/accountability", {"start": "0001-01-01"})
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "invalid_date"
