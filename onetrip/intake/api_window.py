"""Window workstation API (一窗受理), mounted by intake/api.py under /api/v1/intake/window.

Authentication: a browser session of a user with the clerk role (scope `window:write`), or an API key with
scope `window:write` for the queue (a ticket kiosk, a calling screen). Accepting, noticing, refusing and
looking people up need a clerk: a key alone gets 403 `clerk_required`. The documents (receipt, notice,
refusal) can be downloaded by whoever may see the case — its applicant or staff in scope.

Personal data: an ID number is sent in a POST body, never in a URL; answers show it masked, and every
look-up is written to the audit log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from pydantic import Field
from stdnum.cn import ric

from onetrip.core import clock
from onetrip.core.audit import audit_record
from onetrip.core.errors import DomainError, ErrorDetail, not_found
from onetrip.core.masking import mask_id_number, mask_phone
from onetrip.intake import documents, selectors
from onetrip.intake.checklist import checklist_for
from onetrip.intake.models import (
    Application,
    ApplicationStatus,
    Case,
    CaseStatus,
    Notice,
    QueueTicket,
    Refusal,
    TicketStatus,
)
from onetrip.intake.services import acceptance
from onetrip.intake.services import queue as queue_services
from onetrip.orgs.auth import ApiKeyAuth, ScopedSessionAuth, request_user
from onetrip.orgs.models import ServiceHall, User, Window
from onetrip.orgs.permissions import clerk_filter
from onetrip.workdays.core import SHANGHAI

router = Router(tags=["window"])
WINDOW_AUTH = [ApiKeyAuth(["window:write"]), ScopedSessionAuth(["window:write"])]
READ_AUTH = [ApiKeyAuth(["intake:read"]), ScopedSessionAuth()]
MAX_PAGE = 100
OPEN_CASE_STATUSES = (
    CaseStatus.SUBMITTED,
    CaseStatus.CORRECTION,
    CaseStatus.ACCEPTED,
    CaseStatus.ACCEPTED_DEFICIENT,
    CaseStatus.IN_PROGRESS,
)


# ------------------------------------------------------------------------------------------- schemas


class CaseOut(Schema):
    id: int
    number: str | None
    status: str
    status_label: str
    title: str
    applicant_name: str
    channel: str
    trips: int
    submission: int
    submitted_at: dt.datetime
    accept_due_at: dt.datetime
    accepted_at: dt.datetime | None
    deemed_accepted: bool
    promised_due_at: dt.datetime | None
    statutory_due_at: dt.datetime | None
    due_provisional: bool
    result_held: bool
    row_version: int


def case_out(case: Case) -> dict[str, Any]:
    return {
        "id": case.pk,
        "number": case.number,
        "status": case.status,
        "status_label": case.get_status_display(),
        "title": case.title,
        "applicant_name": case.applicant_name,
        "channel": case.channel,
        "trips": case.trips,
        "submission": case.submission,
        "submitted_at": case.submitted_at,
        "accept_due_at": case.accept_due_at,
        "accepted_at": case.accepted_at,
        "deemed_accepted": case.deemed_accepted,
        "promised_due_at": case.promised_due_at,
        "statutory_due_at": case.statutory_due_at,
        "due_provisional": case.due_provisional,
        "result_held": case.result_held,
        "row_version": case.row_version,
    }


class CasePage(Schema):
    rows: list[CaseOut]
    next_cursor: str | None


class MaterialOut(Schema):
    key: str
    name: str
    necessity: str
    deficiency_allowed: bool
    state: str
    state_label: str
    asked: bool


class CaseDetailOut(Schema):
    case: CaseOut
    materials: list[MaterialOut]
    notice_submissions: list[int]


class WindowActionIn(Schema):
    window_id: int | None = Field(None, description="受理窗口")
    applicant_present: bool = Field(False, description="申请人在窗口现场（计一次跑动，见服务说明）")
    row_version: int | None = Field(None, description="页面加载时的办件版本；不一致时返回 409")


class CommitmentIn(Schema):
    material_key: str
    due_date: dt.date


class DeficiencyIn(WindowActionIn):
    commitments: list[CommitmentIn]


class ProblemIn(Schema):
    material_key: str | None = None
    field: str | None = None
    problem: str


class NoticeIn(WindowActionIn):
    # The problems the system knows (missing materials, empty or invalid fields) are added whatever is sent.
    problems: list[ProblemIn] = []


class RefuseIn(WindowActionIn):
    reasons: str
    legal_basis: str


class NoticeOut(Schema):
    id: int
    submission: int
    problems: list[dict[str, Any]]
    issued_at: dt.datetime
    case: CaseOut


class RefusalOut(Schema):
    reasons: str
    legal_basis: str
    issued_at: dt.datetime
    case: CaseOut


class LookupIn(Schema):
    id_number: str = Field(description="身份证号（只在请求体中传送）")


class DraftOut(Schema):
    id: int
    channel: str
    updated_at: dt.datetime


class LookupOut(Schema):
    found: bool
    user_id: int | None = None
    name: str = ""
    id_number_masked: str
    phone_masked: str = ""
    drafts: list[DraftOut] = []
    cases: list[CaseOut] = []


class TicketTakeIn(Schema):
    hall_id: int
    category: str
    booked_for: dt.datetime | None = None


class TicketOut(Schema):
    id: int
    number: str
    category: str
    status: str
    status_label: str
    day: dt.date
    booked_for: dt.datetime | None
    taken_at: dt.datetime
    called_at: dt.datetime | None
    window: str | None
    waiting_seconds: int | None


def ticket_out(t: QueueTicket) -> dict[str, Any]:
    return {
        "id": t.pk,
        "number": t.number,
        "category": t.category,
        "status": t.status,
        "status_label": t.get_status_display(),
        "day": t.day,
        "booked_for": t.booked_for,
        "taken_at": t.taken_at,
        "called_at": t.called_at,
        "window": t.window.number if t.window_id and t.window else None,
        "waiting_seconds": t.waiting_seconds,
    }


class CallNextIn(Schema):
    window_id: int


class CallNextOut(Schema):
    ticket: TicketOut | None


class TransferIn(Schema):
    to_window_id: int


class FinishIn(Schema):
    case_id: int | None = None


# ------------------------------------------------------------------------------------------- helpers


def _clerk(request: HttpRequest) -> User:
    user = request_user(request)
    acceptance.clerk_scope(user)  # 403 clerk_required unless a clerk is signed in
    assert user is not None
    return user


def _window(window_id: int | None) -> Window | None:
    if window_id is None:
        return None
    window = Window.objects.select_related("hall__region").filter(pk=window_id).first()
    if window is None:
        raise not_found("窗口", "Window", "window_id")
    return window


def _case(request: HttpRequest, case_id: int, row_version: int | None = None) -> Case:
    case = selectors.case_for(actor=request.auth, case_id=case_id)
    if row_version is not None:
        case.row_version = row_version  # the service compares it with the locked row
    return case


def _ticket(ticket_id: int) -> QueueTicket:
    ticket = QueueTicket.objects.select_related("window__hall__region").filter(pk=ticket_id).first()
    if ticket is None:
        raise not_found("排队号", "Ticket", "ticket_id")
    return ticket


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    # The name is ASCII (case id / number); Chinese titles stay in the document itself.
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


# -------------------------------------------------------------------------------------------- people


@router.post("/applicants/lookup", auth=WINDOW_AUTH, response=LookupOut, summary="按身份证号查找申请人")
def applicant_lookup(request: HttpRequest, body: LookupIn) -> dict[str, Any]:
    clerk = _clerk(request)
    number = (body.id_number or "").strip().upper()
    if not ric.is_valid(number):
        raise DomainError(
            ErrorDetail("invalid_id_number", "身份证号不正确", "Invalid ID number", "id_number")
        )
    person = User.objects.filter(id_number=number).first()
    if person is None:
        return {"found": False, "id_number_masked": mask_id_number(number)}
    audit_record(
        actor=clerk, action="applicant.lookup", object_type="orgs.user", object_id=person.pk, data={}
    )
    condition = selectors.case_visible_q(clerk)
    cases: list[Case] = []
    if condition is not None:
        cases = list(
            Case.objects.filter(condition, applicant=person, status__in=OPEN_CASE_STATUSES).order_by(
                "-submitted_at", "-id"
            )[:20]
        )
    drafts = [
        a
        for a in Application.objects.filter(applicant=person, status=ApplicationStatus.DRAFT)
        .select_related("bundle_version")
        .order_by("-updated_at")[:20]
        if selectors.application_visible(actor=clerk, application=a)
    ]
    return {
        "found": True,
        "user_id": person.pk,
        "name": person.display_name or person.organisation_name,
        "id_number_masked": mask_id_number(person.id_number),
        "phone_masked": mask_phone(person.phone),
        "drafts": [{"id": a.pk, "channel": a.channel, "updated_at": a.updated_at} for a in drafts],
        "cases": [case_out(c) for c in cases],
    }


# --------------------------------------------------------------------------------------------- cases


@router.get("/cases", auth=WINDOW_AUTH, response=CasePage, summary="待受理办件（按提交先后）")
def case_queue(request: HttpRequest, after: str | None = None, limit: int = 20) -> dict[str, Any]:
    """Submitted cases the clerk's hall accepts for, oldest first (closest to the 5-working-day answer limit)."""
    clerk = _clerk(request)
    limit = max(1, min(limit, MAX_PAGE))
    # What the clerk's hall can accept (its stationed departments), filtered in SQL (orgs.permissions).
    qs = clerk_filter(
        Case.objects.filter(status=CaseStatus.SUBMITTED), clerk, department_field="lead_department"
    ).order_by("submitted_at", "id")
    if after:
        try:
            stamp, pk = after.split(".", 1)
            at = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%S%f").replace(tzinfo=dt.UTC)
            after_pk = int(pk)
        except ValueError:
            raise DomainError(
                ErrorDetail("invalid_cursor", "分页游标不正确", "Invalid cursor", "after")
            ) from None
        qs = qs.filter(Q(submitted_at__gt=at) | Q(submitted_at=at, pk__gt=after_pk))
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = None
    if more and rows:
        last = rows[-1]
        cursor = f"{last.submitted_at.astimezone(dt.UTC).strftime('%Y%m%dT%H%M%S%f')}.{last.pk}"
    return {"rows": [case_out(c) for c in rows], "next_cursor": cursor}


