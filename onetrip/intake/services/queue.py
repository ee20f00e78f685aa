"""The hall's queue (智能排队叫号): take a ticket (on site or booked), check in, call the next, skip, transfer,
serve, finish. Waiting time is called_at − taken_at (for a booked ticket, from check-in: the wait starts on
arrival).

Numbers are a letter per window category plus the day's sequence of that category in that hall (A001, A002,
…; B001 …). The sequence is max + 1 under the (hall, category, day, sequence) unique constraint; two kiosks
taking a number at the same instant collide on the constraint and the loser retries.

Calling: the longest-waiting ticket of the window's category (by arrival: taking it, or checking in with a
booking), except that a checked-in booked ticket whose slot has come goes first (the earliest slot first).
The candidate row is locked with SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL, so two clerks calling at
the same moment get two different tickets; on SQLite the transaction is IMMEDIATE (settings), which
serialises callers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max

from onetrip.core import clock
from onetrip.core.audit import audit_record
from onetrip.core.errors import Conflict, DomainError, ErrorDetail, NotFound
from onetrip.intake.models import Case, QueueTicket, TicketStatus
from onetrip.intake.services.acceptance import require_clerk_for_window
from onetrip.orgs.models import ServiceHall, User, Window, WindowCategory
from onetrip.workdays.core import SHANGHAI

CATEGORY_PREFIX: dict[str, str] = {
    WindowCategory.INVESTMENT: "A",
    WindowCategory.COMMERCIAL: "B",
    WindowCategory.REAL_ESTATE: "C",
    WindowCategory.MEDICAL_SOCIAL: "D",
    WindowCategory.PUBLIC_SECURITY: "E",
    WindowCategory.GENERAL: "F",
    WindowCategory.DEPARTMENT: "G",
}
BOOKING_MAX_DAYS = 14
_TAKE_RETRIES = 5


def _today(now: dt.datetime) -> dt.date:
    return now.astimezone(SHANGHAI).date()


def ticket_number(category: str, sequence: int) -> str:
    return f"{CATEGORY_PREFIX[category]}{sequence:03d}"


def _conflict(code: str, zh: str, en: str) -> Conflict:
    return Conflict(ErrorDetail(code, zh, en))


def ticket_take(
    *,
    hall: ServiceHall,
    category: str,
    holder: User | None = None,
    booked_for: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> QueueTicket:
    """A new ticket: waiting at once when taken on site, booked (waiting on check-in) for a future slot."""
    now = now or clock.now()
    errors: list[ErrorDetail] = []
    if category not in CATEGORY_PREFIX:
        errors.append(ErrorDetail("invalid_choice", "窗口类别不正确", "Unknown window category", "category"))
    elif not Window.objects.filter(hall=hall, category=category, is_active=True).exists():
        errors.append(
            ErrorDetail(
                "no_window_for_category",
                "本大厅没有该类别的窗口",
                "This hall has no window of that category",
                "category",
            )
        )
    if booked_for is not None:
        if booked_for.tzinfo is None:
            errors.append(
                ErrorDetail("invalid", "预约时段须带时区", "booked_for must be aware", "booked_for")
            )
        elif booked_for <= now:
            errors.append(
                ErrorDetail(
                    "booking_in_past",
                    "预约时段须晚于当前时间",
                    "The slot must be in the future",
                    "booked_for",
                )
            )
        elif booked_for - now > dt.timedelta(days=BOOKING_MAX_DAYS):
            errors.append(
                ErrorDetail(
                    "booking_too_far",
                    f"最多预约{BOOKING_MAX_DAYS}天内的时段",
                    f"Slots can be booked at most {BOOKING_MAX_DAYS} days ahead",
                    "booked_for",
                )
            )
    if errors:
        raise DomainError(*errors)
    day = _today(booked_for if booked_for is not None else now)
    for _ in range(_TAKE_RETRIES):
        try:
            with transaction.atomic():
                top = QueueTicket.objects.filter(hall=hall, category=category, day=day).aggregate(
                    m=Max("sequence")
                )["m"]
                sequence = (top or 0) + 1
                return QueueTicket.objects.create(
                    hall=hall,
                    category=category,
                    day=day,
                    number=ticket_number(category, sequence),
                    sequence=sequence,
                    holder=holder,
                    status=TicketStatus.BOOKED if booked_for is not None else TicketStatus.WAITING,
                    booked_for=booked_for,
                    taken_at=now,
                )
        except IntegrityError:
            continue  # another kiosk took this sequence at the same moment: take the next one
    raise _conflict("queue_busy", "取号繁忙，请重试", "The queue is busy; try again")


def _locked(ticket: QueueTicket) -> QueueTicket:
    row = QueueTicket.objects.select_for_update().filter(pk=ticket.pk).first()
    if row is None:
        raise NotFound(ErrorDetail("not_found", "排队号不存在", "Ticket not found"))
    return row


def _require_status(ticket: QueueTicket, *allowed: str) -> None:
    if ticket.status not in allowed:
        raise _conflict(
            "ticket_state",
            f"排队号当前状态为“{ticket.get_status_display()}”，不能办理此操作",
            f"The ticket is {ticket.status}",
        )


def _audit(ticket: QueueTicket, *, actor: User | None, action: str, **data: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="intake.ticket",
        object_id=ticket.pk,
        data={"number": ticket.number, **data},
    )


def ticket_check_in(*, ticket: QueueTicket, now: dt.datetime | None = None) -> QueueTicket:
    """A booked ticket's holder has arrived: the ticket joins the queue (on the booked day only)."""
    now = now or clock.now()
    with transaction.atomic():
        row = _locked(ticket)
        _require_status(row, TicketStatus.BOOKED)
        if row.day != _today(now):
            raise _conflict("booking_not_today", "预约不是今天的，不能签到", "The booking is not for today")
        row.status = TicketStatus.WAITING
        row.taken_at = now
        row.save(update_fields=["status", "taken_at"])
    return row


