"""Builders for engine tests: actors, small processes, an engine on the weekends-only calculator."""

from __future__ import annotations

import datetime as dt
from typing import Any

from onetrip.flow.engine import (
    Actor,
    Engine,
    Instance,
    ProcessDef,
    Registry,
    SimpleCalculator,
    StepDef,
    StepKind,
    TransitionDef,
)

NOW = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)  # a Monday
CLERK = Actor("clerk", frozenset({"window"}), frozenset({"clerk"}))
WINDOW_LEADER = Actor("window-boss", frozenset({"window"}), frozenset({"leader"}))
SUPERVISOR = Actor("inspector", frozenset({"office"}), frozenset({"supervisor"}))
APPLICANT = Actor("applicant-1")


def handler(dept: str, user: str | None = None) -> Actor:
    return Actor(user or f"h-{dept}", frozenset({dept}), frozenset({"handler"}))


def leader(dept: str) -> Actor:
    return Actor(f"l-{dept}", frozenset({dept}), frozenset({"leader"}))


def start_step() -> StepDef:
    return StepDef("start", "开始", StepKind.START)


def end_step(code: str = "end") -> StepDef:
    return StepDef(code, "办结", StepKind.END)


def task(code: str, dept: str | None = None, **kw: Any) -> StepDef:
    kw.setdefault("role", "handler")
    kw.setdefault("limit", 5)
    return StepDef(code, code, department=dept or code, **kw)


def accept() -> StepDef:
    return StepDef("accept", "受理", department="window", role="clerk", limit=1)


def issue() -> StepDef:
    return StepDef("issue", "出件", department="window", role="clerk", limit=1)


def process(
    key: str, steps: list[StepDef], edges: list[tuple[str, str] | tuple[str, str, Any]], version: int = 1
) -> ProcessDef:
    return ProcessDef(
        key,
        version,
        tuple(steps),
        tuple(TransitionDef(e[0], e[1], e[2] if len(e) > 2 else None) for e in edges),  # type: ignore[misc]
    )


def parallel(n: int, key: str | None = None, **dept_kw: Any) -> ProcessDef:
    """start → accept → n department tasks d0…d{n-1} in parallel → issue → end."""
    steps = [start_step(), accept(), *(task(f"d{i}", **dept_kw) for i in range(n)), issue(), end_step()]
    edges: list[tuple[str, str] | tuple[str, str, Any]] = [("start", "accept"), ("issue", "end")]
    for i in range(n):
        edges += [("accept", f"d{i}"), (f"d{i}", "issue")]
    return process(key or f"parallel{n}", steps, edges)


def serial(*codes: str, key: str = "serial", **kw: Any) -> ProcessDef:
    steps = [start_step(), *(task(c, **kw) for c in codes), end_step()]
    chain = ["start", *codes, "end"]
    return process(key, steps, list(zip(chain, chain[1:], strict=False)))


def make_engine(*defs: ProcessDef) -> Engine:
    registry = Registry()
    for d in defs:
        registry.add(d)
    return Engine(registry, SimpleCalculator())


def open_at(inst: Instance, code: str) -> list[int]:
    """Ids of the open tasks at step `code` (any scope), in creation order."""
    return sorted(t.id for t in inst.tasks.values() if inst.step_of(t) == code)


def one_at(inst: Instance, code: str) -> int:
    ids = open_at(inst, code)
    assert len(ids) == 1, (code, ids)
    return ids[0]


def kinds(events: list[Any]) -> list[str]:
    return [e.kind for e in events]
