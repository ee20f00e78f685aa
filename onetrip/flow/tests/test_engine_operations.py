"""Task and case operations: each checks state and actor, changes nothing on error, returns events."""

from __future__ import annotations

import datetime as dt

import pytest

from onetrip.flow.engine import (
    Actor,
    Countersign,
    EngineError,
    Instance,
    MemberDef,
    Status,
    StepDef,
    StepKind,
    bundle_process,
)

from .flows import (
    APPLICANT,
    CLERK,
    NOW,
    SUPERVISOR,
    WINDOW_LEADER,
    accept,
    end_step,
    handler,
    issue,
    kinds,
    leader,
    make_engine,
    one_at,
    open_at,
    parallel,
    process,
    serial,
    start_step,
    task,
)


def refused(
    call, code: str, *, conflict: bool = False, forbidden: bool = False, inst: Instance | None = None
):
    before = inst.to_state() if inst is not None else None
    with pytest.raises(EngineError) as info:
        call()
    error = info.value
    assert (error.code, error.conflict, error.forbidden) == (code, conflict, forbidden)
    assert error.message_zh and error.message_en
    if inst is not None:
        assert inst.to_state() == before  # nothing changed
    return error


def started(engine, key="parallel3", **kw):
    kw.setdefault("applicant", APPLICANT.user)
    inst, events = engine.start(key=key, version=1, now=NOW, actor=CLERK, **kw)
    return inst, events


def accepted(engine, key="parallel3", **kw):
    inst, _ = started(engine, key, **kw)
    inst, _ = engine.approve(inst, task=one_at(inst, "accept"), actor=CLERK, now=NOW)
    return inst


def test_start_opens_the_first_task_with_its_due_date():
    engine = make_engine(parallel(3))
    inst, events = started(engine)
    assert kinds(events) == ["started", "task_created"]
    created = events[1].data
    assert created["step"] == "accept" and created["department"] == "window"
    assert created["due"] == NOW + dt.timedelta(days=1)  # Monday + 1 working day
    assert inst.version == 1 and inst.status is Status.RUNNING and inst.lead == "window"


def test_parallel_branches_join_once_then_the_case_completes():
    engine = make_engine(parallel(3))
    inst = accepted(engine)
    assert len(open_at(inst, "d0") + open_at(inst, "d1") + open_at(inst, "d2")) == 3
    for i in (2, 0):
        inst, events = engine.approve(inst, task=one_at(inst, f"d{i}"), actor=handler(f"d{i}"), now=NOW)
        assert "joined" not in kinds(events)
    inst, events = engine.approve(inst, task=one_at(inst, "d1"), actor=handler("d1"), now=NOW)
    assert kinds(events) == ["task_approved", "joined", "task_created"]
    inst, events = engine.approve(inst, task=one_at(inst, "issue"), actor=CLERK, now=NOW)
    assert inst.status is Status.COMPLETED and kinds(events)[-1] == "completed" and not inst.tasks


def test_a_double_click_fails_with_a_conflict_and_changes_nothing():
    engine = make_engine(parallel(3))
    inst = accepted(engine)
    tid, version = one_at(inst, "d0"), inst.version
    after, _ = engine.approve(inst, task=tid, actor=handler("d0"), now=NOW, expected_version=version)
    refused(
        lambda: engine.approve(after, task=tid, actor=handler("d0"), now=NOW, expected_version=version),
        "stale_version",
        conflict=True,
        inst=after,
    )
    refused(
        lambda: engine.approve(after, task=tid, actor=handler("d0"), now=NOW), "task_not_open", conflict=True
    )
    assert after.version == version + 1


def test_only_the_responsible_department_and_role_may_act():
    engine = make_engine(parallel(3))
    inst = accepted(engine)
    tid = one_at(inst, "d0")
    refused(
        lambda: engine.approve(inst, task=tid, actor=handler("d1"), now=NOW), "not_entitled", forbidden=True
    )
    clerk_of_d0 = Actor("x", frozenset({"d0"}), frozenset({"clerk"}))
    refused(
        lambda: engine.approve(inst, task=tid, actor=clerk_of_d0, now=NOW), "not_entitled", forbidden=True
    )
    inst, _ = engine.approve(
        inst, task=tid, actor=leader("d0"), now=NOW
    )  # a leader may act for the department