def ticket_call_next(*, window: Window, clerk: User, now: dt.datetime | None = None) -> QueueTicket | None:
    """Call the next ticket to `window`; None when nobody is waiting."""
    now = now or clock.now()
    require_clerk_for_window(clerk, window)
    today = _today(now)
    with transaction.atomic():
        waiting = QueueTicket.objects.filter(
            hall_id=window.hall_id, category=window.category, day=today, status=TicketStatus.WAITING
        )
        ticket = (
            waiting.filter(booked_for__lte=now)
            .order_by("booked_for", "sequence")
            .select_for_update(skip_locked=True)
            .first()
        )
        if ticket is None:
            ticket = waiting.order_by("taken_at", "sequence").select_for_update(skip_locked=True).first()
        if ticket is None:
            return None
        ticket.status = TicketStatus.CALLED
        ticket.called_at = now
        ticket.window = window
        ticket.called_by = clerk
        ticket.save(update_fields=["status", "called_at", "window", "called_by"])
        _audit(ticket, actor=clerk, action="ticket.call", window=str(window), waited=ticket.waiting_seconds)
    return ticket


def _require_own_window(ticket: QueueTicket, clerk: User) -> None:
    if ticket.window is None:
        raise _conflict("ticket_state", "该号尚未叫号", "The ticket has not been called")
    require_clerk_for_window(clerk, ticket.window)


def ticket_skip(*, ticket: QueueTicket, clerk: User, now: dt.datetime | None = None) -> QueueTicket:
    """过号: the called holder did not come."""
    now = now or clock.now()
    with transaction.atomic():
        row = _locked(ticket)
        _require_status(row, TicketStatus.CALLED)
        _require_own_window(row, clerk)
        row.status = TicketStatus.SKIPPED
        row.finished_at = now
        row.save(update_fields=["status", "finished_at"])
        _audit(row, actor=clerk, action="ticket.skip")
    return row


def ticket_serve(*, ticket: QueueTicket, clerk: User) -> QueueTicket:
    """The called holder is at the window."""
    with transaction.atomic():
        row = _locked(ticket)
        _require_status(row, TicketStatus.CALLED)
        _require_own_window(row, clerk)
        row.status = TicketStatus.SERVING
        row.save(update_fields=["status"])
    return row


def ticket_transfer(
    *, ticket: QueueTicket, to_window: Window, clerk: User, now: dt.datetime | None = None
) -> QueueTicket:
    """Send a called (or served) holder to another window of the same hall; they are called there at once.
    The ticket keeps its number (and category): the number identifies the holder on the hall's screens."""
    now = now or clock.now()
    with transaction.atomic():
        row = _locked(ticket)
        _require_status(row, TicketStatus.CALLED, TicketStatus.SERVING)
        _require_own_window(row, clerk)
        errors = []
        if to_window.hall_id != row.hall_id:
            errors.append(
                ErrorDetail(
                    "other_hall", "只能转到本大厅的窗口", "The window is in another hall", "to_window"
                )
            )
        elif to_window.pk == row.window_id:
            errors.append(
                ErrorDetail("same_window", "不能转到当前窗口", "Already at that window", "to_window")
            )
        elif not to_window.is_active:
            errors.append(
                ErrorDetail("window_inactive", "该窗口已停用", "The window is not active", "to_window")
            )
        if errors:
            raise DomainError(*errors)
        previous = row.window
        row.transfers = [
            *row.transfers,
            {"from": previous.number if previous else None, "to": to_window.number, "at": now.isoformat()},
        ]
        row.window = to_window
        row.status = TicketStatus.CALLED
        row.save(update_fields=["transfers", "window", "status"])
        _audit(row, actor=clerk, action="ticket.transfer", to=str(to_window))
    return row


def ticket_finish(
    *, ticket: QueueTicket, clerk: User, case: Case | None = None, now: dt.datetime | None = None
) -> QueueTicket:
    """The visit is over; optionally link the case it was about."""
    now = now or clock.now()
    with transaction.atomic():
        row = _locked(ticket)
        _require_status(row, TicketStatus.CALLED, TicketStatus.SERVING)
        _require_own_window(row, clerk)
        row.status = TicketStatus.DONE
        row.finished_at = now
        fields = ["status", "finished_at"]
        if case is not None:
            row.case = case
            fields.append("case")
        row.save(update_fields=fields)
        _audit(row, actor=clerk, action="ticket.finish", case=case.pk if case else None)
    return row
