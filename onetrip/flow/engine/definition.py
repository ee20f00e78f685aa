"""Process definitions: plain data in, a validated and indexed `CompiledProcess` out, compiled once.

A definition is a graph of steps (start, task, subprocess, end) and transitions, referenced by
(key, version). The routing of a step is read from its outgoing transitions, as in the catalogue:

* one unconditional transition: sequence;
* several unconditional transitions: parallel split (并联);
* conditional transitions: exclusive choice, first true condition in order wins; at most one unconditional
  transition beside them is the default;
* a step with several incoming (non-loop) transitions is a join. Its matching split is its immediate
  dominator: a parallel split makes it an AND-join that waits for one token per incoming transition; an
  exclusive choice makes it a merge that passes each token on.

Loops are allowed only through an exclusive choice (a condition that sends the case back), and every step
must still be able to reach an end. Compiling reports every problem at once (DefinitionError).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .conditions import Predicate, compile_condition
from .errors import DefinitionError, EngineError, bad


class StepKind(StrEnum):
    START = "start"
    TASK = "task"
    SUBPROCESS = "subprocess"
    END = "end"


class Countersign(StrEnum):
    SINGLE = "single"
    ALL = "all"  # 会签: every signer approves
    ANY = "any"  # 或签: the first decision decides
    SEQUENCE = "sequence"  # 依次审批: one signer after another


class TimeoutPolicy(StrEnum):
    REMIND = "remind"  # 催办
    DEEM_APPROVED = "deem_approved"  # 超时默认
    REJECT = "reject"
    ESCALATE = "escalate"  # 上报


UNITS = frozenset({"working", "natural", "hours"})

Condition = str | Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class StepDef:
    code: str
    name: str = ""
    kind: StepKind = StepKind.TASK
    department: str | None = None
    role: str | None = None
    limit: int | None = None
    unit: str = "working"
    countersign: Countersign = Countersign.SINGLE
    signers: tuple[str, ...] = ()  # users or departments; else variable "signers.<code>", else (department,)
    timeout: TimeoutPolicy = TimeoutPolicy.REMIND
    absence_default: bool = False  # 缺席默认: an absent countersigner is deemed to agree after the deadline
    simulate_until: Condition | None = None  # 模拟审批: approvals before this holds are simulated
    commitment: bool = False  # 承诺制: approval opens a follow-up verification task
    verify_limit: int = 20
    verify_unit: str = "working"
    skip_unless: Condition | None = None  # the step is passed over when this is false (optional members)
    process: tuple[str, int] | None = None  # subprocess: (key, version) of the child definition


@dataclass(frozen=True, slots=True)
class TransitionDef:
    source: str
    target: str
    condition: Condition | None = None


@dataclass(frozen=True, slots=True)
class ProcessDef:
    key: str
    version: int
    steps: tuple[StepDef, ...]
    transitions: tuple[TransitionDef, ...]
    name: str = ""


@dataclass(frozen=True, slots=True)
class Node:
    index: int
    step: StepDef
    out: tuple[int, ...]  # parallel/sequence targets (empty for an exclusive choice or an end)
    choices: tuple[tuple[Predicate, int], ...]  # exclusive choice: (condition, target) in order
    default: int | None  # exclusive choice: the unconditional target
    join: int  # tokens an AND-join waits for (0: not an AND-join)
    after: frozenset[int]  # steps reachable from here (a return from one of them may come back here)
    simulate: Predicate | None
    skip: Predicate | None


@dataclass(frozen=True, slots=True)
class CompiledProcess:
    key: str
    version: int
    name: str
    nodes: tuple[Node, ...]
    index: Mapping[str, int]
    start: int
    subprocesses: tuple[tuple[str, int], ...]

    @property
    def ref(self) -> tuple[str, int]:
        return (self.key, self.version)

    def node(self, code: str) -> Node:
        i = self.index.get(code)
        if i is None:
            raise bad("unknown_step", f"流程中没有环节“{code}”", f"The process has no step {code!r}", "step")
        return self.nodes[i]


def _err(code: str, zh: str, en: str, where: str) -> EngineError:
    return bad(code, zh, en, where)


def _label(step: StepDef) -> str:
    """A step as people name it (its name; the code only where it has none)."""
    return step.name or step.code


def _dominators(n: int, start: int, succ: list[list[int]], pred: list[list[int]]) -> list[int]:
    """Immediate dominators (Cooper, Harvey, Kennedy); -1 for unreachable nodes and the start."""
    order: list[int] = []
    seen = [False] * n
    stack: list[tuple[int, int]] = [(start, 0)]
    seen[start] = True
    while stack:
        node, i = stack.pop()
        if i < len(succ[node]):
            stack.append((node, i + 1))
            nxt = succ[node][i]
            if not seen[nxt]:
                seen[nxt] = True
                stack.append((nxt, 0))
        else:
            order.append(node)
    rpo = order[::-1]
    number = {node: i for i, node in enumerate(rpo)}
    idom = [-1] * n
    idom[start] = start
    changed = True
    while changed:
        changed = False
        for node in rpo[1:]:
            new = -1
            for p in pred[node]:
                if idom[p] == -1:
                    continue
                if new == -1:
                    new = p
                    continue
                a, b = p, new
                while a != b:
                    while number[a] > number[b]:
                        a = idom[a]
                    while number[b] > number[a]:
                        b = idom[b]
                new = a
            if new != -1 and idom[node] != new:
                idom[node] = new
                changed = True
    idom[start] = -1
    return idom


def _dominates(a: int, b: int, idom: list[int]) -> bool:
    while b != -1:
        if a == b:
            return True
        b = idom[b]
    return False


def _reach(starts: Iterable[int], edges: list[list[int]]) -> set[int]:
    seen = set(starts)
    todo = list(seen)
    while todo:
        for nxt in edges[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _choice_between(
    split: int, join: int, succ: list[list[int]], pred: list[list[int]], conditional: list[list[Any]]
) -> bool:
    """Is there an exclusive choice on a path from `split` to `join`?

    Without one, every step between them runs exactly once each time the split fires (loops only pass
    through choices), so an AND-join may wait for one token per incoming transition even when two of them
    come down the same branch: a dependency graph (B after A and C, D after A) needs no block structure.
    With one, a token may leave by another way and the join would wait for ever."""
    between = (_reach([split], succ) & _reach([join], pred)) - {split, join}
    return any(conditional[i] for i in between)


def compile_process(definition: ProcessDef) -> CompiledProcess:
    """Validate and index a definition; raises DefinitionError listing every problem."""
    errors: list[EngineError] = []
    steps = definition.steps
    index: dict[str, int] = {}
    for i, s in enumerate(steps):
        where = f"steps[{i}]"
        if s.code in index:
            errors.append(
                _err("duplicate_step", f"环节编码“{s.code}”重复", f"Duplicate step {s.code!r}", where)
            )
            continue
        index[s.code] = i
        if s.unit not in UNITS or s.verify_unit not in UNITS:
            errors.append(
                _err("unknown_unit", f"环节“{_label(s)}”的时限单位无效", f"Step {s.code!r}: bad unit", where)
            )
        if s.limit is not None and s.limit < 0:
            errors.append(
                _err(
                    "negative_limit",
                    f"环节“{_label(s)}”的时限为负数",
                    f"Step {s.code!r}: negative limit",
                    where,
                )
            )
        if s.kind is StepKind.SUBPROCESS and s.process is None:
            errors.append(
                _err(
                    "subprocess_without_process",
                    f"子流程环节“{_label(s)}”未指定流程",
                    f"Subprocess step {s.code!r} names no process",
                    where,
                )
            )
        if s.kind is StepKind.TASK and not (s.department or s.signers):
            errors.append(
                _err(
                    "step_without_department",
                    f"环节“{_label(s)}”未指定办理部门或办理人",
                    f"Step {s.code!r} has no department or signers",
                    where,
                )
            )
    n = len(steps)
    starts = [i for i, s in enumerate(steps) if s.kind is StepKind.START]
    ends = [i for i, s in enumerate(steps) if s.kind is StepKind.END]
    if not starts:
        errors.append(_err("process_no_start", "流程缺少开始环节", "The process has no start step", "steps"))
    elif len(starts) > 1:
        errors.append(
            _err("process_multiple_starts", "流程只能有一个开始环节", "More than one start step", "steps")
        )
    if not ends:
        errors.append(_err("process_no_end", "流程缺少结束环节", "The process has no end step", "steps"))

    succ: list[list[int]] = [[] for _ in range(n)]
    pred: list[list[int]] = [[] for _ in range(n)]
    conditional: list[list[tuple[Predicate, int]]] = [[] for _ in range(n)]
    plain: list[list[int]] = [[] for _ in range(n)]
    for i, t in enumerate(definition.transitions):
        where = f"transitions[{i}]"
        a, b = index.get(t.source), index.get(t.target)
        if a is None or b is None:
            missing = t.source if a is None else t.target
            errors.append(
                _err(
                    "unknown_step",
                    f"第{i + 1}条连线指向不存在的环节“{missing}”",
                    f"Transition {i + 1} refers to an unknown step {missing!r}",
                    where,
                )
            )
            continue
        if b in succ[a]:
            errors.append(
                _err("duplicate_transition", f"第{i + 1}条连线重复", f"Transition {i + 1} repeats", where)
            )
            continue
        succ[a].append(b)
        pred[b].append(a)
        cond = t.condition
        if cond is None or (isinstance(cond, str) and not cond.strip()):
            plain[a].append(b)
        else:
            try:
                conditional[a].append((compile_condition(cond), b))
            except EngineError as e:
                e.field = where
                errors.append(e)

    for i, s in enumerate(steps):
        where = f"steps[{i}]"
        if s.kind is StepKind.END and succ[i]:
            errors.append(
                _err(
                    "end_has_outgoing",
                    f"结束环节“{_label(s)}”之后不能再有环节",
                    f"End {s.code!r} has successors",
                    where,
                )
            )
        if s.kind is StepKind.START and pred[i]:
            errors.append(
                _err(
                    "start_has_incoming",
                    f"开始环节“{_label(s)}”不能有来路",
                    f"Start {s.code!r} has predecessors",
                    where,
                )
            )
        if s.kind is not StepKind.END and not succ[i]:
            errors.append(
                _err(
                    "step_without_exit",
                    f"环节“{_label(s)}”没有后续环节",
                    f"Step {s.code!r} leads nowhere",
                    where,
                )
            )
        if conditional[i] and len(plain[i]) > 1:
            errors.append(
                _err(
                    "ambiguous_default",
                    f"环节“{_label(s)}”的条件分支只能有一条无条件的默认连线",
                    f"Step {s.code!r}: a choice may have one unconditional default at most",
                    where,
                )
            )
    conditions: dict[str, Predicate | None] = {}
    for i, s in enumerate(steps):
        for attr in ("simulate_until", "skip_unless"):
            cond = getattr(s, attr)
            if cond is None:
                continue
            try:
                conditions[f"{i}.{attr}"] = compile_condition(cond)
            except EngineError as e:
                e.field = f"steps[{i}].{attr}"
                errors.append(e)
    if len(starts) != 1:
        raise DefinitionError(errors)

    start = starts[0]
    reached = _reach([start], succ)
    for i, s in enumerate(steps):
        if i not in reached:
            errors.append(
                _err(
                    "step_unreachable",
                    f"环节“{_label(s)}”无法从开始环节到达",
                    f"Step {s.code!r} is unreachable",
                    f"steps[{i}]",
                )
            )
    reaching = _reach(ends, pred)
    stuck = [i for i in range(n) if i in reached and i not in reaching]
    if stuck:
        looping = [i for i in stuck if _reach([i], succ) & {i}]
        for i in looping[:1]:
            errors.append(
                _err(
                    "cycle_without_exit",
                    f"环节“{_label(steps[i])}”所在的循环没有出口",
                    f"The loop through {steps[i].code!r} never reaches an end",
                    f"steps[{i}]",
                )
            )
        for i in stuck:
            if i not in looping:
                errors.append(
                    _err(
                        "step_cannot_reach_end",
                        f"环节“{_label(steps[i])}”无法到达结束环节",
                        f"Step {steps[i].code!r} cannot reach an end",
                        f"steps[{i}]",
                    )
                )
    if errors:
        raise DefinitionError(errors)

    idom = _dominators(n, start, succ, pred)
    joins = [0] * n
    for v in range(n):
        forward = [p for p in pred[v] if not _dominates(v, p, idom)]
        back = [p for p in pred[v] if _dominates(v, p, idom)]
        for p in back:
            if not conditional[p]:
                errors.append(
                    _err(
                        "loop_without_condition",
                        f"从“{_label(steps[p])}”回到“{_label(steps[v])}”的连线必须来自条件分支",
                        f"The loop {steps[p].code!r} -> {steps[v].code!r} must leave an exclusive choice",
                        f"steps[{p}]",
                    )
                )
        if len(forward) < 2:
            continue
        split = idom[v]  # a node with two forward predecessors: its dominator is where they diverge
        if conditional[split]:
            continue  # merge of an exclusive choice: each token passes on
        branches: set[int] = set()
        for p in forward:
            b = p
            while b != split and idom[b] != split:
                b = idom[b]
            key = -1 - p if b == split else b
            if key in branches and _choice_between(split, v, succ, pred, conditional):
                errors.append(
                    _err(
                        "join_without_matching_split",
                        f"汇合环节“{_label(steps[v])}”的来路与分支环节“{_label(steps[split])}”的分支不对应",
                        f"Join {steps[v].code!r} does not match the branches of split {steps[split].code!r}",
                        f"steps[{v}]",
                    )
                )
                break
            branches.add(key)
        joins[v] = len(forward)
    if errors:
        raise DefinitionError(errors)

    nodes = tuple(
        Node(
            index=i,
            step=s,
            out=() if conditional[i] else tuple(plain[i]),
            choices=tuple(conditional[i]),
            default=plain[i][0] if conditional[i] and plain[i] else None,
            join=joins[i],
            after=frozenset(_reach(succ[i], succ)),
            simulate=conditions.get(f"{i}.simulate_until"),
            skip=conditions.get(f"{i}.skip_unless"),
        )
        for i, s in enumerate(steps)
    )
    subs = tuple(dict.fromkeys(s.process for s in steps if s.kind is StepKind.SUBPROCESS and s.process))
    return CompiledProcess(
        key=definition.key,
        version=definition.version,
        name=definition.name,
        nodes=nodes,
        index=index,
        start=start,
        subprocesses=subs,
    )


@dataclass
class Registry:
    """Compiled definitions by (key, version). Several versions live side by side: running instances keep
    the version they started with."""

    _defs: dict[tuple[str, int], CompiledProcess] = field(default_factory=dict)

    def add(self, process: CompiledProcess | ProcessDef) -> CompiledProcess:
        compiled = compile_process(process) if isinstance(process, ProcessDef) else process
        missing = [ref for ref in compiled.subprocesses if ref not in self._defs]
        if missing:
            raise DefinitionError(
                [
                    _err(
                        "unknown_subprocess",
                        f"子流程“{key}”第{version}版尚未登记",
                        f"Subprocess {key!r} version {version} is not registered",
                        "process",
                    )
                    for key, version in missing
                ]
            )
        existing = self._defs.get(compiled.ref)
        if existing is not None and existing is not compiled:
            raise DefinitionError(
                [
                    _err(
                        "definition_exists",
                        f"流程“{compiled.key}”第{compiled.version}版已登记，已发布的版本不可更改",
                        f"Process {compiled.key!r} version {compiled.version} is already registered",
                        "version",
                    )
                ]
            )
        self._defs[compiled.ref] = compiled
        return compiled

    def get(self, key: str, version: int) -> CompiledProcess:
        found = self._defs.get((key, version))
        if found is None:
            raise bad(
                "unknown_definition",
                f"流程“{key}”第{version}版不存在",
                f"Process {key!r} version {version} does not exist",
                "definition",
            )
        return found

    def __contains__(self, ref: object) -> bool:
        return ref in self._defs


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def from_template(
    key: str,
    version: int,
    steps: Iterable[Mapping[str, Any]],
    transitions: Iterable[Mapping[str, Any]],
    *,
    name: str = "",
) -> ProcessDef:
    """A definition from the catalogue's process template as plain dicts (no Django needed).

    Step keys: code, name, kind (start/task/end), department (code), role, limit, limit_unit, countersign
    (single/all/any/sequence), timeout_policy (remind/deem_approved/reject/escalate); optional engine keys:
    signers, absence_default, simulate_until, commitment, skip_unless, process ([key, version]).
    Transition keys: source, target (step codes), condition (text; empty: none)."""
    out_steps = []
    for s in steps:
        process = s.get("process")
        out_steps.append(
            StepDef(
                code=str(s["code"]),
                name=_text(s.get("name")),
                kind=StepKind(s.get("kind") or "task"),
                department=s.get("department") or None,
                role=s.get("role") or None,
                limit=s.get("limit"),
                unit=s.get("limit_unit") or "working",
                countersign=Countersign(s.get("countersign") or "single"),
                signers=tuple(s.get("signers") or ()),
                timeout=TimeoutPolicy(s.get("timeout_policy") or "remind"),
                absence_default=bool(s.get("absence_default")),
                simulate_until=s.get("simulate_until") or None,
                commitment=bool(s.get("commitment")),
                skip_unless=s.get("skip_unless") or None,
                process=(str(process[0]), int(process[1])) if process else None,
            )
        )
    out_transitions = tuple(
        TransitionDef(str(t["source"]), str(t["target"]), t.get("condition") or None) for t in transitions
    )
    return ProcessDef(
        key=key, version=version, steps=tuple(out_steps), transitions=out_transitions, name=name
    )


@dataclass(frozen=True, slots=True)
class MemberDef:
    """A member of a bundle (一件事): its step code, the name people know it by, its item's process, and
    whether the applicant may leave it out (点单: it runs only when the variable `chosen.<code>` is true)."""

    code: str
    process: tuple[str, int]
    name: str = ""
    optional: bool = False

    @property
    def condition(self) -> Condition | None:
        return {"var": f"chosen.{self.code}"} if self.optional else None


def bundle_process(
    key: str,
    version: int,
    *,
    members: Sequence[MemberDef],
    accept: StepDef,
    issue: StepDef,
    edges: Sequence[tuple[str, str]] = (),
    name: str = "",
) -> ProcessDef:
    """A bundle (一件事): accept → every member item's process as a subprocess → issue → end. Without
    `edges` the members run in parallel; an edge (a, b) makes member b start once a is done, members with
    no edge into them start after acceptance and those with none out of them lead to the issue step.
    Dispatch and bundle publishing both build the combined process here, so what publishes is what runs."""
    steps: list[StepDef] = [StepDef("start", "开始", StepKind.START), accept]
    transitions: list[TransitionDef] = [TransitionDef("start", accept.code)]
    has_in = {t for _, t in edges}
    has_out = {a for a, _ in edges}
    for m in members:
        steps.append(
            StepDef(m.code, m.name or m.code, StepKind.SUBPROCESS, process=m.process, skip_unless=m.condition)
        )
        if m.code not in has_in:
            transitions.append(TransitionDef(accept.code, m.code))
    transitions += [TransitionDef(a, b) for a, b in edges]
    transitions += [TransitionDef(m.code, issue.code) for m in members if m.code not in has_out]
    steps += [issue, StepDef("end", "办结", StepKind.END)]
    transitions.append(TransitionDef(issue.code, "end"))
    return ProcessDef(key=key, version=version, steps=tuple(steps), transitions=tuple(transitions), name=name)


def after_window_acceptance(definition: ProcessDef, *, window_role: str) -> ProcessDef:
    """统一受理: the window's acceptance is the departments' acceptance. The task steps right after the start
    that are for the window's role (`window_role`, 综合窗口) are that acceptance, done before the case is
    dispatched: the departments' process starts after them. A department re-accepts only where the process
    declares an acceptance step for one of its own roles; such a step stays."""
    steps = list(definition.steps)
    transitions = list(definition.transitions)
    starts = [s.code for s in steps if s.kind is StepKind.START]
    if len(starts) != 1:
        return definition  # compile reports it
    start = starts[0]
    while True:
        incoming: dict[str, list[TransitionDef]] = {}
        for t in transitions:
            incoming.setdefault(t.target, []).append(t)
        window = next(
            (
                s
                for s in steps
                if s.kind is StepKind.TASK
                and s.role == window_role
                and [(t.source, t.condition) for t in incoming.get(s.code, [])] == [(start, None)]
            ),
            None,
        )
        if window is None:
            break
        steps.remove(window)
        spliced: list[TransitionDef] = []
        for t in transitions:
            if t.target == window.code:
                continue
            if t.source == window.code:
                t = TransitionDef(start, t.target, t.condition)
                if any(o.source == start and o.target == t.target for o in spliced):
                    continue
            spliced.append(t)
        transitions = spliced
    if len(steps) == len(definition.steps):
        return definition
    return ProcessDef(
        key=definition.key,
        version=definition.version,
        steps=tuple(steps),
        transitions=tuple(transitions),
        name=definition.name,
    )
