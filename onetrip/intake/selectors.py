"""Intake reads: an applicant's drafts and cases (keyset pagination, newest first), a case with its timeline
and remaining working days, the checklist, and the entitlement check behind every file download.

Who may see an application or a case: its applicant; whoever typed it (a window clerk, a proxy agent); staff
whose scope (onetrip.orgs.permissions) covers the lead department — a clerk the departments of their
region, a handler their department. Anyone else gets NotFound (existence is not revealed). An API key sees
the applications and cases made through the API (channel api) of its department (all, when unbound).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Q, QuerySet

from onetrip.bundles.models import BundleVersion
from onetrip.bundles.selectors import FROZEN_STATUSES, frozen_cached
from onetrip.catalog.models import ItemVersion
from onetrip.core import clock
from onetrip.core.errors import DomainError, ErrorDetail, not_found
from onetrip.intake.checklist import ChecklistEntry, checklist_for
from onetrip.intake.models import (
    Application,
    ApplicationMaterial,
    ApplicationStatus,
    Case,
    CaseEvent,
    CaseStatus,
    Channel,
    StoredFile,
)
from onetrip.orgs.models import ApiKey, Role
from onetrip.orgs.permissions import case_scope_for, scope_for
from onetrip.workdays.selectors import calendar_current

MAX_PAGE = 100
WAITING_STATUSES = (CaseStatus.SUBMITTED,)
RUNNING_STATUSES = (CaseStatus.ACCEPTED, CaseStatus.ACCEPTED_DEFICIENT, CaseStatus.IN_PROGRESS)


# ------------------------------------------------------------------------------------------- cursors


def _cursor(at: dt.datetime, pk: int) -> str:
    return f"{at.astimezone(dt.UTC).strftime('%Y%m%dT%H%M%S%f')}.{pk}"


def _parse_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        stamp, pk = cursor.split(".", 1)
        at = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%S%f").replace(tzinfo=dt.UTC)
        return at, int(pk)
    except (ValueError, TypeError):
        raise DomainError(
            ErrorDetail("invalid_cursor", "分页游标不正确", "Invalid cursor", "after")
        ) from None


def _limit(limit: int) -> int:
    return max(1, min(int(limit), MAX_PAGE))


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    next_cursor: str | None


# ------------------------------------------------------------------------------------- raw rows


@dataclass(frozen=True)
class RowShape:
    """Some columns of a model (in concrete-field order) and the converters the ORM applies to them, to read
    rows with hand-written SQL on hot paths and still get the model instances the ORM would build. Query
    compilation costs more than the query itself for the one-row reads of a submission."""

    model: type[Any]
    attnames: frozenset[str]
    columns: tuple[str, ...]  # "alias"."column"
    converters: tuple[tuple[int, tuple[Any, ...], Any], ...]  # (position, converters, column expression)

    @classmethod
    def of(
        cls, model: type[Any], alias: str, attnames: Iterable[str] | None = None, *, db: BaseDatabaseWrapper
    ) -> RowShape:
        """Built per database vendor (column quoting and converters differ)."""
        wanted = None if attnames is None else frozenset(attnames)
        fields = [f for f in model._meta.concrete_fields if wanted is None or f.attname in wanted]
        qn = db.ops.quote_name
        converters = []
        for n, f in enumerate(fields):
            col = f.get_col(alias)
            found = tuple(db.ops.get_db_converters(col) + f.get_db_converters(db))
            if found:
                converters.append((n, found, col))
        return cls(
            model,
            frozenset(f.attname for f in fields),
            tuple(f"{qn(alias)}.{qn(f.column)}" for f in fields),
            tuple(converters),
        )

    def build(self, values: Sequence[Any], db: BaseDatabaseWrapper) -> Any:
        """The model instance (columns not read are deferred) from the row's values."""
        values = list(values)
        for n, converters, col in self.converters:
            for convert in converters:
                values[n] = convert(values[n], col, db)
        return self.model.from_db(db.alias, self.attnames, values)


@functools.cache
def _pinned_fields() -> tuple[str, ...]:
    wanted = {"id", "bundle_id", "version", "status", "name", "lead_department_id"}
    return tuple(
        f.attname for f in BundleVersion._meta.concrete_fields if f.attname in wanted
    )  # from_db's order


class _NotFrozen(Exception):
    def __init__(self, values: tuple[Any, ...]) -> None:
        self.values = values


def bundle_version_pinned(version_id: int) -> BundleVersion:
    """The bundle version an application is pinned to, without its snapshot (computed() reads that from the
    per-process cache). A published or retired version never changes, so its row is read once per process;
    each call gets its own instance (callers may cache related objects on it)."""

    def load() -> tuple[Any, ...]:
        values = tuple(BundleVersion.objects.values_list(*_pinned_fields()).get(pk=version_id))
        if values[_pinned_fields().index("status")] not in FROZEN_STATUSES:
            raise _NotFrozen(values)  # a draft (only tests apply for one): read every time
        return values

    try:
        values = frozen_cached(version_id, "intake_pinned_version", load)
    except _NotFrozen as draft:
        values = draft.values
    return BundleVersion.from_db(connection.alias, _pinned_fields(), values)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------- visibility


def _lead_department_id(application: Application) -> int:
    if application.item_version_id is not None:
        if Application.item_version.is_cached(application):  # type: ignore[attr-defined]
            return application.item_version.implementing_department_id
        return ItemVersion.objects.values_list("implementing_department_id", flat=True).get(
            pk=application.item_version_id
        )
    if Application.bundle_version.is_cached(application):  # type: ignore[attr-defined]
        return application.bundle_version.lead_department_id
    return bundle_version_pinned(application.bundle_version_id).lead_department_id