def test_naive_times_are_refused():
    engine = make_engine(parallel(3))
    with pytest.raises(EngineError) as info:
        engine.start(key="parallel3", version=1, now=dt.datetime(2026, 11, 2, 10), actor=CLERK)
    assert info.value.code == "naive_datetime"


def test_claim_names_the_person_and_keeps_others_out():
    engine = make_engine(parallel(3))
    inst = accepted(engine)
    tid = one_at(inst, "d0")
    inst, events = engine.claim(inst, task=tid, actor=handler("d0", "alice"), now=NOW)
    assert inst.tasks[tid].assignee == "alice" and kinds(events) == ["task_claimed"]
    refused(
        lambda: engine.claim(inst, task=tid, actor=handler("d0", "alice"), now=NOW),
        "already_claimed",
        conflict=True,
    )
    refused(
        lambda: engine.approve(inst, task=tid, actor=handler("d0", "bob"), now=NOW),
        "not_entitled",
        forbidden=True,
    )


def test_reject_ends_the_case_and_cancels_the_other_tasks():
    engine = make_engine(parallel(3))
    inst = accepted(engine)
    refused(
        lambda: engine.reject(inst, task=one_at(inst, "d0"), actor=handler("d0"), now=NOW, reason=" "),
        "reason_required",
    )
    inst, events = engine.reject(
        inst, task=one_at(inst, "d0"), actor=handler("d0"), now=NOW, reason="不符合规划"
    )
    assert inst.status is Status.REJECTED and not inst.tasks
    assert kinds(events) == ["task_rejected", "task_cancelled", "task_cancelled", "rejected"]


def test_return_to_applicant_stops_the_case_until_the_applicant_resubmits():
    engine = make_engine(serial("review"))
    inst, _ = engine.start(key="serial", version=1, now=NOW, actor=CLERK, applicant=APPLICANT.user)
    tid = one_at(inst, "review")
    inst, events = engine.return_to_applicant(
        inst, task=tid, actor=handler("review"), now=NOW, reason="材料不全", items=["身份证明"]
    )
    assert inst.status is Status.CORRECTION and events[0].data["items"] == ["身份证明"]
    refused(
        lambda: engine.approve(inst, task=tid, actor=handler("review"), now=NOW),
        "invalid_case_state",
        conflict=True,
    )
    refused(lambda: engine.resubmit(inst, actor=CLERK, now=NOW), "not_applicant", forbidden=True)
    later = NOW + dt.timedelta(days=2)  # Wednesday: two working days given back
    inst, _ = engine.resubmit(inst, actor=APPLICANT, now=later, variables={"fixed": True})
    assert inst.status is Status.RUNNING and inst.variables["fixed"] is True
    assert inst.tasks[tid].due == int((NOW + dt.timedelta(days=9)).timestamp())  # 5 + 2 working days
    inst, _ = engine.approve(inst, task=tid, actor=handler("review"), now=later)
    assert inst.status is Status.COMPLETED


def test_return_to_an_earlier_step_cancels_parallel_siblings_and_their_join():
    engine = make_engine(parallel(3))
    inst = accepted(engine)
    inst, _ = engine.approve(inst, task=one_at(inst, "d0"), actor=handler("d0"), now=NOW)
    assert inst.joins
    inst, events = engine.return_to_step(
        inst, task=one_at(inst, "d1"), step="accept", actor=handler("d1"), now=NOW, reason="受理有误"
    )
    assert kinds(events).count("task_cancelled") == 2 and not inst.joins
    accept_id = one_at(inst, "accept")
    assert [inst.step_of(t) for t in inst.tasks.values()] == ["accept"]
    inst, _ = engine.approve(inst, task=accept_id, actor=CLERK, now=NOW)
    for i in range(3):
        inst, _ = engine.approve(inst, task=one_at(inst, f"d{i}"), actor=handler(f"d{i}"), now=NOW)
    inst, _ = engine.approve(inst, task=one_at(inst, "issue"), actor=CLERK, now=NOW)
    assert inst.status is Status.COMPLETED


