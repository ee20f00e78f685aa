"""Rules from the source documents: timeout policies, 缺席默认, 模拟审批, 承诺制, 容缺, 首问责任, deadlines."""

from __future__ import annotations

import datetime as dt

import pytest

from onetrip.flow.engine import (
    Actor,
    Countersign,
    EngineError,
    Status,
    StepDef,
    TimeoutAction,
    TimeoutPolicy,
    WorkdaysCalculator,
)
from onetrip.workdays.core import SHANGHAI, Calendar
from onetrip.workdays.package import package_arrangements

from .flows import (
    APPLICANT,
    CLERK,
    NOW,
    end_step,
    handler,
    kinds,
    leader,
    make_engine,
    one_at,
    open_at,
    process,
    serial,
    start_step,
    task,
)

LATE = NOW + dt.timedelta(days=8)  # after a 5-working-day limit started on a Monday


def timed(policy: TimeoutPolicy):
    return process(
        "timed",
        [start_step(), task("review", timeout=policy), task("decide"), end_step()],
        [("start", "review"), ("review", "decide"), ("decide", "end")],
    )


def begin(engine, key, **kw):
    kw.setdefault("applicant", APPLICANT.user)
    inst, _ = engine.start(key=key, version=1, now=NOW, actor=CLERK, **kw)
    return inst


def test_sweep_reports_nothing_before_the_deadline():
    engine = make_engine(timed(TimeoutPolicy.REMIND))
    inst = begin(engine, "timed")
    assert engine.sweep(inst, NOW + dt.timedelta(days=6)) == []  # due the next Monday, 5 working days on
    assert [a.kind for a in engine.sweep(inst, LATE)] == ["remind"]


def test_timeout_remind_is_applied_once():
    engine = make_engine(timed(TimeoutPolicy.REMIND))
    inst = begin(engine, "timed")
    (action,) = engine.sweep(inst, LATE)
    inst, events = engine.apply_timeout(inst, action, now=LATE)
    assert kinds(events) == ["timeout_reminded"] and events[0].data["responsible"] == "review"
    assert engine.sweep(inst, LATE) == []
    with pytest.raises(EngineError) as info:
        engine.apply_timeout(inst, action, now=LATE)
    assert info.value.code == "timeout_not_due" and info.value.conflict


def test_deemed_approval_moves_on_and_leaves_an_obligation_on_the_late_department():
    engine = make_engine(timed(TimeoutPolicy.DEEM_APPROVED))
    inst = begin(engine, "timed")
    (action,) = engine.sweep(inst, LATE)
    assert action.kind == "deem_approved"
    inst, events = engine.apply_timeout(inst, action, now=LATE)
    approved = events[0]
    assert approved.kind == "task_approved" and approved.data["deemed"] is True
    assert approved.data["responsible"] == "review" and approved.actor == "system"
    obligation = next(e for e in events if e.kind == "obligation")
    assert obligation.data == {
        "kind": "issue_approval",
        "step": "review",
        "department": "review",
        "deemed": True,
    }
    assert one_at(inst, "decide")


def test_timeout_reject_ends_the_case():
    engine = make_engine(timed(TimeoutPolicy.REJECT))
    inst = begin(engine, "timed")
    inst, events = engine.apply_timeout(inst, engine.sweep(inst, LATE)[0], now=LATE)
    assert inst.status is Status.REJECTED and events[0].data["deemed"] is True


def test_escalation_hands_the_task_to_the_departments_leader():
    engine = make_engine(timed(TimeoutPolicy.ESCALATE))
    inst = begin(engine, "timed")
    inst, events = engine.apply_timeout(inst, engine.sweep(inst, LATE)[0], now=LATE)
    assert kinds(events) == ["escalated"]
    tid = one_at(inst, "review")
    with pytest.raises(EngineError) as info:
        engine.approve(inst, task=tid, actor=handler("review"), now=LATE)
    assert info.value.code == "not_entitled"
    inst, _ = engine.approve(inst, task=tid, actor=leader("review"), now=LATE)


def test_the_clock_is_stopped_for_the_sweep_while_suspended():
    engine = make_engine(timed(TimeoutPolicy.DEEM_APPROVED))
    inst = begin(engine, "timed", lead="window")
    inst, _ = engine.suspend(inst, actor=CLERK, now=NOW, reason="中止")
    assert engine.sweep(inst, LATE) == []
    inst, _ = engine.resume(inst, actor=CLERK, now=LATE)
    assert engine.sweep(inst, LATE) == []  # the suspension's working days were given back


def test_absence_default_deems_the_absent_countersigner_to_agree():
    step = StepDef(
        "joint",
        "联合踏勘",
        department="lead",
        role="handler",
        limit=3,
        countersign=Countersign.ALL,
        signers=("nrb", "env", "fire"),
        absence_default=True,
    )
    engine = make_engine(
        process("joint", [start_step(), step, end_step()], [("start", "joint"), ("joint", "end")])
    )
    inst = begin(engine, "joint")
    ids = open_at(inst, "joint")
    for dept, tid in zip(("nrb", "env"), ids, strict=False):
        inst, _ = engine.approve(
            inst, task=tid, actor=Actor(f"u-{dept}", frozenset({dept}), frozenset({"handler"})), now=NOW
        )
    (action,) = engine.sweep(inst, LATE)
    assert action == TimeoutAction("absence_default", ids[2], inst.tasks[ids[2]].due)
    inst, events = engine.apply_timeout(inst, action, now=LATE)
    assert events[0].data["responsible"] == "fire" and events[0].data["deemed"] is True
    assert "obligation" not in kinds(events) and inst.status is Status.COMPLETED


