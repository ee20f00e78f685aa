"""Data-sharing API, mounted at /api/v1/sharing.

- GET  /sharing/sources              the source registry with the elements each provides
- GET  /sharing/catalogue            the catalogue tree: item → material → data element → source (keyset pages)
- GET  /sharing/catalogue.xlsx       the whole tree and the bundles' coverage as a workbook
- GET  /sharing/coverage             each published bundle's data-sharing coverage
- POST /sharing/prefill              read a form's data elements for a case, task or application the reader
                                     works on, of one of its parties (logged)
- GET  /sharing/access-log/mine      who read my data and why (the signed-in person's own log)
- GET  /sharing/daily                daily calls and exchanged elements per source (supervision)
- POST /sharing/licences/verify      is an e-licence genuine and in force?

Personal data (ID numbers) travels only in POST bodies, never in URLs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from onetrip.core.errors import DomainError, ErrorDetail, forbidden, not_found
from onetrip.core.masking import mask_id_number
from onetrip.orgs.auth import ScopedSessionAuth, request_user, session_or_key
from onetrip.orgs.models import Role
from onetrip.orgs.permissions import STAFF_ROLES, roles_of
from onetrip.sharing import selectors, services
from onetrip.sharing.excel import catalogue_tree_workbook

router = Router(tags=["sharing"])
READ = session_or_key(["catalog:read"])
SESSION = ScopedSessionAuth()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PrefillIn(Schema):
    subject_id_number: str | None = None
    subject_uscc: str | None = None
    element_codes: list[str] = Field(..., max_length=500)
    purpose: str = Field(..., description="prefill / acceptance / approval / licence_check / supervision")
    case_id: int | None = Field(None, ge=1, le=2**63 - 1)
    application_id: int | None = Field(None, ge=1, le=2**63 - 1)
    task_id: int | None = Field(None, ge=1, le=2**63 - 1, description="审批任务 ID")


class VerifyIn(Schema):
    licence_type: str
    number: str
    holder: str | None = None


class TreeQuery(Schema):
    after: str | None = None
    limit: int = 50
    q: str = ""


class DailyQuery(Schema):
    since: dt.date
    until: dt.date
    source: str | None = None


@router.get("/sources", auth=READ)
def sources(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "code": s.code,
            "name": s.name,
            "department": s.department.name,
            "kind": s.kind,
            "sensitivity": s.sensitivity,
            "subject_kind": s.subject_kind,
            "is_active": s.is_active,
            "elements": [
                {
                    "element": e.element.code,
                    "field": e.field,
                    "rank": e.authority_rank,
                    "authoritative": e.authoritative,
                }
                for e in s.elements.all()
            ],
        }
        for s in selectors.sources_list()
    ]


@router.get("/catalogue", auth=READ)
def catalogue(request: HttpRequest, filters: Query[TreeQuery]) -> dict[str, Any]:
    from dataclasses import asdict

    page = selectors.catalogue_tree(after=filters.after, limit=filters.limit, query=filters.q)
    return {"items": [asdict(i) for i in page.items], "next_after": page.next_after}


@router.get("/catalogue.xlsx", auth=READ)
def catalogue_xlsx(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(catalogue_tree_workbook(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="catalogue-tree.xlsx"'
    return response


@router.get("/coverage", auth=READ)
def coverage(request: HttpRequest) -> list[dict[str, Any]]:
    return [c.as_dict() for c in selectors.bundles_coverage()]


def _bound_objects(payload: PrefillIn) -> tuple[Any, Any, Any]:
    """The case, application and task named (each must exist; the service checks the reader may use them)."""
    from onetrip.flow.models import TaskRecord
    from onetrip.intake.models import Application, Case

    case = application = task = None
    if payload.task_id is not None:
        task = TaskRecord.objects.select_related("case").filter(pk=payload.task_id).first()
        if task is None:
            raise not_found("任务", "Task", "task_id")
    if payload.case_id is not None:
        case = Case.objects.filter(pk=payload.case_id).first()
        if case is None:
            raise not_found("办件", "Case", "case_id")
    if payload.application_id is not None:
        application = Application.objects.filter(pk=payload.application_id).first()
        if application is None:
            raise not_found("申请", "Application", "application_id")
    return case, application, task


@router.post("/prefill", auth=SESSION)
def prefill(request: HttpRequest, payload: PrefillIn) -> dict[str, Any]:
    user = request_user(request)
    case, application, task = _bound_objects(payload)
    result = services.prefill(
        subject_id_number=payload.subject_id_number,
        subject_uscc=payload.subject_uscc,
        element_codes=payload.element_codes,
        purpose=payload.purpose,
        actor=user,
        case=case,
        application=application,
        task=task,
    )
    return result.as_dict()


def _entry(e: Any) -> dict[str, Any]:
    return {
        "id": e.pk,
        "at": e.at.isoformat(),
        "reader": e.actor_label,
        "reader_department": e.actor_department.name if e.actor_department else "",
        "source": e.source.name,
        "source_department": e.source.department.name,
        "elements": e.elements,
        "case": e.case.number if e.case_id and e.case else "",
        "purpose": e.get_purpose_display(),
        "outcome": e.get_outcome_display(),
    }


@router.get("/access-log/mine", auth=SESSION)
def my_access_log(request: HttpRequest, before: int | None = None, limit: int = 50) -> dict[str, Any]:
    user = request_user(request)
    key = (user.id_number or user.organisation_code) if user else ""
    if not key:
        raise DomainError(
            ErrorDetail("no_identity", "账户未登记身份证号或统一社会信用代码", "No ID number on the account")
        )
    page = selectors.access_log_for_subject(key, before=before, limit=limit)
    return {
        "subject": mask_id_number(key),
        "entries": [_entry(e) for e in page.entries],
        "next_before": page.next_before,
    }


@router.get("/daily", auth=SESSION)
def daily(request: HttpRequest, filters: Query[DailyQuery]) -> dict[str, Any]:
    user = request_user(request)
    if not roles_of(user) & {Role.SUPERVISOR, Role.SYSTEM_ADMIN}:
        raise forbidden()
    if filters.until < filters.since or (filters.until - filters.since).days > 366:
        raise DomainError(
            ErrorDetail("invalid_range", "日期范围无效（最长一年）", "Invalid date range", "until")
        )
    return {
        "rows": selectors.daily_counts(since=filters.since, until=filters.until, source_code=filters.source),
        "totals": selectors.daily_totals(since=filters.since, until=filters.until),
    }


@router.post("/licences/verify", auth=SESSION)
def licence_verify(request: HttpRequest, payload: VerifyIn) -> dict[str, Any]:
    user = request_user(request)
    if payload.holder is None and not roles_of(user) & STAFF_ROLES:
        raise DomainError(
            ErrorDetail("holder_required", "请提供持证主体证件号", "Holder is required", "holder")
        )
    check = services.licence_verify(
        licence_type_code=payload.licence_type, number=payload.number, holder=payload.holder
    )
    out: dict[str, Any] = {"valid": check.valid, "reason": check.reason}
    if check.licence is not None:
        lic = check.licence
        out.update(
            licence_type=lic.licence_type.name,
            number=lic.number,
            holder_name=lic.holder_name,
            issuer=lic.issuer.name,
            valid_from=lic.valid_from.isoformat(),
            valid_to=lic.valid_to.isoformat() if lic.valid_to else None,
            status=lic.status,
        )
    return out
