"""The 督办 pages (/orders/) and API (/api/v1/orders): issue, respond, send back, close; pairings and deputies'
suggestions; every page and list scoped, bad input answered with clear errors."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from onetrip.catalog.tests import factories as f
from onetrip.core import clock
from onetrip.flow.tests.casebuilders import NOW, item_case
from onetrip.orders.models import (
    DeputyPairing,
    DeputySuggestion,
    OrderStatus,
    SuggestionStatus,
    SupervisionOrder,
)
from onetrip.orders.services import order_issue, pairing_create
from onetrip.ratings.tests.builders import (
    deputy,
    handler,
    leader,
    load_calendar,
    outside_supervisor,
    supervisor,
)

pytestmark = pytest.mark.django_db
BASE = "/api/v1/orders"


@pytest.fixture(autouse=True)
def fixed_clock():
    previous = clock.set_clock(clock.FixedClock(NOW))
    yield
    clock.set_clock(previous)


def post(client, path, body):
    return client.post(f"{BASE}{path}", data=json.dumps(body), content_type="application/json")


def test_a_supervisor_issues_an_order_on_the_page_and_the_department_responds(client):
    load_calendar()
    department = f.make_department()
    boss, chief = supervisor(department=department), leader(department)
    client.force_login(boss)
    page = client.get(reverse("orders:new")).content.decode()
    assert department.name in page
    response = client.post(
        reverse("orders:new"),
        {
            "target": "department",
            "department_id": department.pk,
            "title": "",
            "content": "",
            "due_date": "2026-03-07",
        },
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "请填写督办事由" in text and "请填写督办要求" in text
    response = client.post(
        reverse("orders:new"),
        {
            "target": "department",
            "department_id": department.pk,
            "title": "推诿扯皮问题",
            "content": "请查明并反馈",
            "due_date": "2026-03-07",
        },
    )
    assert response.status_code == 400 and "不是工作日" in response.content.decode()
    response = client.post(
        reverse("orders:new"),
        {
            "target": "department",
            "department_id": department.pk,
            "title": "推诿扯皮问题",
            "content": "请查明并反馈",
            "working_days": "3",
        },
    )
    assert response.status_code == 302
    order = SupervisionOrder.objects.get()
    assert order.due_date == dt.date(2026, 3, 5)

    client.force_login(chief)
    assert "推诿扯皮问题" in client.get(reverse("orders:list")).content.decode()
    page = client.get(reverse("orders:order", args=[order.pk])).content.decode()
    assert "提交反馈" in page
    client.post(reverse("orders:order_action", args=[order.pk, "respond"]), {"response": "已约谈相关人员"})
    order.refresh_from_db()
    assert order.status == OrderStatus.RESPONDED

    client.force_login(boss)
    response = client.post(reverse("orders:order_action", args=[order.pk, "send-back"]), {"note": ""})
    assert response.status_code == 400
    client.post(reverse("orders:order_action", args=[order.pk, "close"]), {"note": "办结"})
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED


def test_order_pages_are_scoped(client):
    department = f.make_department()
    order = order_issue(
        issued_by=supervisor(department=department),
        target="department",
        department_id=department.pk,
        title="督办",
        content="请办理",
        working_days=3,
    )
    for outsider in (handler(f.make_department()), outside_supervisor(), deputy()):
        client.force_login(outsider)
        assert client.get(reverse("orders:order", args=[order.pk])).status_code == 404
        assert "暂无督办单" in client.get(reverse("orders:list")).content.decode()
    client.force_login(handler(department))
    assert client.get(reverse("orders:new")).status_code == 403
    assert client.get(reverse("orders:pairings")).status_code == 403


def test_deputy_pages_pair_submit_and_plan(client):
    load_calendar()
    item = f.make_published_item()
    boss, member, staff = supervisor(department=item.department), deputy(), handler(item.department)
    client.force_login(boss)
    response = client.post(reverse("orders:pairings"), {"deputy_id": member.pk, "item_code": "nope"})
    assert response.status_code == 400 and "未找到该实施编码的事项" in response.content.decode()
    client.post(reverse("orders:pairings"), {"deputy_id": member.pk, "item_code": item.implementation_code})
    assert DeputyPairing.objects.filter(deputy=member, item=item, is_active=True).exists()

    client.force_login(member)
    page = client.get(reverse("orders:deputy")).content.decode()
    assert item.name in page and "提出意见建议" in page
    response = client.post(
        reverse("orders:deputy"),
        {"item_id": item.pk, "activity": "visit", "activity_date": "2026-03-09", "content": "群众反映排队久"},
    )
    assert response.status_code == 400 and "活动日期不能晚于今天" in response.content.decode()
    response = client.post(
        reverse("orders:deputy"),
        {"item_id": item.pk, "activity": "visit", "activity_date": "2026-03-01", "content": "群众反映排队久"},
    )
    assert response.status_code == 302
    suggestion = DeputySuggestion.objects.get()

    client.force_login(staff)
    assert item.name in client.get(reverse("orders:suggestions")).content.decode()
    client.post(
        reverse("orders:suggestion_action", args=[suggestion.pk, "plan"]), {"plan": "增设窗口，推行预约"}
    )
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.PLANNED
    client.force_login(member)
    client.post(reverse("orders:suggestion_action", args=[suggestion.pk, "close"]), {"note": "满意"})
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.CLOSED
    response = client.post(
        reverse("orders:suggestion_action", args=[suggestion.pk, "plan"]), {"plan": "迟到"}
    )
    assert response.status_code == 403  # closed: the deputy is no department staff, and nothing changes
    client.force_login(staff)
    response = client.post(
        reverse("orders:suggestion_action", args=[suggestion.pk, "plan"]), {"plan": "迟到"}
    )
    assert response.status_code == 409 and "已办结" in response.content.decode()


def test_the_api_end_to_end_with_field_errors(client):
    load_calendar()
    case = item_case()
    boss = supervisor(department=case.lead_department)
    client.force_login(boss)
    body = {"target": "department", "department_id": 999_999, "title": "t", "content": "c", "working_days": 3}
    response = post(client, "/", body)
    assert response.status_code == 404 and response.json()["errors"][0]["field"] == "department_id"
    body = {
        "target": "case",
        "case_number": case.number,
        "title": "办件超时",
        "content": "请加快",
        "due_date": "2026-02-27",
    }
    response = post(client, "/", body)
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "due_in_past"
    body["due_date"] = "2026-03-06"
    order = post(client, "/", body).json()
    assert order["department_id"] == case.lead_department_id and order["case_number"] == case.number

    client.force_login(outside_supervisor())
    response = post(client, "/", body)
    assert response.status_code == 403 and response.json()["errors"][0]["code"] == "out_of_scope"
    assert client.get(f"{BASE}/{order['id']}").status_code == 404

    client.force_login(handler(case.lead_department))
    assert post(client, f"/{order['id']}/respond", {"text": "已加快办理"}).json()["status"] == "responded"
    client.force_login(boss)
    sent = post(client, f"/{order['id']}/send-back", {"note": "请说明原因", "due_date": "2026-03-13"}).json()
    assert sent["status"] == "sent_back" and sent["due_date"] == "2026-03-13" and len(sent["history"]) == 1
    assert [o["id"] for o in client.get(f"{BASE}/?status=open").json()["items"]] == [order["id"]]


def test_the_deputy_api(client):
    item = f.make_published_item()
    boss, member = supervisor(department=item.department), deputy()
    client.force_login(boss)
    pairing = post(client, "/pairings", {"deputy_id": member.pk, "item_id": item.pk})
    assert pairing.status_code == 201
    assert post(client, "/pairings", {"deputy_id": member.pk, "item_id": item.pk}).status_code == 409
    assert post(client, "/pairings", {"deputy_id": member.pk, "item_id": 999_999}).status_code == 404
    client.force_login(member)
    body = {
        "item_id": item.pk,
        "activity": "daily",
        "activity_date": "2026-03-02",
        "content": "要求重复提交材料",
    }
    created = post(client, "/suggestions", body)
    assert created.status_code == 201 and created.json()["status"] == "awaiting_plan"
    assert [p["item_id"] for p in client.get(f"{BASE}/pairings").json()["items"]] == [item.pk]
    other = deputy()
    client.force_login(other)
    assert client.get(f"{BASE}/suggestions").json()["items"] == []
    assert post(client, "/suggestions", body).status_code == 403
    client.force_login(boss)
    ended = post(client, f"/pairings/{pairing.json()['id']}/end", {})
    assert ended.json()["is_active"] is False
    assert pairing_create(deputy=member, item=item, actor=boss).is_active


def test_every_page_renders_for_its_roles(client):
    item = f.make_published_item()
    boss, member, staff = supervisor(department=item.department), deputy(), handler(item.department)
    pairing_create(deputy=member, item=item, actor=boss)
    order_issue(
        issued_by=boss, target="item", item_id=item.pk, title="事项督办", content="请办理", working_days=3
    )
    pages = {
        boss: [
            "orders:list",
            "orders:new",
            "orders:pairings",
            "orders:suggestions",
            "ratings:home",
            "ratings:list",
            "ratings:rectifications",
            "ratings:appeals",
        ],
        staff: [
            "orders:list",
            "orders:suggestions",
            "ratings:home",
            "ratings:rectifications",
            "ratings:appeals",
        ],
        member: ["orders:deputy", "orders:suggestions", "ratings:home"],
    }
    for user, names in pages.items():
        client.force_login(user)
        for name in names:
            response = client.get(reverse(name))
            assert response.status_code == 200, (user, name)
            assert "<h1>" in response.content.decode()
    client.force_login(staff)
    assert client.get(reverse("orders:deputy")).status_code == 403
