import dataclasses

import pytest

from onetrip.catalog.lint import (
    FormFieldData,
    GuideData,
    MaterialData,
    StepData,
    lint_guide,
    lint_version,
    promised_exceeds_statutory,
    vague_term,
)
from onetrip.catalog.models import ProcessStep, ProcessTransition, StepKind
from onetrip.catalog.tests import factories as f


def clean_guide(**changes) -> GuideData:
    guide = GuideData(
        name="食品经营许可",
        item_type="01",
        has_implementing_department=True,
        service_objects=["company"],
        handling_kind="promised",
        handling_forms=["window", "online"],
        acceptance_conditions="申请人已取得营业执照，且经营场所符合要求。",
        has_legal_basis=True,
        statutory_limit=20,
        statutory_limit_unit="working",
        promised_limit=5,
        promised_limit_unit="working",
        materials=[
            MaterialData(name="食品经营许可申请书", has_legal_basis=True),
            MaterialData(name="营业执照", source="e_licence", licence_type="营业执照", has_legal_basis=True),
        ],
        form_fields=[FormFieldData(code="uscc", label="统一社会信用代码", data_element="enterprise.uscc")],
        steps=[
            StepData("start", "开始", "start"),
            StepData("accept", "受理", "task", True),
            StepData("review", "审核", "task", True),
            StepData("end", "办结", "end"),
        ],
        transitions=[("start", "accept"), ("accept", "review"), ("review", "end")],
    )
    return dataclasses.replace(guide, **changes)


def lint(guide: GuideData) -> list[tuple[str, str | None]]:
    return [(e.code, e.field) for e in lint_guide(guide, known_data_elements={"enterprise.uscc"})]


def test_a_clean_guide_passes():
    assert lint(clean_guide()) == []


@pytest.mark.django_db
def test_the_factory_draft_is_lint_clean():
    assert lint_version(f.make_complete_draft()) == []


def test_every_error_has_chinese_and_english_text():
    errors = lint_guide(GuideData(steps=[StepData("x", kind="task")]), known_data_elements=set())
    assert len(errors) > 5
    for e in errors:
        assert e.code and e.message_zh and e.message_en and e.field
        assert any("\u4e00" <= ch <= "\u9fff" for ch in e.message_zh)


# ------------------------------------------------------------------------------ required elements


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": " "}, "name"),
        ({"item_type": ""}, "item_type"),
        ({"has_implementing_department": False}, "implementing_department"),
        ({"service_objects": []}, "service_objects"),
        ({"handling_kind": ""}, "handling_kind"),
        ({"handling_forms": []}, "handling_forms"),
        ({"has_legal_basis": False}, "legal_basis"),
        ({"acceptance_conditions": ""}, "acceptance_conditions"),
        ({"materials": []}, "materials"),
        ({"promised_limit": None}, "promised_limit"),
        ({"steps": [], "transitions": []}, "process"),
    ],
)
def test_missing_required_element(change, field):
    assert lint(clean_guide(**change)) == [("missing_element", field)]


def test_immediate_item_needs_no_promised_limit():
    assert lint(clean_guide(handling_kind="immediate", promised_limit=None)) == []


# ------------------------------------------------------------------------------------ vague terms


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("身份证、户口簿等", "户口簿等"),
        ("身份证、户口簿等。", "户口簿等"),
        ("身份证、护照等有效证件", "护照等"),
        ("营业执照、章程等材料", "等材料"),
        ("其他材料", "其他材料"),
        ("需要提供的相关材料", "相关材料"),
        ("法律法规规定的其他材料", "法律法规规定的其他材料"),
        ("有关材料复印件", "有关材料"),
    ],
)
def test_vague_terms_are_found(text, term):
    assert vague_term(text) == term


@pytest.mark.parametrize(
    "text",
    ["居民身份证", "高等学校毕业证书", "中等职业学校、高等学校毕业证书", "平等协商形成的协议", "营业执照"],
)
def test_specific_wording_is_not_vague(text):
    assert vague_term(text) is None


