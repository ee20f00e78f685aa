"""Background work of intake (django-tasks): the deemed-acceptance and overdue-deficiency sweeps.

Run them on a schedule (cron or a timer calling `onetrip intake sweep`, or enqueueing `intake_sweep`); each
sweep is idempotent and safe to run on several workers at once (rows are taken with SKIP LOCKED).
"""

from __future__ import annotations

from django_tasks import task

from onetrip.core import clock
from onetrip.intake.services.acceptance import cases_deem_accepted, deficiencies_sweep


@task()
def deem_accepted_sweep() -> int:
    """Submitted cases unanswered for 5 working days count as accepted (行政许可法第三十二条)."""
    return cases_deem_accepted(now=clock.now())


@task()
def deficiencies_overdue_sweep() -> int:
    """Commitments past their date: mark them overdue and end their cases."""
    return deficiencies_sweep(now=clock.now())


@task()
def intake_sweep() -> dict[str, int]:
    """Both sweeps, one after the other."""
    now = clock.now()
    return {
        "deemed_accepted": cases_deem_accepted(now=now),
        "deficiency_terminated": deficiencies_sweep(now=now),
    }