def test_return_inside_one_branch_keeps_the_other_branch():
    steps = [start_step(), accept(), task("a1"), task("a2"), task("b"), issue(), end_step()]
    edges = [
        ("start", "accept"),
        ("accept", "a1"),
        ("a1", "a2"),
        ("a2", "issue"),
        ("accept", "b"),
        ("b", "issue"),
        ("issue", "end"),
    ]
    engine = make_engine(process("branches", steps, edges))
    inst = accepted(engine, "branches")
    inst, _ = engine.approve(inst, task=one_at(inst, "b"), actor=handler("b"), now=NOW)
    inst, _ = engine.approve(inst, task=one_at(inst, "a1"), actor=handler("a1"), now=NOW)
    inst, _ = engine.return_to_step(
        inst, task=one_at(inst, "a2"), step="a1", actor=handler("a2"), now=NOW, reason="补充意见"
    )
    assert list(inst.joins.values()) == [(inst.process.index["b"],)]  # b's arrival is kept
    refused(
        lambda: engine.return_to_step(
            inst, task=one_at(inst, "a1"), step="b", actor=handler("a1"), now=NOW, reason="x"
        ),
        "not_an_earlier_step",
        inst=inst,
    )
    inst, _ = engine.approve(inst, task=one_at(inst, "a1"), actor=handler("a1"), now=NOW)
    inst, events = engine.approve(inst, task=one_at(inst, "a2"), actor=handler("a2"), now=NOW)
    assert "joined" in kinds(events) and one_at(inst, "issue")


def test_transfer_hands_the_task_to_another_department():
    engine = make_engine(parallel(3))
    inst = accepted(engine)
    tid = one_at(inst, "d0")
    inst, events = engine.transfer(
        inst, task=tid, actor=handler("d0"), now=NOW, department="d9", reason="职责调整"
    )
    assert events[0].data == {"from": "d0", "to": "d9", "user": None, "reason": "职责调整"}
    refused(
        lambda: engine.approve(inst, task=tid, actor=handler("d0"), now=NOW), "not_entitled", forbidden=True
    )
    inst, _ = engine.approve(inst, task=tid, actor=handler("d9"), now=NOW)


def test_delegation_returns_the_result_to_the_delegator():
    engine = make_engine(parallel(3))
    inst = accepted(engine)
    tid = one_at(inst, "d0")
    boss, helper = handler("d0", "boss"), Actor("helper", frozenset({"d5"}))
    inst, _ = engine.delegate(inst, task=tid, actor=boss, now=NOW, to_user="helper", note="请核实")
    refused(
        lambda: engine.delegate(inst, task=tid, actor=helper, now=NOW, to_user="x"),
        "already_delegated",
        conflict=True,
    )
    inst, events = engine.approve(inst, task=tid, actor=helper, now=NOW, opinion="属实")
    assert kinds(events) == ["delegation_returned"] and events[0].data["opinion"] == "属实"
    assert inst.tasks[tid].assignee == "boss"  # still open, back with the delegator
    inst, events = engine.approve(inst, task=tid, actor=boss, now=NOW)
    assert kinds(events) == ["task_approved"]


def countersign(mode: Countersign, signers=("p1", "p2", "p3"), **kw) -> object:
    step = StepDef(
        "joint",
        "联合审查",
        department="lead",
        role="handler",
        limit=3,
        countersign=mode,
        signers=signers,
        **kw,
    )
    return process("joint", [start_step(), step, end_step()], [("start", "joint"), ("joint", "end")])


def signer(name: str) -> Actor:
    return Actor(name, frozenset({"lead"}), frozenset({"handler"}))


