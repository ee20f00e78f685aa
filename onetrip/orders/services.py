"""Writes for 督办 (supervision orders) and 代表结对监督 (deputies' pairing and suggestions).

Every change is one transaction with its audit event and its notifications (the outbox); bad input raises a
DomainError with the field concerned and changes nothing. State changes lock the row (SELECT … FOR UPDATE),
so a double click or two supervisors at once never act twice. `orders_sweep` flags what is overdue and
notifies once per deadline (deterministic dedup keys), taking rows with SKIP LOCKED on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from onetrip.catalog.models import Item
from onetrip.core import clock
from onetrip.core.audit import audit_record
from onetrip.core.errors import Conflict, DomainError, ErrorDetail, Forbidden, not_found
from onetrip.intake.models import Case
from onetrip.notify.services import NotificationDraft, notify_send_many
from onetrip.orders.models import (
    AWAITING_RESPONSE,
    ActivityKind,
    DeputyPairing,
    DeputySuggestion,
    OrderStatus,
    OrderTarget,
    SuggestionStatus,
    SupervisionOrder,
)
from onetrip.orders.selectors import (
    Recipients,
    case_handling_departments,
    department_answerer_ids,
    is_department_staff,
    is_supervisor_of,
    local_date,
    notification_drafts,
    working_deadline,
)
from onetrip.orgs.models import Department, Role, User
from onetrip.orgs.permissions import has_role, scope_for
from onetrip.workdays.core import CalendarError
from onetrip.workdays.selectors import calendar_current

PLAN_DAYS = 7  # 三门县：相关单位在7个工作日内提出整改方案
MAX_ORDER_DAYS = 60
TITLE_MAX = 200
TEXT_MAX = 4000
SWEEP_BATCH = 500

# --------------------------------------------------------------------------------------------- helpers


def _text(
    value: str | None, *, field: str, label: str, max_length: int = TEXT_MAX
) -> tuple[str, list[ErrorDetail]]:
    text = (value or "").strip()
    if not text:
        return text, [ErrorDetail("required", f"请填写{label}", f"{field} is required", field)]
    if len(text) > max_length:
        return text, [
            ErrorDetail(
                "too_long",
                f"{label}不能超过{max_length}字",
                f"{field} must be at most {max_length} characters",
                field,
            )
        ]
    return text, []


def _conflict(code: str, zh: str, en: str, field: str | None = None) -> Conflict:
    return Conflict(ErrorDetail(code, zh, en, field))


def _forbidden(code: str, zh: str, en: str, field: str | None = None) -> Forbidden:
    return Forbidden(ErrorDetail(code, zh, en, field))


def _due_from_date(due_date: Any, *, now: dt.datetime, field: str = "due_date") -> tuple[dt.datetime, bool]:
    """The close of office hours on `due_date`: a working day after today."""
    if not isinstance(due_date, dt.date) or isinstance(due_date, dt.datetime):
        raise DomainError.single("invalid_date", "办理期限须为日期", "due_date must be a date", field)
    today = local_date(now)
    if due_date <= today:
        raise DomainError.single(
            "due_in_past", "办理期限须晚于今天", "The due date must be after today", field
        )
    calendar = calendar_current()
    try:
        workday = calendar.is_workday(due_date)
    except CalendarError:
        raise DomainError.single(
            "date_out_of_range", "办理期限超出日历范围", "The due date is outside the calendar", field
        ) from None
    if not workday:
        after = calendar.add_working_days(due_date, 1).date
        raise DomainError.single(
            "not_a_working_day",
            f"{due_date:%Y-%m-%d}不是工作日，可改为{after:%Y-%m-%d}",
            f"{due_date} is not a working day; the next one is {after}",
            field,
        )
    missing = calendar.missing_years(today, due_date)
    return calendar.close_of(due_date), bool(missing)


def _due(
    *, due_date: dt.date | None, working_days: int | None, now: dt.datetime
) -> tuple[dt.date, dt.datetime, bool]:
    if (due_date is None) == (working_days is None):
        raise DomainError.single(
            "due_required",
            "请填写办理期限（日期或工作日数，二选一）",
            "Give either a due date or a number of working days",
            "due_date",
        )
    if working_days is not None:
        if type(working_days) is not int or not 1 <= working_days <= MAX_ORDER_DAYS:
            raise DomainError.single(
                "invalid_days",
                f"工作日数须为1至{MAX_ORDER_DAYS}的整数",
                f"working_days must be an integer from 1 to {MAX_ORDER_DAYS}",
                "working_days",
            )
        deadline = working_deadline(now, working_days)
        return local_date(deadline.at), deadline.at, deadline.provisional
    at, provisional = _due_from_date(due_date, now=now)
    return due_date, at, provisional  # type: ignore[return-value]


def _notify(
    recipients: list[int], *, kind: str, title: str, key: str, link: str, body: str = "", at: dt.datetime
) -> int:
    drafts = notification_drafts(recipients, kind=kind, title=title, key=key, link=link, body=body)
    return notify_send_many(drafts=drafts, at=at)


def _locked(qs: QuerySet[Any], pk: int) -> Any:
    row = qs.select_for_update().filter(pk=pk).first()
    if row is None:
        raise not_found("记录", "Record")
    return row


def order_link(order: SupervisionOrder) -> str:
    return f"/orders/{order.pk}/"


def suggestion_link(suggestion: DeputySuggestion) -> str:
    return f"/orders/suggestions/{suggestion.pk}/"


# ---------------------------------------------------------------------------------------------- orders


def _resolve_target(
    *,
    target: str,
    case_number: str | None,
    department_id: int | None,
    item_id: int | None,
) -> tuple[Case | None, Item | None, Department]:
    if target not in OrderTarget.values:
        raise DomainError.single(
            "invalid_choice",
            "督办对象须为办件、部门或事项",
            "target must be case, department or item",
            "target",
        )
    department: Department | None = None
    if department_id is not None:
        department = Department.objects.filter(pk=department_id).select_related("region").first()
        if department is None:
            raise not_found("部门", "Department", "department_id")
    if target == OrderTarget.DEPARTMENT:
        if department is None:
            raise DomainError.single(
                "required", "请选择责任部门", "department_id is required", "department_id"
            )
        if not department.is_active:
            raise DomainError.single(
                "department_inactive", "该部门已停用", "The department is not active", "department_id"
            )
        return None, None, department
    if target == OrderTarget.ITEM:
        if item_id is None:
            raise DomainError.single("required", "请选择督办事项", "item_id is required", "item_id")
        item = Item.objects.filter(pk=item_id).select_related("department__region").first()
        if item is None:
            raise not_found("事项", "Item", "item_id")
        if department is not None and department.pk != item.department_id:
            raise DomainError.single(
                "department_mismatch",
                "事项督办的责任部门即事项的实施主体",
                "An item's order goes to the item's department",
                "department_id",
            )
        return None, item, item.department
    number = (case_number or "").strip()
    if not number:
        raise DomainError.single("required", "请填写办件编号", "case_number is required", "case_number")
    case = Case.objects.filter(number=number).select_related("lead_department__region").first()
    if case is None:
        raise not_found("办件", "Case", "case_number")
    if department is None:
        return case, None, case.lead_department
    if department.pk not in {d.pk for d in case_handling_departments(case)}:
        raise DomainError.single(
            "department_not_handling",
            "所选部门未承办该办件，请选择牵头部门或承办部门",
            "The department does not handle this case",
            "department_id",
        )
    return case, None, department


def order_issue(
    *,
    issued_by: User,
    target: str,
    title: str,
    content: str,
    due_date: dt.date | None = None,
    working_days: int | None = None,
    case_number: str | None = None,
    department_id: int | None = None,
    item_id: int | None = None,
    now: dt.datetime | None = None,
) -> SupervisionOrder:
    """A supervisor orders a department to act by a date, on a case, the department itself or an item."""
    now = now or clock.now()
    if not has_role(issued_by, Role.SUPERVISOR):
        raise _forbidden("not_supervisor", "只有效能监管人员可以督办", "Only supervisors issue orders")
    title, errors = _text(title, field="title", label="督办事由", max_length=TITLE_MAX)
    content, more = _text(content, field="content", label="督办要求")
    if errors or more:
        raise DomainError(*errors, *more)
    case, item, department = _resolve_target(
        target=target, case_number=case_number, department_id=department_id, item_id=item_id
    )
    if not scope_for(issued_by, Role.SUPERVISOR).allows_department(department.pk):
        raise _forbidden(
            "out_of_scope",
            "该部门不在您的监管范围内",
            "The department is outside your supervision scope",
            "department_id",
        )
    day, due_at, provisional = _due(due_date=due_date, working_days=working_days, now=now)
    with transaction.atomic():
        order = SupervisionOrder.objects.create(
            target=target,
            case=case,
            item=item,
            department=department,
            title=title,
            content=content,
            due_date=day,
            due_at=due_at,
            due_provisional=provisional,
            issued_by=issued_by,
            issued_at=now,
        )
        audit_record(
            actor=issued_by,
            action="order.issue",
            object_type="supervision_order",
            object_id=order.pk,
            data={
                "target": target,
                "department": department.pk,
                "case": case.number if case else None,
                "item": item.pk if item else None,
                "due_date": day.isoformat(),
            },
        )
        _notify(
            department_answerer_ids(department.pk),
            kind="order.issued",
            title=f"督办：{title}（{day:%m月%d日}前反馈）",
            key=f"order-issued:{order.pk}",
            link=order_link(order),
            at=now,
        )
    return order


def _require_department_staff(user: User, department_id: int) -> None:
    if not is_department_staff(user, department_id):
        raise _forbidden(
            "not_department_staff", "只有责任部门的人员可以办理", "Only the department may do this"
        )


def _require_supervisor(user: User, department_id: int) -> None:
    if not is_supervisor_of(user, department_id):
        raise _forbidden(
            "out_of_scope", "该部门不在您的监管范围内", "The department is outside your supervision scope"
        )


def order_respond(
    *, order: SupervisionOrder, actor: User, response: str, now: dt.datetime | None = None
) -> SupervisionOrder:
    """The department reports what it has done."""
    now = now or clock.now()
    _require_department_staff(actor, order.department_id)
    response, errors = _text(response, field="response", label="办理情况")
    if errors:
        raise DomainError(*errors)
    with transaction.atomic():
        row: SupervisionOrder = _locked(SupervisionOrder.objects, order.pk)
        if row.status not in AWAITING_RESPONSE:
            raise _conflict(
                "order_not_awaiting_response",
                f"督办单当前状态为“{row.get_status_display()}”，不能反馈",
                "The order is not awaiting a response",
            )
        row.status = OrderStatus.RESPONDED
        row.response = response
        row.responded_at = now
        row.responded_by = actor
        row.rounds += 1
        late = now > row.due_at
        row.overdue = row.overdue or late
        row.save(update_fields=["status", "response", "responded_at", "responded_by", "rounds", "overdue"])
        audit_record(
            actor=actor,
            action="order.respond",
            object_type="supervision_order",
            object_id=row.pk,
            data={"round": row.rounds, "late": late},
        )
        _notify(
            [row.issued_by_id],
            kind="order.responded",
            title=f"督办已反馈：{row.title}",
            key=f"order-responded:{row.pk}:{row.rounds}",
            link=order_link(row),
            at=now,
        )
    return row


def order_send_back(
    *,
    order: SupervisionOrder,
    actor: User,
    note: str,
    due_date: dt.date | None = None,
    now: dt.datetime | None = None,
) -> SupervisionOrder:
    """The response is not good enough: back to the department, optionally with a new due date."""
    now = now or clock.now()
    _require_supervisor(actor, order.department_id)
    note, errors = _text(note, field="note", label="退回意见")
    if errors:
        raise DomainError(*errors)
    new_due = _due_from_date(due_date, now=now) if due_date is not None else None
    with transaction.atomic():
        row: SupervisionOrder = _locked(SupervisionOrder.objects, order.pk)
        if row.status != OrderStatus.RESPONDED:
            raise _conflict(
                "order_not_responded", "督办单尚未反馈，不能退回", "Only a responded order can be sent back"
            )
        row.history = [
            *row.history,
            {
                "round": row.rounds,
                "response": row.response,
                "responded_at": row.responded_at.isoformat() if row.responded_at else None,
                "responded_by": str(row.responded_by) if row.responded_by_id else "",
                "sent_back_note": note,
                "sent_back_at": now.isoformat(),
                "sent_back_by": str(actor),
                "due_date": row.due_date.isoformat(),
                "overdue": row.overdue,
            },
        ]
        row.status = OrderStatus.SENT_BACK
        row.response = ""
        row.responded_at = None
        row.responded_by = None
        fields = ["history", "status", "response", "responded_at", "responded_by"]
        if due_date is not None and new_due is not None:
            row.due_date = due_date
            row.due_at, row.due_provisional = new_due
            row.overdue = False
            fields += ["due_date", "due_at", "due_provisional", "overdue"]
        row.save(update_fields=fields)
        audit_record(
            actor=actor,
            action="order.send_back",
            object_type="supervision_order",
            object_id=row.pk,
            data={"round": row.rounds, "due_date": row.due_date.isoformat()},
        )
        _notify(
            department_answerer_ids(row.department_id),
            kind="order.sent_back",
            title=f"督办反馈被退回，请重新办理：{row.title}",
            key=f"order-sent-back:{row.pk}:{row.rounds}",
            link=order_link(row),
            body=note,
            at=now,
        )
    return row


def order_close(
    *, order: SupervisionOrder, actor: User, note: str = "", now: dt.datetime | None = None
) -> SupervisionOrder:
    """The supervisor accepts the response: the order is done."""
    now = now or clock.now()
    _require_supervisor(actor, order.department_id)
    note = (note or "").strip()
    if len(note) > TEXT_MAX:
        raise DomainError.single("too_long", "办结意见过长", "The note is too long", "note")
    with transaction.atomic():
        row: SupervisionOrder = _locked(SupervisionOrder.objects, order.pk)
        if row.status != OrderStatus.RESPONDED:
            raise _conflict(
                "order_not_responded",
                f"督办单当前状态为“{row.get_status_display()}”，不能办结",
                "Only a responded order can be closed",
            )
        row.status = OrderStatus.CLOSED
        row.closed_at = now
        row.closed_by = actor
        row.closing_note = note
        row.save(update_fields=["status", "closed_at", "closed_by", "closing_note"])
        audit_record(
            actor=actor, action="order.close", object_type="supervision_order", object_id=row.pk, data={}
        )
        _notify(
            department_answerer_ids(row.department_id),
            kind="order.closed",
            title=f"督办已办结：{row.title}",
            key=f"order-closed:{row.pk}",
            link=order_link(row),
            at=now,
        )
    return row


# ------------------------------------------------------------------------------------------- deputies


def pairing_create(*, deputy: User, item: Item, actor: User, now: dt.datetime | None = None) -> DeputyPairing:
    """Pair a deputy with an item (by the service centre / 跑改办 of the item's region)."""
    now = now or clock.now()
    if not is_supervisor_of(actor, item.department_id):
        raise _forbidden(
            "out_of_scope",
            "该事项不在您的监管范围内",
            "The item is outside your supervision scope",
            "item_id",
        )
    if not has_role(deputy, Role.DEPUTY):
        raise DomainError.single("not_deputy", "该用户不是人大代表", "The user is not a deputy", "deputy_id")
    if not item.is_published:
        raise DomainError.single(
            "item_not_published", "只能结对已发布的事项", "Only published items can be paired", "item_id"
        )
    try:
        with transaction.atomic():
            pairing = DeputyPairing.objects.create(deputy=deputy, item=item, paired_at=now, paired_by=actor)
            audit_record(
                actor=actor,
                action="pairing.create",
                object_type="deputy_pairing",
                object_id=pairing.pk,
                data={"deputy": deputy.pk, "item": item.pk},
            )
            _notify(
                [deputy.pk],
                kind="pairing.created",
                title=f"您已结对监督事项：{item.name}",
                key=f"pairing-created:{pairing.pk}",
                link="/orders/deputy/",
                at=now,
            )
    except IntegrityError:
        raise _conflict(
            "already_paired", "该代表已结对该事项", "The deputy is already paired with this item", "item_id"
        ) from None
    return pairing


def pairing_end(*, pairing: DeputyPairing, actor: User, now: dt.datetime | None = None) -> DeputyPairing:
    now = now or clock.now()
    if not is_supervisor_of(actor, pairing.item.department_id):
        raise _forbidden(
            "out_of_scope", "该事项不在您的监管范围内", "The item is outside your supervision scope"
        )
    with transaction.atomic():
        row: DeputyPairing = _locked(DeputyPairing.objects, pairing.pk)
        if not row.is_active:
            raise _conflict("pairing_ended", "该结对已解除", "The pairing has already ended")
        row.is_active = False
        row.ended_at = now
        row.ended_by = actor
        row.save(update_fields=["is_active", "ended_at", "ended_by"])
        audit_record(
            actor=actor, action="pairing.end", object_type="deputy_pairing", object_id=row.pk, data={}
        )
    return row


def suggestion_submit(
    *,
    deputy: User,
    item_id: int,
    activity: str,
    activity_date: dt.date,
    content: str,
    now: dt.datetime | None = None,
) -> DeputySuggestion:
    """After an activity, the deputy's suggestions on a paired item go to the item's department, which owes a
    rectification plan within 7 working days."""
    now = now or clock.now()
    if not has_role(deputy, Role.DEPUTY):
        raise _forbidden("not_deputy", "只有人大代表可以提出结对监督意见", "Only deputies submit suggestions")
    errors: list[ErrorDetail] = []
    if activity not in ActivityKind.values:
        errors.append(ErrorDetail("invalid_choice", "请选择监督方式", "Unknown activity", "activity"))
    if not isinstance(activity_date, dt.date) or isinstance(activity_date, dt.datetime):
        errors.append(
            ErrorDetail("invalid_date", "活动日期须为日期", "activity_date must be a date", "activity_date")
        )
    elif activity_date > local_date(now):
        errors.append(
            ErrorDetail(
                "date_in_future",
                "活动日期不能晚于今天",
                "The activity cannot be in the future",
                "activity_date",
            )
        )
    content, more = _text(content, field="content", label="意见建议")
    if errors or more:
        raise DomainError(*errors, *more)
    pairing = (
        DeputyPairing.objects.filter(deputy=deputy, item_id=item_id, is_active=True)
        .select_related("item__department")
        .first()
    )
    if pairing is None:
        if not Item.objects.filter(pk=item_id).exists():
            raise not_found("事项", "Item", "item_id")
        raise _forbidden("not_paired", "您未结对该事项", "You are not paired with this item", "item_id")
    deadline = working_deadline(now, PLAN_DAYS)
    with transaction.atomic():
        suggestion = DeputySuggestion.objects.create(
            pairing=pairing,
            deputy=deputy,
            item=pairing.item,
            department=pairing.item.department,
            activity=activity,
            activity_date=activity_date,
            content=content,
            submitted_at=now,
            plan_due_at=deadline.at,
            due_provisional=deadline.provisional,
        )
        audit_record(
            actor=deputy,
            action="suggestion.submit",
            object_type="deputy_suggestion",
            object_id=suggestion.pk,
            data={"item": pairing.item_id, "department": pairing.item.department_id, "activity": activity},
        )
        _notify(
            department_answerer_ids(suggestion.department_id),
            kind="suggestion.received",
            title=f"人大代表监督意见：{pairing.item.name}（{local_date(deadline.at):%m月%d日}前提出整改方案）",
            key=f"suggestion-received:{suggestion.pk}",
            link=suggestion_link(suggestion),
            at=now,
        )
    return suggestion


def suggestion_plan(
    *, suggestion: DeputySuggestion, actor: User, plan: str, now: dt.datetime | None = None
) -> DeputySuggestion:
    """The department answers with its rectification plan."""
    now = now or clock.now()
    _require_department_staff(actor, suggestion.department_id)
    plan, errors = _text(plan, field="plan", label="整改方案")
    if errors:
        raise DomainError(*errors)
    with transaction.atomic():
        row: DeputySuggestion = _locked(DeputySuggestion.objects, suggestion.pk)
        if row.status == SuggestionStatus.CLOSED:
            raise _conflict(
                "suggestion_closed", "该意见建议已办结，不能再提交整改方案", "The suggestion is closed"
            )
        if row.status != SuggestionStatus.AWAITING_PLAN:
            raise _conflict("already_planned", "已提交整改方案", "A plan has already been submitted")
        late = now > row.plan_due_at
        row.status = SuggestionStatus.PLANNED
        row.plan = plan
        row.planned_at = now
        row.planned_by = actor
        row.plan_overdue = row.plan_overdue or late
        row.save(update_fields=["status", "plan", "planned_at", "planned_by", "plan_overdue"])
        audit_record(
            actor=actor,
            action="suggestion.plan",
            object_type="deputy_suggestion",
            object_id=row.pk,
            data={"late": late, "round": row.rounds},
        )
        _notify(
            [row.deputy_id],
            kind="suggestion.planned",
            title=f"{row.department}已提出整改方案",
            key=f"suggestion-planned:{row.pk}:{row.rounds}",
            link=suggestion_link(row),
            at=now,
        )
    return row


def suggestion_send_back(
    *, suggestion: DeputySuggestion, actor: User, note: str, now: dt.datetime | None = None
) -> DeputySuggestion:
    """整改不及时或效果不明显：督促重新整改 — the plan goes back with 7 new working days."""
    now = now or clock.now()
    _require_supervisor(actor, suggestion.department_id)
    note, errors = _text(note, field="note", label="退回意见")
    if errors:
        raise DomainError(*errors)
    deadline = working_deadline(now, PLAN_DAYS)
    with transaction.atomic():
        row: DeputySuggestion = _locked(DeputySuggestion.objects, suggestion.pk)
        if row.status != SuggestionStatus.PLANNED:
            raise _conflict("not_planned", "尚无整改方案可退回", "There is no plan to send back")
        row.history = [
            *row.history,
            {
                "round": row.rounds,
                "plan": row.plan,
                "planned_at": row.planned_at.isoformat() if row.planned_at else None,
                "planned_by": str(row.planned_by) if row.planned_by_id else "",
                "overdue": row.plan_overdue,
                "sent_back_note": note,
                "sent_back_at": now.isoformat(),
                "sent_back_by": str(actor),
            },
        ]
        row.rounds += 1
        row.status = SuggestionStatus.AWAITING_PLAN
        row.plan = ""
        row.planned_at = None
        row.planned_by = None
        row.plan_due_at = deadline.at
        row.due_provisional = deadline.provisional
        row.plan_overdue = False
        row.save(
            update_fields=[
                "history",
                "rounds",
                "status",
                "plan",
                "planned_at",
                "planned_by",
                "plan_due_at",
                "due_provisional",
                "plan_overdue",
            ]
        )
        audit_record(
            actor=actor,
            action="suggestion.send_back",
            object_type="deputy_suggestion",
            object_id=row.pk,
            data={"round": row.rounds},
        )
        _notify(
            department_answerer_ids(row.department_id),
            kind="suggestion.sent_back",
            title=f"整改方案被退回，请重新整改：{row.item.name}",
            key=f"suggestion-sent-back:{row.pk}:{row.rounds}",
            link=suggestion_link(row),
            body=note,
            at=now,
        )
    return row


def suggestion_close(
    *, suggestion: DeputySuggestion, actor: User, note: str = "", now: dt.datetime | None = None
) -> DeputySuggestion:
    """Done: the deputy accepts the plan, or the supervisor closes the suggestion."""
    now = now or clock.now()
    is_deputy = actor.pk == suggestion.deputy_id
    if not is_deputy:
        _require_supervisor(actor, suggestion.department_id)
    note = (note or "").strip()
    if len(note) > TEXT_MAX:
        raise DomainError.single("too_long", "办结意见过长", "The note is too long", "note")
    with transaction.atomic():
        row: DeputySuggestion = _locked(DeputySuggestion.objects, suggestion.pk)
        if row.status == SuggestionStatus.CLOSED:
            raise _conflict("suggestion_closed", "该意见建议已办结", "The suggestion is already closed")
        if (
            is_deputy
            and row.status != SuggestionStatus.PLANNED
            and not is_supervisor_of(actor, row.department_id)
        ):
            raise _conflict(
                "not_planned", "部门提出整改方案后才能办结", "The department has not submitted a plan yet"
            )
        row.status = SuggestionStatus.CLOSED
        row.closed_at = now
        row.closed_by = actor
        row.closing_note = note
        row.save(update_fields=["status", "closed_at", "closed_by", "closing_note"])
        audit_record(
            actor=actor,
            action="suggestion.close",
            object_type="deputy_suggestion",
            object_id=row.pk,
            data={"by_deputy": is_deputy},
        )
        recipients = department_answerer_ids(row.department_id)
        if not is_deputy:
            recipients.append(row.deputy_id)
        _notify(
            recipients,
            kind="suggestion.closed",
            title=f"代表意见建议已办结：{row.item.name}",
            key=f"suggestion-closed:{row.pk}",
            link=suggestion_link(row),
            at=now,
        )
    return row


# ----------------------------------------------------------------------------------------------- sweep


@dataclass
class SweepReport:
    due_reminders: int = 0  # reminders sent today to the departments of orders due today
    orders_overdue: int = 0
    plans_overdue: int = 0
    notifications: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "due_reminders": self.due_reminders,
            "orders_overdue": self.orders_overdue,
            "plans_overdue": self.plans_overdue,
            "notifications": self.notifications,
        }