def test_vague_material_name_and_standard_and_conditions_are_blocked():
    materials = [
        MaterialData(name="申请书", has_legal_basis=True),
        MaterialData(name="其他材料", has_legal_basis=True),
        MaterialData(name="证明", acceptance_standard="身份证、户口簿等", has_legal_basis=True),
    ]
    guide = clean_guide(materials=materials, acceptance_conditions="符合法律法规规定的其他材料要求")
    assert lint(guide) == [
        ("vague_term", "acceptance_conditions"),
        ("vague_term", "materials[1].name"),
        ("vague_term", "materials[2].acceptance_standard"),
    ]


# -------------------------------------------------------------------------------------- materials


def test_material_without_legal_basis():
    guide = clean_guide(materials=[MaterialData(name="申请书", has_legal_basis=False)])
    assert lint(guide) == [("material_without_legal_basis", "materials[0].legal_basis")]


@pytest.mark.parametrize("source", ["", "somewhere"])
def test_material_without_source(source):
    guide = clean_guide(materials=[MaterialData(name="申请书", source=source, has_legal_basis=True)])
    assert lint(guide) == [("material_without_source", "materials[0].source")]


def test_e_licence_material_needs_its_licence_type():
    guide = clean_guide(materials=[MaterialData(name="营业执照", source="e_licence", has_legal_basis=True)])
    assert lint(guide) == [("material_licence_type_missing", "materials[0].licence_type")]


def test_key_material_may_not_be_deficiency_allowed():
    bad = MaterialData(name="申请书", necessity="key", deficiency_allowed=True, has_legal_basis=True)
    ok = MaterialData(name="委托书", necessity="non_key", deficiency_allowed=True, has_legal_basis=True)
    assert lint(clean_guide(materials=[ok, bad])) == [
        ("key_material_deficiency", "materials[1].deficiency_allowed")
    ]


def test_error_messages_count_materials_from_one():
    guide = clean_guide(
        materials=[MaterialData(name="申请书", has_legal_basis=True), MaterialData(name="照片")]
    )
    (error,) = lint_guide(guide)
    assert error.field == "materials[1].legal_basis" and "第2项材料" in error.message_zh


# ----------------------------------------------------------------------------------------- limits


@pytest.mark.parametrize(
    ("promised", "statutory", "exceeds"),
    [
        ((5, "working"), (20, "working"), False),
        ((20, "working"), (20, "working"), False),
        ((21, "working"), (20, "working"), True),
        ((20, "natural"), (20, "working"), False),  # 20 natural days never outlast 20 working days
        ((21, "natural"), (20, "working"), True),  # might: blocked conservatively
        ((20, "working"), (28, "natural"), False),  # 20 working days span at most 28 natural days
        ((20, "working"), (27, "natural"), True),
        ((16, "hours"), (2, "working"), False),
        ((17, "hours"), (2, "working"), True),
        ((3, "working"), (24, "hours"), False),
        ((4, "working"), (24, "hours"), True),
    ],
)
def test_promised_against_statutory_limit(promised, statutory, exceeds):
    assert promised_exceeds_statutory(*promised, *statutory) is exceeds


def test_promised_limit_longer_than_statutory_is_blocked():
    guide = clean_guide(promised_limit=30, statutory_limit=20)
    errors = lint_guide(guide)
    assert [(e.code, e.field) for e in errors] == [("promised_exceeds_statutory", "promised_limit")]
    assert "30工作日" in errors[0].message_zh and "20工作日" in errors[0].message_zh


def test_no_statutory_limit_means_no_comparison():
    assert lint(clean_guide(statutory_limit=None, promised_limit=100)) == []


# ---------------------------------------------------------------------------------------- process


def steps(*specs: tuple[str, str]) -> list[StepData]:
    return [StepData(code, code, kind, kind == "task") for code, kind in specs]


def test_process_cycle_is_blocked_once_per_loop():
    guide = clean_guide(
        steps=steps(("start", "start"), ("a", "task"), ("b", "task"), ("c", "task"), ("end", "end")),
        transitions=[("start", "a"), ("a", "b"), ("b", "c"), ("c", "a"), ("c", "end")],
    )
    errors = lint_guide(guide)
    assert [(e.code, e.field) for e in errors] == [("process_cycle", "steps[1]")]
    assert "a → b → c → a" in errors[0].message_zh


