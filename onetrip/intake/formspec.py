"""What an application asks: its form fields and situation questions, and how a typed value is checked.

An item application's fields come from the pinned item version's form (a field bound to a data element is
keyed by the element code, e.g. `person.id_number`; an item-specific field by its own code). A field about
someone other than the applicant (its `subject`: a child, the deceased, a spouse …) is keyed
`<subject>:<element>` (`child:person.id_number`), so it never shares a value, a prefill or a check with the
applicant's own field; it goes to that person's section (子女信息) unless the catalogue names one. A bundle
application's come from the pinned bundle version's merged form (一表申请), narrowed to the mandatory
members plus the optional members the applicant chose (点单). Questions likewise.

`check_value` is pure: it says what is wrong with one typed value and never changes it, so a draft keeps
exactly what the applicant typed (drafts keep bad input) and the page shows the field's message.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

from onetrip.bundles.merge import option_values
from onetrip.bundles.selectors import FROZEN_STATUSES, computed, frozen_cached
from onetrip.catalog.models import DataType, FieldSubject, FormField, SituationQuestion
from onetrip.catalog.subjects import SUBJECT_SECTIONS
from onetrip.core.errors import ErrorDetail

# Mainland mobile numbers (手机号): 11 digits starting 13–19.
MOBILE_RE = re.compile(r"1[3-9]\d{9}")
REGION_RE = re.compile(r"\d{6}(\d{6})?")
# A value longer than this is refused outright (not stored), whatever the field allows: abuse, not typing.
MAX_STORED_CHARS = 10_000


@dataclass(frozen=True, slots=True)
class FieldDef:
    key: str
    label: str
    field_type: str
    required: bool
    max_length: int | None = None
    options: tuple[Any, ...] = ()
    pattern: str = ""
    data_element: str | None = None
    section: str = ""
    help_text: str = ""
    subject: str = FieldSubject.APPLICANT

    @property
    def about_applicant(self) -> bool:
        return self.subject == FieldSubject.APPLICANT


@dataclass(frozen=True, slots=True)
class QuestionDef:
    key: str
    text: str
    options: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class FormDefinition:
    fields: tuple[FieldDef, ...]
    questions: tuple[QuestionDef, ...]
    optional_members: tuple[tuple[str, str], ...] = ()  # bundle: (member code, item name) one may choose

    def field(self, key: str) -> FieldDef | None:
        for f in self.fields:
            if f.key == key:
                return f
        return None

    def question(self, key: str) -> QuestionDef | None:
        for q in self.questions:
            if q.key == key:
                return q
        return None

    def applicant_elements(self) -> dict[str, str]:
        """{data element: field key} of the fields holding the applicant's own data: the only fields the
        applicant's record (account, shared sources read by their ID number) may prefill."""
        return {f.data_element: f.key for f in self.fields if f.data_element and f.about_applicant}

    def subject_fields(self, subject: str) -> list[FieldDef]:
        """The element-bound fields about one other person (e.g. the child), in form order."""
        return [f for f in self.fields if f.data_element and f.subject == subject]

    def other_subjects(self) -> list[str]:
        """The other people this form asks about, in order of first appearance."""
        return list(dict.fromkeys(f.subject for f in self.fields if not f.about_applicant))


def item_form_definition(version_id: int) -> FormDefinition:
    fields = tuple(
        FieldDef(
            key=f.key,
            label=f.label,
            field_type=f.field_type,
            required=f.required,
            max_length=f.effective_max_length,
            options=tuple(f.effective_options),
            pattern=f.pattern,
            data_element=f.data_element.code if f.data_element else None,
            section=f.section or SUBJECT_SECTIONS.get(f.subject, ""),
            help_text=f.help_text,
            subject=f.subject or FieldSubject.APPLICANT,
        )
        for f in FormField.objects.filter(version_id=version_id)
        .select_related("data_element")
        .order_by("order", "id")
    )
    questions = tuple(
        QuestionDef(q.code, q.text, tuple(q.options or ()))
        for q in SituationQuestion.objects.filter(version_id=version_id).order_by("order", "id")
    )
    return FormDefinition(fields, questions)


