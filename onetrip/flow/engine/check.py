"""Will a bundle's combined process run? Checked before it is published, with the engine itself.

`bundle_problems` compiles every member's process and the combined process exactly as dispatch will, then
runs the combined process once for every set of optional members (点单) the applicant may choose, each task
approved as soon as it opens: a join that waits for ever, a step nobody can reach or any other refusal of
the engine is reported in people's words, naming the member and its step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from itertools import combinations

from .deadlines import SimpleCalculator
from .definition import ProcessDef, Registry, StepDef, StepKind, compile_process
from .engine import Engine
from .errors import DefinitionError, EngineError, bad
from .model import Actor, Instance, Status

# The subsets of optional members run in full up to this many members (2^10 runs of a small graph take
# well under a second); above it, every member alone, every member left out alone, all and none.
EXHAUSTIVE_OPTIONAL = 10
_AT = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def _label(step: StepDef) -> str:
    return step.name or step.code


def _prefixed(e: EngineError, zh: str, en: str, field: str) -> EngineError:
    return bad(e.code, f"{zh}{e.message_zh}", f"{en}{e.message_en}", field)


def _choices(optional: list[str]) -> Iterator[frozenset[str]]:
    if len(optional) <= EXHAUSTIVE_OPTIONAL:
        for n in range(len(optional) + 1):
            for chosen in combinations(optional, n):
                yield frozenset(chosen)
        return
    everything = frozenset(optional)
    yield frozenset()
    yield everything
    for code in optional:
        yield frozenset({code})
        yield everything - {code}


def _everyone(registry: Registry, refs: list[tuple[str, int]]) -> Actor:
    """An actor entitled to every task of these processes: every department and signer, the leader role."""
    who: set[str] = set()
    roles = {"leader"}
    for ref in refs:
        for node in registry.get(*ref).nodes:
            step = node.step
            if step.department:
                who.add(step.department)
            who.update(step.signers)
            if step.role:
                roles.add(step.role)
    return Actor("check", frozenset(who), frozenset(roles))


def _where(inst: Instance) -> str:
    """The steps the instance waits at, as people name them (“成员：环节”)."""
    places: list[str] = []
    for (scope, node), _ in sorted(inst.joins.items()):
        sc = inst.scopes[scope]
        step = _label(sc.process.nodes[node].step)
        if scope == 0:
            places.append(step)
        else:
            member = inst.scopes[sc.parent].process.nodes[sc.parent_node].step
            places.append(f"{_label(member)}：{step}")
    return "、".join(places) or "（无）"


def _run(engine: Engine, bundle: ProcessDef, chosen: frozenset[str], actor: Actor) -> Instance:
    variables = {f"chosen.{code}": True for code in chosen}
    inst, _ = engine.start(key=bundle.key, version=bundle.version, now=_AT, actor=actor, variables=variables)
    budget = 10_000  # a process that keeps opening tasks (it cannot: loops need a condition) is refused
    while inst.tasks and inst.status is Status.RUNNING and budget:
        budget -= 1
        inst, _ = engine.approve(inst, task=min(inst.tasks), actor=actor, now=_AT, opinion="检查")
    return inst


def bundle_problems(bundle: ProcessDef, members: Mapping[tuple[str, int], ProcessDef]) -> list[EngineError]:
    """What would stop `bundle` (built by `bundle_process`, its subprocess steps named for the members) from
    running, with `members` the processes those steps name. Empty when it runs for every choice of optional
    members. Fields: `members.<code>.process` for a member's own process, `process` else."""
    problems: list[EngineError] = []
    registry = Registry()
    subprocesses = [s for s in bundle.steps if s.kind is StepKind.SUBPROCESS and s.process]
    for step in subprocesses:
        assert step.process is not None
        name = _label(step)
        member = members.get(step.process)
        field = f"members.{step.code}.process"
        if member is None:
            problems.append(
                bad(
                    "member_process_missing",
                    f"成员“{name}”的事项没有办理流程",
                    f"Member {step.code!r}: its item has no process",
                    field,
                )
            )
            continue
        if step.process in registry:
            continue
        try:
            registry.add(compile_process(member))
        except DefinitionError as exc:
            problems += [
                _prefixed(e, f"成员“{name}”的办理流程：", f"Member {step.code!r}: ", field)
                for e in exc.errors
            ]
    if problems:
        return problems
    try:
        registry.add(compile_process(bundle))
    except DefinitionError as exc:
        return [_prefixed(e, "一件事的联办流程：", "Combined process: ", "process") for e in exc.errors]
    engine = Engine(registry, SimpleCalculator())
    actor = _everyone(registry, [(bundle.key, bundle.version), *registry_refs(subprocesses)])
    optional = [s for s in subprocesses if s.skip_unless is not None]
    for chosen in _choices([s.code for s in optional]):
        picked = "、".join(_label(s) for s in optional if s.code in chosen) or "不选任何可选事项"
        try:
            inst = _run(engine, bundle, chosen, actor)
        except EngineError as e:
            if e.code == "no_branch_matches":
                continue  # an exclusive choice on case data the check cannot know: the form decides
            problems.append(
                _prefixed(e, f"选择“{picked}”时，联办流程无法运行：", f"With {sorted(chosen)}: ", "process")
            )
            break
        if inst.status not in (Status.COMPLETED, Status.HELD):
            problems.append(
                bad(
                    "bundle_cannot_finish",
                    f"选择“{picked}”时，联办流程无法办结，会停在：{_where(inst)}",
                    f"With {sorted(chosen)} chosen the combined process never finishes",
                    "process",
                )
            )
            break
    return problems


def registry_refs(steps: list[StepDef]) -> list[tuple[str, int]]:
    return [s.process for s in steps if s.process is not None]
