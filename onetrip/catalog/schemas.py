"""Request and response schemas of the catalogue API (Pydantic v2 through Django Ninja)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field

# ------------------------------------------------------------------------------------------- shared


class DepartmentRef(Schema):
    id: int
    code: str
    name: str


class LegalReferenceOut(Schema):
    law: str
    article: str
    excerpt: str


class LimitOut(Schema):
    value: int
    unit: str = Field(description="working 工作日 / natural 自然日 / hours 工作小时")
    note: str


class ThemeOut(Schema):
    code: str
    name: str


# ------------------------------------------------------------------------------------------- search


class ItemSummary(Schema):
    implementation_code: str
    basic_code: str
    name: str
    item_type: str
    item_type_label: str
    level: int
    department: DepartmentRef
    for_citizen: bool
    for_company: bool
    for_office: bool
    zero_trip: bool
    online: bool
    themes: list[str]


class ItemPage(Schema):
    items: list[ItemSummary]
    next_cursor: str | None = Field(description="pass as `after` for the next page; null on the last page")


# -------------------------------------------------------------------------------------------- guide


class QuestionOut(Schema):
    code: str
    text: str
    options: list[Any]


class SituationOut(Schema):
    code: str
    name: str
    description: str
    conditions: dict[str, Any]


class MaterialOut(Schema):
    code: str
    name: str
    kind: str
    necessity: str
    deficiency_allowed: bool
    source: str
    source_note: str
    licence_type: str
    paper_copies: int
    paper_size: str
    blank_form: str
    sample: str
    filling_notes: str
    acceptance_standard: str
    legal_basis: list[LegalReferenceOut]
    situations: list[str] = Field(description="situation codes; empty = every situation")
    data_elements: list[str]


class FormFieldOut(Schema):
    code: str
    data_element: str | None
    subject: str = "applicant"
    label: str
    field_type: str
    required: bool
    max_length: int | None
    options: list[Any]
    pattern: str
    section: str
    help_text: str


class StepOut(Schema):
    code: str
    name: str
    kind: str
    department: DepartmentRef | None
    role: str
    limit: int | None
    limit_unit: str
    countersign: str
    timeout_policy: str


class TransitionOut(Schema):
    source: str
    target: str
    condition: str


class ProcessOut(Schema):
    steps: list[StepOut]
    transitions: list[TransitionOut]


class GuideOut(Schema):
    id: int = Field(description="version id")
    implementation_code: str
    basic_code: str
    local_code: str
    parent_code: str | None
    level: int
    version: int
    status: str
    effective_from: dt.date | None
    effective_to: dt.date | None = Field(description="exclusive: in force on days before this date")
    published_at: dt.datetime | None
    change_note: str
    name: str
    item_type: str
    item_type_label: str
    power_source: str
    legal_basis: list[LegalReferenceOut]
    implementing_department: DepartmentRef
    delegating_department: DepartmentRef | None
    joint_departments: list[DepartmentRef]
    service_objects: list[str]
    handling_kind: str
    acceptance_conditions: str
    procedure: str
    handling_forms: list[str]
    place: str
    hours: str
    statutory_limit: LimitOut | None
    promised_limit: LimitOut | None
    trips: int
    fee_required: bool
    fee_basis: str
    fee_items: list[Any]
    special_procedures: list[Any]
    quantity_limit: str
    result_type: str
    result_name: str
    result_sample: str
    intermediary_services: list[Any]
    online_depth: int
    post_delivery: bool
    online_payment: bool
    appointment: bool
    service_scope: str
    themes: list[ThemeOut]
    consultation: str
    complaint: str
    questions: list[QuestionOut]
    situations: list[SituationOut]
    materials: list[MaterialOut]
    form: list[FormFieldOut]
    process: ProcessOut


class VersionOut(Schema):
    id: int
    version: int
    status: str
    name: str
    effective_from: dt.date | None
    effective_to: dt.date | None
    submitted_at: dt.datetime | None
    published_at: dt.datetime | None
    retired_at: dt.datetime | None
    created_at: dt.datetime
    change_note: str


class ItemCreatedOut(Schema):
    implementation_code: str
    draft: VersionOut


# -------------------------------------------------------------------------------------------- write


class ItemCreateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    department_id: int
    basic_code: str = Field(min_length=1, max_length=32, description="12 digits, starting with the item type")
    item_type: str = Field(
        description="01 行政许可, 04 行政征收, 05 行政给付, 07 行政确认, 09 行政裁决, 10, 20"
    )
    name: str = Field(min_length=1, max_length=200)
    level: int | None = Field(default=None, description="1..6; defaults to the department's level")
    parent_code: str | None = Field(default=None, description="implementation code of the main item")
    local_code: str = Field(default="", max_length=64)


class FormFieldIn(Schema):
    model_config = ConfigDict(extra="forbid")

    code: str
    label: str = ""
    data_element: str | None = Field(default=None, description="data element code, e.g. person.id_number")
    subject: str = Field(
        default="applicant", description="whose data: applicant, child, spouse, deceased, principal, …"
    )
    field_type: str | None = Field(default=None, description="defaults to the data element's type")
    required: bool = True
    max_length: int | None = None
    options: list[Any] = []
    pattern: str = ""
    section: str = ""
    help_text: str = ""


class VersionUpdateIn(Schema):
    """Only the fields sent are changed. Departments by id, legal bases by LegalReference id, themes by code;
    `form_fields` replaces the whole form."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    item_type: str | None = None
    power_source: str | None = None
    legal_basis: list[int] | None = None
    implementing_department: int | None = None
    delegating_department: int | None = None
    joint_departments: list[int] | None = None
    service_objects: list[str] | None = None
    handling_kind: str | None = None
    acceptance_conditions: str | None = None
    procedure: str | None = None
    handling_forms: list[str] | None = None
    place: str | None = None
    hours: str | None = None
    statutory_limit: int | None = None
    statutory_limit_unit: str | None = None
    statutory_limit_note: str | None = None
    promised_limit: int | None = None
    promised_limit_unit: str | None = None
    promised_limit_note: str | None = None
    trips: int | None = None
    fee_required: bool | None = None
    fee_basis: str | None = None
    fee_items: list[Any] | None = None
    special_procedures: list[Any] | None = None
    quantity_limit: str | None = None
    result_type: str | None = None
    result_name: str | None = None
    result_sample: str | None = None
    intermediary_services: list[Any] | None = None
    online_depth: int | None = None
    post_delivery: bool | None = None
    online_payment: bool | None = None
    appointment: bool | None = None
    service_scope: str | None = None
    themes: list[str] | None = None
    consultation: str | None = None
    complaint: str | None = None
    change_note: str | None = None
    form_fields: list[FormFieldIn] | None = None


class PublishIn(Schema):
    model_config = ConfigDict(extra="forbid")

    effective_from: dt.date | None = Field(default=None, description="defaults to today; not in the future")