def test_simulated_approvals_turn_formal_in_one_operation():
    simulated = dict(simulate_until="land_rights == true")
    engine = make_engine(
        process(
            "build",
            [start_step(), task("plan", **simulated), task("design", **simulated), end_step()],
            [("start", "plan"), ("plan", "design"), ("design", "end")],
        )
    )
    inst = begin(engine, "build", lead="plan")
    inst, events = engine.approve(inst, task=one_at(inst, "plan"), actor=handler("plan"), now=NOW)
    assert "simulated_approval" in kinds(events)
    inst, _ = engine.approve(inst, task=one_at(inst, "design"), actor=handler("design"), now=NOW)
    assert inst.status is Status.HELD and len(inst.simulated) == 2
    with pytest.raises(EngineError) as info:
        engine.formalise(inst, actor=handler("plan"), now=NOW)
    assert info.value.code == "precondition_unmet"
    inst, events = engine.formalise(inst, actor=handler("plan"), now=NOW, variables={"land_rights": True})
    assert kinds(events) == ["approval_formalised", "approval_formalised", "completed"]
    assert inst.status is Status.COMPLETED and not inst.simulated


def test_approval_on_commitment_opens_a_verification_task():
    engine = make_engine(serial("licence", commitment=True, key="promise"))
    inst = begin(engine, "promise")
    inst, events = engine.approve(inst, task=one_at(inst, "licence"), actor=handler("licence"), now=NOW)
    assert inst.status is Status.COMPLETED
    check = one_at(inst, "verify:licence")
    assert inst.tasks[check].due == int((NOW + dt.timedelta(days=28)).timestamp())  # 20 working days
    failed, events = engine.reject(inst, task=check, actor=handler("licence"), now=NOW, reason="承诺不实")
    assert kinds(events) == ["verification_failed"] and failed.status is Status.COMPLETED
    passed, events = engine.approve(inst, task=check, actor=handler("licence"), now=NOW)
    assert kinds(events) == ["verification_passed"] and not passed.tasks


def test_a_deficiency_holds_the_result_until_supplied():
    engine = make_engine(serial("review"))
    due = NOW + dt.timedelta(days=10)
    inst = begin(engine, "serial", lead="window", deficiencies=[("tax_certificate", due)])
    inst, _ = engine.approve(inst, task=one_at(inst, "review"), actor=handler("review"), now=NOW)
    assert inst.status is Status.HELD
    (deficiency,) = inst.deficiencies
    assert engine.sweep(inst, due - dt.timedelta(seconds=1)) == []
    done, events = engine.satisfy_deficiency(inst, actor=CLERK, now=NOW, deficiency=deficiency)
    assert done.status is Status.COMPLETED and kinds(events) == ["deficiency_satisfied", "completed"]
    (overdue,) = engine.sweep(inst, due)
    assert overdue.kind == "deficiency_overdue"
    ended, events = engine.apply_timeout(inst, overdue, now=due)
    assert ended.status is Status.TERMINATED and kinds(events)[-1] == "terminated"


def test_first_contact_lead_pulls_in_other_departments():
    engine = make_engine(serial("review"))
    inst = begin(engine, "serial")
    assert inst.lead == "review"  # by default the first department asked
    with pytest.raises(EngineError) as info:
        engine.pull_in(inst, actor=handler("tax"), now=NOW, department="review", note="x")
    assert info.value.code == "not_lead" and info.value.forbidden
    inst, events = engine.pull_in(
        inst, actor=handler("review"), now=NOW, department="tax", note="请协助核实欠税"
    )
    consult = one_at(inst, "consult")
    assert events[0].data["department"] == "tax"
    inst, events = engine.approve(
        inst, task=consult, actor=Actor("t", frozenset({"tax"})), now=NOW, opinion="无欠税"
    )
    assert kinds(events) == ["consult_replied"] and events[0].data["opinion"] == "无欠税"


def test_deadlines_follow_the_official_calendar():
    calendar = Calendar(package_arrangements())
    adapter = WorkdaysCalculator(calendar)
    before_holiday = dt.datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)
    assert adapter.add(before_holiday, 1, "working") == dt.datetime(2026, 10, 8, 17, 30, tzinfo=SHANGHAI)
    assert adapter.between(before_holiday, dt.datetime(2026, 10, 9, 9, 0, tzinfo=SHANGHAI), "working") == 2
    assert adapter.between(before_holiday, dt.datetime(2026, 10, 9, 9, 0, tzinfo=SHANGHAI), "natural") == 9
    engine = make_engine(serial("review"))
    engine.deadlines = adapter
    inst, events = engine.start(key="serial", version=1, now=before_holiday, actor=CLERK)
    # 5 working days: Oct 8, 9, Saturday Oct 10 (调休), 12, 13.
    assert events[1].data["due"] == dt.datetime(2026, 10, 13, 17, 30, tzinfo=SHANGHAI)
