"""Concurrency on PostgreSQL with real OS processes (issue 6 part 6): departments approving the parallel
tasks of one case at the same moment never lose the join, and a double click never advances twice.

The data is committed (`transaction=True`); the parent closes its connections and forks workers, each of
which opens its own connection to the test database and waits on a barrier so they all act at once.
"""

from __future__ import annotations

import multiprocessing as mp
from typing import Any

import pytest
from django.db import connection, connections

from onetrip.flow.models import FlowEvent, TaskRecord, TaskStatus
from onetrip.flow.tests.casebuilders import NOW, bundle_case, open_tasks, staff, version
from onetrip.intake.models import CaseStatus

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def _approve(task_pk: int, user_pk: int, expected: int, retry: bool, barrier: Any, out: Any) -> None:
    from onetrip.core.errors import Conflict
    from onetrip.flow import services
    from onetrip.flow.models import ProcessInstanceRecord, TaskRecord
    from onetrip.orgs.models import User

    try:
        task = TaskRecord.objects.get(pk=task_pk)
        user = User.objects.get(pk=user_pk)
        barrier.wait(timeout=30)
        for _ in range(20):
            try:
                services.task_approve(task=task, actor=user, now=NOW, expected_version=expected)
                out.put(("ok", task_pk))
                return
            except Conflict as exc:
                code = exc.errors[0].code
                if not (retry and code == "stale_version"):
                    out.put((code, task_pk))
                    return
                # Another department got in first: reload the case and try again, as the page would.
                expected = ProcessInstanceRecord.objects.get(case_id=task.case_id).version
        out.put(("gave_up", task_pk))
    except Exception as exc:  # report anything else to the parent instead of dying silently
        out.put((f"error: {exc!r}", task_pk))
    finally:
        connections.close_all()


def _race(jobs: list[tuple[int, int, int, bool]]) -> list[tuple[str, int]]:
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(len(jobs))
    out = ctx.Queue()
    connections.close_all()  # children must not share the parent's socket
    procs = [ctx.Process(target=_approve, args=(*job, barrier, out)) for job in jobs]
    for p in procs:
        p.start()
    results = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    return results


def _to_last_step(case) -> dict[int, Any]:
    """Work every member up to its last step, so each department has its final task open."""
    handlers: dict[int, Any] = {}
    for _ in range(30):
        tasks = open_tasks(case)
        if all(t.step_code == "decide" for t in tasks):
            return handlers
        t = next(t for t in tasks if t.step_code != "decide")
        user = handlers.setdefault(t.department_id, staff(t.department))
        from onetrip.flow import services

        services.task_approve(task=t, actor=user, now=NOW, expected_version=version(case))
    raise AssertionError("members did not reach their last step")


def test_parallel_departments_approving_at_once_fire_the_join_exactly_once():
    case = bundle_case(members=4)
    handlers = _to_last_step(case)
    tasks = open_tasks(case)
    assert len(tasks) == 4
    v = version(case)
    results = _race([(t.pk, handlers[t.department_id].pk, v, True) for t in tasks])
    assert sorted(r[0] for r in results) == ["ok"] * 4, results
    assert TaskRecord.objects.filter(case=case, step_code="decide", status=TaskStatus.APPROVED).count() == 4
    assert FlowEvent.objects.filter(case=case, kind="joined", data__step="issue").count() == 1
    [issue] = open_tasks(case)
    assert issue.step_code == "issue"
    assert version(case) == v + 4
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS


def test_a_double_click_advances_once_and_the_other_gets_409():
    case = bundle_case(members=2)
    handlers = _to_last_step(case)
    task = open_tasks(case)[0]
    user = handlers[task.department_id].pk
    v = version(case)
    results = _race([(task.pk, user, v, False), (task.pk, user, v, False), (task.pk, user, v, False)])
    codes = sorted(r[0] for r in results)
    assert codes == ["ok", "stale_version", "stale_version"], results
    assert version(case) == v + 1
    assert FlowEvent.objects.filter(case=case, kind="task_approved", task_id=task.task_id).count() == 1
