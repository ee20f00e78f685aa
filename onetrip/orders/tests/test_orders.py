"""Supervision orders (督办): issued on a case, a department or an item by a supervisor of its region, with a
working-day due date; responded to by the department; closed or sent back; overdue flagged and notified."""

from __future__ import annotations

import datetime as dt

import pytest

from onetrip.catalog.tests import factories as f
from onetrip.core.errors import Conflict, DomainError, Forbidden, NotFound
from onetrip.core.models import AuditEvent
from onetrip.flow.tests.casebuilders import NOW, bundle_case, open_tasks
from onetrip.notify.models import Notification
from onetrip.orders.models import OrderStatus, SupervisionOrder
from onetrip.orders.services import (
    order_close,
    order_issue,
    order_respond,
    order_send_back,
    orders_sweep,
)
from onetrip.ratings.tests.builders import handler, leader, load_calendar, outside_supervisor, supervisor
from onetrip.workdays.core import SHANGHAI

pytestmark = pytest.mark.django_db
FRIDAY = dt.date(2026, 3, 6)


def issue(boss, department, **kw):
    kw.setdefault("due_date", FRIDAY)
    return order_issue(
        issued_by=boss,
        target="department",
        department_id=department.pk,
        title="窗口推诿问题整改",
        content="请于期限内查明情况并反馈整改结果。",
        now=NOW,
        **kw,
    )


def test_an_order_to_a_department_is_issued_responded_to_and_closed():
    load_calendar()
    department = f.make_department()
    boss, chief = supervisor(department=department), leader(department)
    order = issue(boss, department)
    assert order.status == OrderStatus.ISSUED and order.department_id == department.pk
    assert order.due_date == FRIDAY and order.due_at == dt.datetime(2026, 3, 6, 17, 30, tzinfo=SHANGHAI)
    assert not order.due_provisional
    [note] = Notification.objects.filter(recipient=chief, kind="order.issued")
    assert note.link == f"/orders/{order.pk}/"
    order = order_respond(
        order=order, actor=chief, response="已约谈窗口负责人并整改", now=NOW + dt.timedelta(days=1)
    )
    assert order.status == OrderStatus.RESPONDED and order.rounds == 1 and not order.overdue
    assert Notification.objects.filter(recipient=boss, kind="order.responded").count() == 1
    order = order_close(order=order, actor=boss, note="整改到位", now=NOW + dt.timedelta(days=2))
    assert order.status == OrderStatus.CLOSED and order.closed_by == boss
    actions = list(
        AuditEvent.objects.filter(object_type="supervision_order").values_list("action", flat=True)
    )
    assert actions == ["order.issue", "order.respond", "order.close"]


def test_a_poor_response_is_sent_back_with_a_new_date_and_answered_again():
    load_calendar()
    department = f.make_department()
    boss, staff = supervisor(department=department), handler(department)
    order = issue(boss, department)
    order_respond(order=order, actor=staff, response="已处理", now=NOW)
    with pytest.raises(Conflict):
        order_respond(order=order, actor=staff, response="再次反馈", now=NOW)
    order = order_send_back(
        order=order, actor=boss, note="反馈过于简单", due_date=dt.date(2026, 3, 13), now=NOW
    )
    assert (
        order.status == OrderStatus.SENT_BACK
        and order.response == ""
        and order.due_date == dt.date(2026, 3, 13)
    )
    assert order.history[0]["response"] == "已处理" and order.history[0]["sent_back_note"] == "反馈过于简单"
    with pytest.raises(Conflict) as err:
        order_close(order=order, actor=boss, now=NOW)
    assert err.value.errors[0].code == "order_not_responded"
    order = order_respond(order=order, actor=staff, response="已制定整改清单并落实", now=NOW)
    assert order.status == OrderStatus.RESPONDED and order.rounds == 2


def test_an_item_order_goes_to_the_items_department_and_a_case_order_to_a_handling_department():
    department = f.make_department()
    item = f.make_item(department=department)
    boss = supervisor(department=department)
    order = order_issue(
        issued_by=boss,
        target="item",
        item_id=item.pk,
        title="事项办理超时",
        content="请说明",
        working_days=5,
        now=NOW,
    )
    assert order.department_id == department.pk and order.item_id == item.pk
    case = bundle_case(members=2)
    lead = case.lead_department
    order = order_issue(
        issued_by=supervisor(department=lead),
        target="case",
        case_number=case.number,
        title="办件久拖不决",
        content="请加快办理",
        working_days=3,
        now=NOW,
    )
    assert order.department_id == lead.pk and order.case_id == case.pk
    member_department = next(t.department for t in open_tasks(case) if t.department_id != lead.pk)
    order = order_issue(
        issued_by=supervisor(department=lead),
        target="case",
        case_number=case.number,
        department_id=member_department.pk,
        title="审查环节超时",
        content="请加快办理",
        working_days=3,
        now=NOW,
    )
    assert order.department_id == member_department.pk
    with pytest.raises(DomainError) as err:
        order_issue(
            issued_by=supervisor(department=lead),
            target="case",
            case_number=case.number,
            department_id=f.make_department().pk,
            title="x",
            content="y",
            working_days=3,
            now=NOW,
        )
    assert err.value.errors[0].code == "department_not_handling"


