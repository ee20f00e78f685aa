"""Workflow engine: OneTrip's pure core against SpiffWorkflow on the same process.

Run from the repository root: `.venv/bin/pip install -e '.[bench]'` once, then `.venv/bin/python
bench/engine.py`. Process: start → accept → N parallel department tasks → join → issue → end, every task
completed in code, for N = 3, 10, 30 (and 100, ours in full, SpiffWorkflow on a few instances). Prints one
JSON line per N: {"n", "ours_per_s", "spiff_per_s", "ratio", "ours_us_per_action", "spiff_us_per_action",
"ours_state_bytes", "spiff_state_bytes", ...}; state sizes are measured with the N department tasks open
(ours: `Instance.to_bytes()`, compact JSON; SpiffWorkflow: `BpmnWorkflowSerializer.serialize_json`), and
`ours_state_max_bytes` is the largest state seen at any point of our run. Ours computes every task's due
date on the official working-day calendar; SpiffWorkflow computes none.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

try:
    from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
    from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState
except ImportError:
    # The comparison needs the benchmark-only extra; say how to get it instead of a bare traceback.
    sys.exit(
        "bench/engine.py compares the engine with SpiffWorkflow, which is not installed.\n"
        "Install the bench extra once, from the repository root:\n"
        "    .venv/bin/pip install -e '.[bench]'\n"
        "then run: .venv/bin/python bench/engine.py"
    )

from onetrip.flow.engine import (  # noqa: E402
    Actor,
    Engine,
    Instance,
    ProcessDef,
    Registry,
    StepDef,
    StepKind,
    TransitionDef,
    WorkdaysCalculator,
)
from onetrip.workdays.core import SHANGHAI, Calendar  # noqa: E402
from onetrip.workdays.package import package_arrangements  # noqa: E402

SIZES = (3, 10, 30, 100)
SECONDS = 1.5  # per side and size, best of REPEATS
REPEATS = 3
NOW = dt.datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)


def bpmn(n: int) -> str:
    tasks = "".join(
        f'<bpmn:userTask id="dept{i}" name="部门{i}"/>'
        f'<bpmn:sequenceFlow id="fs{i}" sourceRef="split" targetRef="dept{i}"/>'
        f'<bpmn:sequenceFlow id="fj{i}" sourceRef="dept{i}" targetRef="join"/>'
        for i in range(n)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" '
        'targetNamespace="http://bpmn.io/schema/bpmn">'
        f'<bpmn:process id="parallel{n}" isExecutable="true">'
        '<bpmn:startEvent id="start"/>'
        '<bpmn:userTask id="accept" name="受理"/>'
        '<bpmn:parallelGateway id="split"/>'
        f"{tasks}"
        '<bpmn:parallelGateway id="join"/>'
        '<bpmn:userTask id="issue" name="出件"/>'
        '<bpmn:endEvent id="end"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="accept"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="accept" targetRef="split"/>'
        '<bpmn:sequenceFlow id="f3" sourceRef="join" targetRef="issue"/>'
        '<bpmn:sequenceFlow id="f4" sourceRef="issue" targetRef="end"/>'
        "</bpmn:process></bpmn:definitions>"
    )


def ours_definition(n: int) -> ProcessDef:
    steps = [
        StepDef("start", "开始", StepKind.START),
        StepDef("accept", "受理", department="window", role="clerk", limit=1),
    ]
    transitions = [TransitionDef("start", "accept")]
    for i in range(n):
        steps.append(StepDef(f"dept{i}", f"部门{i}", department=f"dept{i}", role="handler", limit=5))
        transitions += [TransitionDef("accept", f"dept{i}"), TransitionDef(f"dept{i}", "issue")]
    steps += [
        StepDef("issue", "出件", department="window", role="clerk", limit=1),
        StepDef("end", "办结", StepKind.END),
    ]
    transitions.append(TransitionDef("issue", "end"))
    return ProcessDef(f"parallel{n}", 1, tuple(steps), tuple(transitions))


def timed(run: Callable[[], int], seconds: float) -> tuple[float, int]:
    """Best instances/s over REPEATS runs of about `seconds` each; also the actions of one instance."""
    best = 0.0
    actions = run()
    for _ in range(REPEATS):
        count = 0
        t0 = time.perf_counter()
        while True:
            run()
            count += 1
            elapsed = time.perf_counter() - t0
            if elapsed >= seconds:
                break
        best = max(best, count / elapsed)
    return best, actions


def main() -> None:
    calendar = Calendar(package_arrangements())
    registry = Registry()
    engine = Engine(registry, WorkdaysCalculator(calendar))
    clerk = Actor("clerk1", frozenset({"window"}), frozenset({"clerk"}))
    for n in SIZES:
        registry.add(ours_definition(n))
        handlers = {
            f"dept{i}": Actor(f"h{i}", frozenset({f"dept{i}"}), frozenset({"handler"})) for i in range(n)
        }
        sizes = {"open": 0, "max": 0, "measure": 1}

        def ours(n: int = n, handlers: dict[str, Actor] = handlers, sizes: dict[str, int] = sizes) -> int:
            inst, _ = engine.start(key=f"parallel{n}", version=1, now=NOW, actor=clerk, applicant="a1")
            actions = 1
            inst, _ = engine.approve(inst, task=next(iter(inst.tasks)), actor=clerk, now=NOW)
            actions += 1
            if not sizes["open"]:
                sizes["open"] = len(inst.to_bytes())
            process = inst.process
            for tid, task in list(inst.tasks.items()):
                actor = handlers[process.nodes[task.node].step.department or ""]
                inst, _ = engine.approve(inst, task=tid, actor=actor, now=NOW, expected_version=inst.version)
                actions += 1
                if sizes["measure"]:
                    sizes["max"] = max(sizes["max"], len(inst.to_bytes()))
            inst, _ = engine.approve(inst, task=next(iter(inst.tasks)), actor=clerk, now=NOW)
            actions += 1
            assert inst.status == "completed" and not inst.tasks
            return actions

        # One instance with the state measured after every action, then timed runs without measuring.
        ours()
        sizes["measure"] = 0
        ours_per_s, ours_actions = timed(ours, SECONDS)

        parser = BpmnParser()
        parser.add_bpmn_str(bpmn(n).encode())
        spec = parser.get_spec(f"parallel{n}")
        spiff_sizes = {"open": 0}

        def spiff(spec: object = spec, spiff_sizes: dict[str, int] = spiff_sizes) -> int:
            wf = BpmnWorkflow(spec)
            wf.do_engine_steps()
            actions = 0
            while not wf.is_completed():
                ready = wf.get_tasks(state=TaskState.READY, manual=True)
                if len(ready) > 1 and not spiff_sizes["open"]:
                    spiff_sizes["open"] = len(BpmnWorkflowSerializer().serialize_json(wf))
                for task in ready:
                    task.run()
                    wf.do_engine_steps()
                    actions += 1
            return actions

        spiff_seconds = SECONDS if n <= 30 else 0.0  # at N = 100 one pass (timed() runs at least once)
        spiff_per_s, spiff_actions = timed(spiff, spiff_seconds)
        print(
            json.dumps(
                {
                    "n": n,
                    "ours_per_s": round(ours_per_s, 1),
                    "spiff_per_s": round(spiff_per_s, 1),
                    "ratio": round(ours_per_s / spiff_per_s, 1),
                    "ours_us_per_action": round(1e6 / (ours_per_s * ours_actions), 2),
                    "spiff_us_per_action": round(1e6 / (spiff_per_s * spiff_actions), 1),
                    "ours_actions": ours_actions,
                    "spiff_actions": spiff_actions,
                    "ours_state_bytes": sizes["open"],
                    "ours_state_max_bytes": sizes["max"],
                    "spiff_state_bytes": spiff_sizes["open"],
                }
            ),
            flush=True,
        )
    # Round trip check: a stored state restores to an equal one.
    inst, _ = engine.start(key="parallel30", version=1, now=NOW, actor=clerk)
    assert Instance.from_bytes(inst.to_bytes(), registry).to_bytes() == inst.to_bytes()


if __name__ == "__main__":
    main()