def test_countersign_all_needs_every_signer():
    engine = make_engine(countersign(Countersign.ALL))
    inst, _ = started(engine, "joint")
    ids = open_at(inst, "joint")
    assert [inst.tasks[i].assignee for i in ids] == ["p1", "p2", "p3"]
    for name, tid in zip(("p1", "p2"), ids, strict=False):
        inst, _ = engine.approve(inst, task=tid, actor=signer(name), now=NOW)
        assert inst.status is Status.RUNNING
    refused(
        lambda: engine.approve(inst, task=ids[2], actor=signer("p1"), now=NOW), "not_entitled", forbidden=True
    )
    inst, _ = engine.approve(inst, task=ids[2], actor=signer("p3"), now=NOW)
    assert inst.status is Status.COMPLETED


def test_countersign_any_is_decided_by_the_first_signer():
    engine = make_engine(countersign(Countersign.ANY))
    inst, _ = started(engine, "joint")
    inst, events = engine.approve(inst, task=open_at(inst, "joint")[1], actor=signer("p2"), now=NOW)
    assert kinds(events).count("task_cancelled") == 2 and inst.status is Status.COMPLETED


def test_countersign_in_sequence_opens_one_signer_after_another():
    engine = make_engine(countersign(Countersign.SEQUENCE))
    inst, _ = started(engine, "joint")
    for name in ("p1", "p2", "p3"):
        (tid,) = open_at(inst, "joint")
        assert inst.tasks[tid].assignee == name
        inst, _ = engine.approve(inst, task=tid, actor=signer(name), now=NOW)
    assert inst.status is Status.COMPLETED


def test_countersigners_may_come_from_case_data():
    engine = make_engine(countersign(Countersign.ALL, signers=()))
    inst, _ = started(engine, "joint", variables={"signers.joint": ["nrb", "env"]})
    assert sorted(inst.tasks[t].assignee for t in open_at(inst, "joint")) == ["env", "nrb"]
    env = Actor("e1", frozenset({"env"}), frozenset({"handler"}))
    tid = next(t for t in open_at(inst, "joint") if inst.tasks[t].assignee == "env")
    inst, _ = engine.claim(inst, task=tid, actor=env, now=NOW)
    assert (inst.tasks[tid].assignee, inst.tasks[tid].department) == ("e1", "env")


def test_add_and_remove_signers():
    engine = make_engine(countersign(Countersign.ALL, signers=("p1", "p2")))
    inst, _ = started(engine, "joint")
    first = open_at(inst, "joint")[0]
    inst, _ = engine.add_signers(inst, task=first, actor=signer("p1"), now=NOW, signers=["p4"])
    assert sorted(inst.tasks[t].assignee for t in open_at(inst, "joint")) == ["p1", "p2", "p4"]
    refused(
        lambda: engine.add_signers(inst, task=first, actor=signer("p1"), now=NOW, signers=["p2"]),
        "duplicate_signer",
    )
    inst, _ = engine.approve(inst, task=first, actor=signer("p1"), now=NOW)
    p4 = next(t for t in open_at(inst, "joint") if inst.tasks[t].assignee == "p4")
    refused(
        lambda: engine.remove_signers(inst, task=p4, actor=signer("p4"), now=NOW, signers=["p1"]),
        "unknown_signer",
    )
    inst, _ = engine.remove_signers(inst, task=p4, actor=signer("p4"), now=NOW, signers=["p2"])
    inst, _ = engine.approve(inst, task=p4, actor=signer("p4"), now=NOW)
    assert inst.status is Status.COMPLETED


def test_adding_a_signer_to_a_single_task_makes_it_a_countersign():
    engine = make_engine(serial("review"))
    inst, _ = started(engine, "serial")
    tid = one_at(inst, "review")
    inst, _ = engine.add_signers(inst, task=tid, actor=handler("review"), now=NOW, signers=["expert"])
    inst, _ = engine.approve(inst, task=tid, actor=handler("review"), now=NOW)
    assert inst.status is Status.RUNNING
    inst, _ = engine.approve(inst, task=one_at(inst, "review"), actor=Actor("expert"), now=NOW)
    assert inst.status is Status.COMPLETED