@router.get("/cases/{case_id}", auth=WINDOW_AUTH, response=CaseDetailOut, summary="办件与材料清单")
def case_detail(request: HttpRequest, case_id: int) -> dict[str, Any]:
    _clerk(request)
    case = _case(request, case_id)
    return {
        "case": case_out(case),
        "materials": [
            {
                "key": e.key,
                "name": e.name,
                "necessity": e.requirement.necessity,
                "deficiency_allowed": e.requirement.deficiency_allowed,
                "state": e.state,
                "state_label": e.as_dict()["state_label"],
                "asked": e.asked,
            }
            for e in checklist_for(application=case.application)
        ],
        "notice_submissions": list(
            Notice.objects.filter(case=case).order_by("submission").values_list("submission", flat=True)
        ),
    }


@router.post("/cases/{case_id}/accept", auth=WINDOW_AUTH, response=CaseOut, summary="受理")
def case_accept(request: HttpRequest, case_id: int, body: WindowActionIn) -> dict[str, Any]:
    clerk = _clerk(request)
    case = acceptance.case_accept(
        case=_case(request, case_id, body.row_version),
        clerk=clerk,
        window=_window(body.window_id),
        applicant_present=body.applicant_present,
    )
    return case_out(case)


@router.post(
    "/cases/{case_id}/accept-with-deficiency", auth=WINDOW_AUTH, response=CaseOut, summary="容缺受理"
)
def case_accept_with_deficiency(request: HttpRequest, case_id: int, body: DeficiencyIn) -> dict[str, Any]:
    clerk = _clerk(request)
    case = acceptance.case_accept_with_deficiency(
        case=_case(request, case_id, body.row_version),
        clerk=clerk,
        commitments=[c.dict() for c in body.commitments],
        window=_window(body.window_id),
        applicant_present=body.applicant_present,
    )
    return case_out(case)


