"""Concurrency on PostgreSQL with real OS processes: two sweeps at once flag each overdue order and plan once
and notify each recipient once; a double-clicked response to an order is recorded once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection

from onetrip.catalog.tests import factories as f
from onetrip.core.models import AuditEvent
from onetrip.flow.tests.casebuilders import NOW
from onetrip.notify.models import Notification
from onetrip.orders.models import DeputySuggestion, OrderStatus, SupervisionOrder
from onetrip.orders.services import order_issue, pairing_create, suggestion_submit
from onetrip.ratings.tests.builders import deputy, leader, supervisor
from onetrip.ratings.tests.test_concurrency import race

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def test_two_sweeps_at_once_flag_and_notify_each_overdue_order_and_plan_once():
    item = f.make_published_item()
    department = item.department
    boss, chief = supervisor(department=department), leader(department)
    for n in range(4):
        order_issue(
            issued_by=boss,
            target="department",
            department_id=department.pk,
            title=f"督办{n}",
            content="请办理",
            working_days=2,
            now=NOW,
        )
    member = deputy()
    pairing_create(deputy=member, item=item, actor=boss, now=NOW)
    for _ in range(2):
        suggestion_submit(
            deputy=member,
            item_id=item.pk,
            activity="daily",
            activity_date=dt.date(2026, 3, 1),
            content="建议",
            now=NOW,
        )
    later = NOW + dt.timedelta(days=40)

    def sweep() -> Any:
        from onetrip.orders.services import orders_sweep

        return orders_sweep(now=later).as_dict()

    assert race(sweep, sweep, sweep) == ["ok", "ok", "ok"]
    assert SupervisionOrder.objects.filter(overdue=True).count() == 4
    assert DeputySuggestion.objects.filter(plan_overdue=True).count() == 2
    assert Notification.objects.filter(kind="order.overdue", recipient=chief).count() == 4
    assert Notification.objects.filter(kind="order.overdue", recipient=boss).count() == 4
    assert Notification.objects.filter(kind="suggestion.overdue", recipient=boss).count() == 2
    assert AuditEvent.objects.filter(action="order.overdue").count() == 4
    assert AuditEvent.objects.filter(action="suggestion.plan_overdue").count() == 2


def test_a_double_clicked_response_is_recorded_once():
    department = f.make_department()
    boss, chief = supervisor(department=department), leader(department)
    order = order_issue(
        issued_by=boss,
        target="department",
        department_id=department.pk,
        title="督办",
        content="请办理",
        working_days=2,
        now=NOW,
    )

    def respond() -> Any:
        from onetrip.orders.services import order_respond

        return order_respond(
            order=SupervisionOrder.objects.get(pk=order.pk), actor=chief, response="已办理"
        ).rounds

    assert race(respond, respond) == ["ok", "order_not_awaiting_response"]
    order.refresh_from_db()
    assert order.status == OrderStatus.RESPONDED and order.rounds == 1
    assert Notification.objects.filter(kind="order.responded", recipient=boss).count() == 1
