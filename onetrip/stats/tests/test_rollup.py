"""The rollup counts every fact exactly once: run twice, in batches, after a rollback, by two workers at once;
the rebuild from cases gives the same case figures; the services record their facts."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
from typing import Any

import pytest
from django.db import connection, connections, transaction

from onetrip.core.errors import DomainError
from onetrip.stats.models import COUNTERS, StatDay, StatDelta, StatDepartmentMonth, StatItemMonth
from onetrip.stats.services import CASE_COUNTERS, stats_rebuild, stats_record, stats_rollup
from onetrip.stats.tests.builders import KnownSet, at, known_set, record_facts

pytestmark = pytest.mark.django_db


def month_totals() -> dict[str, int]:
    rows = StatItemMonth.objects.values_list(*COUNTERS)
    return {c: sum(r[i] for r in rows) for i, c in enumerate(COUNTERS)}


def day_totals() -> dict[str, int]:
    rows = StatDay.objects.values_list(*COUNTERS)
    return {c: sum(r[i] for r in rows) for i, c in enumerate(COUNTERS)}


def department_month_totals() -> dict[str, int]:
    rows = StatDepartmentMonth.objects.values_list(*COUNTERS)
    return {c: sum(r[i] for r in rows) for i, c in enumerate(COUNTERS)}


@pytest.fixture
def facts() -> KnownSet:
    s = known_set()
    record_facts(s)
    return s


def test_a_second_run_finds_nothing_and_changes_nothing(facts: KnownSet) -> None:
    first = stats_rollup()
    before = month_totals()
    second = stats_rollup()
    assert first.facts == 22 and second.facts == 0 and second.batches == 0
    assert month_totals() == before == day_totals() == department_month_totals()
    assert before["accepted"] == 6 and before["overdue"] == 3


def test_small_batches_add_up_to_one_big_batch(facts: KnownSet) -> None:
    report = stats_rollup(batch=4)
    assert report.batches == 6 and report.facts == 22  # 4+4+4+4+4+2
    in_batches = month_totals()
    for model in (StatItemMonth, StatDepartmentMonth, StatDay):
        model.objects.all().delete()
    record_facts(facts)
    stats_rollup(batch=500)
    assert month_totals() == in_batches


def test_max_batches_leaves_the_rest_pending(facts: KnownSet) -> None:
    report = stats_rollup(batch=5, max_batches=2)
    assert report.facts == 10 and StatDelta.objects.count() == 12
    stats_rollup(batch=5)
    assert not StatDelta.objects.exists() and month_totals()["accepted"] == 6


def test_a_batch_that_fails_changes_nothing_and_keeps_its_facts(facts: KnownSet, monkeypatch) -> None:
    from onetrip.stats import services

    def broken(out: Any) -> tuple[int, int]:
        services._upsert(StatDay, services.DAY_KEYS, out.day)
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_apply", broken)
    with pytest.raises(RuntimeError):
        stats_rollup()
    assert StatDelta.objects.count() == 22 and not StatDay.objects.exists()
    monkeypatch.undo()
    stats_rollup()
    assert day_totals()["accepted"] == 6 and month_totals() == day_totals()


def test_facts_of_a_rolled_back_transaction_never_count(facts: KnownSet) -> None:
    stats_rollup()
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        stats_record(case_id=facts.cases["c4"].pk, kind="completed", at=at(20), data={"outcome": "completed"})
        1 / 0  # noqa: B018 - the change that would have recorded the fact fails
    assert stats_rollup().facts == 0 and month_totals()["completed"] == 4


def test_bad_batch_sizes_are_refused() -> None:
    for bad in (0, -1, 100_000):
        with pytest.raises(DomainError) as err:
            stats_rollup(batch=bad)
        assert err.value.errors[0].field == "batch"


def test_a_fact_whose_case_or_department_is_unknown_is_dropped_and_reported(facts: KnownSet) -> None:
    stats_rollup()
    stats_record(case_id=99_999_999, kind="accepted", at=at(10))
    stats_record(case_id=0, kind="rated", at=at(10), data={"level": 5, "department_id": 99_999_999})
    stats_record(case_id=0, kind="rated", at=at(10), data={"level": 9, "department_id": facts.d1.pk})
    report = stats_rollup()
    assert report.facts == 3 and report.skipped == 2 and not StatDelta.objects.exists()
    assert month_totals()["rated_5"] == 1  # the level 9 counted nothing


def test_rebuild_from_cases_gives_the_same_case_figures_and_keeps_ratings(facts: KnownSet) -> None:
    from onetrip.flow.models import ProcessDefinitionRecord, ProcessInstanceRecord
    from onetrip.intake.models import Refusal

    c = facts.cases
    # What the rebuild reads for outcomes and refusals lives on the flow instance and the refusal row.
    definition = ProcessDefinitionRecord.objects.create(key="stats-test", version=1, source={}, name="测试")
    for name, status in (("c1", "completed"), ("c2", "completed"), ("c3", "rejected"), ("c6", "completed")):
        ProcessInstanceRecord.objects.create(
            case=c[name], definition=definition, state={}, status=status, started_at=c[name].accepted_at
        )
    ProcessInstanceRecord.objects.create(
        case=c["c7"], definition=definition, state={}, status="withdrawn", started_at=c["c7"].accepted_at
    )
    ProcessInstanceRecord.objects.create(
        case=c["c4"], definition=definition, state={}, status="running", started_at=c["c4"].accepted_at
    )
    Refusal.objects.create(
        case=c["c5"],
        reasons="不属于本机关职权范围",
        legal_basis="行政许可法",
        issued_at=at(5),
        issued_by=c["c5"].applicant,
    )
    stats_rollup()
    rolled = month_totals()
    # Lose the case figures (say a restore from an old backup), then rebuild.
    StatItemMonth.objects.update(accepted=0, completed=0, on_time=0, days_sum=0)
    StatDay.objects.update(accepted=7)
    StatDepartmentMonth.objects.update(completed=99)
    stats_record(case_id=c["c1"].pk, kind="accepted", at=at(2))  # a pending fact the scan covers
    report = stats_rebuild()
    assert report.cases == 7 and report.dropped_deltas == 1
    assert month_totals() == rolled == day_totals() == department_month_totals()
    assert {k: rolled[k] for k in ("rated_5", "rated_4", "warned", "overdue")} == {
        "rated_5": 1,
        "rated_4": 1,
        "warned": 1,
        "overdue": 3,
    }
    assert set(CASE_COUNTERS) & {"rated_5", "warned"} == set()


# ------------------------------------------------------------------------------------- two workers


def _worker(barrier: Any, out: Any) -> None:
    try:
        barrier.wait(timeout=30)
        report = stats_rollup(batch=3)
        out.put(("ok", report.facts))
    except Exception as exc:  # report to the parent instead of dying silently
        out.put((f"error: {exc!r}", 0))
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks (SKIP LOCKED)")
def test_two_workers_at_once_count_every_fact_exactly_once() -> None:
    s = known_set()
    for _ in range(10):
        record_facts(s)  # 220 facts on the same rollup rows
    ctx = mp.get_context("fork")
    barrier, out = ctx.Barrier(2), ctx.Queue()
    connections.close_all()
    procs = [ctx.Process(target=_worker, args=(barrier, out)) for _ in range(2)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert all(status == "ok" for status, _ in results), results
    assert sum(n for _, n in results) == 220
    assert not StatDelta.objects.exists()
    totals = month_totals()
    assert (totals["accepted"], totals["completed"], totals["overdue"], totals["rated_4"]) == (60, 40, 30, 10)
    assert totals == day_totals() == department_month_totals()


# ------------------------------------------------------------------------------------ service hooks


def test_acceptance_refusal_and_the_end_of_the_flow_record_their_facts() -> None:
    from onetrip.flow.tests.casebuilders import approve, open_tasks, staff
    from onetrip.intake.services.acceptance import case_accept, case_refuse
    from onetrip.intake.tests import factories as itf
    from onetrip.orgs.models import Role

    item = itf.make_intake_item()
    case = itf.make_submitted_case(item=item, upload_all=True)
    clerk = itf.make_clerk(region=case.region)
    now = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
    case_accept(case=case, clerk=clerk, now=now)
    accepted = StatDelta.objects.get(kind="accepted")
    assert (accepted.case_id, accepted.at, accepted.data) == (
        case.pk,
        now,
        {"deficient": False, "deemed": False},
    )

    leader = staff(item.department, Role.LEADER)
    for hour in range(1, 10):
        tasks = open_tasks(case)
        if not tasks:
            break
        approve(tasks[0], actor=leader, now=now + dt.timedelta(hours=hour))  # with the result it needs
    case.refresh_from_db()
    done = StatDelta.objects.get(kind="completed")
    assert done.case_id == case.pk and done.data == {"outcome": "completed"} and done.at == case.completed_at

    other = itf.make_submitted_case(item=item)
    case_refuse(
        case=other, clerk=clerk, reasons="不符合受理条件", legal_basis="行政许可法第三十二条", now=now
    )
    assert StatDelta.objects.filter(kind="refused", case_id=other.pk, at=now).count() == 1

    report = stats_rollup()
    assert report.facts == 3 and report.skipped == 0
    totals = month_totals()
    assert (totals["accepted"], totals["completed"], totals["refused"]) == (1, 1, 1)
    assert totals["with_promise"] == totals["on_time"] == 1


# ------------------------------------------------------------------------------- command and task


def test_the_command_and_the_task_roll_up_and_the_command_rebuilds(facts: KnownSet) -> None:
    import json
    from io import StringIO

    from django.core.management import CommandError, call_command

    from onetrip.stats.tasks import stats_rollup_task

    out = StringIO()
    call_command("stats", "rollup", "--batch", "10", stdout=out)
    assert json.loads(out.getvalue())["facts"] == 22 and month_totals()["accepted"] == 6
    stats_record(case_id=facts.cases["c4"].pk, kind="warned", at=at(20), data={"department_id": facts.d1.pk})
    assert stats_rollup_task.call()["facts"] == 1
    out = StringIO()
    call_command("stats", "rollup", "--rebuild", stdout=out)
    assert json.loads(out.getvalue())["cases"] == 7
    assert month_totals()["warned"] == 2
    with pytest.raises(CommandError):
        call_command("stats", "rollup", "--batch", "0")
