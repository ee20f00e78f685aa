"""Runtime state: an `Instance` holds only what is live (open tasks, join arrivals, scopes, variables, clock
pauses, outstanding obligations) plus the definition reference and an optimistic `version` counter.

Instants are stored as integer Unix seconds. `to_state()` gives a compact JSON-able dict (lists, short keys,
empty parts left out); `from_state()` rebuilds the instance against a Registry. Completed tasks are not kept:
they live on as events (the audit log and the task rows of persistence).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from .definition import CompiledProcess, Registry
from .errors import bad

STATE_FORMAT = 1


class Status(StrEnum):
    RUNNING = "running"
    CORRECTION = "correction"  # returned to the applicant (补正); the clock is paused
    SUSPENDED = "suspended"  # 中止; the clock is paused
    SPECIAL = "special"  # 特别程序 (hearing, testing, expert review, public notice); the clock is paused
    HELD = "held"  # the flow is done but the result is held (容缺 supplement, simulated approvals)
    COMPLETED = "completed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"  # the applicant withdrew
    TERMINATED = "terminated"


TERMINAL = frozenset({Status.COMPLETED, Status.REJECTED, Status.WITHDRAWN, Status.TERMINATED})
PAUSED = frozenset({Status.CORRECTION, Status.SUSPENDED, Status.SPECIAL})


class SpecialProcedure(StrEnum):
    HEARING = "hearing"  # 听证
    TESTING = "testing"  # 检验检测
    EXPERT_REVIEW = "expert_review"  # 专家评审
    PUBLIC_NOTICE = "public_notice"  # 公示


# Task flags (bits).
ESCALATED = 2
TIMED_OUT = 4  # its timeout policy has been applied
VERIFY = 8  # 承诺制 follow-up verification (outside the flow)
CONSULT = 16  # 首问责任: a department pulled in by the lead (outside the flow)
RETURNED = 32  # returned to the applicant for correction
DETACHED = VERIFY | CONSULT


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a user id, the departments they work for and their roles (opaque strings to the engine).
    `system` is the sweeper applying timeout policies."""

    user: str
    departments: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    system: bool = False


SYSTEM = Actor("system", system=True)


@dataclass(slots=True)
class Task:
    id: int
    scope: int
    node: int
    created: int
    due: int | None = None
    assignee: str | None = None  # a user, or a department (countersigning departments)
    department: str | None = None  # overrides the step's department (transfer, pulled-in department)
    flags: int = 0
    group: int = 0  # countersign group, 0: none
    origin: int = 0  # the completed task whose approval created this one
    delegator: str | None = None  # 委派: the result goes back to this user
    extra: int = 0  # limit units given back by pauses and extensions
    reminders: int = 0

    def clone(self) -> Task:
        return Task(
            self.id,
            self.scope,
            self.node,
            self.created,
            self.due,
            self.assignee,
            self.department,
            self.flags,
            self.group,
            self.origin,
            self.delegator,
            self.extra,
            self.reminders,
        )

    def row(self) -> list[Any]:
        r: list[Any] = [
            self.id,
            self.scope,
            self.node,
            self.created,
            self.due,
            self.assignee,
            self.department,
            self.flags,
            self.group,
            self.origin,
            self.delegator,
            self.extra,
            self.reminders,
        ]
        while r and r[-1] in (None, 0) and len(r) > 4:
            r.pop()
        return r

    @classmethod
    def from_row(cls, r: list[Any]) -> Task:
        return cls(*r)


@dataclass(slots=True)
class Group:
    """A countersign step activation: the signers still to decide."""

    id: int
    scope: int
    node: int
    mode: str
    open: int  # open signer tasks
    queue: list[str]  # sequence: signers after the current one
    approvals: int = 0

    def clone(self) -> Group:
        return Group(self.id, self.scope, self.node, self.mode, self.open, list(self.queue), self.approvals)


