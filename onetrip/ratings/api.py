"""好差评 API, mounted at /api/v1/ratings.

- POST /ratings/                              rate a completed case (case_number) or a served visit (ticket_id)
- POST /ratings/{id}/follow-up                the one follow-up after a rectification
- GET  /ratings/                              ratings in scope (mine, bad, department, status; keyset `before`)
- GET  /ratings/{id}                          one rating
- POST /ratings/{id}/appeal                   the department appeals a bad rating
- GET  /ratings/rectifications                rectifications in scope (status open/closed/…, overdue)
- GET  /ratings/rectifications/{id}
- POST /ratings/rectifications/{id}/callback  the call-back note
- POST /ratings/rectifications/{id}/close     the rectification note (closes it)
- GET  /ratings/appeals                       appeals in scope
- GET  /ratings/appeals/{id}
- POST /ratings/appeals/{id}/decide           a supervisor upholds (the rating is voided) or rejects
- GET  /ratings/policy?region=<code>          the limits that apply to a region
- PUT  /ratings/policy                        set a region's limits

Writes need a signed-in session; reads take a session or an API key (`ratings:read`), filtered to its scope.
Comments are masked (ID and phone numbers) in every answer.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from onetrip.core.errors import DomainError, forbidden, not_found
from onetrip.core.masking import mask_text
from onetrip.orgs.auth import ScopedSessionAuth, request_user, session_or_key
from onetrip.orgs.models import Department, Region, User
from onetrip.ratings import selectors, services
from onetrip.ratings.models import Rating, RatingAppeal, Rectification

router = Router(tags=["好差评"])
READ = session_or_key(["ratings:read"])
SESSION = ScopedSessionAuth()


class RateIn(Schema):
    case_number: str | None = Field(None, description="办件编号（评价办件）")
    ticket_id: int | None = Field(None, description="排队号 id（评价现场办事）")
    level: int = Field(..., description="5 非常满意 4 满意 3 基本满意 2 不满意 1 非常不满意")
    comment: str = ""


class FollowUpIn(Schema):
    level: int
    comment: str = ""


class NoteIn(Schema):
    note: str


class AppealIn(Schema):
    reason: str = Field(..., description="mistaken 误评 / malicious 恶意差评")
    reasons: str


class DecideIn(Schema):
    uphold: bool
    note: str


class PolicyIn(Schema):
    region: str = Field(..., description="12 位区划代码")
    callback_days: int
    rectify_days: int
    service_centre_id: int | None = None


class ListQuery(Schema):
    before: int | None = None
    limit: int = 50
    mine: bool = False
    bad: bool = False
    department_id: int | None = None
    status: str | None = None


class RectificationQuery(Schema):
    before: int | None = None
    limit: int = 50
    status: str | None = Field(None, description="open / callback / rectifying / closed / voided")
    overdue: bool | None = None


class AppealQuery(Schema):
    before: int | None = None
    limit: int = 50
    status: str | None = None


def _user(request: HttpRequest) -> User:
    user = request_user(request)
    if user is None:
        raise forbidden()
    return user


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def rating_out(r: Rating) -> dict[str, Any]:
    return {
        "id": r.pk,
        "case_number": r.case.number if r.case_id else None,  # type: ignore[union-attr]
        "ticket_id": r.ticket_id,
        "onsite": r.onsite,
        "department_id": r.department_id,
        "department": str(r.department),
        "level": r.level,
        "level_label": r.get_level_display(),
        "bad": r.is_bad,
        "comment": mask_text(r.comment),
        "kind": r.kind,
        "previous_id": r.previous_id,
        "status": r.status,
        "created_at": r.created_at.isoformat(),
        "voided_at": _iso(r.voided_at),
    }


def rectification_out(x: Rectification) -> dict[str, Any]:
    return {
        "id": x.pk,
        "rating": rating_out(x.rating),
        "department_id": x.department_id,
        "department": str(x.department),
        "status": x.status,
        "opened_at": x.opened_at.isoformat(),
        "callback_days": x.callback_days,
        "rectify_days": x.rectify_days,
        "callback_due_at": x.callback_due_at.isoformat(),
        "rectify_due_at": x.rectify_due_at.isoformat(),
        "due_provisional": x.due_provisional,
        "called_back_at": _iso(x.called_back_at),
        "callback_note": x.callback_note,
        "closed_at": _iso(x.closed_at),
        "rectify_note": x.rectify_note,
        "callback_overdue": x.callback_overdue,
        "rectify_overdue": x.rectify_overdue,
    }


def appeal_out(a: RatingAppeal) -> dict[str, Any]:
    return {
        "id": a.pk,
        "rating": rating_out(a.rating),
        "department_id": a.department_id,
        "reason": a.reason,
        "reasons": a.reasons,
        "status": a.status,
        "filed_at": a.filed_at.isoformat(),
        "decided_at": _iso(a.decided_at),
        "decision_note": a.decision_note,
    }


@router.post("/", auth=SESSION, response={201: dict})
def rate(request: HttpRequest, payload: RateIn) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    if (payload.case_number is None) == (payload.ticket_id is None):
        raise DomainError.single(
            "subject_required",
            "请指定评价的办件编号或排队号（二选一）",
            "Give either case_number or ticket_id",
            "case_number",
        )
    if payload.case_number is not None:
        case = selectors.case_by_number(payload.case_number)
        rating = services.case_rate(case=case, rater=user, level=payload.level, comment=payload.comment)
    else:
        ticket = selectors.ticket_by_id(payload.ticket_id)  # type: ignore[arg-type]
        rating = services.visit_rate(ticket=ticket, rater=user, level=payload.level, comment=payload.comment)
    return 201, rating_out(rating)


@router.get("/", auth=READ)
def ratings(request: HttpRequest, filters: Query[ListQuery]) -> dict[str, Any]:
    page = selectors.ratings_page(
        user=request.auth,
        before=filters.before,
        limit=filters.limit,
        bad_only=filters.bad,
        department_id=filters.department_id,
        status=filters.status,
        mine=filters.mine,
    )
    return {"items": [rating_out(r) for r in page.rows], "next_before": page.next_before}


@router.get("/rectifications", auth=READ)
def rectifications(request: HttpRequest, filters: Query[RectificationQuery]) -> dict[str, Any]:
    page = selectors.rectifications_page(
        user=request.auth,
        before=filters.before,
        limit=filters.limit,
        status=filters.status,
        overdue=filters.overdue,
    )
    return {"items": [rectification_out(x) for x in page.rows], "next_before": page.next_before}


@router.get("/rectifications/{rectification_id}", auth=READ)
def rectification(request: HttpRequest, rectification_id: int) -> dict[str, Any]:
    return rectification_out(
        selectors.rectification_get(user=request.auth, rectification_id=rectification_id)
    )


@router.post("/rectifications/{rectification_id}/callback", auth=SESSION)
def rectification_callback(request: HttpRequest, rectification_id: int, payload: NoteIn) -> dict[str, Any]:
    user = _user(request)
    row = selectors.rectification_get(user=user, rectification_id=rectification_id)
    row = services.rectification_callback(rectification=row, actor=user, note=payload.note)
    return rectification_out(selectors.rectification_get(user=user, rectification_id=row.pk))


@router.post("/rectifications/{rectification_id}/close", auth=SESSION)
def rectification_close(request: HttpRequest, rectification_id: int, payload: NoteIn) -> dict[str, Any]:
    user = _user(request)
    row = selectors.rectification_get(user=user, rectification_id=rectification_id)
    row = services.rectification_close(rectification=row, actor=user, note=payload.note)
    return rectification_out(selectors.rectification_get(user=user, rectification_id=row.pk))


@router.get("/appeals", auth=READ)
def appeals(request: HttpRequest, filters: Query[AppealQuery]) -> dict[str, Any]:
    page = selectors.appeals_page(
        user=request.auth, before=filters.before, limit=filters.limit, status=filters.status
    )
    return {"items": [appeal_out(a) for a in page.rows], "next_before": page.next_before}


@router.get("/appeals/{appeal_id}", auth=READ)
def appeal(request: HttpRequest, appeal_id: int) -> dict[str, Any]:
    return appeal_out(selectors.appeal_get(user=request.auth, appeal_id=appeal_id))


@router.post("/appeals/{appeal_id}/decide", auth=SESSION)
def appeal_decide(request: HttpRequest, appeal_id: int, payload: DecideIn) -> dict[str, Any]:
    user = _user(request)
    row = selectors.appeal_get(user=user, appeal_id=appeal_id)
    services.appeal_decide(appeal=row, actor=user, uphold=payload.uphold, note=payload.note)
    return appeal_out(selectors.appeal_get(user=user, appeal_id=appeal_id))


@router.get("/policy", auth=READ)
def policy(request: HttpRequest, region: str) -> dict[str, Any]:
    found = Region.objects.filter(code=region).first()
    if found is None:
        raise not_found("区划", "Region", "region")
    p = selectors.policy_for(found)
    return {
        "region": region,
        "callback_days": p.callback_days,
        "rectify_days": p.rectify_days,
        "service_centre_id": p.service_centre_id,
        "defined_at_region_id": p.region_id,
    }


@router.put("/policy", auth=SESSION)
def policy_set(request: HttpRequest, payload: PolicyIn) -> dict[str, Any]:
    user = _user(request)
    region = Region.objects.filter(code=payload.region).first()
    if region is None:
        raise not_found("区划", "Region", "region")
    centre = None
    if payload.service_centre_id is not None:
        centre = Department.objects.select_related("region").filter(pk=payload.service_centre_id).first()
        if centre is None:
            raise not_found("部门", "Department", "service_centre_id")
    row = services.rating_policy_set(
        region=region,
        callback_days=payload.callback_days,
        rectify_days=payload.rectify_days,
        service_centre=centre,
        actor=user,
    )
    return {
        "region": region.code,
        "callback_days": row.callback_days,
        "rectify_days": row.rectify_days,
        "service_centre_id": row.service_centre_id,
    }


@router.get("/{rating_id}", auth=READ)
def rating(request: HttpRequest, rating_id: int) -> dict[str, Any]:
    return rating_out(selectors.rating_get(user=request.auth, rating_id=rating_id))


@router.post("/{rating_id}/follow-up", auth=SESSION, response={201: dict})
def follow_up(request: HttpRequest, rating_id: int, payload: FollowUpIn) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    row = selectors.rating_get(user=user, rating_id=rating_id)
    follow = services.rating_follow_up(rating=row, rater=user, level=payload.level, comment=payload.comment)
    return 201, rating_out(follow)


@router.post("/{rating_id}/appeal", auth=SESSION, response={201: dict})
def appeal_file(request: HttpRequest, rating_id: int, payload: AppealIn) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    row = selectors.rating_get(user=user, rating_id=rating_id)
    created = services.rating_appeal(rating=row, actor=user, reason=payload.reason, reasons=payload.reasons)
    return 201, appeal_out(selectors.appeal_get(user=user, appeal_id=created.pk))
