"""Concurrency on PostgreSQL with real OS processes: two submissions of the same initial rating, two follow-ups
and two overdue sweeps at the same moment each take effect exactly once (unique constraints, row locks and
SKIP LOCKED), with one statistics fact, one rectification and one notification per recipient.

The data is committed (`transaction=True`); the parent closes its connections and forks workers that open
their own and wait on a barrier so they act at once.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from onetrip.core.models import AuditEvent
from onetrip.notify.models import Notification
from onetrip.ratings.models import Rating, Rectification
from onetrip.ratings.services import case_rate, rectification_callback, rectification_close
from onetrip.ratings.tests.builders import RATED_AT, completed_case, handler, leader, supervisor
from onetrip.stats.models import StatDelta

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def _worker(job: Callable[[], Any], barrier: Any, out: Any) -> None:
    from onetrip.core.errors import DomainError

    try:
        barrier.wait(timeout=30)
        result = job()
        out.put(("ok", repr(result)))
    except DomainError as exc:
        out.put((exc.errors[0].code, ""))
    except Exception as exc:  # report anything else to the parent instead of dying silently
        out.put((f"error: {exc!r}", ""))
    finally:
        connections.close_all()


def race(*jobs: Callable[[], Any]) -> list[str]:
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(len(jobs))
    out = ctx.Queue()
    connections.close_all()  # children must not share the parent's socket
    procs = [ctx.Process(target=_worker, args=(job, barrier, out)) for job in jobs]
    for p in procs:
        p.start()
    results = [out.get(timeout=60)[0] for _ in procs]
    for p in procs:
        p.join(timeout=30)
    return sorted(results)


def test_two_initial_ratings_at_once_make_one_rating_one_fact_and_one_rectification():
    case = completed_case()

    def rate() -> Any:
        from onetrip.intake.models import Case

        fresh = Case.objects.select_related("lead_department__region").get(pk=case.pk)
        return case_rate(case=fresh, rater=fresh.applicant, level=1, comment="差", now=RATED_AT).pk

    assert race(rate, rate, rate) == ["already_rated", "already_rated", "ok"]
    assert Rating.objects.filter(case=case).count() == 1
    assert StatDelta.objects.filter(kind="rated", case_id=case.pk).count() == 1
    assert Rectification.objects.filter(rating__case=case).count() == 1


def test_two_follow_ups_at_once_make_one():
    case = completed_case()
    rating = case_rate(case=case, rater=case.applicant, level=2, comment="慢", now=RATED_AT)
    rect = Rectification.objects.get(rating=rating)
    staff = handler(case.lead_department)
    rectification_callback(rectification=rect, actor=staff, note="回访", now=RATED_AT)
    rectification_close(rectification=rect, actor=staff, note="整改", now=RATED_AT)

    def follow() -> Any:
        from onetrip.ratings.services import rating_follow_up

        fresh = Rating.objects.get(pk=rating.pk)
        return rating_follow_up(rating=fresh, rater=fresh.rater, level=5, now=RATED_AT).pk

    assert race(follow, follow) == ["follow_up_exists", "ok"]
    assert Rating.objects.filter(previous=rating).count() == 1
    assert StatDelta.objects.filter(kind="rated", case_id=case.pk).count() == 2


def test_two_sweeps_at_once_flag_and_notify_each_overdue_rectification_once():
    from onetrip.catalog.tests import factories as f

    department = f.make_department()
    cases = [completed_case(department=department) for _ in range(3)]
    boss, watcher = leader(department), supervisor(department=department)
    for case in cases:
        case_rate(case=case, rater=case.applicant, level=1, comment="差", now=RATED_AT)
    later = RATED_AT + dt.timedelta(days=60)

    def sweep() -> Any:
        from onetrip.ratings.services import ratings_sweep

        return ratings_sweep(now=later).as_dict()

    assert race(sweep, sweep) == ["ok", "ok"]
    ids = list(Rectification.objects.filter(rating__case__in=cases).values_list("pk", flat=True))
    assert Rectification.objects.filter(pk__in=ids, callback_overdue=True, rectify_overdue=True).count() == 3
    for kind in ("rectification.callback-overdue", "rectification.rectify-overdue"):
        for person in (boss, watcher):
            assert Notification.objects.filter(kind=kind, recipient=person).count() == 3
    for pk in ids:
        for flag in ("callback_overdue", "rectify_overdue"):
            assert AuditEvent.objects.filter(action=f"rectification.{flag}", object_id=str(pk)).count() == 1
