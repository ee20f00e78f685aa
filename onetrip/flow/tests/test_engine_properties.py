"""Properties: the join fires exactly once whatever the width and order; state round-trips and stays small."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from onetrip.flow.engine import EngineError, Instance, Status

from .flows import CLERK, NOW, handler, kinds, make_engine, one_at, parallel

ENGINES = {n: make_engine(parallel(n)) for n in (1, 2, 5, 9, 15, 30)}


def accepted(n: int) -> Instance:
    engine = ENGINES[n]
    inst, _ = engine.start(key=f"parallel{n}", version=1, now=NOW, actor=CLERK, applicant="a")
    inst, _ = engine.approve(inst, task=one_at(inst, "accept"), actor=CLERK, now=NOW)
    return inst


def dept_of(inst: Instance, tid: int) -> str:
    return inst.step_of(inst.tasks[tid])


@settings(max_examples=120, deadline=None)
@given(st.data(), st.sampled_from([2, 5, 9, 15]))
def test_join_fires_exactly_once_for_any_completion_order(data, n):
    engine = ENGINES[n]
    inst = accepted(n)
    order = data.draw(st.permutations(sorted(inst.tasks)))
    joined = 0
    for tid in order:
        version = inst.version
        actor = handler(dept_of(inst, tid))
        inst, events = engine.approve(inst, task=tid, actor=actor, now=NOW, expected_version=version)
        joined += kinds(events).count("joined")
        if data.draw(st.booleans()):  # a double click: the same request again
            try:
                engine.approve(inst, task=tid, actor=actor, now=NOW, expected_version=version)
            except EngineError as e:
                assert e.conflict
            else:
                raise AssertionError("a repeated approval went through")
    assert joined == 1 and inst.scopes[0].tokens == 1
    inst, events = engine.approve(inst, task=one_at(inst, "issue"), actor=CLERK, now=NOW)
    assert inst.status is Status.COMPLETED and not inst.tasks and inst.scopes[0].tokens == 0


@settings(max_examples=80, deadline=None)
@given(st.data(), st.sampled_from([2, 5, 9]))
def test_withdrawals_never_lose_or_duplicate_the_join(data, n):
    engine = ENGINES[n]
    inst = accepted(n)
    budget = n  # withdrawals allowed in one run
    while True:
        pending = sorted(t for t in inst.tasks if inst.step_of(inst.tasks[t]) != "issue")
        if not pending:
            break
        tid = data.draw(st.sampled_from(pending))
        actor = handler(dept_of(inst, tid))
        inst, _ = engine.approve(inst, task=tid, actor=actor, now=NOW)
        if budget and tid in inst.withdrawable and data.draw(st.integers(0, 2)) == 2:
            budget -= 1
            inst, _ = engine.withdraw(inst, task=tid, actor=actor, now=NOW)
            assert tid in inst.tasks
    assert len([t for t in inst.tasks.values() if inst.step_of(t) == "issue"]) == 1
    inst, _ = engine.approve(inst, task=one_at(inst, "issue"), actor=CLERK, now=NOW)
    assert inst.status is Status.COMPLETED


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_state_round_trips_at_every_point(data):
    n = data.draw(st.sampled_from([1, 2, 5]))
    engine = ENGINES[n]
    inst, _ = engine.start(
        key=f"parallel{n}", version=1, now=NOW, actor=CLERK, applicant="a", variables={"x": 1}
    )
    while inst.tasks:
        state = inst.to_state()
        json.dumps(state)  # JSON-able
        restored = Instance.from_state(json.loads(json.dumps(state)), engine.registry)
        assert restored.to_state() == state
        tid = data.draw(st.sampled_from(sorted(inst.tasks)))
        actor = CLERK if dept_of(inst, tid) in ("accept", "issue") else handler(dept_of(inst, tid))
        if data.draw(st.booleans()):
            inst, _ = engine.claim(inst, task=tid, actor=actor, now=NOW)
            restored, _ = engine.claim(restored, task=tid, actor=actor, now=NOW)
        inst, events = engine.approve(inst, task=tid, actor=actor, now=NOW)
        again, events_again = engine.approve(restored, task=tid, actor=actor, now=NOW)
        assert again.to_state() == inst.to_state() and events_again == events
    assert inst.status is Status.COMPLETED


def test_state_at_thirty_parallel_tasks_stays_under_4_kb():
    engine = ENGINES[30]
    inst = accepted(30)
    sizes = [len(inst.to_bytes())]
    for tid in sorted(inst.tasks):
        actor = handler(dept_of(inst, tid), f"u{tid:07d}")  # claimed by people with realistic ids
        inst, _ = engine.claim(inst, task=tid, actor=actor, now=NOW)
        sizes.append(len(inst.to_bytes()))
    for tid in sorted(inst.tasks):
        inst, _ = engine.approve(inst, task=tid, actor=handler(dept_of(inst, tid), f"u{tid:07d}"), now=NOW)
        sizes.append(len(inst.to_bytes()))
    assert max(sizes) <= 4096, max(sizes)
    assert Instance.from_bytes(inst.to_bytes(), engine.registry).to_bytes() == inst.to_bytes()