def _sweep_orders_overdue(now: dt.datetime, report: SweepReport, people: Recipients) -> None:
    while True:
        with transaction.atomic():
            rows = list(
                SupervisionOrder.objects.filter(status__in=AWAITING_RESPONSE, overdue=False, due_at__lt=now)
                .select_for_update(skip_locked=True)
                .order_by("due_at", "pk")[:SWEEP_BATCH]
            )
            if not rows:
                return
            SupervisionOrder.objects.filter(pk__in=[r.pk for r in rows]).update(overdue=True)
            drafts: list[NotificationDraft] = []
            for row in rows:
                audit_record(
                    actor=None,
                    action="order.overdue",
                    object_type="supervision_order",
                    object_id=row.pk,
                    data={"due_date": row.due_date.isoformat()},
                )
                drafts += notification_drafts(
                    [*people.answerers(row.department_id), row.issued_by_id],
                    kind="order.overdue",
                    title=f"督办已超期：{row.title}（期限{row.due_date:%m月%d日}）",
                    key=f"order-overdue:{row.pk}:{row.due_date.isoformat()}",
                    link=order_link(row),
                )
            report.notifications += notify_send_many(drafts=drafts, at=now)
            report.orders_overdue += len(rows)
        if len(rows) < SWEEP_BATCH:
            return


