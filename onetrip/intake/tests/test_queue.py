"""The hall queue: numbering, booking and check-in, calling order, skip/transfer/finish, concurrent calls."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from onetrip.catalog.tests import factories as cf
from onetrip.core.errors import Conflict, DomainError, Forbidden
from onetrip.intake.models import QueueTicket, TicketStatus
from onetrip.intake.services.queue import (
    ticket_call_next,
    ticket_check_in,
    ticket_finish,
    ticket_serve,
    ticket_skip,
    ticket_take,
    ticket_transfer,
)
from onetrip.intake.tests import factories as itf
from onetrip.orgs.models import ServiceHall, Window, WindowCategory
from onetrip.workdays.core import SHANGHAI


def at(d: int, h: int = 9, mi: int = 0) -> dt.datetime:
    return dt.datetime(2026, 10, d, h, mi, tzinfo=SHANGHAI)


def make_hall(code: str = "331102000000") -> tuple[ServiceHall, Window, Window, Window]:
    region = cf.make_region(code=code)
    hall = ServiceHall.objects.create(name="莲都区行政服务中心", region=region)
    w1 = Window.objects.create(hall=hall, number="1", name="综合受理一", category=WindowCategory.GENERAL)
    w2 = Window.objects.create(hall=hall, number="2", name="综合受理二", category=WindowCategory.GENERAL)
    w3 = Window.objects.create(hall=hall, number="9", name="商事登记", category=WindowCategory.COMMERCIAL)
    return hall, w1, w2, w3


@pytest.mark.django_db
def test_numbers_per_category_and_day():
    hall, *_ = make_hall()
    a = ticket_take(hall=hall, category=WindowCategory.GENERAL, now=at(12))
    b = ticket_take(hall=hall, category=WindowCategory.GENERAL, now=at(12, 9, 1))
    c = ticket_take(hall=hall, category=WindowCategory.COMMERCIAL, now=at(12, 9, 2))
    d = ticket_take(hall=hall, category=WindowCategory.GENERAL, now=at(13))
    assert [a.number, b.number, c.number, d.number] == ["F001", "F002", "B001", "F001"]
    assert a.status == TicketStatus.WAITING


@pytest.mark.django_db
def test_take_refuses_a_category_the_hall_does_not_serve_and_bad_bookings():
    hall, *_ = make_hall()
    with pytest.raises(DomainError) as exc:
        ticket_take(hall=hall, category=WindowCategory.REAL_ESTATE, now=at(12))
    assert exc.value.errors[0].code == "no_window_for_category"
    with pytest.raises(DomainError) as exc:
        ticket_take(hall=hall, category=WindowCategory.GENERAL, booked_for=at(11), now=at(12))
    assert exc.value.errors[0].code == "booking_in_past"
    with pytest.raises(DomainError) as exc:
        ticket_take(hall=hall, category=WindowCategory.GENERAL, booked_for=at(30), now=at(12))
    assert exc.value.errors[0].code == "booking_too_far"


@pytest.mark.django_db
def test_call_next_takes_the_oldest_and_records_the_wait():
    hall, w1, _, _ = make_hall()
    clerk = itf.make_clerk(region=hall.region)
    first = ticket_take(hall=hall, category=WindowCategory.GENERAL, now=at(12, 9, 0))
    ticket_take(hall=hall, category=WindowCategory.GENERAL, now=at(12, 9, 5))
    ticket_take(hall=hall, category=WindowCategory.COMMERCIAL, now=at(12, 8, 55))
    called = ticket_call_next(window=w1, clerk=clerk, now=at(12, 9, 12))
    assert called.pk == first.pk and called.status == TicketStatus.CALLED
    assert called.window == w1 and called.called_by == clerk
    assert called.waiting_seconds == 12 * 60
    second = ticket_call_next(window=w1, clerk=clerk, now=at(12, 9, 20))
    assert second.number == "F002"
    assert ticket_call_next(window=w1, clerk=clerk, now=at(12, 9, 30)) is None


@pytest.mark.django_db
def test_booked_ticket_checked_in_goes_first_once_its_slot_has_come():
    hall, w1, _, _ = make_hall()
    clerk = itf.make_clerk(region=hall.region)
    applicant = itf.make_applicant()
    booked = ticket_take(
        hall=hall, category=WindowCategory.GENERAL, holder=applicant, booked_for=at(12, 10), now=at(11, 15)
    )
    assert booked.status == TicketStatus.BOOKED and booked.day == dt.date(2026, 10, 12)
    with pytest.raises(Conflict):
        ticket_check_in(ticket=booked, now=at(11, 16))  # not the booked day
    walk_in = ticket_take(hall=hall, category=WindowCategory.GENERAL, now=at(12, 9, 0))
    ticket_check_in(ticket=booked, now=at(12, 9, 50))
    # Before the slot: the walk-in who came first is called.
    assert ticket_call_next(window=w1, clerk=clerk, now=at(12, 9, 55)).pk == walk_in.pk
    later = ticket_take(hall=hall, category=WindowCategory.GENERAL, now=at(12, 9, 56))
    # The slot has come: the booked holder goes before the later walk-in.
    called = ticket_call_next(window=w1, clerk=clerk, now=at(12, 10, 1))
    assert called.pk == booked.pk
    assert called.waiting_seconds == 11 * 60  # from check-in
    assert ticket_call_next(window=w1, clerk=clerk, now=at(12, 10, 5)).pk == later.pk


@pytest.mark.django_db
def test_skip_transfer_serve_finish():
    hall, w1, w2, w3 = make_hall()
    clerk = itf.make_clerk(region=hall.region)
    ticket_take(hall=hall, category=WindowCategory.GENERAL, now=at(12, 9))
    ticket_take(hall=hall, category=WindowCategory.GENERAL, now=at(12, 9, 1))
    absent = ticket_call_next(window=w1, clerk=clerk, now=at(12, 9, 10))
    skipped = ticket_skip(ticket=absent, clerk=clerk, now=at(12, 9, 12))
    assert skipped.status == TicketStatus.SKIPPED
    with pytest.raises(Conflict):
        ticket_serve(ticket=skipped, clerk=clerk)

    present = ticket_call_next(window=w1, clerk=clerk, now=at(12, 9, 13))
    ticket_serve(ticket=present, clerk=clerk)
    moved = ticket_transfer(ticket=present, to_window=w3, clerk=clerk, now=at(12, 9, 20))
    assert moved.window == w3 and moved.status == TicketStatus.CALLED and moved.number == "F002"
    assert moved.transfers == [{"from": "1", "to": "9", "at": at(12, 9, 20).isoformat()}]
    with pytest.raises(DomainError) as exc:
        ticket_transfer(ticket=moved, to_window=w3, clerk=clerk, now=at(12, 9, 21))
    assert exc.value.errors[0].code == "same_window"
    other_hall, *_ = make_hall(code="331121000000")
    foreign = Window.objects.filter(hall=other_hall).first()
    with pytest.raises(DomainError) as exc:
        ticket_transfer(ticket=moved, to_window=foreign, clerk=clerk, now=at(12, 9, 21))
    assert exc.value.errors[0].code == "other_hall"
    case = itf.make_submitted_case()
    done = ticket_finish(ticket=moved, clerk=clerk, case=case, now=at(12, 9, 40))
    assert done.status == TicketStatus.DONE and done.case == case and done.finished_at == at(12, 9, 40)


@pytest.mark.django_db
def test_only_a_clerk_of_the_hall_may_call():
    hall, w1, _, _ = make_hall()
    ticket_take(hall=hall, category=WindowCategory.GENERAL, now=at(12))
    outsider = itf.make_clerk(region=cf.make_region(code="339900000000"))
    with pytest.raises(Forbidden):
        ticket_call_next(window=w1, clerk=outsider, now=at(12, 9, 5))
    with pytest.raises(Forbidden):
        ticket_call_next(window=w1, clerk=itf.make_applicant(), now=at(12, 9, 5))


@pytest.mark.django_db(transaction=True)
def test_two_clerks_calling_at_once_never_get_the_same_ticket():
    if connection.vendor != "postgresql":
        pytest.skip("row locks with SKIP LOCKED need PostgreSQL; SQLite serialises writers instead")
    hall, w1, w2, _ = make_hall()
    clerks = [itf.make_clerk(region=hall.region), itf.make_clerk(region=hall.region)]
    for minute in range(6):
        ticket_take(hall=hall, category=WindowCategory.GENERAL, now=at(12, 9, minute))
    barrier = threading.Barrier(2)
    results: list[list[int]] = [[], []]
    errors: list[BaseException] = []

    def work(i: int, window: Window) -> None:
        try:
            for n in range(3):
                barrier.wait()
                ticket = ticket_call_next(window=window, clerk=clerks[i], now=at(12, 10, n))
                if ticket is not None:
                    results[i].append(ticket.pk)
        except BaseException as exc:  # surfaced to the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i, w)) for i, w in enumerate((w1, w2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    called = results[0] + results[1]
    assert len(called) == 6 and len(set(called)) == 6
    assert QueueTicket.objects.filter(status=TicketStatus.CALLED).count() == 6