def bundle_form_definition(snapshot: dict[str, Any], chosen: Iterable[str]) -> FormDefinition:
    chosen_set = set(chosen)
    form = snapshot.get("form", {})
    fields = []
    for f in form.get("fields", ()):
        members = f.get("members", ())
        if not (f.get("always") or any(m in chosen_set for m in members)):
            continue
        required = bool(f.get("always_required")) or any(m in chosen_set for m in f.get("required_by", ()))
        fields.append(
            FieldDef(
                key=f["key"],
                label=f["label"],
                field_type=f["field_type"],
                required=required,
                max_length=f.get("max_length"),
                options=tuple(f.get("options") or ()),
                pattern=f.get("pattern") or "",
                data_element=f.get("data_element"),
                section=f.get("section") or "",
                help_text=f.get("help_text") or "",
                subject=f.get("subject") or FieldSubject.APPLICANT,
            )
        )
    questions = tuple(
        QuestionDef(q["key"], q["text"], tuple(q.get("options") or ()))
        for q in form.get("questions", ())
        if q.get("always") or any(m in chosen_set for m in q.get("members", ()))
    )
    optional = tuple(
        (m["code"], m.get("item_name", "")) for m in snapshot.get("members", ()) if m.get("optional")
    )
    return FormDefinition(tuple(fields), questions, optional)


def form_definition(*, application: Any) -> FormDefinition:
    """The fields and questions of an application, as its pinned version and chosen members decide.

    A published bundle version never changes, so its definition for a given choice of optional members is
    built once per process (bundles.selectors.frozen_cached)."""
    if application.item_version_id is not None:
        return item_form_definition(application.item_version_id)
    version = application.bundle_version
    chosen = application.chosen_members or ()
    if version.status not in FROZEN_STATUSES:
        return bundle_form_definition(computed(version), chosen)
    snapshot = computed(version)
    key = ",".join(sorted(set(chosen)))
    return frozen_cached(
        version.pk, f"intake_form_definition:{key}", lambda: bundle_form_definition(snapshot, chosen)
    )


# ------------------------------------------------------------------------------------------- checking


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or (isinstance(value, str) and not value.strip())


def _error(code: str, zh: str, en: str, field: str) -> ErrorDetail:
    return ErrorDetail(code, zh, en, field)


def storable_error(value: Any, field: str) -> ErrorDetail | None:
    """A value that cannot even be kept in a draft: not plain JSON text/number/list, or absurdly long."""
    if value is None or isinstance(value, bool | int | float | str):
        if isinstance(value, str) and len(value) > MAX_STORED_CHARS:
            return _error(
                "value_too_long",
                f"内容过长（不能超过{MAX_STORED_CHARS}个字符）",
                f"Value too long (at most {MAX_STORED_CHARS} characters)",
                field,
            )
        return None
    if isinstance(value, list) and len(value) <= 200 and all(isinstance(v, str | int) for v in value):
        return None
    return _error("invalid_value_type", "填写内容格式不正确", "Unsupported value type", field)