def _sweep_orders_due_today(now: dt.datetime, report: SweepReport, people: Recipients) -> None:
    today = local_date(now)
    after = 0
    while True:
        rows = list(
            SupervisionOrder.objects.filter(
                status__in=AWAITING_RESPONSE, overdue=False, due_date=today, due_at__gte=now, pk__gt=after
            )
            .order_by("pk")
            .only("pk", "title", "department_id", "due_date")[:SWEEP_BATCH]
        )
        if not rows:
            return
        after = rows[-1].pk
        drafts: list[NotificationDraft] = []
        for row in rows:
            drafts += notification_drafts(
                people.answerers(row.department_id),
                kind="order.due",
                title=f"督办今日到期：{row.title}",
                key=f"order-due:{row.pk}:{today.isoformat()}",
                link=order_link(row),
            )
        sent = notify_send_many(drafts=drafts, at=now)
        report.notifications += sent
        report.due_reminders += sent


def _sweep_plans_overdue(now: dt.datetime, report: SweepReport, people: Recipients) -> None:
    while True:
        with transaction.atomic():
            rows = list(
                DeputySuggestion.objects.filter(
                    status=SuggestionStatus.AWAITING_PLAN, plan_overdue=False, plan_due_at__lt=now
                )
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("department__region", "item")
                .order_by("plan_due_at", "pk")[:SWEEP_BATCH]
            )
            if not rows:
                return
            DeputySuggestion.objects.filter(pk__in=[r.pk for r in rows]).update(plan_overdue=True)
            drafts: list[NotificationDraft] = []
            for row in rows:
                audit_record(
                    actor=None,
                    action="suggestion.plan_overdue",
                    object_type="deputy_suggestion",
                    object_id=row.pk,
                    data={"round": row.rounds},
                )
                drafts += notification_drafts(
                    [*people.answerers(row.department_id), *people.supervisors(row.department)],
                    kind="suggestion.overdue",
                    title=f"代表意见整改方案已超期：{row.item.name}",
                    key=f"suggestion-overdue:{row.pk}:{row.rounds}",
                    link=suggestion_link(row),
                )
            report.notifications += notify_send_many(drafts=drafts, at=now)
            report.plans_overdue += len(rows)
        if len(rows) < SWEEP_BATCH:
            return


def orders_sweep(*, now: dt.datetime | None = None) -> SweepReport:
    """Flag overdue orders and plans, remind departments of orders due today; safe to run concurrently."""
    now = now or clock.now()
    report, people = SweepReport(), Recipients()
    _sweep_orders_overdue(now, report, people)
    _sweep_orders_due_today(now, report, people)
    _sweep_plans_overdue(now, report, people)
    return report
