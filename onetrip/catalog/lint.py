"""The guide linter (办事指南校验): every problem that blocks submitting or publishing a version.

`lint_guide(GuideData)` is a pure function over plain data (imports and the API can lint before anything is
saved); `lint_version(version)` loads a stored version into GuideData with a fixed handful of queries.
Both return every problem at once as ErrorDetail(code, zh, en, field); field paths index lists from 0
(`materials[2].name` is the third material) while the Chinese text counts from 1 (第3项材料).

Rules and the decisions behind them:
- Required elements (code `missing_element`): name, item type, implementing department, service objects,
  handling kind, handling forms, the item's legal basis, acceptance conditions, at least one material (every
  application has at least its application form, so an item "needing no materials" lists that form), the
  promised limit for a 承诺件, and a process.
- Vague terms (`vague_term`) in material names, material acceptance standards and the acceptance conditions:
  等材料, 其他材料, 相关材料, 有关材料, 法律法规规定的其他材料 … and a list that ends in 等 (身份证、户口簿等,
  身份证、护照等有效证件) — 等 after an enumeration with 、, followed by the end or a generic noun.
- Materials: a legal basis (`material_without_legal_basis`), a known source (`material_without_source`),
  the licence type when the source is an e-licence (`material_licence_type_missing`), and no key material
  marked 容缺 (`key_material_deficiency`).
- Limits (`promised_exceeds_statutory`): same unit → compare the numbers; working days and working hours →
  8 working hours a working day. Natural days against either → convert both to natural days as ranges and
  block unless the promise is certainly within the statutory limit: a natural day is exactly one; a working
  day spans at least one and at most 7/5 natural days (long holidays aside).
- Process: steps exist, exactly one start, at least one end, no cycle (`process_cycle`, one error per
  strongly connected component), every step reachable from the start (`step_unreachable`), every step can
  reach an end (`step_cannot_reach_end`), no transition out of an end, transitions name existing steps, and
  every task step has a department (`step_without_department`).
- Form fields: a data element code must exist in the dictionary (`unknown_data_element`).

Warnings (`lint_warnings`, advisory: they never block publishing): a form field that names another person
(儿童、子女、逝者、配偶 … in its label, or a newborn's / the deceased's data element) but is bound to the
applicant (`other_person_bound_to_applicant`): it would be prefilled with the applicant's own data.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

from onetrip.core.errors import ErrorDetail

if TYPE_CHECKING:
    from onetrip.catalog.models import ItemVersion

HANDLING_PROMISED = "promised"
STEP_START, STEP_TASK, STEP_END = "start", "task", "end"
MATERIAL_SOURCES = frozenset({"applicant", "government", "shared_data", "e_licence"})

# Longest first, so the message names the most specific term found.
VAGUE_TERMS = (
    "法律法规规定的其他材料",
    "其他相关材料",
    "其他证明材料",
    "其他有关材料",
    "其他材料",
    "相关材料",
    "有关材料",
    "等材料",
    "其他资料",
    "相关资料",
    "其他证件",
    "相关证明",
    "其他证明",
    "相关手续",
)
# An enumeration with 、 whose last member ends in 等, followed by the end, punctuation or a generic noun.
# 高等学校 or 平等 do not match: their 等 follows no 、-list or is followed by a specific word.
_LIST_ENDING_IN_DENG = re.compile(
    r"、[^、，,。；;：:（）()\s]{1,30}?等(?=$|[\s。；;，,、）)]|材料|证明|证件|文件|资料|手续|证书|有效|相关|有关|其他|其它)"
)

UNIT_LABELS = {"working": "工作日", "natural": "自然日", "hours": "工作小时"}


@dataclass
class MaterialData:
    name: str
    source: str = "applicant"
    necessity: str = "key"
    deficiency_allowed: bool = False
    licence_type: str = ""
    acceptance_standard: str = ""
    has_legal_basis: bool = False


@dataclass
class FormFieldData:
    code: str
    label: str = ""
    data_element: str | None = None
    subject: str = "applicant"


@dataclass
class StepData:
    code: str
    name: str = ""
    kind: str = STEP_TASK
    has_department: bool = False


@dataclass
class GuideData:
    name: str = ""
    item_type: str = ""
    has_implementing_department: bool = False
    service_objects: list[str] = field(default_factory=list)
    handling_kind: str = ""
    handling_forms: list[str] = field(default_factory=list)
    acceptance_conditions: str = ""
    has_legal_basis: bool = False
    statutory_limit: int | None = None
    statutory_limit_unit: str = "working"
    promised_limit: int | None = None
    promised_limit_unit: str = "working"
    materials: list[MaterialData] = field(default_factory=list)
    form_fields: list[FormFieldData] = field(default_factory=list)
    steps: list[StepData] = field(default_factory=list)
    transitions: list[tuple[str, str]] = field(default_factory=list)


def vague_term(text: str) -> str | None:
    """The vague term found in `text` (as written there), or None."""
    if not text:
        return None
    for term in VAGUE_TERMS:
        if term in text:
            return term
    match = _LIST_ENDING_IN_DENG.search(text)
    if match:
        return match.group(0).lstrip("、")
    return None


def _natural_day_range(limit: int, unit: str) -> tuple[Fraction, Fraction]:
    if unit == "natural":
        return Fraction(limit), Fraction(limit)
    days = Fraction(limit) if unit == "working" else Fraction(limit, 8)
    return days, days * Fraction(7, 5)


def promised_exceeds_statutory(
    promised: int, promised_unit: str, statutory: int, statutory_unit: str
) -> bool:
    if promised_unit == statutory_unit:
        return promised > statutory
    if "natural" not in (promised_unit, statutory_unit):  # working days and working hours: 8 hours a day
        return Fraction(promised, 8 if promised_unit == "hours" else 1) > Fraction(
            statutory, 8 if statutory_unit == "hours" else 1
        )
    _, promised_high = _natural_day_range(promised, promised_unit)
    statutory_low, _ = _natural_day_range(statutory, statutory_unit)
    return promised_high > statutory_low


def _missing(field_name: str, zh: str, en: str) -> ErrorDetail:
    return ErrorDetail(
        "missing_element", f"缺少必备要素：{zh}", f"Missing required element: {en}", field_name
    )


def _required_errors(guide: GuideData) -> list[ErrorDetail]:
    errors = []
    checks = [
        (guide.name.strip(), "name", "事项名称", "name"),
        (guide.item_type, "item_type", "事项类型", "item type"),
        (guide.has_implementing_department, "implementing_department", "实施主体", "implementing department"),
        (guide.service_objects, "service_objects", "服务对象", "service objects"),
        (guide.handling_kind, "handling_kind", "办件类型（即办件/承诺件）", "handling kind"),
        (guide.handling_forms, "handling_forms", "办理形式", "handling forms"),
        (guide.has_legal_basis, "legal_basis", "设定依据", "legal basis"),
        (guide.acceptance_conditions.strip(), "acceptance_conditions", "受理条件", "acceptance conditions"),
        (guide.materials, "materials", "申请材料（至少一项）", "at least one material"),
    ]
    for present, field_name, zh, en in checks:
        if not present:
            errors.append(_missing(field_name, zh, en))
    if guide.handling_kind == HANDLING_PROMISED and guide.promised_limit is None:
        errors.append(_missing("promised_limit", "承诺件的承诺办结时限", "promised limit of a promised item"))
    return errors


def _limit_errors(guide: GuideData) -> list[ErrorDetail]:
    if guide.promised_limit is None or guide.statutory_limit is None:
        return []
    if not promised_exceeds_statutory(
        guide.promised_limit, guide.promised_limit_unit, guide.statutory_limit, guide.statutory_limit_unit
    ):
        return []
    promised = (
        f"{guide.promised_limit}{UNIT_LABELS.get(guide.promised_limit_unit, guide.promised_limit_unit)}"
    )
    statutory = (
        f"{guide.statutory_limit}{UNIT_LABELS.get(guide.statutory_limit_unit, guide.statutory_limit_unit)}"
    )
    return [
        ErrorDetail(
            "promised_exceeds_statutory",
            f"承诺办结时限（{promised}）不得超过法定办结时限（{statutory}）",
            f"The promised limit ({guide.promised_limit} {guide.promised_limit_unit}) exceeds the statutory "
            f"limit ({guide.statutory_limit} {guide.statutory_limit_unit})",
            "promised_limit",
        )
    ]


def _vague(text: str, field_name: str, where_zh: str) -> list[ErrorDetail]:
    term = vague_term(text)
    if term is None:
        return []
    return [
        ErrorDetail(
            "vague_term",
            f"{where_zh}含有模糊表述“{term}”，请逐项列明",
            f"Vague wording {term!r}: list every item explicitly",
            field_name,
        )
    ]


def _material_errors(guide: GuideData) -> list[ErrorDetail]:
    errors = _vague(guide.acceptance_conditions, "acceptance_conditions", "受理条件")
    for i, m in enumerate(guide.materials):
        path, label = f"materials[{i}]", f"第{i + 1}项材料“{m.name}”"
        if not m.name.strip():
            errors.append(_missing(f"{path}.name", f"第{i + 1}项材料的名称", f"name of material {i + 1}"))
        errors += _vague(m.name, f"{path}.name", f"第{i + 1}项材料名称")
        errors += _vague(m.acceptance_standard, f"{path}.acceptance_standard", f"{label}的受理标准")
        if not m.has_legal_basis:
            errors.append(
                ErrorDetail(
                    "material_without_legal_basis",
                    f"{label}没有设定依据（三不提交：无法律依据的材料不得要求提交）",
                    f"Material {i + 1} has no legal basis",
                    f"{path}.legal_basis",
                )
            )
        if m.source not in MATERIAL_SOURCES:
            errors.append(
                ErrorDetail(
                    "material_without_source",
                    f"{label}没有来源渠道",
                    f"Material {i + 1} has no source",
                    f"{path}.source",
                )
            )
        elif m.source == "e_licence" and not m.licence_type.strip():
            errors.append(
                ErrorDetail(
                    "material_licence_type_missing",
                    f"{label}来源为电子证照，但未填写电子证照类型",
                    f"Material {i + 1} comes from an e-licence but names no licence type",
                    f"{path}.licence_type",
                )
            )
        if m.necessity == "key" and m.deficiency_allowed:
            errors.append(
                ErrorDetail(
                    "key_material_deficiency",
                    f"{label}是关键材料，不能设为可容缺",
                    f"Material {i + 1} is a key material and cannot be accepted while missing",
                    f"{path}.deficiency_allowed",
                )
            )
    return errors


def _form_errors(guide: GuideData, known_data_elements: Collection[str] | None) -> list[ErrorDetail]:
    if known_data_elements is None:
        return []
    errors = []
    for i, f in enumerate(guide.form_fields):
        if f.data_element and f.data_element not in known_data_elements:
            errors.append(
                ErrorDetail(
                    "unknown_data_element",
                    f"表单第{i + 1}个字段“{f.label or f.code}”引用的数据元“{f.data_element}”不存在",
                    f"Form field {i + 1} refers to an unknown data element {f.data_element!r}",
                    f"form_fields[{i}].data_element",
                )
            )
    return errors


# Words in a field's label that say it is about someone other than the applicant, with the subject meant.
OTHER_PERSON_WORDS = (
    ("儿童", "child"),
    ("子女", "child"),
    ("新生儿", "child"),
    ("婴儿", "child"),
    ("学生", "child"),
    ("逝者", "deceased"),
    ("死者", "deceased"),
    ("死亡人", "deceased"),
    ("配偶", "spouse"),
    ("母亲", "mother"),
    ("父亲", "father"),
    ("男方", "groom"),
    ("女方", "bride"),
    ("出卖人", "seller"),
    ("买受人", "buyer"),
    ("委托人", "principal"),
    ("被代理人", "principal"),
)
# Data elements that only ever describe another person (a newborn, the deceased).
OTHER_PERSON_ELEMENT_PREFIXES = (("newborn.", "child"), ("deceased.", "deceased"))


def lint_warnings(guide: GuideData) -> list[ErrorDetail]:
    """Advisory problems of a guide: they do not block publishing, the catalogue admin should look."""
    warnings = []
    for i, f in enumerate(guide.form_fields):
        if not f.data_element or (f.subject or "applicant") != "applicant":
            continue
        meant = next(
            (s for prefix, s in OTHER_PERSON_ELEMENT_PREFIXES if f.data_element.startswith(prefix)), ""
        )
        meant = meant or next((s for word, s in OTHER_PERSON_WORDS if word in f.label), "")
        if meant:
            warnings.append(
                ErrorDetail(
                    "other_person_bound_to_applicant",
                    f"表单第{i + 1}个字段“{f.label or f.code}”似乎是他人的信息，却标为申请人本人的信息，"
                    "会用申请人本人的信息预填；请设置信息主体",
                    f"Form field {i + 1} seems to concern another person ({meant}) but is bound to the "
                    "applicant, so it would be prefilled with the applicant's own data",
                    f"form_fields[{i}].subject",
                )
            )
    return warnings


def lint_version_warnings(version: ItemVersion) -> list[ErrorDetail]:
    return lint_warnings(guide_data(version))


def _strongly_connected(nodes: list[str], edges: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (processes can be long); components in discovery order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child_i = work.pop()
            if child_i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            children = edges.get(node, [])
            if child_i < len(children):
                work.append((node, child_i + 1))
                child = children[child_i]
                if child not in index:
                    work.append((child, 0))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component[::-1])
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components


def _reachable(starts: Iterable[str], edges: dict[str, list[str]]) -> set[str]:
    seen = set(starts)
    todo = list(seen)
    while todo:
        for nxt in edges.get(todo.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _process_errors(guide: GuideData) -> list[ErrorDetail]:
    steps = guide.steps
    if not steps:
        return [_missing("process", "办理流程（开始、办理环节、结束）", "a process (start, steps, end)")]
    errors: list[ErrorDetail] = []
    position = {s.code: i for i, s in enumerate(steps)}
    label = {s.code: s.name or s.code for s in steps}
    starts = [s.code for s in steps if s.kind == STEP_START]
    ends = [s.code for s in steps if s.kind == STEP_END]
    if not starts:
        errors.append(
            ErrorDetail("process_no_start", "流程缺少开始环节", "The process has no start step", "steps")
        )
    elif len(starts) > 1:
        errors.append(
            ErrorDetail(
                "process_multiple_starts",
                "流程只能有一个开始环节",
                "The process has more than one start step",
                f"steps[{position[starts[1]]}]",
            )
        )
    if not ends:
        errors.append(
            ErrorDetail("process_no_end", "流程缺少结束环节", "The process has no end step", "steps")
        )

    forward: dict[str, list[str]] = {s.code: [] for s in steps}
    backward: dict[str, list[str]] = {s.code: [] for s in steps}
    for i, (source, target) in enumerate(guide.transitions):
        if source not in position or target not in position:
            errors.append(
                ErrorDetail(
                    "process_unknown_step",
                    f"第{i + 1}条连线指向不存在的环节",
                    f"Transition {i + 1} refers to an unknown step",
                    f"transitions[{i}]",
                )
            )
            continue
        forward[source].append(target)
        backward[target].append(source)

    for i, s in enumerate(steps):
        if s.kind == STEP_TASK and not s.has_department:
            errors.append(
                ErrorDetail(
                    "step_without_department",
                    f"环节“{label[s.code]}”未指定办理部门",
                    f"Step {s.code!r} has no department",
                    f"steps[{i}].department",
                )
            )
        if s.kind == STEP_END and forward[s.code]:
            errors.append(
                ErrorDetail(
                    "end_has_outgoing",
                    f"结束环节“{label[s.code]}”之后不能再有环节",
                    f"End step {s.code!r} has outgoing transitions",
                    f"steps[{i}]",
                )
            )

    for component in _strongly_connected([s.code for s in steps], forward):
        if len(component) > 1 or component[0] in forward[component[0]]:
            path = " → ".join(label[c] for c in [*component, component[0]])
            errors.append(
                ErrorDetail(
                    "process_cycle",
                    f"流程存在循环：{path}",
                    f"The process has a cycle: {' -> '.join([*component, component[0]])}",
                    f"steps[{position[component[0]]}]",
                )
            )

    if starts:
        reached = _reachable(starts, forward)
        for i, s in enumerate(steps):
            if s.code not in reached:
                errors.append(
                    ErrorDetail(
                        "step_unreachable",
                        f"环节“{label[s.code]}”无法从开始环节到达",
                        f"Step {s.code!r} cannot be reached from the start",
                        f"steps[{i}]",
                    )
                )
    if ends:
        reaching = _reachable(ends, backward)
        for i, s in enumerate(steps):
            if s.code not in reaching:
                errors.append(
                    ErrorDetail(
                        "step_cannot_reach_end",
                        f"环节“{label[s.code]}”无法到达结束环节",
                        f"Step {s.code!r} cannot reach an end step",
                        f"steps[{i}]",
                    )
                )
    return errors


def lint_guide(guide: GuideData, *, known_data_elements: Collection[str] | None = None) -> list[ErrorDetail]:
    """Every problem with the guide. `known_data_elements`: the dictionary's codes (None skips that rule)."""
    return [
        *_required_errors(guide),
        *_limit_errors(guide),
        *_material_errors(guide),
        *_form_errors(guide, known_data_elements),
        *_process_errors(guide),
    ]


