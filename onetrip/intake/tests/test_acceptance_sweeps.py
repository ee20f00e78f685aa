"""The sweeps: deemed acceptance after 5 working days (行政许可法第三十二条) and overdue 容缺 commitments."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from onetrip.core import clock
from onetrip.core.models import AuditEvent
from onetrip.flow.models import ProcessInstanceRecord
from onetrip.flow.services import flow_sweep
from onetrip.intake.models import Case, CaseEvent, CaseStatus, Deficiency, DeficiencyStatus
from onetrip.intake.services.acceptance import (
    case_accept_with_deficiency,
    case_notice,
    cases_deem_accepted,
    deficiencies_sweep,
)
from onetrip.intake.tasks import deem_accepted_sweep
from onetrip.intake.tests import factories as itf
from onetrip.workdays.core import SHANGHAI
from onetrip.workdays.selectors import calendar_cache_clear

pytestmark = pytest.mark.django_db


def at(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _clock():
    calendar_cache_clear()
    fixed = clock.FixedClock(at(2026, 9, 30, 10))
    previous = clock.set_clock(fixed)
    yield fixed
    clock.set_clock(previous)
    calendar_cache_clear()


def test_unanswered_case_is_deemed_accepted_after_five_working_days():
    case = itf.make_submitted_case()  # submitted 2026-09-30 10:00 → answer due 2026-10-13 close of office
    assert case.accept_due_at.astimezone(SHANGHAI) == at(2026, 10, 13, 17, 30)

    assert cases_deem_accepted(now=at(2026, 10, 13, 17, 0)) == 0
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and case.number is None

    assert cases_deem_accepted(now=at(2026, 10, 13, 17, 31)) == 1
    case.refresh_from_db()
    assert case.deemed_accepted is True and case.number and case.accepted_by is None
    assert case.status in (CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS)
    # Accepted from the day the materials were received: the promise runs from 30 September.
    assert case.accepted_at == case.submitted_at
    assert case.promised_due_at.astimezone(SHANGHAI).date() == dt.date(2026, 10, 13)
    assert ProcessInstanceRecord.objects.filter(case=case).exists()
    assert CaseEvent.objects.filter(case=case, kind="deemed_accepted").exists()
    audit = AuditEvent.objects.get(action="case.deemed_accept", object_id=str(case.pk))
    assert audit.actor_id is None and "第三十二条" in audit.data["legal_basis"]
    # Idempotent: a second sweep finds nothing.
    assert cases_deem_accepted(now=at(2026, 10, 20)) == 0


def test_answered_cases_are_not_deemed_accepted():
    noticed = itf.make_submitted_case()
    clerk = itf.make_clerk(region=noticed.region)
    case_notice(case=noticed, clerk=clerk, problems=[{"problem": "缺少户口簿"}])
    waiting = itf.make_submitted_case()
    assert cases_deem_accepted(now=at(2026, 10, 14)) == 1
    noticed.refresh_from_db()
    waiting.refresh_from_db()
    assert noticed.status == CaseStatus.CORRECTION and noticed.number is None
    assert waiting.deemed_accepted


def test_sweep_walks_past_one_batch(monkeypatch):
    from onetrip.intake.services import acceptance

    monkeypatch.setattr(acceptance, "SWEEP_BATCH", 2)
    item = itf.make_intake_item()
    cases = [itf.make_submitted_case(item=item) for _ in range(5)]
    assert cases_deem_accepted(now=at(2026, 10, 14)) == 5
    numbers = set(Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("number", flat=True))
    assert len(numbers) == 5 and None not in numbers


def test_task_and_command_run_the_sweeps():
    itf.make_submitted_case()
    assert deem_accepted_sweep.call() == 0  # the clock says 30 September: nothing is due yet
    clock.get_clock().advance(dt.timedelta(days=14))
    out = StringIO()
    call_command("intake", "sweep", stdout=out)
    assert '"deemed_accepted": 1' in out.getvalue()


def _accept_deficient(due: str) -> Case:
    case = itf.make_submitted_case()
    clerk = itf.make_clerk(region=case.region)
    return case_accept_with_deficiency(
        case=case,
        clerk=clerk,
        commitments=[{"material_key": "household_register", "due_date": due}],
        now=at(2026, 9, 30),
    )


def test_overdue_commitment_of_a_dispatched_case_is_ended_by_the_workflow():
    case = _accept_deficient("2026-10-09")
    # The intake sweep leaves a case the workflow holds to the workflow…
    assert deficiencies_sweep(now=at(2026, 10, 12)) == 0
    # …whose own sweep ends it once the date has passed, and marks the commitment overdue.
    flow_sweep(now=at(2026, 10, 12))
    case.refresh_from_db()
    assert case.status == CaseStatus.TERMINATED
    assert Deficiency.objects.get(case=case).status == DeficiencyStatus.OVERDUE


def test_overdue_commitment_ends_a_case_outside_the_workflow():
    case = _accept_deficient("2026-10-09")
    # A case the workflow does not hold (e.g. accepted before the workflow was switched on).
    ProcessInstanceRecord.objects.filter(case=case).delete()
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.ACCEPTED_DEFICIENT)

    assert deficiencies_sweep(now=at(2026, 10, 9, 23)) == 0  # the due date itself still counts
    assert deficiencies_sweep(now=at(2026, 10, 10, 8)) == 1
    case.refresh_from_db()
    assert case.status == CaseStatus.TERMINATED
    assert Deficiency.objects.get(case=case).status == DeficiencyStatus.OVERDUE
    event = CaseEvent.objects.get(case=case, kind="terminated")
    assert "户口簿" in event.title
    assert AuditEvent.objects.filter(action="case.deficiency_overdue", object_id=str(case.pk)).exists()
    assert deficiencies_sweep(now=at(2026, 10, 11)) == 0
