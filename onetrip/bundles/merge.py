"""One form (一表申请) and one set of materials (一套材料) for a bundle: pure functions over spec.py data.

Form rules
- A field bound to a data element is asked once for the whole bundle, under the element's code and name;
  a field about another person (its subject: a child, the deceased …) once per subject and element, under
  `<subject>:<element>` with its own label, in that person's section (子女信息).
  Its definitions must agree across members on type, max length and options; otherwise the merge reports
  `conflicting_element` naming both members' fields (publishing refuses it).
- An item-specific field (no data element) stays with its member, namespaced `<member>.<field code>`.
- Every merged field lists the members needing it; `always` is true when a mandatory member needs it, so a
  field only optional (点单) members need appears only when one of them is chosen.
- Sections: 申请人信息 first, then in order of first appearance (members in order, fields in order); a
  field without a section goes to 基本信息 (element) or to its member's item name (item-specific).
- Situation questions: one question per code; the same code with the same text is asked once, and must
  offer the same options (else `conflicting_question`); the same code with another text is a different
  question, namespaced like a field. A member pinned to one situation asks none of its item's questions.
- Counts: fields before = the sum of the members' form fields; after = distinct merged fields.

Material rules
- A member pinned to a situation contributes only the materials of that situation (or of every situation).
- Two materials are the same material when they share an e-licence type, or the same (non-empty) set of
  data elements, or the same normalised name (NFKC, case-folded, whitespace and punctuation removed);
  sameness is transitive. Every member's application form (kind `form`) is replaced by the one merged
  application form (一表申请), so all of them are one material.
- A material that any member obtains from shared data or an e-licence is marked not to be submitted
  (三不提交), with where it comes from.
- Counts: before = the sum of the members' materials; distinct = after merging; duplicates = before −
  distinct; duplication rate = duplicates / before; after = distinct materials still to be submitted.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from onetrip.bundles.figures import duplication_rate, reduction_rate
from onetrip.bundles.spec import FieldSpec, MaterialSpec, MemberSpec
from onetrip.catalog.subjects import APPLICANT, SUBJECT_SECTIONS, field_key
from onetrip.core.errors import ErrorDetail

APPLICANT_SECTION = "申请人信息"
DEFAULT_SECTION = "基本信息"
MERGED_FORM_KEY = "merged-application-form"
NO_SUBMIT_SOURCES = {"e_licence": "电子证照获取", "shared_data": "共享数据获取"}


def option_values(options: Sequence[Any]) -> tuple[str, ...]:
    """Options are plain values or {"value", "label"} objects; compare them by value, order ignored."""
    return tuple(sorted(str(o.get("value") if isinstance(o, dict) else o) for o in options))


def option_label(options: Sequence[Any], value: Any) -> str:
    for o in options:
        if isinstance(o, dict):
            if str(o.get("value")) == str(value):
                return str(o.get("label", value))
        elif str(o) == str(value):
            return str(o)
    return "" if value is None else str(value)


@dataclass(slots=True)
class MergedField:
    key: str
    label: str
    field_type: str
    section: str
    data_element: str | None
    required: bool
    max_length: int | None
    options: list[Any]
    pattern: str
    help_text: str
    members: list[str] = field(default_factory=list)
    required_by: list[str] = field(default_factory=list)
    always: bool = False
    always_required: bool = False
    subject: str = APPLICANT

    def needed(self, chosen: set[str] | frozenset[str]) -> bool:
        return self.always or any(m in chosen for m in self.members)


@dataclass(slots=True)
class MergedQuestion:
    key: str
    code: str
    text: str
    options: list[Any]
    members: list[str] = field(default_factory=list)
    always: bool = False


@dataclass(slots=True)
class MergedForm:
    sections: list[str]
    fields: list[MergedField]
    questions: list[MergedQuestion]
    question_keys: dict[tuple[str, str], str]  # (member code, question code) → merged key
    fields_before: int
    fields_after: int
    errors: list[ErrorDetail]

    def visible_fields(self, chosen: set[str] | frozenset[str] = frozenset()) -> list[MergedField]:
        """The fields shown when these optional members are chosen (mandatory members always count)."""
        return [f for f in self.fields if f.needed(chosen)]

    def as_dict(self) -> dict[str, Any]:
        return {
            "sections": self.sections,
            "fields": [asdict(f) for f in self.fields],
            "questions": [asdict(q) for q in self.questions],
            "question_keys": [[m, c, k] for (m, c), k in self.question_keys.items()],
            "fields_before": self.fields_before,
            "fields_after": self.fields_after,
        }


def _conflict(
    kind: str, what_zh: str, what_en: str, name: str, a: tuple[str, str], b: tuple[str, str], part: str
) -> ErrorDetail:
    return ErrorDetail(
        kind,
        f"“{name}”在成员“{a[0]}”与“{b[0]}”中的{what_zh}不一致",
        f"'{name}' has a different {what_en} in members '{a[0]}' and '{b[0]}'",
        f"members.{a[0]}.{part}.{a[1]}|members.{b[0]}.{part}.{b[1]}",
    )


def _definition_conflicts(first: FieldSpec, other: FieldSpec) -> list[tuple[str, str]]:
    out = []
    if first.field_type != other.field_type:
        out.append(("类型", "type"))
    if first.max_length != other.max_length:
        out.append(("最大长度", "max length"))
    if option_values(first.options) != option_values(other.options):
        out.append(("选项", "options"))
    return out


def merge_form(members: Sequence[MemberSpec]) -> MergedForm:
    by_key: dict[str, MergedField] = {}
    first_def: dict[str, tuple[str, FieldSpec]] = {}
    errors: list[ErrorDetail] = []
    fields_before = 0
    for member in members:
        mandatory = not member.optional
        for spec in member.fields:
            fields_before += 1
            subject = spec.subject or APPLICANT
            if spec.data_element:
                key = field_key(spec.data_element, subject, spec.code)
            else:
                key = f"{member.code}.{spec.code}"
            merged = by_key.get(key)
            if merged is None:
                if spec.data_element and subject != APPLICANT:
                    label = spec.label or spec.element_name
                    section = spec.section or SUBJECT_SECTIONS.get(subject, DEFAULT_SECTION)
                elif spec.data_element:
                    label = spec.element_name or spec.label
                    section = spec.section or DEFAULT_SECTION
                else:
                    label = spec.label
                    section = spec.section or member.item_name
                merged = MergedField(
                    key=key,
                    label=label,
                    field_type=spec.field_type,
                    section=section,
                    data_element=spec.data_element,
                    required=spec.required,
                    max_length=spec.max_length,
                    options=list(spec.options),
                    pattern=spec.pattern,
                    help_text=spec.help_text,
                    subject=subject,
                )
                by_key[key] = merged
                first_def[key] = (member.code, spec)
            else:
                first_member, first_spec = first_def[key]
                if first_member != member.code:
                    for what_zh, what_en in _definition_conflicts(first_spec, spec):
                        errors.append(
                            _conflict(
                                "conflicting_element",
                                what_zh,
                                what_en,
                                merged.label,
                                (first_member, first_spec.code),
                                (member.code, spec.code),
                                "fields",
                            )
                        )
                merged.required = merged.required or spec.required
            if member.code not in merged.members:
                merged.members.append(member.code)
            if spec.required and member.code not in merged.required_by:
                merged.required_by.append(member.code)
            if mandatory:
                merged.always = True
                if spec.required:
                    merged.always_required = True

    sections: list[str] = []
    seen: set[str] = set()
    for f in by_key.values():
        if f.section not in seen:
            seen.add(f.section)
            sections.append(f.section)
    if APPLICANT_SECTION in seen:
        sections.remove(APPLICANT_SECTION)
        sections.insert(0, APPLICANT_SECTION)
    rank = {s: i for i, s in enumerate(sections)}
    ordered = sorted(by_key.values(), key=lambda f: rank[f.section])  # stable: first appearance within

    questions, question_keys, q_errors = _merge_questions(members)
    return MergedForm(
        sections=sections,
        fields=ordered,
        questions=questions,
        question_keys=question_keys,
        fields_before=fields_before,
        fields_after=len(ordered),
        errors=errors + q_errors,
    )


def _merge_questions(
    members: Sequence[MemberSpec],
) -> tuple[list[MergedQuestion], dict[tuple[str, str], str], list[ErrorDetail]]:
    merged: dict[str, MergedQuestion] = {}
    first: dict[str, tuple[str, tuple[str, ...]]] = {}
    keys: dict[tuple[str, str], str] = {}
    errors: list[ErrorDetail] = []
    for member in members:
        if member.situation_code:
            continue  # the member's situation is fixed; its questions are already answered
        for q in member.questions:
            key = q.code
            existing = merged.get(key)
            if existing is not None and existing.text.strip() != q.text.strip():
                key = f"{member.code}.{q.code}"
                existing = merged.get(key)
            values = option_values(q.options)
            if existing is None:
                existing = merged[key] = MergedQuestion(
                    key=key, code=q.code, text=q.text, options=list(q.options)
                )
                first[key] = (member.code, values)
            elif first[key][1] != values:
                errors.append(
                    _conflict(
                        "conflicting_question",
                        "选项",
                        "options",
                        q.text,
                        (first[key][0], q.code),
                        (member.code, q.code),
                        "questions",
                    )
                )
            if member.code not in existing.members:
                existing.members.append(member.code)
            existing.always = existing.always or not member.optional
            keys[(member.code, q.code)] = key
    return list(merged.values()), keys, errors


# ------------------------------------------------------------------------------------------- materials


_PUNCTUATION_CATEGORIES = ("P", "S", "Z")


def normalise_name(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).casefold()
    return "".join(ch for ch in text if not unicodedata.category(ch).startswith(_PUNCTUATION_CATEGORIES))


@dataclass(slots=True)
class MergedMaterial:
    key: str
    name: str
    kind: str
    necessity: str
    source: str
    source_note: str
    licence_type: str
    data_elements: list[str]
    not_submitted: bool
    no_submit_reason: str
    deficiency_allowed: bool
    paper_copies: int
    members: list[str] = field(default_factory=list)
    occurrences: list[list[str]] = field(default_factory=list)  # [member code, material code]
    conditions: dict[str, list[str]] = field(default_factory=dict)  # member → situation codes (empty: all)
    always: bool = False

    def needed(self, chosen: set[str] | frozenset[str]) -> bool:
        return self.always or any(m in chosen for m in self.members)


@dataclass(slots=True)
class MergedMaterials:
    materials: list[MergedMaterial]
    before: int
    distinct: int
    duplicates: int
    after: int  # distinct materials still to be submitted

    @property
    def duplication_rate(self) -> Decimal | None:
        return duplication_rate(self.duplicates, self.before)

    @property
    def reduction_rate(self) -> Decimal | None:
        return reduction_rate(self.before, self.after)

    def as_dict(self) -> dict[str, Any]:
        dup, red = self.duplication_rate, self.reduction_rate
        return {
            "materials": [asdict(m) for m in self.materials],
            "before": self.before,
            "distinct": self.distinct,
            "duplicates": self.duplicates,
            "after": self.after,
            "duplication_rate": None if dup is None else str(dup),
            "reduction_rate": None if red is None else str(red),
        }


_SOURCE_RANK = {"e_licence": 3, "shared_data": 2, "government": 1, "applicant": 0}


def merge_materials(
    members: Sequence[MemberSpec], *, merged_form_name: str = "一件事联办申请表"
) -> MergedMaterials:
    # Union-find over material occurrences: identity keys link them (see the module docstring).
    occurrences: list[tuple[MemberSpec, MaterialSpec]] = []
    for member in members:
        for material in member.materials:
            if (
                member.situation_code
                and material.situations
                and member.situation_code not in material.situations
            ):
                continue
            occurrences.append((member, material))
    parent = list(range(len(occurrences)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, (_, material) in enumerate(occurrences):
        if material.kind == "form":
            keys = [MERGED_FORM_KEY]
        else:
            keys = ["name:" + normalise_name(material.name)]
            if material.licence_type:
                keys.append("licence:" + material.licence_type)
            if material.data_elements:
                keys.append("elements:" + "|".join(sorted(set(material.data_elements))))
        for k in keys:
            j = owner.setdefault(k, i)
            if j != i:
                a, b = find(i), find(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)  # the earliest occurrence stays the root

    groups: dict[int, MergedMaterial] = {}
    ordered: list[MergedMaterial] = []
    for i, (member, material) in enumerate(occurrences):
        root = find(i)
        merged = groups.get(root)
        is_form = material.kind == "form"
        if merged is None:
            merged = MergedMaterial(
                key=MERGED_FORM_KEY if is_form else f"{member.code}.{material.code}",
                name=merged_form_name if is_form else material.name,
                kind=material.kind,
                necessity=material.necessity,
                source=material.source,
                source_note=material.source_note,
                licence_type=material.licence_type,
                data_elements=sorted(set(material.data_elements)),
                not_submitted=False,
                no_submit_reason="",
                deficiency_allowed=material.deficiency_allowed,
                paper_copies=material.paper_copies,
            )
            groups[root] = merged
            ordered.append(merged)
        else:
            if material.necessity == "key":
                merged.necessity = "key"
            if material.kind == "original" and merged.kind == "copy":
                merged.kind = "original"  # one original serves every member that asked for a copy
            if _SOURCE_RANK.get(material.source, 0) > _SOURCE_RANK.get(merged.source, 0):
                merged.source, merged.source_note = material.source, material.source_note
            merged.licence_type = merged.licence_type or material.licence_type
            merged.data_elements = sorted(set(merged.data_elements) | set(material.data_elements))
            merged.deficiency_allowed = merged.deficiency_allowed and material.deficiency_allowed
            merged.paper_copies = max(merged.paper_copies, material.paper_copies)
        if member.code not in merged.members:
            merged.members.append(member.code)
        merged.occurrences.append([member.code, material.code])
        situations = [] if member.situation_code else list(material.situations)
        if member.code in merged.conditions and (not situations or not merged.conditions[member.code]):
            merged.conditions[member.code] = []
        elif member.code in merged.conditions:
            merged.conditions[member.code] = sorted(set(merged.conditions[member.code]) | set(situations))
        else:
            merged.conditions[member.code] = situations
        merged.always = merged.always or not member.optional

    for merged in ordered:
        # Only a non-key material may be accepted while missing (容缺), as in the catalogue.
        merged.deficiency_allowed = merged.deficiency_allowed and merged.necessity != "key"
        reason = NO_SUBMIT_SOURCES.get(merged.source)
        if reason and merged.key != MERGED_FORM_KEY:
            merged.not_submitted, merged.no_submit_reason = True, reason
    before = len(occurrences)
    distinct = len(ordered)
    return MergedMaterials(
        materials=ordered,
        before=before,
        distinct=distinct,
        duplicates=before - distinct,
        after=sum(1 for m in ordered if not m.not_submitted),
    )