def test_withdraw_takes_back_an_approval_until_the_next_person_acts():
    engine = make_engine(parallel(3))
    inst, _ = started(engine)
    accept_id = one_at(inst, "accept")
    inst, _ = engine.approve(inst, task=accept_id, actor=CLERK, now=NOW)
    refused(
        lambda: engine.withdraw(inst, task=accept_id, actor=WINDOW_LEADER, now=NOW),
        "not_your_approval",
        forbidden=True,
    )
    back, events = engine.withdraw(inst, task=accept_id, actor=CLERK, now=NOW, reason="误操作")
    assert kinds(events) == ["task_cancelled"] * 3 + ["task_withdrawn"]
    assert list(back.tasks) == [accept_id] and back.scopes[0].tokens == 1
    claimed, _ = engine.claim(inst, task=one_at(inst, "d1"), actor=handler("d1"), now=NOW)
    refused(
        lambda: engine.withdraw(claimed, task=accept_id, actor=CLERK, now=NOW),
        "cannot_withdraw",
        conflict=True,
    )


def test_withdrawing_a_branch_takes_back_its_join_arrival():
    engine = make_engine(parallel(2))
    inst = accepted(engine, "parallel2")
    d0 = one_at(inst, "d0")
    inst, _ = engine.approve(inst, task=d0, actor=handler("d0"), now=NOW)
    inst, _ = engine.withdraw(inst, task=d0, actor=handler("d0"), now=NOW)
    assert not inst.joins and one_at(inst, "d0") == d0
    inst, _ = engine.approve(inst, task=one_at(inst, "d1"), actor=handler("d1"), now=NOW)
    inst, events = engine.approve(inst, task=d0, actor=handler("d0"), now=NOW)
    assert kinds(events).count("joined") == 1
    # The last branch fired the join: its withdrawal re-opens it and cancels the issue task.
    inst, events = engine.withdraw(inst, task=d0, actor=handler("d0"), now=NOW)
    assert kinds(events) == ["task_cancelled", "task_withdrawn"] and len(inst.joins) == 1
    inst, events = engine.approve(inst, task=d0, actor=handler("d0"), now=NOW)
    inst, _ = engine.approve(inst, task=one_at(inst, "issue"), actor=CLERK, now=NOW)
    assert inst.status is Status.COMPLETED


def test_remind_copy_and_comment():
    engine = make_engine(parallel(3))
    inst = accepted(engine)
    tid = one_at(inst, "d0")
    inst, events = engine.remind(inst, task=tid, actor=APPLICANT, now=NOW, note="请尽快办理")
    assert inst.tasks[tid].reminders == 1 and events[0].data["department"] == "d0"
    refused(
        lambda: engine.remind(inst, task=tid, actor=handler("d2"), now=NOW),
        "not_case_operator",
        forbidden=True,
    )
    version = inst.version
    events = engine.copy(inst, actor=handler("d0"), now=NOW, to=["d1"], task=tid, note="供参考")
    events += engine.comment(
        inst, actor=handler("d0"), now=NOW, text="已核实", task=tid, attachments=["doc-7"]
    )
    assert kinds(events) == ["copied", "commented"] and inst.version == version
    refused(
        lambda: engine.comment(inst, actor=handler("d2"), now=NOW, text="x", task=tid),
        "not_case_operator",
        forbidden=True,
    )
    refused(lambda: engine.comment(inst, actor=handler("d0"), now=NOW, text=" ", task=tid), "empty_comment")


