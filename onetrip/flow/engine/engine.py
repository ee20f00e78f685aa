"""Operations: pure transitions `instance → Outcome(new instance, events)`.

Every operation checks the expected version, the instance's and the task's state and the actor first; it
then works on a fork of the instance (containers copied, tasks/scopes/groups cloned before they change), so
an error at any point leaves the caller's instance untouched. A successful operation increments `version`
(comments and copies, which only add events, do not change state and keep it).

Decisions the issue leaves open, made here:

* A rejection (by a signer of any countersign mode, or by the `reject` timeout policy) ends the case as
  rejected (不予许可) and cancels its other tasks; follow-up verification tasks survive only completion.
* 或签 (any): the first decision decides. 依次 (sequence): signers act one after another.
* 撤回 (withdraw) takes back a single-handler approval while nothing it created has been acted on and it
  did not finish a subprocess or the case; a countersign signature cannot be withdrawn. Variables set with
  the approval stay.
* Pauses (suspension, special procedure, correction) stop every task clock; on resume each open task gets
  back the units the pause covered. Task decisions are refused while paused.
* The case is held (HELD) when its flow ends with an unsatisfied 容缺 deficiency or a simulated approval
  outstanding, and completes when the last is resolved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from .deadlines import DeadlineCalculator
from .definition import Countersign, Node, Registry, StepKind, TimeoutPolicy
from .errors import EngineError, bad, conflict, forbidden
from .model import (
    CONSULT,
    DETACHED,
    ESCALATED,
    PAUSED,
    RETURNED,
    SYSTEM,
    TERMINAL,
    TIMED_OUT,
    VERIFY,
    Actor,
    Deficiency,
    Event,
    Group,
    Instance,
    Pause,
    Scope,
    Simulated,
    SpecialProcedure,
    Status,
    Task,
    Withdrawable,
)

_UTC = dt.UTC


class Outcome(NamedTuple):
    instance: Instance
    events: list[Event]


class TimeoutAction(NamedTuple):
    """A due action found by `sweep`: kind is a TimeoutPolicy value, `absence_default` or
    `deficiency_overdue`; `target` is the task id (or the deficiency id)."""

    kind: str
    target: int
    due: int


def _epoch(now: dt.datetime) -> int:
    if not isinstance(now, dt.datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise bad("naive_datetime", "时间必须带时区", "The time must be timezone-aware", "now")
    return int(now.timestamp())


def _instant(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, _UTC)


def _not_open(task: int) -> EngineError:
    return conflict(
        "task_not_open",
        f"任务{task}不存在或已办结",
        f"Task {task} does not exist or is no longer open",
        "task",
    )


_STATUS_ZH = {
    Status.RUNNING: "办理中",
    Status.CORRECTION: "补正中",
    Status.SUSPENDED: "已中止",
    Status.SPECIAL: "特别程序中",
    Status.HELD: "待出件",
    Status.COMPLETED: "已办结",
    Status.REJECTED: "不予许可",
    Status.WITHDRAWN: "已撤回",
    Status.TERMINATED: "已终止",
}


def _wrong_status(status: Status) -> EngineError:
    return conflict(
        "invalid_case_state",
        f"办件当前状态为“{_STATUS_ZH[status]}”，不能进行此操作",
        f"The case is {status.value}; this operation is not allowed now",
        "status",
    )


class _Trace:
    """What an approval did, for 撤回."""

    __slots__ = ("spawned", "groups", "arrivals", "fired", "irreversible", "simulated")

    def __init__(self) -> None:
        self.spawned: list[int] = []
        self.groups: list[int] = []
        self.arrivals: list[tuple[int, int, int]] = []
        self.fired: list[tuple[int, int, tuple[int, ...]]] = []
        self.irreversible = False
        self.simulated = False


class _Tx:
    """One operation in progress on a fork of the instance."""

    __slots__ = ("engine", "inst", "now", "at", "actor", "events", "trace")

    def __init__(self, engine: Engine, inst: Instance, now: dt.datetime, at: int, actor: Actor) -> None:
        self.engine = engine
        self.inst = inst
        self.now = now
        self.at = at
        self.actor = actor
        self.events: list[Event] = []
        self.trace: _Trace | None = None

    def emit(self, kind: str, task: int | None = None, data: dict[str, Any] | None = None) -> None:
        self.events.append(Event(kind, self.now, self.actor.user, task, data))

    def done(self) -> Outcome:
        self.inst.version += 1
        return Outcome(self.inst, self.events)

    # -- copy on write --------------------------------------------------------------------------------

    def task_w(self, tid: int) -> Task:
        t = self.inst.tasks[tid].clone()
        self.inst.tasks[tid] = t
        return t

    def scope_w(self, sid: int) -> Scope:
        s = self.inst.scopes[sid].clone()
        self.inst.scopes[sid] = s
        return s

    def group_w(self, gid: int) -> Group:
        g = self.inst.groups[gid].clone()
        self.inst.groups[gid] = g
        return g

    def touch(self, task: Task) -> None:
        """Someone acts on `task`: the approval that created it can no longer be withdrawn."""
        if task.origin in self.inst.withdrawable:
            del self.inst.withdrawable[task.origin]

    # -- the token game -------------------------------------------------------------------------------

    def node_of(self, task: Task) -> Node:
        return self.inst.scopes[task.scope].process.nodes[task.node]

    def new_id(self) -> int:
        tid = self.inst.next_id
        self.inst.next_id = tid + 1
        return tid

    def create_task(
        self,
        scope: int,
        node: Node,
        origin: int,
        *,
        assignee: str | None = None,
        department: str | None = None,
        flags: int = 0,
        group: int = 0,
        limit: tuple[int, str] | None = None,
    ) -> Task:
        step = node.step
        tid = self.new_id()
        if limit is None and step.limit is not None:
            limit = (step.limit, step.unit)
        due_at = self.engine.deadlines.add(self.now, limit[0], limit[1]) if limit else None
        due = int(due_at.timestamp()) if due_at is not None else None
        task = Task(tid, scope, node.index, self.at, due, assignee, department, flags, group, origin)
        self.inst.tasks[tid] = task
        dept = department or step.department
        if self.inst.lead is None and dept and not flags & DETACHED:
            self.inst.lead = dept
        self.emit(
            "task_created",
            tid,
            {
                "step": "consult"
                if flags & CONSULT
                else f"verify:{step.code}"
                if flags & VERIFY
                else step.code,
                "name": "" if flags & CONSULT else step.name,
                "department": dept,
                "assignee": assignee,
                "role": step.role,
                "due": due_at,
                "scope": scope,
            },
        )
        if self.trace is not None:
            self.trace.spawned.append(tid)
        return task

    def activate(self, scope: int, node: Node, origin: int) -> None:
        step = node.step
        if node.skip is not None and not node.skip(self.inst.variables):
            self.emit("step_skipped", data={"step": step.code, "scope": scope})
            self.leave(scope, node, origin)
            return
        kind = step.kind
        if kind is StepKind.TASK:
            if step.countersign is Countersign.SINGLE:
                self.create_task(
                    scope, node, origin, assignee=step.signers[0] if len(step.signers) == 1 else None
                )
                return
            self.open_group(scope, node, origin, self.signers_of(node))
        elif kind is StepKind.END:
            sc = self.scope_w(scope)
            sc.tokens -= 1
            if sc.tokens == 0:
                self.scope_done(sc, origin)
        elif kind is StepKind.SUBPROCESS:
            assert step.process is not None  # compile guarantees it
            child = self.engine.registry.get(*step.process)
            sid = self.new_id()
            self.inst.scopes[sid] = Scope(sid, child, scope, node.index, 1)
            self.emit(
                "subprocess_started", data={"scope": sid, "step": step.code, "process": list(child.ref)}
            )
            if self.trace is not None:
                self.trace.irreversible = True
            self.leave(sid, child.nodes[child.start], origin)
        else:  # a start step is never entered through a transition (compile refuses incoming ones)
            self.leave(scope, node, origin)

    def signers_of(self, node: Node) -> list[str]:
        step = node.step
        if step.signers:
            return list(step.signers)
        configured = self.inst.variables.get(f"signers.{step.code}")
        if isinstance(configured, list) and configured and all(isinstance(s, str) for s in configured):
            return list(configured)
        if step.department:
            return [step.department]
        raise bad(
            "no_signers",
            f"会签环节“{step.name or step.code}”没有会签人",
            f"Countersign step {step.code!r} has no signers",
            "signers",
        )

    def open_group(self, scope: int, node: Node, origin: int, signers: list[str]) -> None:
        gid = self.new_id()
        mode = node.step.countersign.value
        first = signers if mode != Countersign.SEQUENCE else signers[:1]
        queue = [] if mode != Countersign.SEQUENCE else signers[1:]
        self.inst.groups[gid] = Group(gid, scope, node.index, mode, len(first), queue)
        if self.trace is not None:
            self.trace.groups.append(gid)
        for signer in first:
            self.create_task(scope, node, origin, assignee=signer, group=gid)

    def leave(self, scope: int, node: Node, origin: int) -> None:
        targets: tuple[int, ...]
        if node.choices:
            variables = self.inst.variables
            for predicate, target in node.choices:
                if predicate(variables):
                    targets = (target,)
                    break
            else:
                if node.default is None:
                    raise bad(
                        "no_branch_matches",
                        f"环节“{node.step.name or node.step.code}”之后的条件分支均不满足",
                        f"No condition after step {node.step.code!r} holds",
                        "variables",
                    )
                targets = (node.default,)
        else:
            targets = node.out
        if len(targets) > 1:
            self.scope_w(scope).tokens += len(targets) - 1
        nodes = self.inst.scopes[scope].process.nodes
        for target in targets:
            self.enter(scope, nodes[target], node.index, origin)

    def enter(self, scope: int, node: Node, source: int, origin: int) -> None:
        if node.join:
            key = (scope, node.index)
            before = self.inst.joins.get(key, ())
            if len(before) + 1 < node.join:
                self.inst.joins[key] = (*before, source)
                self.scope_w(scope).tokens -= 1
                if self.trace is not None:
                    self.trace.arrivals.append((scope, node.index, source))
                return
            self.inst.joins.pop(key, None)
            # The branches that arrived earlier can no longer be withdrawn: the join has moved on.
            stale = [
                tid
                for tid, w in self.inst.withdrawable.items()
                if any(a[0] == scope and a[1] == node.index for a in w.arrivals)
            ]
            for tid in stale:
                del self.inst.withdrawable[tid]
            if self.trace is not None:
                self.trace.fired.append((scope, node.index, before))
            self.emit("joined", data={"step": node.step.code, "scope": scope, "branches": node.join})
        self.activate(scope, node, origin)

    def scope_done(self, sc: Scope, origin: int) -> None:
        if self.trace is not None:
            self.trace.irreversible = True
        if sc.id == 0:
            self.finish_flow()
            return
        sc.tokens = -1
        self.emit("subprocess_completed", data={"scope": sc.id, "process": list(sc.process.ref)})
        parent = self.inst.scopes[sc.parent]
        self.leave(parent.id, parent.process.nodes[sc.parent_node], origin)

    def finish_flow(self) -> None:
        inst = self.inst
        if inst.deficiencies or inst.simulated:
            inst.status = Status.HELD
            self.emit(
                "held",
                data={"deficiencies": sorted(inst.deficiencies), "simulated": sorted(inst.simulated)},
            )
            return
        inst.status = Status.COMPLETED
        inst.ended = self.at
        self.emit("completed")

    def release_if_held(self) -> None:
        inst = self.inst
        if inst.status is Status.HELD and not inst.deficiencies and not inst.simulated:
            inst.status = Status.COMPLETED
            inst.ended = self.at
            self.emit("completed")

    # -- decisions ------------------------------------------------------------------------------------

    def approve(
        self, task: Task, opinion: str, *, deemed: bool = False, responsible: str | None = None
    ) -> None:
        inst = self.inst
        del inst.tasks[task.id]
        self.touch(task)
        node = self.node_of(task)
        data: dict[str, Any] = {"step": node.step.code, "opinion": opinion}
        if deemed:
            data["deemed"] = True
            data["responsible"] = responsible
        if task.flags & VERIFY:
            self.emit("verification_passed", task.id, data)
            return
        if task.flags & CONSULT:
            self.emit("consult_replied", task.id, data)
            return
        self.emit("task_approved", task.id, data)
        if task.group:
            g = self.group_w(task.group)
            g.open -= 1
            g.approvals += 1
            if g.mode == Countersign.ANY:
                for other in [t for t in inst.tasks.values() if t.group == g.id]:
                    self.cancel(other, "decided_by_other_signer")
                g.open = 0
            elif g.mode == Countersign.SEQUENCE and g.queue:
                nxt = g.queue.pop(0)
                g.open += 1
                self.create_task(task.scope, node, task.id, assignee=nxt, group=g.id)
            if g.open > 0:
                return
            del inst.groups[g.id]
        self.step_done(task, node)

    def step_done(self, task: Task, node: Node) -> None:
        step = node.step
        if node.simulate is not None and not node.simulate(self.inst.variables):
            dept = task.department or step.department
            self.inst.simulated = {
                **self.inst.simulated,
                task.id: Simulated(task.scope, node.index, self.actor.user, dept),
            }
            self.emit("simulated_approval", task.id, {"step": step.code, "department": dept})
            if self.trace is not None:
                self.trace.simulated = True
        if step.commitment:
            self.create_task(
                task.scope, node, task.id, flags=VERIFY, limit=(step.verify_limit, step.verify_unit)
            )
        self.leave(task.scope, node, task.id)

    def cancel(self, task: Task, reason: str) -> None:
        del self.inst.tasks[task.id]
        self.touch(task)
        self.emit("task_cancelled", task.id, {"reason": reason})

    def close_case(self, status: Status, reason: str, *, keep_detached: bool = False) -> None:
        for t in list(self.inst.tasks.values()):
            if not (keep_detached and t.flags & DETACHED):
                self.cancel(t, reason)
        self.inst.groups.clear()
        self.inst.joins.clear()
        self.inst.withdrawable.clear()
        if self.inst.open_pause is not None:
            self.close_pause()
        self.inst.status = status
        self.inst.ended = self.at

    def reject(
        self, task: Task, reason: str, *, deemed: bool = False, responsible: str | None = None
    ) -> None:
        data: dict[str, Any] = {"step": self.node_of(task).step.code, "reason": reason}
        if deemed:
            data["deemed"] = True
            data["responsible"] = responsible
        if task.flags & DETACHED:
            del self.inst.tasks[task.id]
            self.emit("verification_failed" if task.flags & VERIFY else "consult_replied", task.id, data)
            return
        del self.inst.tasks[task.id]
        self.emit("task_rejected", task.id, data)
        self.close_case(Status.REJECTED, "case_rejected")
        self.emit("rejected", data={"reason": reason})

    # -- clock --------------------------------------------------------------------------------------------

    def open_pause(self, kind: str) -> None:
        self.inst.pauses = [*self.inst.pauses, Pause(kind, self.at)]

    def close_pause(self) -> None:
        """End the open pause; every open flow task gets back the units it covered."""
        inst = self.inst
        pause = inst.pauses[-1]
        inst.pauses = [*inst.pauses[:-1], Pause(pause.kind, pause.start, self.at)]
        start = _instant(pause.start)
        calc = self.engine.deadlines
        for t in list(inst.tasks.values()):
            if t.due is None or t.flags & DETACHED:
                continue
            step = self.node_of(t).step
            if step.limit is None:
                continue
            given = calc.between(max(start, _instant(t.created)), self.now, step.unit)
            if given > 0:
                w = self.task_w(t.id)
                w.extra += given
                w.due = int(calc.add(_instant(w.created), step.limit + w.extra, step.unit).timestamp())


class Engine:
    """Runs compiled definitions from `registry`, with deadlines from `deadlines`.

    `leader_role`: the role that approves extensions and may act on its department's tasks, escalated ones
    included; `supervisor_role`: may operate on any case (效能监察)."""

    def __init__(
        self,
        registry: Registry,
        deadlines: DeadlineCalculator,
        *,
        leader_role: str = "leader",
        supervisor_role: str = "supervisor",
    ) -> None:
        self.registry = registry
        self.deadlines = deadlines
        self.leader_role = leader_role
        self.supervisor_role = supervisor_role

    # -- checks --------------------------------------------------------------------------------------------

    def _tx(
        self,
        inst: Instance,
        now: dt.datetime,
        actor: Actor,
        expected_version: int | None,
        statuses: Iterable[Status] | None = (Status.RUNNING,),
    ) -> _Tx:
        at = _epoch(now)
        if expected_version is not None and expected_version != inst.version:
            raise conflict(
                "stale_version",
                "办件已被他人更新，请刷新后重试",
                f"The case has changed (version {inst.version}, expected {expected_version}); reload and retry",
                "version",
            )
        if statuses is not None and inst.status not in statuses:
            raise _wrong_status(inst.status)
        return _Tx(self, inst.fork(), now, at, actor)

    def _task(self, inst: Instance, tid: int) -> Task:
        task = inst.tasks.get(tid)
        if task is None:
            raise _not_open(tid)
        if not task.flags & DETACHED and inst.status is not Status.RUNNING:
            raise _wrong_status(inst.status)
        if task.flags & RETURNED:
            raise conflict(
                "task_returned", "任务已退回申请人补正", "The task is with the applicant for correction"
            )
        return task

    def eligible(self, inst: Instance, task: Task, actor: Actor) -> bool:
        """May `actor` act on `task` (approve, reject, return, transfer, delegate …)?"""
        step = inst.scopes[task.scope].process.nodes[task.node].step
        roles = actor.roles
        role_ok = step.role is None or step.role in roles or self.leader_role in roles
        if task.flags & ESCALATED:
            role_ok = self.leader_role in roles
        if task.flags & CONSULT:
            role_ok = True
        if task.assignee is not None:
            if task.assignee == actor.user:
                return True
            return task.assignee in actor.departments and role_ok
        dept = task.department or step.department
        return dept is not None and dept in actor.departments and role_ok

    def _act(self, inst: Instance, tid: int, actor: Actor) -> Task:
        task = self._task(inst, tid)
        if not self.eligible(inst, task, actor):
            raise forbidden(
                "not_entitled", "您无权办理此任务", "You are not entitled to act on this task", "task"
            )
        return task

    def _operator(self, inst: Instance, actor: Actor) -> None:
        """Case operations: the lead department (首问责任) or a supervisor."""
        if self.supervisor_role in actor.roles:
            return
        if inst.lead is not None and inst.lead in actor.departments:
            return
        raise forbidden(
            "not_case_operator",
            "只有牵头部门或监督人员可以进行此操作",
            "Only the lead department or a supervisor may do this",
        )

    # -- start ---------------------------------------------------------------------------------------------

    def start(
        self,
        *,
        key: str,
        version: int,
        now: dt.datetime,
        actor: Actor,
        applicant: str | None = None,
        lead: str | None = None,
        variables: Mapping[str, Any] | None = None,
        limit: tuple[int, str] | None = None,
        deficiencies: Sequence[tuple[str, dt.datetime]] = (),
    ) -> Outcome:
        """Start a case on definition (key, version): `lead` is the first-contact department (default: the
        department of the first task), `limit` the case limit, `deficiencies` the 容缺 materials with their
        supplement dates."""
        process = self.registry.get(key, version)
        at = _epoch(now)
        if limit is not None and (limit[0] < 0 or limit[1] not in ("working", "natural", "hours")):
            raise bad("invalid_limit", "办件时限无效", "Invalid case limit", "limit")
        inst = Instance(
            process,
            applicant=applicant,
            lead=lead,
            variables=dict(variables or {}),
            started=at,
            limit=limit,
        )
        inst.scopes[0] = Scope(0, process, -1, -1, 1)
        tx = _Tx(self, inst, now, at, actor)
        tx.emit("started", data={"process": [key, version], "lead": lead})
        for material, due in deficiencies:
            self._add_deficiency(tx, material, due)
        tx.leave(0, process.nodes[process.start], 0)
        return tx.done()

    # -- task operations ----------------------------------------------------------------------------------

    def claim(
        self,
        inst: Instance,
        *,
        task: int,
        actor: Actor,
        now: dt.datetime,
        expected_version: int | None = None,
    ) -> Outcome:
        tx = self._tx(inst, now, actor, expected_version, None)
        t = self._act(inst, task, actor)
        if t.assignee == actor.user:
            raise conflict("already_claimed", "您已签收此任务", "You have already claimed this task", "task")
        w = tx.task_w(task)
        if w.assignee is not None and w.assignee in actor.departments:
            w.department = w.assignee  # a department signer: keep the department, name the person
        w.assignee = actor.user
        tx.touch(w)
        tx.emit("task_claimed", task)
        return tx.done()

    def approve(
        self,
        inst: Instance,
        *,
        task: int,
        actor: Actor,
        now: dt.datetime,
        opinion: str = "",
        variables: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
    ) -> Outcome:
        """Approve a task (通过). Variables given here are case data set before routing (exclusive choices).
        A delegate's approval goes back to the delegator instead (委派)."""
        tx = self._tx(inst, now, actor, expected_version, None)
        t = self._act(inst, task, actor)
        if variables:
            tx.inst.variables = {**tx.inst.variables, **variables}
        if t.delegator is not None:
            self._resolve_delegation(tx, t, opinion, approved=True)
            return tx.done()
        traced = not t.group and not t.flags & DETACHED
        scope_tokens = inst.scopes[t.scope].tokens
        if traced:
            tx.trace = _Trace()
        tx.approve(t, opinion)
        trace = tx.trace
        if trace is not None and not trace.irreversible and tx.inst.status is Status.RUNNING:
            tx.inst.withdrawable[t.id] = Withdrawable(
                t,
                actor.user,
                tuple(trace.spawned),
                tuple(trace.groups),
                tuple(trace.arrivals),
                tuple(trace.fired),
                tx.inst.scopes[t.scope].tokens - scope_tokens,
                trace.simulated,
            )
        return tx.done()

    def reject(
        self,
        inst: Instance,
        *,
        task: int,
        actor: Actor,
        now: dt.datetime,
        reason: str,
        expected_version: int | None = None,
    ) -> Outcome:
        """Reject (不予许可): the case ends as rejected, with the reason; a delegate's rejection goes back to
        the delegator; on a verification task it records a failed check."""
        _need_reason(reason)
        tx = self._tx(inst, now, actor, expected_version, None)
        t = self._act(inst, task, actor)
        if t.delegator is not None:
            self._resolve_delegation(tx, t, reason, approved=False)
            return tx.done()
        tx.touch(t)
        tx.reject(t, reason)
        return tx.done()

    def _resolve_delegation(self, tx: _Tx, t: Task, opinion: str, *, approved: bool) -> None:
        w = tx.task_w(t.id)
        delegate, w.assignee, w.delegator = w.assignee, w.delegator, None
        tx.touch(w)
        tx.emit(
            "delegation_returned",
            t.id,
            {"delegate": delegate, "to": w.assignee, "opinion": opinion, "approved": approved},
        )

    def return_to_applicant(
        self,
        inst: Instance,
        *,
        task: int,
        actor: Actor,
        now: dt.datetime,
        reason: str,
        items: Sequence[str] = (),
        expected_version: int | None = None,
    ) -> Outcome:
        """Return the case to the applicant for correction (补正, one notice listing `items`); the clock
        stops until `resubmit`."""
        _need_reason(reason)
        tx = self._tx(inst, now, actor, expected_version)
        t = self._act(inst, task, actor)
        if t.flags & DETACHED:
            raise bad("not_flow_task", "此任务不在办理流程中", "This task is not part of the flow", "task")
        w = tx.task_w(task)
        w.flags |= RETURNED
        tx.touch(w)
        tx.inst.status = Status.CORRECTION
        tx.open_pause("correction")
        tx.emit("returned_to_applicant", task, {"reason": reason, "items": list(items)})
        return tx.done()

    def resubmit(
        self,
        inst: Instance,
        *,
        actor: Actor,
        now: dt.datetime,
        variables: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
    ) -> Outcome:
        """The applicant's corrected submission: the returned task reopens and the clock runs again."""
        tx = self._tx(inst, now, actor, expected_version, (Status.CORRECTION,))
        if inst.applicant is None or actor.user != inst.applicant:
            raise forbidden("not_applicant", "只有申请人可以提交补正", "Only the applicant may resubmit")
        if variables:
            tx.inst.variables = {**tx.inst.variables, **variables}
        tx.inst.status = Status.RUNNING
        tx.close_pause()
        for t in list(tx.inst.tasks.values()):
            if t.flags & RETURNED:
                w = tx.task_w(t.id)
                w.flags &= ~RETURNED
                tx.emit("resubmitted", t.id)
        return tx.done()

    def return_to_step(
        self,
        inst: Instance,
        *,
        task: int,
        step: str,
        actor: Actor,
        now: dt.datetime,
        reason: str,
        expected_version: int | None = None,
    ) -> Outcome:
        """Send the case back to an earlier step of the same process (退回): every open task from that step
        on is cancelled (parallel siblings included), their join arrivals are dropped, the step reopens."""
        _need_reason(reason)
        tx = self._tx(inst, now, actor, expected_version)
        t = self._act(inst, task, actor)
        if t.flags & DETACHED:
            raise bad("not_flow_task", "此任务不在办理流程中", "This task is not part of the flow", "task")
        process = inst.scopes[t.scope].process
        target = process.node(step)
        if target.step.kind is not StepKind.TASK or t.node not in target.after:
            raise bad(
                "not_an_earlier_step",
                f"只能退回到此前的办理环节，“{step}”不是",
                f"{step!r} is not an earlier task step",
                "step",
            )
        tx.emit(
            "returned_to_step", task, {"reason": reason, "from": process.nodes[t.node].step.code, "to": step}
        )
        region = target.after | {target.index}
        cancelled = self._cancel_region(tx, t.scope, region)
        tx.inst.withdrawable.clear()
        for key in [k for k in tx.inst.joins if k[0] == t.scope and k[1] in region]:
            kept = tuple(a for a in tx.inst.joins[key] if a not in region)
            if kept:
                tx.inst.joins[key] = kept
            else:
                del tx.inst.joins[key]
        sc = tx.scope_w(t.scope)
        sc.tokens += 1 - cancelled
        tx.activate(t.scope, target, t.id)
        return tx.done()

    def _cancel_region(self, tx: _Tx, scope: int, region: frozenset[int] | set[int]) -> int:
        """Cancel the live activations of `scope` at the nodes in `region` (tasks, countersign groups and
        subprocesses, recursively); returns how many tokens they held."""
        inst = tx.inst
        tokens = 0
        for g in [g for g in inst.groups.values() if g.scope == scope and g.node in region]:
            del inst.groups[g.id]
            tokens += 1
        for t in [t for t in inst.tasks.values() if t.scope == scope and t.node in region]:
            if t.flags & DETACHED:
                continue
            if not t.group:
                tokens += 1
            tx.cancel(t, "returned")
        for child in [c for c in inst.scopes.values() if c.parent == scope and c.tokens > 0]:
            if child.parent_node in region:
                self._cancel_region(tx, child.id, set(range(len(child.process.nodes))))
                tx.inst.joins = {k: v for k, v in tx.inst.joins.items() if k[0] != child.id}
                tx.scope_w(child.id).tokens = -1
                tokens += 1
        return tokens

    def transfer(
        self,
        inst: Instance,
        *,
        task: int,
        actor: Actor,
        now: dt.datetime,
        department: str,
        user: str | None = None,
        reason: str = "",
        expected_version: int | None = None,
    ) -> Outcome:
        """转办: the task moves to another department (and optionally a named user); it is theirs now."""
        tx = self._tx(inst, now, actor, expected_version)
        self._act(inst, task, actor)
        w = tx.task_w(task)
        previous = w.department or tx.node_of(w).step.department
        w.department = department
        w.assignee = user
        w.delegator = None
        tx.touch(w)
        tx.emit(
            "task_transferred", task, {"from": previous, "to": department, "user": user, "reason": reason}
        )
        return tx.done()

    def delegate(
        self,
        inst: Instance,
        *,
        task: int,
        actor: Actor,
        now: dt.datetime,
        to_user: str,
        note: str = "",
        expected_version: int | None = None,
    ) -> Outcome:
        """委派: `to_user` works the task; their approval or rejection comes back to the delegator."""
        tx = self._tx(inst, now, actor, expected_version)
        t = self._act(inst, task, actor)
        if t.delegator is not None:
            raise conflict("already_delegated", "任务已委派他人", "The task is already delegated", "task")
        if to_user == actor.user:
            raise bad("delegate_to_self", "不能委派给自己", "You cannot delegate to yourself", "to_user")
        w = tx.task_w(task)
        if w.assignee is not None and w.assignee in actor.departments:
            w.department = w.assignee
        w.delegator = actor.user
        w.assignee = to_user
        tx.touch(w)
        tx.emit("task_delegated", task, {"to": to_user, "note": note})
        return tx.done()

    def add_signers(
        self,
        inst: Instance,
        *,
        task: int,
        actor: Actor,
        now: dt.datetime,
        signers: Sequence[str],
        expected_version: int | None = None,
    ) -> Outcome:
        """加签: more signers on the task's countersign step (a single-handler task becomes a 会签 of its
        handler and the new signers)."""
        tx = self._tx(inst, now, actor, expected_version)
        t = self._act(inst, task, actor)
        if t.flags & DETACHED or not signers or len(set(signers)) != len(signers):
            raise bad("invalid_signers", "加签人员无效", "Invalid signers", "signers")
        node = tx.node_of(t)
        tx.touch(t)
        if not t.group:
            gid = tx.new_id()
            tx.inst.groups[gid] = Group(gid, t.scope, t.node, Countersign.ALL.value, 1, [])
            tx.task_w(t.id).group = gid
            group = tx.inst.groups[gid]
        else:
            group = tx.group_w(t.group)
        present = {x.assignee for x in tx.inst.tasks.values() if x.group == group.id} | set(group.queue)
        duplicate = [s for s in signers if s in present]
        if duplicate:
            raise bad(
                "duplicate_signer", "加签人员已在会签名单中", "A signer is already on the step", "signers"
            )
        if group.mode == Countersign.SEQUENCE:
            group.queue.extend(signers)
        else:
            for s in signers:
                tx.create_task(t.scope, node, t.origin, assignee=s, group=group.id)
                group.open += 1
        tx.emit("signers_added", task, {"signers": list(signers), "mode": group.mode})
        return tx.done()

    def remove_signers(
        self,
        inst: Instance,
        *,
        task: int,
        actor: Actor,
        now: dt.datetime,
        signers: Sequence[str],
        expected_version: int | None = None,
    ) -> Outcome:
        """减签: drop signers who have not decided yet (not the actor: their own signature is still due, so the
        step completes with it)."""
        tx = self._tx(inst, now, actor, expected_version)
        t = self._act(inst, task, actor)
        if not t.group:
            raise bad("not_countersign", "此任务不是会签任务", "This task is not a countersign task", "task")
        group = tx.group_w(t.group)
        by_signer = {x.assignee: x for x in tx.inst.tasks.values() if x.group == group.id}
        unknown = [s for s in signers if s not in by_signer and s not in group.queue]
        if unknown or not signers:
            raise bad(
                "unknown_signer", "减签人员不在待签名单中", "A signer is not pending on this step", "signers"
            )
        if t.assignee in signers:
            raise bad("remove_self", "不能减去自己", "You cannot remove yourself", "signers")
        for s in signers:
            if s in group.queue:
                group.queue.remove(s)
            else:
                tx.cancel(by_signer[s], "signer_removed")
                group.open -= 1
        tx.touch(t)
        tx.emit("signers_removed", task, {"signers": list(signers)})
        return tx.done()

    def withdraw(
        self,
        inst: Instance,
        *,
        task: int,
        actor: Actor,
        now: dt.datetime,
        reason: str = "",
        expected_version: int | None = None,
    ) -> Outcome:
        """撤回: take back one's own approval of `task` while nothing it created has been acted on."""
        tx = self._tx(inst, now, actor, expected_version)
        entry = inst.withdrawable.get(task)
        if entry is None:
            raise conflict(
                "cannot_withdraw",
                "后续环节已办理或此任务无法撤回",
                "The next step has already acted, or this task cannot be withdrawn",
                "task",
            )
        if entry.by != actor.user:
            raise forbidden(
                "not_your_approval", "只能撤回本人的办理", "You can withdraw only your own approval"
            )
        x = tx.inst
        del x.withdrawable[task]
        for tid in entry.spawned:
            t = x.tasks.get(tid)
            if t is not None:
                tx.cancel(t, "withdrawn")
        for gid in entry.groups:
            x.groups.pop(gid, None)
        for scope, join, source in entry.arrivals:
            key = (scope, join)
            kept = tuple(a for a in x.joins.get(key, ()) if a != source)
            if kept:
                x.joins[key] = kept
            else:
                x.joins.pop(key, None)
        for scope, join, before in entry.fired:
            x.joins[(scope, join)] = before
        if entry.tokens:
            tx.scope_w(entry.task.scope).tokens -= entry.tokens
        if entry.simulated:
            x.simulated = {k: v for k, v in x.simulated.items() if k != task}
        x.tasks[task] = entry.task.clone()
        tx.emit("task_withdrawn", task, {"reason": reason, "cancelled": list(entry.spawned)})
        return tx.done()

    def remind(
        self,
        inst: Instance,
        *,
        task: int,
        actor: Actor,
        now: dt.datetime,
        note: str = "",
        expected_version: int | None = None,
    ) -> Outcome:
        """催办: by the applicant, the lead department or a supervisor."""
        tx = self._tx(inst, now, actor, expected_version, None)
        t = self._task(inst, task)
        if actor.user != inst.applicant:
            self._operator(inst, actor)
        w = tx.task_w(t.id)
        w.reminders += 1
        tx.emit("reminded", task, {"note": note, "department": w.department or tx.node_of(w).step.department})
        return tx.done()

    def _note_allowed(self, inst: Instance, actor: Actor, task: int | None) -> None:
        if task is not None:
            t = inst.tasks.get(task)
            if t is None:
                raise _not_open(task)
            if self.eligible(inst, t, actor):
                return
        if actor.user == inst.applicant:
            return
        self._operator(inst, actor)

    def comment(
        self,
        inst: Instance,
        *,
        actor: Actor,
        now: dt.datetime,
        text: str,
        task: int | None = None,
        attachments: Sequence[str] = (),
    ) -> list[Event]:
        """A comment with attached document ids: an event only; the instance does not change."""
        _epoch(now)
        if not text.strip() and not attachments:
            raise bad("empty_comment", "意见内容不能为空", "The comment is empty", "text")
        self._note_allowed(inst, actor, task)
        return [Event("commented", now, actor.user, task, {"text": text, "attachments": list(attachments)})]

    def copy(
        self,
        inst: Instance,
        *,
        actor: Actor,
        now: dt.datetime,
        to: Sequence[str],
        task: int | None = None,
        note: str = "",
    ) -> list[Event]:
        """抄送: for information to users or departments; an event only."""
        _epoch(now)
        if not to:
            raise bad("no_recipients", "抄送对象不能为空", "No recipients", "to")
        self._note_allowed(inst, actor, task)
        return [Event("copied", now, actor.user, task, {"to": list(to), "note": note})]

    # -- case operations -----------------------------------------------------------------------------------

    def suspend(
        self,
        inst: Instance,
        *,
        actor: Actor,
        now: dt.datetime,
        reason: str,
        expected_version: int | None = None,
    ) -> Outcome:
        """中止: the clock stops until `resume`."""
        _need_reason(reason)
        tx = self._tx(inst, now, actor, expected_version)
        self._operator(inst, actor)
        tx.inst.status = Status.SUSPENDED
        tx.open_pause("suspension")
        tx.emit("suspended", data={"reason": reason})
        return tx.done()

    def resume(
        self, inst: Instance, *, actor: Actor, now: dt.datetime, expected_version: int | None = None
    ) -> Outcome:
        tx = self._tx(inst, now, actor, expected_version, (Status.SUSPENDED,))
        self._operator(inst, actor)
        tx.inst.status = Status.RUNNING
        tx.close_pause()
        tx.emit("resumed")
        return tx.done()

    def special_start(
        self,
        inst: Instance,
        *,
        actor: Actor,
        now: dt.datetime,
        procedure: str,
        note: str = "",
        expected_version: int | None = None,
    ) -> Outcome:
        """特别程序 (hearing, testing, expert review, public notice): the clock stops until `special_end`."""
        try:
            kind = SpecialProcedure(procedure)
        except ValueError:
            raise bad(
                "unknown_procedure",
                "特别程序须为听证、检验检测、专家评审或公示",
                "The procedure must be hearing, testing, expert_review or public_notice",
                "procedure",
            ) from None
        tx = self._tx(inst, now, actor, expected_version)
        self._operator(inst, actor)
        tx.inst.status = Status.SPECIAL
        tx.open_pause(kind.value)
        tx.emit("special_procedure_started", data={"procedure": kind.value, "note": note})
        return tx.done()

    def special_end(
        self,
        inst: Instance,
        *,
        actor: Actor,
        now: dt.datetime,
        outcome: str = "",
        expected_version: int | None = None,
    ) -> Outcome:
        tx = self._tx(inst, now, actor, expected_version, (Status.SPECIAL,))
        self._operator(inst, actor)
        procedure = tx.inst.pauses[-1].kind
        tx.inst.status = Status.RUNNING
        tx.close_pause()
        tx.emit("special_procedure_ended", data={"procedure": procedure, "outcome": outcome})
        return tx.done()

    def extend(
        self,
        inst: Instance,
        *,
        actor: Actor,
        now: dt.datetime,
        count: int,
        reason: str,
        task: int | None = None,
        expected_version: int | None = None,
    ) -> Outcome:
        """延期 with a leader's approval: `count` units (of the case limit's unit) added to the case limit,
        and to the task's limit when `task` is given."""
        _need_reason(reason)
        if type(count) is not int or count <= 0:
            raise bad(
                "invalid_count", "延长时限数必须是正整数", "The extension must be a positive integer", "count"
            )
        tx = self._tx(inst, now, actor, expected_version, (Status.RUNNING, *PAUSED))
        self._operator(inst, actor)
        if self.leader_role not in actor.roles:
            raise forbidden(
                "extension_needs_leader", "延期须经领导批准", "An extension needs a leader's approval"
            )
        if inst.limit is None and task is None:
            raise bad("no_limit", "办件未设时限，无法延期", "The case has no limit to extend", "count")
        if inst.limit is not None:
            tx.inst.extensions = [*tx.inst.extensions, (count, tx.at)]
        if task is not None:
            t = self._task(inst, task) if inst.status is Status.RUNNING else inst.tasks.get(task)
            if t is None:
                raise _not_open(task)
            step = tx.node_of(t).step
            if step.limit is None:
                raise bad("no_limit", "此环节未设时限", "The step has no limit", "task")
            w = tx.task_w(t.id)
            w.extra += count
            w.due = int(self.deadlines.add(_instant(w.created), step.limit + w.extra, step.unit).timestamp())
        tx.emit("extended", task, {"count": count, "reason": reason})
        return tx.done()

    def applicant_withdraw(
        self,
        inst: Instance,
        *,
        actor: Actor,
        now: dt.datetime,
        reason: str = "",
        expected_version: int | None = None,
    ) -> Outcome:
        """The applicant withdraws the application (撤回申请) before a decision."""
        tx = self._tx(inst, now, actor, expected_version, (Status.RUNNING, *PAUSED, Status.HELD))
        if inst.applicant is None or actor.user != inst.applicant:
            raise forbidden("not_applicant", "只有申请人可以撤回申请", "Only the applicant may withdraw")
        tx.close_case(Status.WITHDRAWN, "applicant_withdrew")
        tx.emit("withdrawn_by_applicant", data={"reason": reason})
        return tx.done()

    def terminate(
        self,
        inst: Instance,
        *,
        actor: Actor,
        now: dt.datetime,
        reason: str,
        expected_version: int | None = None,
    ) -> Outcome:
        """终止办理 (e.g. the applicant died, the company was dissolved): by the lead department's leader or a
        supervisor."""
        _need_reason(reason)
        tx = self._tx(inst, now, actor, expected_version, (Status.RUNNING, *PAUSED, Status.HELD))
        self._operator(inst, actor)
        if self.leader_role not in actor.roles and self.supervisor_role not in actor.roles:
            raise forbidden("termination_needs_leader", "终止办理须经领导决定", "Termination needs a leader")
        tx.close_case(Status.TERMINATED, "terminated")
        tx.emit("terminated", data={"reason": reason})
        return tx.done()

    # -- rules ---------------------------------------------------------------------------------------------

    def _add_deficiency(self, tx: _Tx, material: str, due: dt.datetime) -> None:
        at = _epoch(due)
        if at <= tx.at:
            raise bad(
                "due_in_past", "补齐日期必须晚于当前时间", "The supplement date must be in the future", "due"
            )
        did = tx.new_id()
        tx.inst.deficiencies = {**tx.inst.deficiencies, did: Deficiency(did, material, at)}
        tx.emit("deficiency_added", data={"deficiency": did, "material": material, "due": due})

    def add_deficiency(
        self,
        inst: Instance,
        *,
        actor: Actor,
        now: dt.datetime,
        material: str,
        due: dt.datetime,
        expected_version: int | None = None,
    ) -> Outcome:
        """容缺受理: `material` may follow by `due`; the result is held until it arrives."""
        tx = self._tx(inst, now, actor, expected_version, (Status.RUNNING, *PAUSED))
        self._operator(inst, actor)
        self._add_deficiency(tx, material, due)
        return tx.done()

    def satisfy_deficiency(
        self,
        inst: Instance,
        *,
        actor: Actor,
        now: dt.datetime,
        deficiency: int,
        expected_version: int | None = None,
    ) -> Outcome:
        tx = self._tx(inst, now, actor, expected_version, (Status.RUNNING, *PAUSED, Status.HELD))
        self._operator(inst, actor)
        tx.inst.deficiencies = dict(tx.inst.deficiencies)
        found = tx.inst.deficiencies.pop(deficiency, None)
        if found is None:
            raise conflict(
                "deficiency_not_open", "该容缺材料不存在或已补齐", "No such open deficiency", "deficiency"
            )
        tx.emit("deficiency_satisfied", data={"deficiency": deficiency, "material": found.material})
        tx.release_if_held()
        return tx.done()

    def formalise(
        self,
        inst: Instance,
        *,
        actor: Actor,
        now: dt.datetime,
        variables: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
    ) -> Outcome:
        """模拟审批转正式: with the precondition now holding (e.g. land rights obtained: `variables`), every
        simulated approval becomes formal in this one operation."""
        tx = self._tx(inst, now, actor, expected_version, (Status.RUNNING, *PAUSED, Status.HELD))
        self._operator(inst, actor)
        if variables:
            tx.inst.variables = {**tx.inst.variables, **variables}
        if not tx.inst.simulated:
            raise conflict("nothing_simulated", "没有待转正式的模拟审批", "There are no simulated approvals")
        for sim in tx.inst.simulated.values():
            node = tx.inst.scopes[sim.scope].process.nodes[sim.node]
            assert node.simulate is not None
            if not node.simulate(tx.inst.variables):
                raise bad(
                    "precondition_unmet",
                    f"环节“{node.step.name or node.step.code}”的前置条件尚未满足",
                    f"The precondition of step {node.step.code!r} does not hold yet",
                    "variables",
                )
        for tid, sim in sorted(tx.inst.simulated.items()):
            code = tx.inst.scopes[sim.scope].process.nodes[sim.node].step.code
            tx.emit("approval_formalised", tid, {"step": code, "department": sim.department, "by": sim.by})
        tx.inst.simulated = {}
        tx.release_if_held()
        return tx.done()

    def pull_in(
        self,
        inst: Instance,
        *,
        actor: Actor,
        now: dt.datetime,
        department: str,
        note: str,
        limit: tuple[int, str] | None = (3, "working"),
        expected_version: int | None = None,
    ) -> Outcome:
        """首问责任: the lead department asks another department to contribute (a consult task for them,
        outside the flow; the reply comes back to the lead as an event)."""
        tx = self._tx(inst, now, actor, expected_version, (Status.RUNNING, *PAUSED, Status.HELD))
        if inst.lead is None or inst.lead not in actor.departments:
            raise forbidden(
                "not_lead", "只有首问牵头部门可以协调其他部门", "Only the lead department may pull others in"
            )
        if department == inst.lead:
            raise bad("pull_in_self", "不能协调本部门", "The lead cannot pull itself in", "department")
        root = tx.inst.scopes[0].process
        tx.create_task(0, root.nodes[root.start], 0, department=department, flags=CONSULT, limit=limit)
        tx.emit("pulled_in", data={"department": department, "note": note})
        return tx.done()

    # -- time ----------------------------------------------------------------------------------------------

    def case_deadline(self, inst: Instance) -> dt.datetime | None:
        """The case deadline from its limit, pauses (given back) and extensions; None while paused or
        without a limit."""
        if inst.limit is None or inst.open_pause is not None:
            return None
        count, unit = inst.limit
        calc = self.deadlines
        given = sum(calc.between(_instant(p.start), _instant(p.end), unit) for p in inst.pauses if p.end)
        extended = sum(e[0] for e in inst.extensions)
        return calc.add(_instant(inst.started), count + given + extended, unit)

    def sweep(self, inst: Instance, now: dt.datetime) -> list[TimeoutAction]:
        """The timeout actions due at `now` (none for the flow's tasks while the clock is paused)."""
        at = _epoch(now)
        actions: list[TimeoutAction] = []
        if inst.status in TERMINAL and inst.status is not Status.COMPLETED:
            return actions
        paused = inst.status in PAUSED
        for t in inst.tasks.values():
            if t.due is None or t.due > at or t.flags & (TIMED_OUT | RETURNED):
                continue
            if t.flags & DETACHED:
                actions.append(TimeoutAction(TimeoutPolicy.REMIND.value, t.id, t.due))
                continue
            if paused:
                continue
            step = inst.scopes[t.scope].process.nodes[t.node].step
            kind = "absence_default" if t.group and step.absence_default else step.timeout.value
            actions.append(TimeoutAction(kind, t.id, t.due))
        for d in inst.deficiencies.values():
            if d.due <= at and inst.status not in TERMINAL:
                actions.append(TimeoutAction("deficiency_overdue", d.id, d.due))
        return actions

    def apply_timeout(
        self, inst: Instance, action: TimeoutAction, *, now: dt.datetime, expected_version: int | None = None
    ) -> Outcome:
        """Apply one action from `sweep` (the system acts): 催办, 超时默认 (deemed approved, the late
        department responsible, and an obligation to still issue its approval), reject, 上报, 缺席默认, or
        the end of a case whose 容缺 date passed."""
        if action not in self.sweep(inst, now):
            raise conflict("timeout_not_due", "该超时处理已不适用", "This timeout action is no longer due")
        tx = self._tx(inst, now, SYSTEM, expected_version, None)
        kind = action.kind
        if kind == "deficiency_overdue":
            d = inst.deficiencies[action.target]
            tx.close_case(Status.TERMINATED, "deficiency_overdue", keep_detached=False)
            tx.emit("deficiency_overdue", data={"deficiency": d.id, "material": d.material})
            tx.emit("terminated", data={"reason": "deficiency_overdue"})
            return tx.done()
        t = inst.tasks[action.target]
        step = tx.node_of(t).step
        responsible = t.department or (t.assignee if t.group else None) or step.department
        w = tx.task_w(t.id)
        w.flags |= TIMED_OUT
        tx.touch(w)
        if kind == TimeoutPolicy.REMIND:
            w.reminders += 1
            tx.emit("timeout_reminded", t.id, {"step": step.code, "responsible": responsible})
        elif kind == TimeoutPolicy.ESCALATE:
            w.flags |= ESCALATED
            tx.emit("escalated", t.id, {"step": step.code, "responsible": responsible})
        elif kind == TimeoutPolicy.DEEM_APPROVED:
            tx.approve(w, "超时默认同意", deemed=True, responsible=responsible)
            tx.emit(
                "obligation",
                t.id,
                {"kind": "issue_approval", "step": step.code, "department": responsible, "deemed": True},
            )
        elif kind == "absence_default":
            tx.approve(w, "缺席默认同意", deemed=True, responsible=responsible)
        else:
            tx.reject(w, "超时未办理", deemed=True, responsible=responsible)
        return tx.done()


def _need_reason(reason: str) -> None:
    if not reason or not reason.strip():
        raise bad("reason_required", "请填写理由", "A reason is required", "reason")
