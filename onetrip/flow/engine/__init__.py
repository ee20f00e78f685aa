"""The workflow engine core: plain typed Python, no Django (DESIGN §4).

Definitions are compiled once (`compile_process`, `Registry`), instances keep only live state
(`Instance.to_state/from_state`), operations are pure transitions on an `Engine` returning
`Outcome(instance, events)`, and time comes in as `now` with deadlines from a `DeadlineCalculator`.
"""

from .check import bundle_problems
from .conditions import compile_condition
from .deadlines import DeadlineCalculator, SimpleCalculator, WorkdaysCalculator
from .definition import (
    CompiledProcess,
    Countersign,
    MemberDef,
    Node,
    ProcessDef,
    Registry,
    StepDef,
    StepKind,
    TimeoutPolicy,
    TransitionDef,
    after_window_acceptance,
    bundle_process,
    compile_process,
    from_template,
)
from .engine import Engine, Outcome, TimeoutAction
from .errors import DefinitionError, EngineError
from .model import SYSTEM, Actor, Event, Instance, SpecialProcedure, Status, Task

__all__ = [
    "SYSTEM",
    "Actor",
    "CompiledProcess",
    "Countersign",
    "DeadlineCalculator",
    "DefinitionError",
    "Engine",
    "EngineError",
    "Event",
    "Instance",
    "MemberDef",
    "Node",
    "Outcome",
    "ProcessDef",
    "Registry",
    "SimpleCalculator",
    "SpecialProcedure",
    "Status",
    "StepDef",
    "StepKind",
    "Task",
    "TimeoutAction",
    "TimeoutPolicy",
    "TransitionDef",
    "WorkdaysCalculator",
    "after_window_acceptance",
    "bundle_problems",
    "bundle_process",
    "compile_condition",
    "compile_process",
    "from_template",
]