def test_suspension_stops_the_clock_and_task_decisions():
    engine = make_engine(serial("review"))
    inst, _ = started(engine, "serial", lead="window")
    tid = one_at(inst, "review")
    due = inst.tasks[tid].due
    refused(
        lambda: engine.suspend(inst, actor=handler("review"), now=NOW, reason="x"),
        "not_case_operator",
        forbidden=True,
    )
    inst, _ = engine.suspend(inst, actor=CLERK, now=NOW, reason="等待司法裁决")
    refused(
        lambda: engine.approve(inst, task=tid, actor=handler("review"), now=NOW),
        "invalid_case_state",
        conflict=True,
    )
    refused(
        lambda: engine.suspend(inst, actor=CLERK, now=NOW, reason="x"), "invalid_case_state", conflict=True
    )
    inst, _ = engine.resume(inst, actor=CLERK, now=NOW + dt.timedelta(days=7))  # one week: 5 working days
    assert inst.tasks[tid].due == due + 7 * 86400
    assert inst.pauses[0].kind == "suspension" and inst.pauses[0].end is not None


def test_special_procedures_stop_the_case_clock():
    engine = make_engine(serial("review"))
    inst, _ = started(engine, "serial", lead="window", limit=(10, "working"))
    assert engine.case_deadline(inst) == NOW + dt.timedelta(days=14)
    refused(lambda: engine.special_start(inst, actor=CLERK, now=NOW, procedure="party"), "unknown_procedure")
    inst, events = engine.special_start(
        inst, actor=CLERK, now=NOW, procedure="expert_review", note="专家论证"
    )
    assert inst.status is Status.SPECIAL and engine.case_deadline(inst) is None
    inst, events = engine.special_end(inst, actor=CLERK, now=NOW + dt.timedelta(days=2), outcome="通过")
    assert events[0].data["procedure"] == "expert_review"
    assert engine.case_deadline(inst) == NOW + dt.timedelta(days=16)


def test_extension_needs_a_leader_and_adds_to_the_limits():
    engine = make_engine(serial("review"))
    inst, _ = started(engine, "serial", lead="window", limit=(10, "working"))
    tid = one_at(inst, "review")
    refused(
        lambda: engine.extend(inst, actor=CLERK, now=NOW, count=5, reason="复杂"),
        "extension_needs_leader",
        forbidden=True,
    )
    inst, _ = engine.extend(inst, actor=WINDOW_LEADER, now=NOW, count=5, reason="情况复杂", task=tid)
    assert engine.case_deadline(inst) == NOW + dt.timedelta(days=21)
    assert inst.tasks[tid].due == int((NOW + dt.timedelta(days=14)).timestamp())


def test_applicant_withdrawal_and_termination():
    engine = make_engine(parallel(3))
    inst = accepted(engine)
    refused(lambda: engine.applicant_withdraw(inst, actor=CLERK, now=NOW), "not_applicant", forbidden=True)
    gone, events = engine.applicant_withdraw(inst, actor=APPLICANT, now=NOW, reason="不再需要")
    assert (
        gone.status is Status.WITHDRAWN and not gone.tasks and kinds(events)[-1] == "withdrawn_by_applicant"
    )
    refused(
        lambda: engine.terminate(inst, actor=CLERK, now=NOW, reason="企业注销"),
        "termination_needs_leader",
        forbidden=True,
    )
    ended, _ = engine.terminate(inst, actor=SUPERVISOR, now=NOW, reason="企业注销")
    assert ended.status is Status.TERMINATED and ended.ended is not None
    refused(
        lambda: engine.terminate(ended, actor=SUPERVISOR, now=NOW, reason="x"),
        "invalid_case_state",
        conflict=True,
    )


def test_exclusive_choice_routes_on_case_data_and_refuses_a_dead_end():
    steps = [start_step(), task("a"), task("big"), task("small"), end_step()]
    edges = [
        ("start", "a"),
        ("a", "big", "area > 1000"),
        ("a", "small", {"var": "area", "op": "<=", "value": 1000}),
        ("big", "end"),
        ("small", "end"),
    ]
    engine = make_engine(process("choice", steps, edges))
    inst, _ = started(engine, "choice")
    tid = one_at(inst, "a")
    refused(
        lambda: engine.approve(inst, task=tid, actor=handler("a"), now=NOW), "no_branch_matches", inst=inst
    )
    big, _ = engine.approve(inst, task=tid, actor=handler("a"), now=NOW, variables={"area": 5000})
    small, _ = engine.approve(inst, task=tid, actor=handler("a"), now=NOW, variables={"area": 5})
    assert one_at(big, "big") and one_at(small, "small") and "area" not in inst.variables