@dataclass(slots=True)
class Scope:
    """A process run: the root (id 0) or a subprocess started by `parent_node` of scope `parent`.
    `tokens` counts its live activations; -1 once it has finished (kept for its follow-up tasks)."""

    id: int
    process: CompiledProcess
    parent: int
    parent_node: int
    tokens: int

    def clone(self) -> Scope:
        return Scope(self.id, self.process, self.parent, self.parent_node, self.tokens)


class Withdrawable(NamedTuple):
    """What an approval did, so its author can take it back (撤回) until the next person acts."""

    task: Task
    by: str
    spawned: tuple[int, ...]
    groups: tuple[int, ...]
    arrivals: tuple[tuple[int, int, int], ...]  # (scope, join node, from node) arrivals that did not fire
    fired: tuple[tuple[int, int, tuple[int, ...]], ...]  # (scope, join node, arrivals before firing)
    tokens: int  # change of the scope's token count
    simulated: bool


class Pause(NamedTuple):
    kind: str
    start: int
    end: int | None = None


class Deficiency(NamedTuple):
    """容缺: a material accepted as missing, to be supplied by `due`."""

    id: int
    material: str
    due: int


class Simulated(NamedTuple):
    """模拟审批: a step approved before its precondition held; turned formal by `formalise`."""

    scope: int
    node: int
    by: str
    department: str | None


class Event(NamedTuple):
    """What happened, for the audit log and for persistence (task rows, notifications)."""

    kind: str
    at: dt.datetime
    actor: str
    task: int | None = None
    data: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "at": self.at.isoformat(), "actor": self.actor}
        if self.task is not None:
            out["task"] = self.task
        if self.data:
            out["data"] = self.data
        return out


