"""Background work of intake (django-tasks): the deemed-acceptance and 容缺 sweeps (overdue commitments end
their cases; reminders before the date and the notice of the end, services.deficiency).

Run them on a schedule (cron or a timer calling `onetrip intake sweep`, or enqueueing `intake_sweep`); each
sweep is idempotent and safe to run on several workers at once (rows are taken with SKIP LOCKED).
"""

from __future__ import annotations

from django_tasks import task

from onetrip.core import clock
from onetrip.intake.services.acceptance import cases_deem_accepted, deficiencies_sweep
from onetrip.intake.services.deficiency import deficiencies_overdue_notice, deficiencies_remind


@task()
def deem_accepted_sweep() -> int:
    """Submitted cases unanswered for 5 working days count as accepted (行政许可法第三十二条)."""
    return cases_deem_accepted(now=clock.now())


@task()
def deficiencies_overdue_sweep() -> int:
    """Commitments past their date: mark them overdue and end their cases."""
    return deficiencies_sweep(now=clock.now())


@task()
def deficiencies_remind_sweep() -> int:
    """Commitments due within the reminder period: one reminder each."""
    return deficiencies_remind(now=clock.now())


@task()
def intake_sweep() -> dict[str, int]:
    """Every intake sweep, one after the other (the end of an overdue case, then its notice)."""
    now = clock.now()
    return {
        "deemed_accepted": cases_deem_accepted(now=now),
        "deficiency_terminated": deficiencies_sweep(now=now),
        "deficiency_reminded": deficiencies_remind(now=now),
        "deficiency_overdue_noticed": deficiencies_overdue_notice(now=now),
    }
