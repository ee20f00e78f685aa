"""Reads for 督办 and 代表结对监督, and the helpers both supervision apps (orders, ratings) share: who answers for
a department, who supervises it, working-day deadlines, and keyset pages.

Scopes: a supervisor sees the orders, pairings and suggestions of the departments in their region; a
department's handlers and leaders see those addressed to their department; a deputy sees only their own
pairings and suggestions (deputies have no department scope). Every list filters in SQL and pages by id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import Model, Q, QuerySet

from onetrip.core.errors import not_found
from onetrip.notify.services import NotificationDraft
from onetrip.orders.models import (
    AWAITING_RESPONSE,
    DeputyPairing,
    DeputySuggestion,
    OrderStatus,
    SuggestionStatus,
    SupervisionOrder,
)
from onetrip.orgs.models import ApiKey, Department, Role, RoleAssignment, User
from onetrip.orgs.permissions import Scope, has_role, scope_for
from onetrip.orgs.selectors import region_ancestors
from onetrip.workdays.core import SHANGHAI, Unit
from onetrip.workdays.selectors import calendar_current

MAX_PAGE = 200
M = TypeVar("M", bound=Model)

# ------------------------------------------------------------------------------------- shared helpers


@dataclass(frozen=True)
class Deadline:
    at: dt.datetime  # UTC: the close of office hours on the last day
    provisional: bool  # a year on the way has no published calendar: shown as such


def working_deadline(at: dt.datetime, days: int) -> Deadline:
    """`days` working days after `at` (次日起算, the acceptance cut-off applies), at the close of office hours."""
    result = calendar_current().add(at, days, Unit.WORKING)
    return Deadline(result.at, result.provisional)


def local_date(at: dt.datetime) -> dt.date:
    return at.astimezone(SHANGHAI).date()


def staff_scope(user: Any) -> Scope:
    """The departments whose handlers or leaders the user is."""
    return scope_for(user, Role.HANDLER) | scope_for(user, Role.LEADER)


def supervisor_scope(user: Any) -> Scope:
    """The departments the user supervises (a system administrator sees everything)."""
    return scope_for(user, Role.SUPERVISOR) | scope_for(user, Role.SYSTEM_ADMIN)


def reader_scope(principal: Any) -> Scope:
    """What a user may read of department work here: their own departments and those they supervise. An API
    key reads what it is bound to (its department, or everything)."""
    if isinstance(principal, ApiKey):
        return scope_for(principal)
    return staff_scope(principal) | supervisor_scope(principal)


def is_user(principal: Any) -> bool:
    """A signed-in person (not an API key): only people own rows."""
    return isinstance(principal, User)


def is_department_staff(user: Any, department_id: int) -> bool:
    return staff_scope(user).allows_department(department_id)


def is_supervisor_of(user: Any, department_id: int) -> bool:
    return scope_for(user, Role.SUPERVISOR).allows_department(department_id)


def department_answerer_ids(department_id: int) -> list[int]:
    """Who hears of the department's supervision work: its leaders; its handlers when it has no leader."""
    rows = list(
        RoleAssignment.objects.filter(department_id=department_id, role__in=[Role.LEADER, Role.HANDLER])
        .values_list("user_id", "role")
        .distinct()
    )
    leaders = sorted({u for u, r in rows if r == Role.LEADER})
    return leaders or sorted({u for u, _ in rows})


def supervisor_ids(department: Department) -> list[int]:
    """Supervisors whose scope covers `department`: assigned to it, to its region or a region above, or
    unscoped (the same rule as orgs.permissions)."""
    region_ids = [r.pk for r in region_ancestors(region=department.region)] + [department.region_id]
    condition = (
        Q(department_id=department.pk)
        | Q(department__isnull=True, region_id__in=region_ids)
        | Q(department__isnull=True, region__isnull=True, window__isnull=True)
    )
    return sorted(
        set(RoleAssignment.objects.filter(condition, role=Role.SUPERVISOR).values_list("user_id", flat=True))
    )


class Recipients:
    """Who hears of a department's supervision work, looked up once per department (for a sweep)."""

    def __init__(self) -> None:
        self._answerers: dict[int, list[int]] = {}
        self._supervisors: dict[int, list[int]] = {}

    def answerers(self, department_id: int) -> list[int]:
        if department_id not in self._answerers:
            self._answerers[department_id] = department_answerer_ids(department_id)
        return self._answerers[department_id]

    def supervisors(self, department: Department) -> list[int]:
        if department.pk not in self._supervisors:
            self._supervisors[department.pk] = supervisor_ids(department)
        return self._supervisors[department.pk]


def notification_drafts(
    recipients: list[int], *, kind: str, title: str, key: str, link: str, body: str = ""
) -> list[NotificationDraft]:
    """One draft per recipient (each once); the dedup key is `key` plus the recipient, so a retried or
    concurrent sweep never tells anyone twice."""
    return [
        NotificationDraft(
            recipient_id=r, kind=kind, title=title, dedup_key=f"{key}:{r}", body=body, link=link
        )
        for r in dict.fromkeys(recipients)
    ]