def application_visible(*, actor: Any, application: Application, write: bool = False) -> bool:
    """Whether `actor` may see (or, with `write`, change) the application. Staff other than clerks may
    read an application of their departments but never type into it."""
    if isinstance(actor, ApiKey):
        return application.channel == Channel.API and scope_for(actor).allows_department(
            _lead_department_id(application)
        )
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if actor.pk in (application.applicant_id, application.entered_by_id):
        return True
    scope = scope_for(actor, Role.CLERK) if write else case_scope_for(actor)
    return scope.has_departments and scope.allows_department(_lead_department_id(application))


def application_for(*, actor: Any, application_id: int, write: bool = False) -> Application:
    """The application, if `actor` (a user or an API key) may see it (with `write`: change it); else
    NotFound."""
    application = (
        Application.objects.select_related("applicant", "entered_by", "bundle_version", "item_version")
        .defer("bundle_version__computed")  # read from the per-process cache of the frozen version
        .filter(pk=application_id)
        .first()
    )
    if application is None or not application_visible(actor=actor, application=application, write=write):
        raise not_found("申请", "Application", "application_id")
    return application


def case_visible_q(actor: Any) -> Q | None:
    """WHERE clause for the cases `actor` may see (None: none)."""
    if isinstance(actor, ApiKey):
        scope = scope_for(actor)
        if scope.everything:
            return Q(channel=Channel.API)
        dept = scope.q(department_field="lead_department")
        return None if dept is None else Q(channel=Channel.API) & dept
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    scope = case_scope_for(actor)
    if scope.everything:
        return Q()
    parts = Q(applicant_id=actor.pk) | Q(application__entered_by_id=actor.pk)
    dept = scope.q(department_field="lead_department")
    return parts | dept if dept is not None else parts


def case_for(*, actor: Any, case_id: int) -> Case:
    condition = case_visible_q(actor)
    case = None
    if condition is not None:
        case = (
            Case.objects.filter(condition, pk=case_id)
            .select_related("lead_department", "region", "application")
            .first()
        )
    if case is None:
        raise not_found("办件", "Case", "case_id")
    return case


# --------------------------------------------------------------------------------------- applicant lists


def my_applications(
    *, applicant: Any, status: str = ApplicationStatus.DRAFT, after: str | None = None, limit: int = 20
) -> Page:
    """The applicant's applications in `status` (drafts by default), most recently saved first."""
    n = _limit(limit)
    qs: QuerySet[Application] = (
        Application.objects.filter(applicant=applicant, status=status)
        .select_related("item_version", "bundle_version")
        .defer("form_data", "prefilled", "proxy_authorisation", "bundle_version__computed")
        .order_by("-updated_at", "-id")
    )
    if after:
        at, pk = _parse_cursor(after)
        qs = qs.filter(Q(updated_at__lt=at) | Q(updated_at=at, id__lt=pk))
    rows = list(qs[: n + 1])
    more = len(rows) > n
    rows = rows[:n]
    return Page(rows, _cursor(rows[-1].updated_at, rows[-1].pk) if more else None)


def my_cases(*, applicant: Any, after: str | None = None, limit: int = 20) -> Page:
    """The applicant's cases, newest submission first (index applicant, -submitted_at, -id)."""
    n = _limit(limit)
    qs = Case.objects.filter(applicant=applicant).order_by("-submitted_at", "-id")
    if after:
        at, pk = _parse_cursor(after)
        qs = qs.filter(Q(submitted_at__lt=at) | Q(submitted_at=at, id__lt=pk))
    rows = list(qs[: n + 1])
    more = len(rows) > n
    rows = rows[:n]
    return Page(rows, _cursor(rows[-1].submitted_at, rows[-1].pk) if more else None)


# ----------------------------------------------------------------------------------------- case detail


@dataclass(frozen=True)
class Deadline:
    kind: str  # "accept" (answer due) | "promised" (completion promised)
    label: str
    due_at: dt.datetime
    remaining_working_days: int  # 0 on the last day, negative when overdue
    provisional: bool


@dataclass(frozen=True)
class CaseDetail:
    case: Case
    events: list[CaseEvent]
    deadline: Deadline | None


def case_deadline(case: Case, now: dt.datetime | None = None) -> Deadline | None:
    """The deadline that matters now: the answer period while waiting, the promised date while running."""
    if case.status in WAITING_STATUSES:
        kind, label, due = "accept", "受理答复期限", case.accept_due_at
    elif case.status in RUNNING_STATUSES and case.promised_due_at is not None:
        kind, label, due = "promised", "承诺办结时间", case.promised_due_at
    else:
        return None
    result = calendar_current().remaining_working_days(now or clock.now(), due)
    provisional = result.provisional or (kind == "promised" and case.due_provisional)
    return Deadline(kind, label, due, result.value, provisional)


def case_detail(*, actor: Any, case_id: int) -> CaseDetail:
    case = case_for(actor=actor, case_id=case_id)
    events = list(case.events.order_by("at", "id"))
    return CaseDetail(case, events, case_deadline(case))


def application_checklist(*, actor: Any, application_id: int) -> list[ChecklistEntry]:
    return checklist_for(application=application_for(actor=actor, application_id=application_id))


# ------------------------------------------------------------------------------------------- downloads


def material_file_for(*, actor: Any, material_id: int) -> tuple[StoredFile, str]:
    """The stored file of one checklist entry and the name to download it as, if `actor` is entitled
    (the applicant, whoever typed the application, or staff entitled to its case); else NotFound."""
    row = ApplicationMaterial.objects.select_related("file").filter(pk=material_id).first()
    if row is None or row.file is None:
        raise not_found("材料文件", "Material file", "material_id")
    application_for(actor=actor, application_id=row.application_id)
    return row.file, row.file_name or row.file.sha256[:12]