def test_a_bundle_runs_member_processes_as_subprocesses():
    members = [
        serial("review", key="licence"),
        serial("check", "decide", key="permit"),
        serial("x", key="optional"),
    ]
    bundle = bundle_process(
        "bundle",
        1,
        members=[
            MemberDef("licence", ("licence", 1)),
            MemberDef("permit", ("permit", 1)),
            MemberDef("opt", ("optional", 1), optional=True),
        ],
        accept=accept(),
        issue=issue(),
    )
    engine = make_engine(*members, bundle)
    inst, events = started(engine, "bundle")
    inst, events = engine.approve(inst, task=one_at(inst, "accept"), actor=CLERK, now=NOW)
    assert kinds(events).count("subprocess_started") == 2 and "step_skipped" in kinds(events)
    inst, _ = engine.approve(inst, task=one_at(inst, "check"), actor=handler("check"), now=NOW)
    inst, _ = engine.return_to_step(
        inst, task=one_at(inst, "decide"), step="check", actor=handler("decide"), now=NOW, reason="补充"
    )
    inst, _ = engine.approve(inst, task=one_at(inst, "check"), actor=handler("check"), now=NOW)
    inst, events = engine.approve(inst, task=one_at(inst, "decide"), actor=handler("decide"), now=NOW)
    assert "subprocess_completed" in kinds(events) and not open_at(inst, "issue")
    inst, events = engine.approve(inst, task=one_at(inst, "review"), actor=handler("review"), now=NOW)
    assert kinds(events)[-2:] == ["joined", "task_created"]
    inst, _ = engine.approve(inst, task=one_at(inst, "issue"), actor=CLERK, now=NOW)
    assert inst.status is Status.COMPLETED
    restored = Instance.from_state(inst.to_state(), engine.registry)
    assert restored.to_state() == inst.to_state()


def test_a_return_stays_inside_its_own_process():
    member = serial("review", key="licence")
    bundle = bundle_process(
        "bundle", 1, members=[MemberDef("licence", ("licence", 1))], accept=accept(), issue=issue()
    )
    engine = make_engine(member, bundle)
    inst = accepted(engine, "bundle")
    refused(
        lambda: engine.return_to_step(
            inst, task=one_at(inst, "review"), step="accept", actor=handler("review"), now=NOW, reason="x"
        ),
        "unknown_step",
        inst=inst,
    )


def test_returning_to_acceptance_cancels_a_running_subprocess():
    member = serial("review", "decide", key="licence")
    steps = [
        start_step(),
        accept(),
        StepDef("licence", "许可", StepKind.SUBPROCESS, process=("licence", 1)),
        task("fee"),
        issue(),
        end_step(),
    ]
    edges = [
        ("start", "accept"),
        ("accept", "licence"),
        ("accept", "fee"),
        ("licence", "issue"),
        ("fee", "issue"),
        ("issue", "end"),
    ]
    engine = make_engine(member, process("mixed", steps, edges))
    inst = accepted(engine, "mixed")
    inst, _ = engine.approve(inst, task=one_at(inst, "review"), actor=handler("review"), now=NOW)
    inst, events = engine.return_to_step(
        inst, task=one_at(inst, "fee"), step="accept", actor=handler("fee"), now=NOW, reason="重新受理"
    )
    assert sorted(inst.step_of(t) for t in inst.tasks.values()) == ["accept"]
    assert inst.scopes[0].tokens == 1 and all(s.tokens == -1 for k, s in inst.scopes.items() if k)
    inst, _ = engine.approve(inst, task=one_at(inst, "accept"), actor=CLERK, now=NOW)
    for code in ("review", "decide", "fee"):
        inst, _ = engine.approve(inst, task=one_at(inst, code), actor=handler(code), now=NOW)
    inst, _ = engine.approve(inst, task=one_at(inst, "issue"), actor=CLERK, now=NOW)
    assert inst.status is Status.COMPLETED
