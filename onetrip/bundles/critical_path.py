"""The combined time limit and step counts of a bundle: pure functions over spec.py data.

Durations. Each member takes its promised limit (else its statutory limit; an immediate item 即办件 with
neither takes 0), in working days: hours convert at 8 working hours a day (exact, so 4 h is 0.5 day);
natural days count one for one — N natural days never hold more than N working days, so the converted
figure can only overstate the time, never promise less than the items do. A member with no limit at all
counts 0 and is listed under `unknown`.

Combined process. An edge A → B means B starts when A has finished; members with no path between them run
side by side. The combined limit is the longest (critical) path through the graph; it is reported against
the sum of all members' limits (everything one after another, as before the reform). A cycle is an error.

Steps. Before = the sum of the members' task steps. After = one shared acceptance (一窗受理) + the
departments' own steps, where a department's steps for several members are done once per distinct step
name (the department reviews its items together) + one unified delivery (统一出件); the shared acceptance and
delivery count only when some member has such a step. Acceptance steps are
those with code `accept` or a name containing 受理; delivery steps have code `finish`/`deliver`/`issue` or a
name containing 办结, 出件, 送达 or 发证.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from onetrip.bundles.spec import MemberSpec, StepSpec
from onetrip.core.errors import ErrorDetail

HOURS_PER_DAY = Decimal(8)
ACCEPT_CODES = {"accept", "acceptance"}
DELIVERY_CODES = {"finish", "deliver", "delivery", "issue"}
DELIVERY_WORDS = ("办结", "出件", "送达", "发证")


def limit_in_working_days(value: int | None, unit: str) -> Decimal | None:
    if value is None:
        return None
    if unit == "hours":
        return Decimal(value) / HOURS_PER_DAY
    return Decimal(value)  # working days as they are; natural days one for one (an upper bound)


def member_duration(member: MemberSpec) -> Decimal | None:
    days = limit_in_working_days(member.promised_limit, member.promised_limit_unit)
    if days is None:
        days = limit_in_working_days(member.statutory_limit, member.statutory_limit_unit)
    if days is None and member.immediate:
        days = Decimal(0)
    return days


@dataclass(slots=True)
class Schedule:
    member: str
    duration: Decimal
    start: Decimal
    finish: Decimal


@dataclass(slots=True)
class CombinedLimit:
    critical_days: Decimal
    sum_days: Decimal
    critical_path: list[str]
    schedule: list[Schedule]
    unknown: list[str] = field(default_factory=list)
    errors: list[ErrorDetail] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "critical_days": str(self.critical_days),
            "sum_days": str(self.sum_days),
            "critical_path": self.critical_path,
            "schedule": [
                {
                    "member": s.member,
                    "duration": str(s.duration),
                    "start": str(s.start),
                    "finish": str(s.finish),
                }
                for s in self.schedule
            ],
            "unknown": self.unknown,
        }


def topological_order(nodes: Sequence[str], edges: Iterable[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """Kahn's algorithm, stable in the given node order. Returns (order, nodes left on a cycle)."""
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    indegree = dict.fromkeys(nodes, 0)
    for a, b in edges:
        if a in succ and b in succ:
            succ[a].append(b)
            indegree[b] += 1
    position = {n: i for i, n in enumerate(nodes)}
    ready = [n for n in nodes if indegree[n] == 0]
    order: list[str] = []
    while ready:
        ready.sort(key=position.__getitem__, reverse=True)
        n = ready.pop()
        order.append(n)
        for m in succ[n]:
            indegree[m] -= 1
            if indegree[m] == 0:
                ready.append(m)
    return order, [n for n in nodes if indegree[n] > 0]


def combined_limit(
    members: Sequence[MemberSpec],
    edges: Iterable[tuple[str, str]],
    *,
    chosen: Iterable[str] | None = None,
) -> CombinedLimit:
    """Critical path over the members taking part (mandatory + `chosen`, or every member when None)."""
    chosen_set = None if chosen is None else set(chosen)
    taking = [m for m in members if chosen_set is None or not m.optional or m.code in chosen_set]
    codes = [m.code for m in taking]
    edge_list = [(a, b) for a, b in edges]
    order, cyclic = topological_order(codes, edge_list)
    errors: list[ErrorDetail] = []
    if cyclic:
        errors.append(
            ErrorDetail(
                "process_cycle",
                "联办流程存在循环：" + "、".join(cyclic),
                "The combined process has a cycle: " + ", ".join(cyclic),
                "process",
            )
        )
    durations: dict[str, Decimal] = {}
    unknown: list[str] = []
    for m in taking:
        d = member_duration(m)
        if d is None:
            unknown.append(m.code)
            d = Decimal(0)
        durations[m.code] = d
    preds: dict[str, list[str]] = {c: [] for c in codes}
    for a, b in edge_list:
        if a in preds and b in preds:
            preds[b].append(a)
    start: dict[str, Decimal] = {}
    finish: dict[str, Decimal] = {}
    via: dict[str, str | None] = {}
    for code in order:
        best, best_pred = Decimal(0), None
        for p in preds[code]:
            if p in finish and finish[p] > best:
                best, best_pred = finish[p], p
        start[code], via[code] = best, best_pred
        finish[code] = best + durations[code]
    critical = max(finish.values(), default=Decimal(0))
    path: list[str] = []
    if finish:
        last = next(c for c in order if finish[c] == critical)
        node: str | None = last
        while node is not None:
            path.append(node)
            node = via[node]
        path.reverse()
    return CombinedLimit(
        critical_days=critical,
        sum_days=sum(durations.values(), Decimal(0)),
        critical_path=path,
        schedule=[Schedule(c, durations[c], start[c], finish[c]) for c in order],
        unknown=unknown,
        errors=errors,
    )


def _is_accept(step: StepSpec) -> bool:
    return step.code in ACCEPT_CODES or "受理" in step.name


def _is_delivery(step: StepSpec) -> bool:
    return step.code in DELIVERY_CODES or any(w in step.name for w in DELIVERY_WORDS)


@dataclass(frozen=True, slots=True)
class StepCounts:
    before: int
    after: int

    def as_dict(self) -> dict[str, int]:
        return {"before": self.before, "after": self.after}


def step_counts(members: Sequence[MemberSpec]) -> StepCounts:
    before = 0
    has_accept = has_delivery = False
    per_department: dict[int | None, set[str]] = {}
    for member in members:
        for step in member.steps:
            if step.kind != "task":
                continue
            before += 1
            if _is_accept(step) or _is_delivery(step):
                has_accept |= _is_accept(step)
                has_delivery |= _is_delivery(step) and not _is_accept(step)
                continue
            dept = step.department_id if step.department_id is not None else member.department_id
            per_department.setdefault(dept, set()).add(step.name.strip())
    if before == 0:
        return StepCounts(0, 0)
    # Only steps the members actually have are merged: a bundle started inside a department (工资统发) has no
    # window acceptance to share, so none is added.
    shared = int(has_accept) + int(has_delivery)
    return StepCounts(before, shared + sum(len(names) for names in per_department.values()))