def guide_data(version: ItemVersion) -> GuideData:
    """Load a stored version as GuideData (seven queries, whatever its size)."""
    materials = version.materials.prefetch_related("legal_basis").order_by("order", "id")
    fields = version.formfields.select_related("data_element").order_by("order", "id")
    steps = list(version.processsteps.order_by("order", "id"))
    code_of = {s.pk: s.code for s in steps}
    return GuideData(
        name=version.name,
        item_type=version.item_type,
        has_implementing_department=version.implementing_department_id is not None,
        service_objects=list(version.service_objects or []),
        handling_kind=version.handling_kind,
        handling_forms=list(version.handling_forms or []),
        acceptance_conditions=version.acceptance_conditions,
        has_legal_basis=version.legal_basis.exists(),
        statutory_limit=version.statutory_limit,
        statutory_limit_unit=version.statutory_limit_unit,
        promised_limit=version.promised_limit,
        promised_limit_unit=version.promised_limit_unit,
        materials=[
            MaterialData(
                name=m.name,
                source=m.source,
                necessity=m.necessity,
                deficiency_allowed=m.deficiency_allowed,
                licence_type=m.licence_type,
                acceptance_standard=m.acceptance_standard,
                has_legal_basis=bool(m.legal_basis.all()),
            )
            for m in materials
        ],
        form_fields=[
            FormFieldData(
                code=f.code,
                label=f.label,
                data_element=f.data_element.code if f.data_element else None,
                subject=f.subject,
            )
            for f in fields
        ],
        steps=[
            StepData(code=s.code, name=s.name, kind=s.kind, has_department=s.department_id is not None)
            for s in steps
        ],
        transitions=[
            (code_of.get(t.source_id, ""), code_of.get(t.target_id, ""))
            for t in version.processtransitions.order_by("order", "id")
        ],
    )


def lint_version(version: ItemVersion) -> list[ErrorDetail]:
    """Every problem that blocks submitting or publishing this version (an empty list: it may go ahead)."""
    guide = guide_data(version)
    # Stored form fields point at existing data elements (a foreign key), so the dictionary is what they use.
    known = {f.data_element for f in guide.form_fields if f.data_element}
    return lint_guide(guide, known_data_elements=known)