@dataclass
class Page(Generic[M]):
    rows: list[M]
    next_before: int | None


def page_before(qs: QuerySet[M], *, before: int | None, limit: int) -> Page[M]:
    """Newest first, keyset by id: the page of rows with id < before."""
    limit = max(1, min(limit, MAX_PAGE))
    if before is not None:
        qs = qs.filter(pk__lt=before)
    rows = list(qs.order_by("-pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, rows[-1].pk if more and rows else None)


# ----------------------------------------------------------------------------------------------- orders


def orders_visible(user: Any) -> QuerySet[SupervisionOrder]:
    qs = SupervisionOrder.objects.select_related("department", "case", "item", "issued_by")
    return reader_scope(user).filter(qs, department_field="department")


def orders_page(
    *,
    user: Any,
    before: int | None = None,
    limit: int = 50,
    status: str | None = None,
    overdue: bool | None = None,
    department_id: int | None = None,
) -> Page[SupervisionOrder]:
    qs = orders_visible(user)
    if status == "open":
        qs = qs.filter(status__in=[*AWAITING_RESPONSE, OrderStatus.RESPONDED])
    elif status:
        qs = qs.filter(status=status)
    if overdue is not None:
        qs = qs.filter(overdue=overdue)
    if department_id is not None:
        qs = qs.filter(department_id=department_id)
    return page_before(qs, before=before, limit=limit)


def order_get(*, user: Any, order_id: int) -> SupervisionOrder:
    order = orders_visible(user).filter(pk=order_id).first()
    if order is None:
        raise not_found("督办单", "Supervision order", "order_id")
    return order


def case_handling_departments(case: Any) -> list[Department]:
    """The lead department and every department with a task on the case (one query)."""
    from onetrip.flow.models import TaskRecord

    ids = {case.lead_department_id} | set(
        TaskRecord.objects.filter(case=case, department__isnull=False)
        .values_list("department_id", flat=True)
        .distinct()
    )
    return list(Department.objects.filter(pk__in=ids).order_by("name"))


# -------------------------------------------------------------------------------------------- deputies


def _own_or_scoped(user: Any, qs: QuerySet[M], department_field: str) -> QuerySet[M]:
    """Rows of the departments the user works in or supervises, plus a deputy's own rows."""
    scope = reader_scope(user)
    if scope.everything:
        return qs
    condition = scope.q(department_field=department_field)
    if is_user(user) and has_role(user, Role.DEPUTY):
        own = Q(deputy_id=user.pk)
        condition = own if condition is None else condition | own
    return qs.filter(condition) if condition is not None else qs.none()


def pairings_visible(user: Any) -> QuerySet[DeputyPairing]:
    """A deputy's own pairings; a supervisor's region's (by the item's department); a department's own."""
    qs = DeputyPairing.objects.select_related("deputy", "item", "item__department")
    return _own_or_scoped(user, qs, "item__department")


def pairings_page(
    *,
    user: Any,
    before: int | None = None,
    limit: int = 50,
    active: bool | None = True,
    deputy_id: int | None = None,
) -> Page[DeputyPairing]:
    qs = pairings_visible(user)
    if active is not None:
        qs = qs.filter(is_active=active)
    if deputy_id is not None:
        qs = qs.filter(deputy_id=deputy_id)
    return page_before(qs, before=before, limit=limit)


def suggestions_visible(user: Any) -> QuerySet[DeputySuggestion]:
    qs = DeputySuggestion.objects.select_related("deputy", "item", "department")
    return _own_or_scoped(user, qs, "department")


def suggestions_page(
    *,
    user: Any,
    before: int | None = None,
    limit: int = 50,
    status: str | None = None,
    overdue: bool | None = None,
) -> Page[DeputySuggestion]:
    qs = suggestions_visible(user)
    if status:
        qs = qs.filter(status=status)
    if overdue is not None:
        qs = qs.filter(plan_overdue=overdue)
    return page_before(qs, before=before, limit=limit)


def suggestion_get(*, user: Any, suggestion_id: int) -> DeputySuggestion:
    row = suggestions_visible(user).filter(pk=suggestion_id).first()
    if row is None:
        raise not_found("意见建议", "Suggestion", "suggestion_id")
    return row


def deputy_users() -> QuerySet[User]:
    """Every user holding the deputy role (deputies have no region scope of their own)."""
    return User.objects.filter(roles__role=Role.DEPUTY).distinct().order_by("display_name", "username")


def counts_for(user: Any) -> dict[str, int]:
    """Open work for a user's landing page."""
    orders = orders_visible(user)
    suggestions = suggestions_visible(user)
    return {
        "orders_open": orders.filter(status__in=AWAITING_RESPONSE).count(),
        "orders_overdue": orders.filter(status__in=AWAITING_RESPONSE, overdue=True).count(),
        "suggestions_open": suggestions.filter(status=SuggestionStatus.AWAITING_PLAN).count(),
    }
