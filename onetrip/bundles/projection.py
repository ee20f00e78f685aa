"""Projections (一源多用): one merged submission → each department's own forms, as plain data.

A submission is a mapping from merged keys (data-element codes, or `<member>.<field>` for item-specific
fields) to values, the optional members the applicant chose, and the answers to the situation questions
(merged question key → option value). Each department receives the forms of its member items that take
part, every form in that item's own wording and field order, with the answers to that item's questions.
Departments come in order of their first member.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from onetrip.bundles.merge import option_label
from onetrip.bundles.spec import FieldSpec, MemberSpec

CHOICE_TYPES = {"choice", "multi_choice"}


@dataclass(slots=True)
class ProjectedField:
    code: str
    label: str
    section: str
    value: Any
    display: str
    required: bool
    missing: bool


@dataclass(slots=True)
class ProjectedAnswer:
    code: str
    text: str
    value: Any
    display: str


@dataclass(slots=True)
class ItemForm:
    member: str
    item_code: str
    item_name: str
    situation_name: str
    fields: list[ProjectedField]
    answers: list[ProjectedAnswer]

    @property
    def missing(self) -> list[str]:
        return [f.code for f in self.fields if f.missing]


@dataclass(slots=True)
class DepartmentForm:
    department_id: int
    department_name: str
    forms: list[ItemForm] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def display_value(spec: FieldSpec, value: Any) -> str:
    if value is None or value == "":
        return ""
    if spec.field_type == "boolean":
        return "是" if value in (True, "true", "1", 1, "yes") else "否"
    if spec.field_type == "multi_choice" and isinstance(value, list | tuple):
        return "、".join(option_label(spec.options, v) for v in value)
    if spec.field_type in CHOICE_TYPES:
        return option_label(spec.options, value)
    return str(value)


def project(
    *,
    members: Sequence[MemberSpec],
    values: Mapping[str, Any],
    chosen: Iterable[str] = (),
    answers: Mapping[str, Any] | None = None,
    question_keys: Mapping[tuple[str, str], str] | None = None,
) -> list[DepartmentForm]:
    chosen_set = set(chosen)
    answers = answers or {}
    question_keys = question_keys or {}
    departments: dict[int, DepartmentForm] = {}
    for member in members:
        if member.optional and member.code not in chosen_set:
            continue
        projected = []
        for spec in member.fields:
            value = values.get(spec.data_element or f"{member.code}.{spec.code}")
            empty = value is None or value == "" or value == []
            projected.append(
                ProjectedField(
                    code=spec.code,
                    label=spec.label,
                    section=spec.section,
                    value=value,
                    display=display_value(spec, value),
                    required=spec.required,
                    missing=spec.required and empty,
                )
            )
        answered = []
        if not member.situation_code:
            for q in member.questions:
                value = answers.get(question_keys.get((member.code, q.code), q.code))
                answered.append(ProjectedAnswer(q.code, q.text, value, option_label(q.options, value)))
        dept = departments.get(member.department_id)
        if dept is None:
            dept = departments[member.department_id] = DepartmentForm(
                member.department_id, member.department_name
            )
        dept.forms.append(
            ItemForm(
                member=member.code,
                item_code=member.item_code,
                item_name=member.item_name,
                situation_name=member.situation_name,
                fields=projected,
                answers=answered,
            )
        )
    return list(departments.values())
