"""督办与代表监督 API, mounted at /api/v1/orders.

- POST /orders/                               issue an order (target case / department / item)
- GET  /orders/                               orders in scope (status: open / issued / responded / …; overdue)
- GET  /orders/{id}
- POST /orders/{id}/respond                   the department's response
- POST /orders/{id}/send-back                 the supervisor sends the response back (optionally a new date)
- POST /orders/{id}/close                     the supervisor closes the order
- GET  /orders/pairings                       deputies' pairings in scope (a deputy: their own)
- POST /orders/pairings                       pair a deputy with an item
- POST /orders/pairings/{id}/end              end a pairing
- GET  /orders/suggestions                    deputies' suggestions in scope
- POST /orders/suggestions                    a deputy submits a suggestion on a paired item
- GET  /orders/suggestions/{id}
- POST /orders/suggestions/{id}/plan          the department's rectification plan
- POST /orders/suggestions/{id}/send-back     the supervisor asks for a better plan (7 new working days)
- POST /orders/suggestions/{id}/close         the deputy (after the plan) or the supervisor closes it

Writes need a signed-in session; reads take a session or an API key (`orders:read`), filtered to its scope.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from onetrip.catalog.models import Item
from onetrip.core.errors import forbidden, not_found
from onetrip.orders import selectors, services
from onetrip.orders.models import DeputyPairing, DeputySuggestion, SupervisionOrder
from onetrip.orgs.auth import ScopedSessionAuth, request_user, session_or_key
from onetrip.orgs.models import User

router = Router(tags=["督办与代表监督"])
READ = session_or_key(["orders:read"])
SESSION = ScopedSessionAuth()


class OrderIn(Schema):
    target: str = Field(..., description="case 办件 / department 部门 / item 事项")
    title: str
    content: str
    due_date: dt.date | None = Field(None, description="办理期限（工作日，晚于今天）")
    working_days: int | None = Field(None, description="或：自今日起的工作日数")
    case_number: str | None = None
    department_id: int | None = Field(None, description="部门督办必填；办件督办可选承办部门")
    item_id: int | None = None


class TextIn(Schema):
    text: str


class SendBackIn(Schema):
    note: str
    due_date: dt.date | None = None


class CloseIn(Schema):
    note: str = ""


class PairingIn(Schema):
    deputy_id: int
    item_id: int


class SuggestionIn(Schema):
    item_id: int
    activity: str = Field(..., description="daily / unannounced / visit / inspection / review")
    activity_date: dt.date
    content: str


class OrderQuery(Schema):
    before: int | None = None
    limit: int = 50
    status: str | None = None
    overdue: bool | None = None
    department_id: int | None = None


class PairingQuery(Schema):
    before: int | None = None
    limit: int = 50
    active: bool | None = True


class SuggestionQuery(Schema):
    before: int | None = None
    limit: int = 50
    status: str | None = None
    overdue: bool | None = None


def _user(request: HttpRequest) -> User:
    user = request_user(request)
    if user is None:
        raise forbidden()
    return user


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def order_out(o: SupervisionOrder) -> dict[str, Any]:
    return {
        "id": o.pk,
        "target": o.target,
        "case_number": o.case.number if o.case_id else None,  # type: ignore[union-attr]
        "item_id": o.item_id,
        "department_id": o.department_id,
        "department": str(o.department),
        "title": o.title,
        "content": o.content,
        "due_date": o.due_date.isoformat(),
        "due_at": o.due_at.isoformat(),
        "due_provisional": o.due_provisional,
        "issued_by": str(o.issued_by),
        "issued_at": o.issued_at.isoformat(),
        "status": o.status,
        "response": o.response,
        "responded_at": _iso(o.responded_at),
        "rounds": o.rounds,
        "history": o.history,
        "closed_at": _iso(o.closed_at),
        "closing_note": o.closing_note,
        "overdue": o.overdue,
    }


def pairing_out(p: DeputyPairing) -> dict[str, Any]:
    return {
        "id": p.pk,
        "deputy_id": p.deputy_id,
        "deputy": str(p.deputy),
        "item_id": p.item_id,
        "item": p.item.name,
        "department_id": p.item.department_id,
        "is_active": p.is_active,
        "paired_at": p.paired_at.isoformat(),
        "ended_at": _iso(p.ended_at),
    }


def suggestion_out(s: DeputySuggestion) -> dict[str, Any]:
    return {
        "id": s.pk,
        "deputy": str(s.deputy),
        "item_id": s.item_id,
        "item": s.item.name,
        "department_id": s.department_id,
        "department": str(s.department),
        "activity": s.activity,
        "activity_date": s.activity_date.isoformat(),
        "content": s.content,
        "submitted_at": s.submitted_at.isoformat(),
        "plan_due_at": s.plan_due_at.isoformat(),
        "due_provisional": s.due_provisional,
        "status": s.status,
        "plan": s.plan,
        "planned_at": _iso(s.planned_at),
        "plan_overdue": s.plan_overdue,
        "rounds": s.rounds,
        "history": s.history,
        "closed_at": _iso(s.closed_at),
        "closing_note": s.closing_note,
    }


# ---------------------------------------------------------------------------------------------- orders


@router.post("/", auth=SESSION, response={201: dict})
def order_issue(request: HttpRequest, payload: OrderIn) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    order = services.order_issue(issued_by=user, **payload.dict())
    return 201, order_out(selectors.order_get(user=user, order_id=order.pk))


@router.get("/", auth=READ)
def orders(request: HttpRequest, filters: Query[OrderQuery]) -> dict[str, Any]:
    page = selectors.orders_page(
        user=request.auth,
        before=filters.before,
        limit=filters.limit,
        status=filters.status,
        overdue=filters.overdue,
        department_id=filters.department_id,
    )
    return {"items": [order_out(o) for o in page.rows], "next_before": page.next_before}


# ------------------------------------------------------------------------------------ deputies


@router.get("/pairings", auth=READ)
def pairings(request: HttpRequest, filters: Query[PairingQuery]) -> dict[str, Any]:
    page = selectors.pairings_page(
        user=request.auth, before=filters.before, limit=filters.limit, active=filters.active
    )
    return {"items": [pairing_out(p) for p in page.rows], "next_before": page.next_before}


@router.post("/pairings", auth=SESSION, response={201: dict})
def pairing_create(request: HttpRequest, payload: PairingIn) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    deputy = User.objects.filter(pk=payload.deputy_id).first()
    if deputy is None:
        raise not_found("用户", "User", "deputy_id")
    item = Item.objects.filter(pk=payload.item_id).first()
    if item is None:
        raise not_found("事项", "Item", "item_id")
    pairing = services.pairing_create(deputy=deputy, item=item, actor=user)
    return 201, pairing_out(selectors.pairings_visible(user).get(pk=pairing.pk))


@router.post("/pairings/{pairing_id}/end", auth=SESSION)
def pairing_end(request: HttpRequest, pairing_id: int) -> dict[str, Any]:
    user = _user(request)
    pairing = selectors.pairings_visible(user).filter(pk=pairing_id).first()
    if pairing is None:
        raise not_found("结对", "Pairing", "pairing_id")
    services.pairing_end(pairing=pairing, actor=user)
    return pairing_out(selectors.pairings_visible(user).get(pk=pairing_id))


@router.get("/suggestions", auth=READ)
def suggestions(request: HttpRequest, filters: Query[SuggestionQuery]) -> dict[str, Any]:
    page = selectors.suggestions_page(
        user=request.auth,
        before=filters.before,
        limit=filters.limit,
        status=filters.status,
        overdue=filters.overdue,
    )
    return {"items": [suggestion_out(s) for s in page.rows], "next_before": page.next_before}


@router.post("/suggestions", auth=SESSION, response={201: dict})
def suggestion_submit(request: HttpRequest, payload: SuggestionIn) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    row = services.suggestion_submit(
        deputy=user,
        item_id=payload.item_id,
        activity=payload.activity,
        activity_date=payload.activity_date,
        content=payload.content,
    )
    return 201, suggestion_out(selectors.suggestion_get(user=user, suggestion_id=row.pk))


@router.get("/suggestions/{suggestion_id}", auth=READ)
def suggestion(request: HttpRequest, suggestion_id: int) -> dict[str, Any]:
    return suggestion_out(selectors.suggestion_get(user=request.auth, suggestion_id=suggestion_id))


@router.post("/suggestions/{suggestion_id}/plan", auth=SESSION)
def suggestion_plan(request: HttpRequest, suggestion_id: int, payload: TextIn) -> dict[str, Any]:
    user = _user(request)
    row = selectors.suggestion_get(user=user, suggestion_id=suggestion_id)
    services.suggestion_plan(suggestion=row, actor=user, plan=payload.text)
    return suggestion_out(selectors.suggestion_get(user=user, suggestion_id=suggestion_id))


@router.post("/suggestions/{suggestion_id}/send-back", auth=SESSION)
def suggestion_send_back(request: HttpRequest, suggestion_id: int, payload: CloseIn) -> dict[str, Any]:
    user = _user(request)
    row = selectors.suggestion_get(user=user, suggestion_id=suggestion_id)
    services.suggestion_send_back(suggestion=row, actor=user, note=payload.note)
    return suggestion_out(selectors.suggestion_get(user=user, suggestion_id=suggestion_id))


@router.post("/suggestions/{suggestion_id}/close", auth=SESSION)
def suggestion_close(request: HttpRequest, suggestion_id: int, payload: CloseIn) -> dict[str, Any]:
    user = _user(request)
    row = selectors.suggestion_get(user=user, suggestion_id=suggestion_id)
    services.suggestion_close(suggestion=row, actor=user, note=payload.note)
    return suggestion_out(selectors.suggestion_get(user=user, suggestion_id=suggestion_id))


@router.get("/{order_id}", auth=READ)
def order(request: HttpRequest, order_id: int) -> dict[str, Any]:
    return order_out(selectors.order_get(user=request.auth, order_id=order_id))


@router.post("/{order_id}/respond", auth=SESSION)
def order_respond(request: HttpRequest, order_id: int, payload: TextIn) -> dict[str, Any]:
    user = _user(request)
    row = selectors.order_get(user=user, order_id=order_id)
    services.order_respond(order=row, actor=user, response=payload.text)
    return order_out(selectors.order_get(user=user, order_id=order_id))


@router.post("/{order_id}/send-back", auth=SESSION)
def order_send_back(request: HttpRequest, order_id: int, payload: SendBackIn) -> dict[str, Any]:
    user = _user(request)
    row = selectors.order_get(user=user, order_id=order_id)
    services.order_send_back(order=row, actor=user, note=payload.note, due_date=payload.due_date)
    return order_out(selectors.order_get(user=user, order_id=order_id))


@router.post("/{order_id}/close", auth=SESSION)
def order_close(request: HttpRequest, order_id: int, payload: CloseIn) -> dict[str, Any]:
    user = _user(request)
    row = selectors.order_get(user=user, order_id=order_id)
    services.order_close(order=row, actor=user, note=payload.note)
    return order_out(selectors.order_get(user=user, order_id=order_id))
