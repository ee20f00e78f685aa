"""效能监管 API, mounted at /api/v1/supervision (browser session; every answer scoped like the pages).

- GET    /supervision/alerts               open yellow/red tasks (keyset: `after` from `next_after`)
- GET    /supervision/cases/{id}/alert     a case's colour: the worst of its open tasks
- GET    /supervision/accountability       overdue counts per department and person in a period, 问责 marks
- GET    /supervision/overdue              the overdue records behind the counts (keyset)
- GET    /supervision/rules                the alert rules
- POST   /supervision/rules                a rule for an item
- PUT    /supervision/rules/{id}           change a rule (the global one too)
- DELETE /supervision/rules/{id}           remove an item's rule (the item falls back to the global rule)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from onetrip.catalog.models import Item
from onetrip.core import clock
from onetrip.core.errors import DomainError, ErrorDetail, forbidden, not_found
from onetrip.intake.models import Case
from onetrip.orgs.auth import ScopedSessionAuth, request_user
from onetrip.orgs.models import User
from onetrip.orgs.permissions import STAFF_ROLES, roles_of
from onetrip.supervision import selectors, services
from onetrip.supervision.models import DEFAULT_REMINDER_TIMES, AlertRule

router = Router(tags=["效能监管"])
SESSION = ScopedSessionAuth()


def _user(request: HttpRequest) -> User:
    user = request_user(request)
    assert user is not None  # session auth only
    return user


def _iso(at: dt.datetime | None) -> str | None:
    return at.isoformat() if at else None


class AlertsQuery(Schema):
    level: str = Field("", description="yellow / red；为空为两者")
    department: int | None = None
    after: str | None = None
    limit: int = Field(50, ge=1, le=200)


@router.get("/alerts", auth=SESSION)
def alerts(request: HttpRequest, filters: Query[AlertsQuery]) -> dict[str, Any]:
    if filters.level not in ("", "yellow", "red"):
        raise DomainError(
            ErrorDetail("invalid_level", "状态只能是 yellow 或 red", "level is yellow or red", "level")
        )
    page = selectors.board(
        user=_user(request),
        now=clock.now(),
        level=filters.level,
        department_id=filters.department,
        after=selectors.parse_after(filters.after),
        limit=filters.limit,
    )
    return {
        "counts": {"yellow": page.counts.get("yellow", 0), "red": page.counts.get("red", 0)},
        "tasks": [
            {
                "task_id": r.task.pk,
                "case_id": r.task.case_id,
                "case_number": r.task.case.number,
                "case_title": r.task.case.title,
                "case_alert": r.case_alert,
                "step": r.task.step_name or r.task.step_code,
                "department": r.task.department.name if r.task.department else "",
                "assignee": str(r.task.assignee) if r.task.assignee else "",
                "alert": r.watch.alert,
                "warn_at": _iso(r.watch.warn_at),
                "overdue_at": _iso(r.watch.overdue_at),
                "remaining_working_days": r.remaining,
                "reminders": r.watch.reminders,
                "link": f"/work/tasks/{r.task.pk}/",
            }
            for r in page.rows
        ],
        "next_after": page.next_after or None,
    }


@router.get("/cases/{case_id}/alert", auth=SESSION)
def case_alert(request: HttpRequest, case_id: int) -> dict[str, Any]:
    case = Case.objects.filter(pk=case_id).first()
    if case is None:
        raise not_found("办件", "Case")
    found = selectors.case_alert(user=_user(request), case=case)
    return {
        "case_id": case.pk,
        "alert": found["alert"],
        "tasks": [
            {
                "task_id": t.pk,
                "step": t.step_name or t.step_code,
                "department": t.department.name if t.department else "",
                "alert": alert,
                "overdue_at": _iso(t.watch.overdue_at) if alert else None,
            }
            for t, alert in found["tasks"]
        ],
    }


class PeriodQuery(Schema):
    start: dt.date | None = None
    end: dt.date | None = None


def _period(filters: PeriodQuery) -> tuple[dt.date, dt.date]:
    default_start, default_end = selectors.default_period(clock.now())
    start, end = filters.start or default_start, filters.end or default_end
    if start.year < 1900 or end.year > 2999:
        raise DomainError(
            ErrorDetail(
                "invalid_date", "日期超出范围（1900—2999年）", "Date out of range (1900–2999)", "start"
            )
        )
    if end < start or (end - start).days > 366:
        raise DomainError(
            ErrorDetail(
                "invalid_range", "日期范围无效（结束不早于开始，最长一年）", "Invalid date range", "end"
            )
        )
    return start, end


@router.get("/accountability", auth=SESSION)
def accountability(request: HttpRequest, filters: Query[PeriodQuery]) -> dict[str, Any]:
    start, end = _period(filters)
    result = selectors.accountability(user=_user(request), start=start, end=end)
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "threshold": result.threshold,
        "departments": [
            {
                "department_id": d.department_id,
                "department": d.name,
                "overdue": d.count,
                "accountability": d.flagged,
                "unassigned": d.unassigned,
                "people": [{"user_id": p.user_id, "name": p.name, "overdue": p.count} for p in d.people],
            }
            for d in result.departments
        ],
    }


class OverdueQuery(PeriodQuery):
    department: int | None = None
    person: int | None = None
    after: str | None = None
    limit: int = Field(50, ge=1, le=200)


@router.get("/overdue", auth=SESSION)
def overdue(request: HttpRequest, filters: Query[OverdueQuery]) -> dict[str, Any]:
    start, end = _period(filters)
    rows, next_after = selectors.overdue_records(
        user=_user(request),
        start=start,
        end=end,
        department_id=filters.department,
        person_id=filters.person,
        after=selectors.parse_after(filters.after),
        limit=filters.limit,
    )
    return {
        "records": [
            {
                "task_id": r.task_id,
                "case_id": r.case_id,
                "case_number": r.case.number,
                "step": r.task.step_name or r.task.step_code,
                "department": r.department.name if r.department else "",
                "person": str(r.person) if r.person else "",
                "overdue_at": r.overdue_at.isoformat(),
                "still_open": r.task.is_open,
            }
            for r in rows
        ],
        "next_after": next_after or None,
    }


class RuleIn(Schema):
    warn_after_days: int
    overdue_after_days: int
    remind_from_days: int | None = None
    reminder_times: str = DEFAULT_REMINDER_TIMES
    remind_leader: bool = True
    accountability_threshold: int | None = None
    note: str = ""


class RuleCreate(RuleIn):
    item: str = Field(..., description="事项实施编码")


def _rule(rule: AlertRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "item": rule.item.implementation_code if rule.item else None,
        "item_name": rule.item.name if rule.item else None,
        "warn_after_days": rule.warn_after_days,
        "overdue_after_days": rule.overdue_after_days,
        "remind_from_days": rule.remind_from_days,
        "reminder_times": rule.reminder_times,
        "reminders_per_day": rule.reminders_per_day,
        "remind_leader": rule.remind_leader,
        "accountability_threshold": rule.accountability_threshold,
        "note": rule.note,
        "updated_at": _iso(rule.updated_at),
    }


def _data(payload: RuleIn) -> services.RuleInput:
    return services.RuleInput(
        warn_after_days=payload.warn_after_days,
        overdue_after_days=payload.overdue_after_days,
        remind_from_days=payload.remind_from_days,
        reminder_times=payload.reminder_times,
        remind_leader=payload.remind_leader,
        accountability_threshold=payload.accountability_threshold,
        note=payload.note,
    )


@router.get("/rules", auth=SESSION)
def rules(request: HttpRequest) -> list[dict[str, Any]]:
    if not roles_of(_user(request)) & STAFF_ROLES:
        raise forbidden()
    return [_rule(r) for r in selectors.rules_list()]


@router.post("/rules", auth=SESSION, response={201: dict[str, Any]})
def rule_create(request: HttpRequest, payload: RuleCreate) -> Status:
    item = Item.objects.filter(implementation_code=payload.item.strip()).first()
    if item is None:
        raise not_found("事项", "Item", "item")
    rule = services.alert_rule_create(actor=_user(request), item=item, data=_data(payload), now=clock.now())
    return Status(201, _rule(rule))


def _existing(rule_id: int) -> AlertRule:
    rule = selectors.rule_get(rule_id)
    if rule is None:
        raise not_found("预警规则", "Alert rule", "rule")
    return rule


@router.put("/rules/{rule_id}", auth=SESSION)
def rule_update(request: HttpRequest, rule_id: int, payload: RuleIn) -> dict[str, Any]:
    rule = services.alert_rule_update(
        actor=_user(request), rule=_existing(rule_id), data=_data(payload), now=clock.now()
    )
    return _rule(selectors.rule_get(rule.pk) or rule)


@router.delete("/rules/{rule_id}", auth=SESSION, response={204: None})
def rule_delete(request: HttpRequest, rule_id: int) -> Status:
    services.alert_rule_delete(actor=_user(request), rule=_existing(rule_id), now=clock.now())
    return Status(204, None)