def test_missing_targets_are_refused_with_their_field():
    boss = supervisor(department=f.make_department())
    base = {"issued_by": boss, "title": "督办", "content": "请办理", "working_days": 3, "now": NOW}
    for kwargs, field in (
        ({"target": "department", "department_id": 999_999}, "department_id"),
        ({"target": "item", "item_id": 999_999}, "item_id"),
        ({"target": "case", "case_number": "331102-2026-999999"}, "case_number"),
    ):
        with pytest.raises(NotFound) as err:
            order_issue(**base, **kwargs)
        assert err.value.errors[0].field == field and err.value.status_code == 404
    with pytest.raises(DomainError) as err:
        order_issue(**base, target="region")
    assert err.value.errors[0].field == "target"
    with pytest.raises(DomainError) as err:
        order_issue(**base, target="department")
    assert err.value.errors[0].field == "department_id"
    assert not SupervisionOrder.objects.exists()


def test_bad_due_dates_and_texts_are_refused():
    load_calendar()
    department = f.make_department()
    boss = supervisor(department=department)
    cases = [
        ({"due_date": dt.date(2026, 3, 1)}, "due_in_past"),
        ({"due_date": dt.date(2026, 3, 2)}, "due_in_past"),  # today
        ({"due_date": dt.date(2026, 3, 7)}, "not_a_working_day"),  # a Saturday
        ({"due_date": dt.date(2026, 10, 5)}, "not_a_working_day"),  # National Day holiday
        ({"due_date": None}, "due_required"),
        ({"due_date": FRIDAY, "working_days": 3}, "due_required"),
        ({"due_date": None, "working_days": 0}, "invalid_days"),
        ({"due_date": None, "working_days": 61}, "invalid_days"),
    ]
    for kw, code in cases:
        with pytest.raises(DomainError) as err:
            issue(boss, department, **kw)
        assert err.value.errors[0].code == code, kw
    with pytest.raises(DomainError) as err:
        order_issue(
            issued_by=boss, target="department", department_id=department.pk, title=" ", content="", now=NOW
        )
    assert {e.field for e in err.value.errors} == {"title", "content"}
    with pytest.raises(DomainError) as err:
        issue(boss, department, due_date=dt.date(2026, 3, 7))
    assert "2026-03-09" in err.value.errors[0].message_zh, "the next working day is suggested"
    assert not SupervisionOrder.objects.exists()


def test_only_a_supervisor_within_scope_issues_and_only_the_department_responds():
    department = f.make_department()
    with pytest.raises(Forbidden) as err:
        issue(outside_supervisor(), department)
    assert err.value.errors[0].code == "out_of_scope"
    with pytest.raises(Forbidden) as err:
        issue(leader(department), department)
    assert err.value.errors[0].code == "not_supervisor"
    boss = supervisor(department=department)
    order = issue(boss, department, due_date=None, working_days=2)
    with pytest.raises(Forbidden):
        order_respond(order=order, actor=handler(f.make_department()), response="x", now=NOW)
    with pytest.raises(Forbidden):
        order_close(order=order, actor=outside_supervisor(), now=NOW)
    with pytest.raises(DomainError) as err:
        order_respond(order=order, actor=handler(department), response="", now=NOW)
    assert err.value.errors[0].field == "response"
    order.refresh_from_db()
    assert order.status == OrderStatus.ISSUED


def test_the_sweep_reminds_on_the_due_day_and_flags_overdue_orders_once():
    load_calendar()
    department = f.make_department()
    boss, chief = supervisor(department=department), leader(department)
    order = issue(boss, department)
    thursday = dt.datetime(2026, 3, 5, 9, 0, tzinfo=SHANGHAI)
    assert orders_sweep(now=thursday).as_dict()["notifications"] == 0
    friday_morning = dt.datetime(2026, 3, 6, 9, 0, tzinfo=SHANGHAI)
    report = orders_sweep(now=friday_morning)
    assert report.due_reminders == 1 and report.orders_overdue == 0
    assert orders_sweep(now=friday_morning + dt.timedelta(hours=1)).due_reminders == 0
    assert Notification.objects.filter(recipient=chief, kind="order.due").count() == 1
    saturday = dt.datetime(2026, 3, 7, 9, 0, tzinfo=SHANGHAI)
    assert orders_sweep(now=saturday).orders_overdue == 1
    assert orders_sweep(now=saturday).orders_overdue == 0
    order.refresh_from_db()
    assert order.overdue
    assert Notification.objects.filter(kind="order.overdue", recipient=chief).count() == 1
    assert Notification.objects.filter(kind="order.overdue", recipient=boss).count() == 1
    order = order_respond(order=order, actor=chief, response="已反馈", now=saturday)
    assert order.overdue, "a late response keeps the overdue flag for accountability"


def test_the_scheduled_task_runs_the_sweep_at_the_clocks_time():
    from onetrip.core import clock
    from onetrip.orders.tasks import orders_sweep_task

    load_calendar()
    department = f.make_department()
    issue(supervisor(department=department), department)
    previous = clock.set_clock(clock.FixedClock(dt.datetime(2026, 3, 9, 9, 0, tzinfo=SHANGHAI)))
    try:
        assert orders_sweep_task.call()["orders_overdue"] == 1
        assert orders_sweep_task.call()["orders_overdue"] == 0
    finally:
        clock.set_clock(previous)