@router.post("/cases/{case_id}/notice", auth=WINDOW_AUTH, response=NoticeOut, summary="一次性告知")
def case_notice(request: HttpRequest, case_id: int, body: NoticeIn) -> dict[str, Any]:
    clerk = _clerk(request)
    notice = acceptance.case_notice(
        case=_case(request, case_id, body.row_version),
        clerk=clerk,
        problems=[p.dict() for p in body.problems],
        window=_window(body.window_id),
        applicant_present=body.applicant_present,
    )
    case = Case.objects.get(pk=case_id)
    return {
        "id": notice.pk,
        "submission": notice.submission,
        "problems": notice.problems,
        "issued_at": notice.issued_at,
        "case": case_out(case),
    }


@router.post("/cases/{case_id}/refuse", auth=WINDOW_AUTH, response=RefusalOut, summary="不予受理")
def case_refuse(request: HttpRequest, case_id: int, body: RefuseIn) -> dict[str, Any]:
    clerk = _clerk(request)
    refusal = acceptance.case_refuse(
        case=_case(request, case_id, body.row_version),
        clerk=clerk,
        reasons=body.reasons,
        legal_basis=body.legal_basis,
        window=_window(body.window_id),
        applicant_present=body.applicant_present,
    )
    case = Case.objects.get(pk=case_id)
    return {
        "reasons": refusal.reasons,
        "legal_basis": refusal.legal_basis,
        "issued_at": refusal.issued_at,
        "case": case_out(case),
    }


# ----------------------------------------------------------------------------------------- documents