def check_value(spec: FieldDef, value: Any, field: str) -> ErrorDetail | None:
    """What is wrong with a non-empty typed value for this field, or None. Never changes the value."""
    label = spec.label
    kind = spec.field_type
    if kind == DataType.MULTI_CHOICE:
        values = value if isinstance(value, list) else [value]
        allowed = option_values(spec.options)
        if any(str(v) not in allowed for v in values):
            return _error(
                "invalid_option", f"{label}：请从选项中选择", f"{label}: choose from the options", field
            )
        return None
    if isinstance(value, list):
        return _error("invalid_value_type", f"{label}：只能填写一个值", f"{label}: one value expected", field)
    text = str(value).strip() if not isinstance(value, bool) else ("true" if value else "false")
    if spec.max_length is not None and len(text) > spec.max_length:
        return _error(
            "too_long",
            f"{label}：不能超过{spec.max_length}个字符",
            f"{label}: at most {spec.max_length} characters",
            field,
        )
    if kind == DataType.ID_NUMBER:
        try:
            ric.validate(text)
        except StdnumError:
            return _error(
                "invalid_id_number",
                f"{label}：身份证号码不正确",
                f"{label}: invalid resident ID number",
                field,
            )
    elif kind == DataType.USCC:
        try:
            uscc.validate(text)
        except StdnumError:
            return _error(
                "invalid_uscc",
                f"{label}：统一社会信用代码不正确",
                f"{label}: invalid unified social credit code",
                field,
            )
    elif kind == DataType.PHONE:
        if not MOBILE_RE.fullmatch(text):
            return _error(
                "invalid_phone", f"{label}：请填写11位手机号码", f"{label}: an 11-digit mobile number", field
            )
    elif kind == DataType.DATE:
        if not _is_iso_date(text):
            return _error(
                "invalid_date", f"{label}：日期格式应为 YYYY-MM-DD", f"{label}: a date as YYYY-MM-DD", field
            )
    elif kind == DataType.INTEGER:
        if isinstance(value, bool) or not re.fullmatch(r"[+-]?\d{1,18}", text):
            return _error("invalid_integer", f"{label}：请填写整数", f"{label}: a whole number", field)
    elif kind == DataType.DECIMAL:
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = None
        if isinstance(value, bool) or number is None or not number.is_finite():
            return _error("invalid_decimal", f"{label}：请填写数字", f"{label}: a number", field)
    elif kind == DataType.BOOLEAN:
        if text not in ("true", "false"):
            return _error("invalid_boolean", f"{label}：请选择是或否", f"{label}: yes or no", field)
    elif kind == DataType.CHOICE:
        if text not in option_values(spec.options):
            return _error(
                "invalid_option", f"{label}：请从选项中选择", f"{label}: choose from the options", field
            )
    elif kind == DataType.REGION and not REGION_RE.fullmatch(text):
        return _error(
            "invalid_region",
            f"{label}：行政区划代码应为6位或12位数字",
            f"{label}: a 6 or 12 digit code",
            field,
        )
    if spec.pattern and kind not in (DataType.BOOLEAN, DataType.CHOICE):
        try:
            ok = re.fullmatch(spec.pattern, text) is not None
        except re.error:
            ok = True  # a broken pattern in the catalogue is the catalogue's problem, not the applicant's
        if not ok:
            return _error("pattern_mismatch", f"{label}：格式不正确", f"{label}: wrong format", field)
    return None


def _is_iso_date(text: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


# Kinds check_value checks only for length and pattern.
_PLAIN_TEXT = frozenset({DataType.STRING.value, DataType.TEXT.value})


def field_errors(
    definition: FormDefinition, form_data: dict[str, Any], *, required: bool
) -> list[ErrorDetail]:
    """Every invalid value (and, with `required`, every empty required field), in form order."""
    errors: list[ErrorDetail] = []
    for spec in definition.fields:
        value = form_data.get(spec.key)
        if type(value) is str and spec.field_type in _PLAIN_TEXT and not spec.pattern:
            # The common case, decided here with what check_value would do for it: text within its length.
            text = value.strip()
            if text and (spec.max_length is None or len(text) <= spec.max_length):
                continue
        name = f"form.{spec.key}"
        if is_empty(value):
            if required and spec.required:
                errors.append(_error("required", f"{spec.label}：必填", f"{spec.label}: required", name))
            continue
        problem = check_value(spec, value, name)
        if problem is not None:
            errors.append(problem)
    return errors


def answer_errors(
    definition: FormDefinition, answers: dict[str, Any], *, required: bool
) -> list[ErrorDetail]:
    errors: list[ErrorDetail] = []
    for q in definition.questions:
        value = answers.get(q.key)
        name = f"answers.{q.key}"
        if is_empty(value):
            if required:
                errors.append(_error("required", f"请回答：{q.text}", f"Please answer: {q.text}", name))
            continue
        if str(value) not in option_values(q.options):
            errors.append(
                _error("invalid_option", f"{q.text}：请从选项中选择", f"{q.text}: choose an option", name)
            )
    return errors


def unknown_keys(known: Sequence[str], given: Iterable[str], prefix: str) -> list[ErrorDetail]:
    known_set = set(known)
    return [
        _error("unknown_field", "表单中没有这一项", "No such field in this form", f"{prefix}.{k}")
        for k in given
        if k not in known_set
    ]
