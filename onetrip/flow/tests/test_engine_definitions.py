"""Definitions: compile-time validation, conditions, the catalogue template converter, versions."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from onetrip.flow.engine import (
    DefinitionError,
    EngineError,
    Registry,
    StepDef,
    StepKind,
    compile_condition,
    compile_process,
    from_template,
)

from .flows import (
    CLERK,
    NOW,
    accept,
    end_step,
    handler,
    issue,
    make_engine,
    one_at,
    parallel,
    process,
    serial,
    start_step,
    task,
)


def codes(definition) -> list[str]:
    with pytest.raises(DefinitionError) as info:
        compile_process(definition)
    for e in info.value.errors:
        assert e.message_zh and e.message_en and e.field
    return info.value.codes


def test_parallel_join_waits_for_every_branch():
    compiled = compile_process(parallel(4))
    assert compiled.node("issue").join == 4
    assert compiled.node("accept").out == tuple(compiled.index[f"d{i}"] for i in range(4))
    assert compiled.node("d0").join == 0


def test_unknown_step_unreachable_and_missing_start_are_reported_together():
    bad = process(
        "bad",
        [start_step(), task("a"), task("orphan"), end_step()],
        [("start", "a"), ("a", "end"), ("a", "nowhere"), ("orphan", "end")],
    )
    assert codes(bad) == ["unknown_step", "step_unreachable"]
    assert codes(process("nostart", [task("a"), end_step()], [("a", "end")])) == ["process_no_start"]


def test_a_loop_needs_an_exit_and_a_condition():
    no_exit = process(
        "loop",
        [start_step(), task("a"), task("b"), task("c"), end_step()],
        [("start", "a"), ("a", "end", "x == 1"), ("a", "b", "x == 2"), ("b", "c"), ("c", "b")],
    )
    assert "cycle_without_exit" in codes(no_exit)
    unconditional = process(
        "loop2",
        [start_step(), task("a"), task("b"), end_step()],
        [("start", "a"), ("a", "b"), ("b", "a"), ("b", "end")],
    )
    assert codes(unconditional) == ["loop_without_condition"]
    guarded = process(
        "loop3",
        [start_step(), task("a"), task("b"), end_step()],
        [("start", "a"), ("a", "b"), ("b", "a", "again == true"), ("b", "end")],
    )
    compiled = compile_process(guarded)
    assert compiled.node("a").join == 0  # a loop entry is a merge, not an AND-join


def test_a_join_must_match_the_branches_of_its_split():
    # d0 may end in `issue` directly or through `extra`: `issue` would wait for a third token that never comes.
    unmatched = process(
        "unmatched",
        [start_step(), accept(), task("d0"), task("d1"), task("extra"), issue(), end_step()],
        [
            ("start", "accept"),
            ("accept", "d0"),
            ("accept", "d1"),
            ("d0", "issue", "fast == true"),
            ("d0", "extra"),
            ("extra", "issue"),
            ("d1", "issue"),
            ("issue", "end"),
        ],
    )
    assert codes(unmatched) == ["join_without_matching_split"]


def test_choices_conditions_and_defaults_are_validated():
    two_defaults = process(
        "choice",
        [start_step(), task("a"), task("b"), task("c"), task("d"), end_step()],
        [
            ("start", "a"),
            ("a", "b", "x > 1"),
            ("a", "c"),
            ("a", "d"),
            ("b", "end"),
            ("c", "end"),
            ("d", "end"),
        ],
    )
    assert codes(two_defaults) == ["ambiguous_default"]
    garbled = process(
        "garbled", [start_step(), task("a"), end_step()], [("start", "a"), ("a", "end", "x >> 1")]
    )
    assert codes(garbled) == ["invalid_condition"]
    assert codes(
        process("nodept", [start_step(), StepDef("a"), end_step()], [("start", "a"), ("a", "end")])
    ) == ["step_without_department"]


@pytest.mark.parametrize(
    ("condition", "variables", "expected"),
    [
        ("amount >= 1000000 and kind == 'new'", {"amount": 2_000_000, "kind": "new"}, True),
        ("amount >= 1000000 and kind == 'new'", {"amount": 10, "kind": "new"}, False),
        ('kind in ["change", "move"] or not foreign', {"kind": "x", "foreign": False}, True),
        ("kind not in ['a', 'b']", {"kind": "a"}, False),
        ("land_rights", {}, False),
        ("!(a == 1) && b != null", {"a": 2, "b": 0}, True),
        ("面积 > 100 且 类型 == '工业'", {"面积": 120, "类型": "工业"}, True),
        ("amount > 5", {"amount": "many"}, False),  # mixed types never raise
        ({"var": "x", "op": "in", "value": [1, 2]}, {"x": 2}, True),
        ({"all": [{"var": "a"}, {"not": {"var": "b", "op": "==", "value": 1}}]}, {"a": 1, "b": 1}, False),
        ({"any": [{"var": "a"}, {"var": "b", "op": "<", "value": 3}]}, {"b": 2}, True),
    ],
)
def test_conditions_evaluate_case_data(condition, variables, expected):
    assert compile_condition(condition)(variables) is expected


@pytest.mark.parametrize("text", ["", "a ==", "(a == 1", "a == [b]", "__import__('os')", "a; b"])
def test_conditions_refuse_anything_but_the_small_language(text):
    with pytest.raises(EngineError) as info:
        compile_condition(text)
    assert info.value.code == "invalid_condition"


def test_conditions_never_call_eval():
    source = (Path(__file__).parents[1] / "engine" / "conditions.py").read_text()
    names = {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}
    assert not names & {"eval", "exec", "compile", "__import__"}


def test_catalogue_template_converts_and_runs():
    steps = [
        {"code": "start", "name": "开始", "kind": "start"},
        {
            "code": "accept",
            "name": "受理",
            "kind": "task",
            "department": "window",
            "role": "clerk",
            "limit": 1,
        },
        {
            "code": "review",
            "name": "审查",
            "kind": "task",
            "department": "nrb",
            "role": "handler",
            "limit": 5,
            "limit_unit": "working",
            "countersign": "single",
            "timeout_policy": "deem_approved",
        },
        {
            "code": "site",
            "name": "现场踏勘",
            "kind": "task",
            "department": "nrb",
            "role": "handler",
            "limit": 3,
        },
        {"code": "end", "name": "办结", "kind": "end"},
    ]
    transitions = [
        {"source": "start", "target": "accept", "condition": ""},
        {"source": "accept", "target": "review", "condition": ""},
        {"source": "review", "target": "site", "condition": "area > 1000"},
        {"source": "review", "target": "end", "condition": ""},
        {"source": "site", "target": "end", "condition": ""},
    ]
    definition = from_template("land", 3, steps, transitions)
    compiled = compile_process(definition)
    assert compiled.node("review").step.timeout == "deem_approved"
    engine = make_engine(definition)
    inst, _ = engine.start(key="land", version=3, now=NOW, actor=CLERK, variables={"area": 5000})
    inst, _ = engine.approve(inst, task=one_at(inst, "accept"), actor=CLERK, now=NOW)
    inst, _ = engine.approve(inst, task=one_at(inst, "review"), actor=handler("nrb"), now=NOW)
    assert one_at(inst, "site")


def test_running_cases_keep_their_definition_version():
    engine = make_engine(serial("a", "b"))
    v1, _ = engine.start(key="serial", version=1, now=NOW, actor=CLERK)
    engine.registry.add(dataclasses.replace(serial("a", "c"), version=2))
    v2, _ = engine.start(key="serial", version=2, now=NOW, actor=CLERK)
    v1, _ = engine.approve(v1, task=one_at(v1, "a"), actor=handler("a"), now=NOW)
    v2, _ = engine.approve(v2, task=one_at(v2, "a"), actor=handler("a"), now=NOW)
    assert one_at(v1, "b") and one_at(v2, "c")
    assert v1.ref == ("serial", 1)


def test_registry_refuses_replacing_a_version_and_unknown_subprocesses():
    registry = Registry()
    registry.add(serial("a"))
    with pytest.raises(DefinitionError) as info:
        registry.add(serial("b"))
    assert info.value.codes == ["definition_exists"]
    bundle = process(
        "bundle",
        [start_step(), StepDef("m", "m", StepKind.SUBPROCESS, process=("missing", 1)), end_step()],
        [("start", "m"), ("m", "end")],
    )
    with pytest.raises(DefinitionError) as info:
        registry.add(bundle)
    assert info.value.codes == ["unknown_subprocess"]
    with pytest.raises(EngineError) as unknown:
        registry.get("nothing", 1)
    assert unknown.value.code == "unknown_definition"


def test_engine_package_imports_no_django():
    for path in (Path(__file__).parents[1] / "engine").glob("*.py"):
        tree = ast.parse(path.read_text())
        modules = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        modules += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert not [m for m in modules if m.split(".")[0] == "django"], path.name