@dataclass(slots=True)
class Instance:
    process: CompiledProcess
    version: int = 0
    status: Status = Status.RUNNING
    applicant: str | None = None
    lead: str | None = None  # 首问责任: the department that owns the case
    variables: dict[str, Any] = field(default_factory=dict)
    next_id: int = 1
    started: int = 0
    ended: int | None = None
    limit: tuple[int, str] | None = None  # the case limit (count, unit), counted from `started`
    tasks: dict[int, Task] = field(default_factory=dict)
    scopes: dict[int, Scope] = field(default_factory=dict)
    joins: dict[tuple[int, int], tuple[int, ...]] = field(default_factory=dict)
    groups: dict[int, Group] = field(default_factory=dict)
    withdrawable: dict[int, Withdrawable] = field(default_factory=dict)
    pauses: list[Pause] = field(default_factory=list)
    extensions: list[tuple[int, int]] = field(default_factory=list)  # (count in the case unit, at)
    deficiencies: dict[int, Deficiency] = field(default_factory=dict)
    simulated: dict[int, Simulated] = field(default_factory=dict)

    def fork(self) -> Instance:
        """A working copy. The containers every operation touches are copied (their members are shared until
        an operation replaces them); the rarely written ones (variables, pauses, extensions, deficiencies,
        simulated approvals) are shared and replaced whole by the operations that change them."""
        return Instance(
            self.process,
            self.version,
            self.status,
            self.applicant,
            self.lead,
            self.variables,
            self.next_id,
            self.started,
            self.ended,
            self.limit,
            self.tasks.copy(),
            self.scopes.copy(),
            self.joins.copy(),
            self.groups.copy(),
            self.withdrawable.copy(),
            self.pauses,
            self.extensions,
            self.deficiencies,
            self.simulated,
        )

    @property
    def ref(self) -> tuple[str, int]:
        return self.process.ref

    @property
    def open_pause(self) -> Pause | None:
        return self.pauses[-1] if self.pauses and self.pauses[-1].end is None else None

    def open_tasks(self) -> list[Task]:
        return list(self.tasks.values())

    def step_of(self, task: Task) -> str:
        """The step code of a task (`verify:<code>` / `consult` for tasks outside the flow)."""
        if task.flags & CONSULT:
            return "consult"
        code = self.scopes_process(task.scope).nodes[task.node].step.code
        return f"verify:{code}" if task.flags & VERIFY else code

    def scopes_process(self, scope: int) -> CompiledProcess:
        return self.scopes[scope].process

    # -- serialisation ---------------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        s: dict[str, Any] = {
            "f": STATE_FORMAT,
            "d": [self.process.key, self.process.version],
            "v": self.version,
            "s": self.status.value,
            "n": self.next_id,
            "t0": self.started,
        }
        optional: dict[str, Any] = {
            "a": self.applicant,
            "l": self.lead,
            "x": self.variables or None,
            "t1": self.ended,
            "lim": list(self.limit) if self.limit else None,
            "t": [t.row() for t in self.tasks.values()] or None,
            "sc": [
                [c.id, c.process.key, c.process.version, c.parent, c.parent_node, c.tokens]
                for c in self.scopes.values()
            ]
            or None,
            "j": [[k[0], k[1], list(v)] for k, v in self.joins.items()] or None,
            "g": [[g.id, g.scope, g.node, g.mode, g.open, g.queue, g.approvals] for g in self.groups.values()]
            or None,
            "w": [
                [
                    w.task.row(),
                    w.by,
                    list(w.spawned),
                    list(w.groups),
                    [list(a) for a in w.arrivals],
                    [[f[0], f[1], list(f[2])] for f in w.fired],
                    w.tokens,
                    int(w.simulated),
                ]
                for w in self.withdrawable.values()
            ]
            or None,
            "p": [[p.kind, p.start, p.end] for p in self.pauses] or None,
            "e": [list(e) for e in self.extensions] or None,
            "df": [[d.id, d.material, d.due] for d in self.deficiencies.values()] or None,
            "sim": [[k, v.scope, v.node, v.by, v.department] for k, v in self.simulated.items()] or None,
        }
        s.update((k, v) for k, v in optional.items() if v is not None)
        return s

    def to_bytes(self) -> bytes:
        """The state as compact JSON bytes (what persistence stores when it does not use a JSON column)."""
        return json.dumps(self.to_state(), ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_state(cls, state: dict[str, Any], registry: Registry) -> Instance:
        if state.get("f") != STATE_FORMAT:
            raise bad(
                "unknown_state_format", "无法识别的流程实例状态格式", "Unknown instance state format", "state"
            )
        key, version = state["d"]
        process = registry.get(key, version)
        inst = cls(
            process,
            version=state["v"],
            status=Status(state["s"]),
            applicant=state.get("a"),
            lead=state.get("l"),
            variables=dict(state.get("x") or {}),
            next_id=state["n"],
            started=state["t0"],
            ended=state.get("t1"),
            limit=(state["lim"][0], state["lim"][1]) if state.get("lim") else None,
        )
        inst.tasks = {r[0]: Task.from_row(r) for r in state.get("t") or ()}
        inst.scopes = {
            r[0]: Scope(r[0], registry.get(r[1], r[2]), r[3], r[4], r[5]) for r in state.get("sc") or ()
        }
        inst.joins = {(r[0], r[1]): tuple(r[2]) for r in state.get("j") or ()}
        inst.groups = {
            r[0]: Group(r[0], r[1], r[2], r[3], r[4], list(r[5]), r[6]) for r in state.get("g") or ()
        }
        for r in state.get("w") or ():
            task = Task.from_row(r[0])
            inst.withdrawable[task.id] = Withdrawable(
                task,
                r[1],
                tuple(r[2]),
                tuple(r[3]),
                tuple((a[0], a[1], a[2]) for a in r[4]),
                tuple((f[0], f[1], tuple(f[2])) for f in r[5]),
                r[6],
                bool(r[7]),
            )
        inst.pauses = [Pause(p[0], p[1], p[2]) for p in state.get("p") or ()]
        inst.extensions = [(e[0], e[1]) for e in state.get("e") or ()]
        inst.deficiencies = {r[0]: Deficiency(r[0], r[1], r[2]) for r in state.get("df") or ()}
        inst.simulated = {r[0]: Simulated(r[1], r[2], r[3], r[4]) for r in state.get("sim") or ()}
        return inst

    @classmethod
    def from_bytes(cls, data: bytes, registry: Registry) -> Instance:
        return cls.from_state(json.loads(data), registry)