@router.get("/cases/{case_id}/receipt.pdf", auth=READ_AUTH, summary="受理回执（PDF）")
def receipt_pdf(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id)
    if not case.number:
        raise not_found("受理回执", "Receipt", "case_id")
    return _pdf(documents.receipt_pdf(case), f"receipt-{case.number}.pdf")


@router.get("/cases/{case_id}/notices/{submission}.pdf", auth=READ_AUTH, summary="一次性告知书（PDF）")
def notice_pdf(request: HttpRequest, case_id: int, submission: int) -> HttpResponse:
    case = _case(request, case_id)
    notice = Notice.objects.filter(case=case, submission=submission).select_related("case").first()
    if notice is None:
        raise not_found("一次性告知书", "Notice", "submission")
    return _pdf(documents.notice_pdf(notice), f"notice-{case.pk}-{submission}.pdf")


@router.get("/cases/{case_id}/refusal.pdf", auth=READ_AUTH, summary="不予受理决定书（PDF）")
def refusal_pdf(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id)
    refusal = Refusal.objects.filter(case=case).select_related("case").first()
    if refusal is None:
        raise not_found("不予受理决定书", "Refusal", "case_id")
    return _pdf(documents.refusal_pdf(refusal), f"refusal-{case.pk}.pdf")


# --------------------------------------------------------------------------------------------- queue


@router.post("/queue/tickets", auth=WINDOW_AUTH, response={201: TicketOut}, summary="取号 / 预约")
def ticket_take(request: HttpRequest, body: TicketTakeIn) -> Status:
    hall = ServiceHall.objects.filter(pk=body.hall_id).first()
    if hall is None:
        raise not_found("办事大厅", "Hall", "hall_id")
    ticket = queue_services.ticket_take(hall=hall, category=body.category, booked_for=body.booked_for)
    return Status(201, ticket_out(ticket))


@router.get("/queue/waiting", auth=WINDOW_AUTH, response=list[TicketOut], summary="等候中的号")
def queue_waiting(request: HttpRequest, hall_id: int, category: str) -> list[dict[str, Any]]:
    today = clock.now().astimezone(SHANGHAI).date()
    rows = QueueTicket.objects.filter(
        hall_id=hall_id, category=category, day=today, status=TicketStatus.WAITING
    ).order_by("taken_at", "sequence")[:200]
    return [ticket_out(t) for t in rows]


@router.post("/queue/tickets/{ticket_id}/check-in", auth=WINDOW_AUTH, response=TicketOut, summary="预约签到")
def ticket_check_in(request: HttpRequest, ticket_id: int) -> dict[str, Any]:
    return ticket_out(queue_services.ticket_check_in(ticket=_ticket(ticket_id)))


@router.post("/queue/call-next", auth=WINDOW_AUTH, response=CallNextOut, summary="叫号")
def ticket_call_next(request: HttpRequest, body: CallNextIn) -> dict[str, Any]:
    clerk = _clerk(request)
    window = _window(body.window_id)
    assert window is not None
    ticket = queue_services.ticket_call_next(window=window, clerk=clerk)
    return {"ticket": ticket_out(ticket) if ticket else None}


@router.post("/queue/tickets/{ticket_id}/skip", auth=WINDOW_AUTH, response=TicketOut, summary="过号")
def ticket_skip(request: HttpRequest, ticket_id: int) -> dict[str, Any]:
    return ticket_out(queue_services.ticket_skip(ticket=_ticket(ticket_id), clerk=_clerk(request)))


@router.post("/queue/tickets/{ticket_id}/serve", auth=WINDOW_AUTH, response=TicketOut, summary="开始办理")
def ticket_serve(request: HttpRequest, ticket_id: int) -> dict[str, Any]:
    return ticket_out(queue_services.ticket_serve(ticket=_ticket(ticket_id), clerk=_clerk(request)))


@router.post("/queue/tickets/{ticket_id}/transfer", auth=WINDOW_AUTH, response=TicketOut, summary="转窗")
def ticket_transfer(request: HttpRequest, ticket_id: int, body: TransferIn) -> dict[str, Any]:
    to_window = _window(body.to_window_id)
    assert to_window is not None
    ticket = queue_services.ticket_transfer(
        ticket=_ticket(ticket_id), to_window=to_window, clerk=_clerk(request)
    )
    return ticket_out(ticket)


@router.post("/queue/tickets/{ticket_id}/finish", auth=WINDOW_AUTH, response=TicketOut, summary="办结离开")
def ticket_finish(request: HttpRequest, ticket_id: int, body: FinishIn) -> dict[str, Any]:
    clerk = _clerk(request)
    case = _case(request, body.case_id) if body.case_id is not None else None
    return ticket_out(queue_services.ticket_finish(ticket=_ticket(ticket_id), clerk=clerk, case=case))