def test_self_loop_is_a_cycle():
    guide = clean_guide(
        steps=steps(("start", "start"), ("a", "task"), ("end", "end")),
        transitions=[("start", "a"), ("a", "a"), ("a", "end")],
    )
    assert lint(guide) == [("process_cycle", "steps[1]")]


def test_step_that_cannot_reach_the_end():
    guide = clean_guide(
        steps=steps(("start", "start"), ("a", "task"), ("dead", "task"), ("end", "end")),
        transitions=[("start", "a"), ("a", "end"), ("a", "dead")],
    )
    assert lint(guide) == [("step_cannot_reach_end", "steps[2]")]


def test_step_unreachable_from_the_start():
    guide = clean_guide(
        steps=steps(("start", "start"), ("a", "task"), ("orphan", "task"), ("end", "end")),
        transitions=[("start", "a"), ("a", "end"), ("orphan", "end")],
    )
    assert lint(guide) == [("step_unreachable", "steps[2]")]


def test_parallel_branches_that_join_are_fine():
    guide = clean_guide(
        steps=steps(("start", "start"), ("a", "task"), ("b", "task"), ("join", "task"), ("end", "end")),
        transitions=[("start", "a"), ("start", "b"), ("a", "join"), ("b", "join"), ("join", "end")],
    )
    assert lint(guide) == []


def test_no_start_and_no_end():
    guide = clean_guide(steps=steps(("a", "task")), transitions=[])
    assert lint(guide) == [("process_no_start", "steps"), ("process_no_end", "steps")]


def test_two_starts():
    guide = clean_guide(
        steps=steps(("s1", "start"), ("s2", "start"), ("a", "task"), ("end", "end")),
        transitions=[("s1", "a"), ("s2", "a"), ("a", "end")],
    )
    assert lint(guide) == [("process_multiple_starts", "steps[1]")]


def test_task_step_without_department():
    guide = clean_guide(
        steps=[StepData("start", kind="start"), StepData("a", kind="task"), StepData("end", kind="end")],
        transitions=[("start", "a"), ("a", "end")],
    )
    assert lint(guide) == [("step_without_department", "steps[1].department")]


def test_end_with_outgoing_transition():
    guide = clean_guide(
        steps=steps(("start", "start"), ("a", "task"), ("end", "end"), ("b", "task"), ("end2", "end")),
        transitions=[("start", "a"), ("a", "end"), ("end", "b"), ("b", "end2")],
    )
    assert lint(guide) == [("end_has_outgoing", "steps[2]")]


def test_transition_to_an_unknown_step():
    guide = clean_guide(transitions=[*clean_guide().transitions, ("review", "ghost")])
    assert lint(guide) == [("process_unknown_step", "transitions[3]")]


# ------------------------------------------------------------------------------------------- form


def test_form_field_with_unknown_data_element():
    guide = clean_guide(
        form_fields=[FormFieldData("a", "A", "enterprise.uscc"), FormFieldData("b", "B", "no.such")]
    )
    assert lint(guide) == [("unknown_data_element", "form_fields[1].data_element")]


def test_item_specific_form_fields_need_no_data_element():
    assert lint(clean_guide(form_fields=[FormFieldData("reason", "申请事由")])) == []


# --------------------------------------------------------------------------------- stored versions


@pytest.mark.django_db
def test_lint_version_reads_materials_and_process_from_the_database():
    version = f.make_complete_draft()
    version.materials.get(code="application").legal_basis.clear()
    review = version.processsteps.get(code="review")
    review.department = None
    review.save()
    decide = version.processsteps.get(code="decide")
    ProcessTransition.objects.create(version=version, source=decide, target=review)
    ProcessStep.objects.create(version=version, code="lost", name="孤立环节", kind=StepKind.TASK, order=99)
    errors = {(e.code, e.field) for e in lint_version(version)}
    assert errors == {
        ("material_without_legal_basis", "materials[0].legal_basis"),
        ("step_without_department", "steps[2].department"),
        ("process_cycle", "steps[2]"),
        ("step_without_department", "steps[5].department"),
        ("step_unreachable", "steps[5]"),
        ("step_cannot_reach_end", "steps[5]"),
    }


@pytest.mark.django_db
def test_lint_version_query_count_does_not_grow_with_materials(django_assert_max_num_queries):
    version = f.make_complete_draft()
    with django_assert_max_num_queries(8):
        lint_version(version)
