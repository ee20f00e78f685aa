"""Catalogue writes: items, versions and publishing (draft → review → published → retired).

Every service is atomic and raises onetrip.core.errors.DomainError (or a subclass) with stable codes, so a
bad request changes nothing.

Effective dates. Publishing takes effect at once: `effective_from` defaults to today (Asia/Shanghai) and may
lie in the past (imports of versions already in force) but not in the future — a future guide stays in
review and is published on its day (code `effective_from_in_future`). `effective_to` is exclusive: the
retired version was in force on days d with effective_from <= d < effective_to.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction

from onetrip.catalog import codes
from onetrip.catalog.lint import lint_version
from onetrip.catalog.models import (
    DataElement,
    DataType,
    FieldSubject,
    FormField,
    HandlingForm,
    HandlingKind,
    Item,
    ItemType,
    ItemVersion,
    LegalReference,
    LimitUnit,
    ProcessStep,
    ProcessTransition,
    ServiceObject,
    ServiceScope,
    Situation,
    Theme,
    VersionStatus,
)
from onetrip.catalog.search import search_index_replace
from onetrip.catalog.subjects import field_key
from onetrip.core import clock
from onetrip.core.audit import audit_record
from onetrip.core.errors import Conflict, DomainError, ErrorDetail, not_found
from onetrip.core.searchtext import search_text
from onetrip.orgs.models import Department, DepartmentLevel

SHANGHAI = ZoneInfo("Asia/Shanghai")
OPEN_STATUSES = (VersionStatus.DRAFT, VersionStatus.REVIEW)


def today() -> dt.date:
    return clock.now().astimezone(SHANGHAI).date()


def _not_editable(version: ItemVersion) -> Conflict:
    return Conflict(
        ErrorDetail(
            "version_not_editable",
            f"第{version.version}版状态为“{version.get_status_display()}”，不能修改；请新建修订版本",
            f"Version {version.version} is {version.status} and cannot be changed; create a new draft",
        )
    )


def _locked(version: ItemVersion) -> ItemVersion:
    """Lock the version row (concurrent status moves serialise) and re-read it."""
    ItemVersion.objects.select_for_update().filter(pk=version.pk).values_list("pk").get()
    version.refresh_from_db()  # the caller's instance reflects the locked row, and later the change
    return version


# ---------------------------------------------------------------------------------------------- items


@transaction.atomic
def item_create(
    *,
    department: Department,
    basic_code: str,
    item_type: str,
    name: str,
    level: int | None = None,
    parent: Item | None = None,
    local_code: str = "",
    user: Any = None,
) -> Item:
    """A new item with its draft version 1. The implementation code is department USCC + level + basic code."""
    errors: list[ErrorDetail] = []
    name = (name or "").strip()
    if not name:
        errors.append(ErrorDetail("required", "请填写事项名称", "Name is required", "name"))
    elif len(name) > 200:
        errors.append(ErrorDetail("too_long", "事项名称不能超过200个字符", "Name is too long", "name"))
    if item_type not in ItemType.values:
        errors.append(ErrorDetail("invalid_item_type", "事项类型无效", "Unknown item type", "item_type"))
        errors += codes.basic_code_errors(basic_code)
    else:
        errors += codes.basic_code_errors(basic_code, item_type=item_type)
    level = department.level if level is None else level
    if level not in DepartmentLevel.values:
        errors.append(ErrorDetail("invalid_level", "行使层级应为1至6", "Level must be 1-6", "level"))
    errors += codes.uscc_errors(department.uscc, field="department")
    if len(local_code or "") > 64:
        errors.append(
            ErrorDetail("too_long", "地方编码不能超过64个字符", "Local code is too long", "local_code")
        )
    if parent is not None and parent.parent_id is not None:
        errors.append(
            ErrorDetail(
                "invalid_parent", "主项不能是另一个事项的子项", "The parent must be a main item", "parent"
            )
        )
    if errors:
        raise DomainError(*errors)

    code = codes.implementation_code(department_uscc=department.uscc, level=level, basic_code=basic_code)
    duplicate = Conflict(
        ErrorDetail(
            "duplicate_code",
            f"实施编码 {code} 已存在",
            f"Implementation code {code} already exists",
            "basic_code",
        )
    )
    if Item.objects.filter(implementation_code=code).exists():
        raise duplicate
    try:
        with transaction.atomic():
            item = Item.objects.create(
                basic_code=basic_code,
                implementation_code=code,
                local_code=local_code or "",
                parent=parent,
                department=department,
                name=name,
                item_type=item_type,
                level=level,
            )
    except IntegrityError:  # a concurrent create won the race for the unique code
        raise duplicate from None
    version = ItemVersion.objects.create(
        item=item,
        version=1,
        name=name,
        item_type=item_type,
        implementing_department=department,
        handling_kind="",
        created_by=user if getattr(user, "pk", None) else None,
    )
    item_sync_search_fields(item=item, version=version)
    audit_record(actor=user, action="catalog.item_create", object_type="catalog.item", object_id=item.pk)
    return item


def item_sync_search_fields(*, item: Item, version: ItemVersion | None = None) -> Item:
    """Copy the searchable fields of the item's current published version (or, for an item never published,
    of `version` or its latest version) onto the Item row."""
    current = ItemVersion.objects.filter(item=item, status=VersionStatus.PUBLISHED).first()
    source = current or version or ItemVersion.objects.filter(item=item).order_by("-version").first()
    item.current_version = current
    item.is_published = current is not None
    if source is not None:
        themes = list(source.themes.order_by("order", "code").values_list("code", "name"))
        objects = set(source.service_objects or [])
        forms = set(source.handling_forms or [])
        item.name = source.name
        item.item_type = source.item_type
        item.for_citizen = ServiceObject.CITIZEN in objects
        item.for_company = ServiceObject.COMPANY in objects
        item.for_office = ServiceObject.OFFICE in objects
        item.zero_trip = source.trips == 0
        item.online = bool(forms & {HandlingForm.ONLINE, HandlingForm.MOBILE}) or source.online_depth >= 3
        item.theme_codes = ",".join(code for code, _ in themes)[:255]
        type_label = ItemType(source.item_type).label if source.item_type in ItemType.values else ""
        item.search_text = search_text(
            source.name, source.implementing_department.name, *(n for _, n in themes), type_label
        )
    item.save(
        update_fields=[
            "current_version",
            "is_published",
            "name",
            "item_type",
            "for_citizen",
            "for_company",
            "for_office",
            "zero_trip",
            "online",
            "theme_codes",
            "search_text",
        ]
    )
    search_index_replace(items=[item])
    return item


# ------------------------------------------------------------------------------------- version update

_TEXT_FIELDS: dict[str, tuple[int | None, str]] = {
    # field: (max length or None for unlimited text, Chinese label)
    "name": (200, "事项名称"),
    "power_source": (64, "权力来源"),
    "acceptance_conditions": (None, "受理条件"),
    "procedure": (None, "办理流程"),
    "place": (255, "办理地点"),
    "hours": (128, "办理时间"),
    "statutory_limit_note": (255, "法定时限说明"),
    "promised_limit_note": (255, "承诺时限说明"),
    "fee_basis": (None, "收费依据"),
    "quantity_limit": (255, "数量限制"),
    "result_type": (32, "结果类型"),
    "result_name": (128, "结果名称"),
    "result_sample": (255, "结果样本"),
    "consultation": (255, "咨询方式"),
    "complaint": (255, "监督投诉方式"),
    "change_note": (None, "修订说明"),
}
_CHOICE_FIELDS: dict[str, tuple[list[str], str]] = {
    "item_type": (ItemType.values, "事项类型"),
    "handling_kind": (HandlingKind.values, "办件类型"),
    "statutory_limit_unit": (LimitUnit.values, "法定时限单位"),
    "promised_limit_unit": (LimitUnit.values, "承诺时限单位"),
    "service_scope": (ServiceScope.values, "通办范围"),
}
_MULTI_CHOICE_FIELDS: dict[str, tuple[list[str], str]] = {
    "service_objects": (ServiceObject.values, "服务对象"),
    "handling_forms": (HandlingForm.values, "办理形式"),
}
# field: (minimum, maximum or None, nullable, label)
_INT_FIELDS: dict[str, tuple[int, int | None, bool, str]] = {
    "statutory_limit": (0, 3650, True, "法定办结时限"),
    "promised_limit": (0, 3650, True, "承诺办结时限"),
    "trips": (0, 2, False, "到办事现场次数"),
    "online_depth": (0, 4, False, "网办深度"),
}
_BOOL_FIELDS = {
    "fee_required": "是否收费",
    "post_delivery": "支持物流快递",
    "online_payment": "支持网上支付",
    "appointment": "支持预约办理",
}
_LIST_FIELDS = {
    "fee_items": "收费项目",
    "special_procedures": "特别程序",
    "intermediary_services": "中介服务",
}
_FK_FIELDS = {"implementing_department": "实施主体", "delegating_department": "委托部门"}
_M2M_FIELDS = {"legal_basis": "设定依据", "joint_departments": "联办机构", "themes": "主题分类"}
UPDATABLE_FIELDS = frozenset(
    [
        *_TEXT_FIELDS,
        *_CHOICE_FIELDS,
        *_MULTI_CHOICE_FIELDS,
        *_INT_FIELDS,
        *_BOOL_FIELDS,
        *_LIST_FIELDS,
        *_FK_FIELDS,
        *_M2M_FIELDS,
        "form_fields",
    ]
)


def _invalid(field: str, zh: str, en: str, code: str = "invalid") -> ErrorDetail:
    return ErrorDetail(code, zh, en, field)


def _clean_form_fields(raw: Any, errors: list[ErrorDetail]) -> list[dict[str, Any]]:
    """Validate the replacement list of form fields; data elements are given by code."""
    if not isinstance(raw, list):
        errors.append(_invalid("form_fields", "表单字段应为列表", "form_fields must be a list"))
        return []
    cleaned: list[dict[str, Any]] = []
    codes_seen: set[str] = set()
    keys_seen: set[str] = set()
    wanted = {f.get("data_element") for f in raw if isinstance(f, dict) and f.get("data_element")}
    elements = {
        e.code: e for e in DataElement.objects.filter(code__in=[c for c in wanted if isinstance(c, str)])
    }
    for i, spec in enumerate(raw):
        path = f"form_fields[{i}]"
        if not isinstance(spec, dict):
            errors.append(_invalid(path, "表单字段格式错误", "Each form field must be an object"))
            continue
        code = str(spec.get("code") or "").strip()
        label = str(spec.get("label") or "").strip()
        element_code = spec.get("data_element") or None
        element = None
        if element_code is not None:
            element = elements.get(element_code) if isinstance(element_code, str) else None
            if element is None:
                errors.append(
                    ErrorDetail(
                        "unknown_data_element",
                        f"数据元“{element_code}”不存在",
                        f"Unknown data element {element_code!r}",
                        f"{path}.data_element",
                    )
                )
        if not code or len(code) > 64:
            errors.append(
                _invalid(f"{path}.code", "请填写字段编码（不超过64个字符）", "code is required (≤ 64)")
            )
        elif code in codes_seen:
            errors.append(
                _invalid(
                    f"{path}.code",
                    f"字段编码“{code}”重复",
                    f"Duplicate field code {code!r}",
                    "duplicate_code",
                )
            )
        codes_seen.add(code)
        if not label and element is not None:
            label = element.name
        unknown_element = element_code is not None and element is None
        if (not label and not unknown_element) or len(label) > 128:
            errors.append(
                _invalid(f"{path}.label", "请填写标签（不超过128个字符）", "label is required (≤ 128)")
            )
        subject = spec.get("subject") or FieldSubject.APPLICANT
        if subject not in FieldSubject.values:
            errors.append(_invalid(f"{path}.subject", "信息主体无效", "Unknown subject", "invalid_subject"))
        elif element is not None:
            # One person's data element is asked once: a second field would overwrite the first's value.
            key = field_key(element.code, subject, code)
            if key in keys_seen:
                errors.append(
                    _invalid(
                        f"{path}.subject",
                        f"“{FieldSubject(subject).label}”的“{element.name}”已有字段，请为另一人员选择信息主体",
                        f"Another field already holds {element.code!r} of this subject",
                        "duplicate_subject_element",
                    )
                )
            keys_seen.add(key)
        field_type = spec.get("field_type") or (element.data_type if element is not None else None)
        if field_type not in DataType.values and not (unknown_element and field_type is None):
            errors.append(_invalid(f"{path}.field_type", "字段类型无效", "Unknown field type"))
        options = spec.get("options", [])
        if not isinstance(options, list):
            errors.append(_invalid(f"{path}.options", "选项应为列表", "options must be a list"))
        max_length = spec.get("max_length")
        if max_length is not None and (type(max_length) is not int or max_length < 1):
            errors.append(_invalid(f"{path}.max_length", "最大长度应为正整数", "max_length must be positive"))
        cleaned.append(
            {
                "order": i + 1,
                "code": code,
                "data_element": element,
                "subject": subject if subject in FieldSubject.values else FieldSubject.APPLICANT,
                "label": label,
                "field_type": field_type,
                "required": bool(spec.get("required", True)),
                "max_length": max_length,
                "options": options if isinstance(options, list) else [],
                "pattern": str(spec.get("pattern") or "")[:255],
                "section": str(spec.get("section") or "")[:64],
                "help_text": str(spec.get("help_text") or "")[:255],
            }
        )
    return cleaned


@transaction.atomic
def item_version_update(*, version: ItemVersion, data: dict[str, Any], user: Any) -> ItemVersion:
    """Change fields of a draft. Every value is validated; all problems are reported at once.

    M2M fields take lists of ids (legal_basis, joint_departments) or theme codes (themes); the department
    fields take ids; `form_fields` replaces the form with a list of field objects (data elements by code).
    """
    version = _locked(version)
    if version.status != VersionStatus.DRAFT:
        raise _not_editable(version)
    errors: list[ErrorDetail] = []
    scalars: dict[str, Any] = {}
    m2m: dict[str, list[Any]] = {}
    form_fields: list[dict[str, Any]] | None = None

    for field, value in data.items():
        if field not in UPDATABLE_FIELDS:
            errors.append(
                _invalid(field, f"字段“{field}”不存在或不可修改", f"Unknown field {field!r}", "unknown_field")
            )
        elif field in _TEXT_FIELDS:
            max_len, label = _TEXT_FIELDS[field]
            if not isinstance(value, str):
                errors.append(_invalid(field, f"{label}应为文本", f"{field} must be text"))
            elif max_len is not None and len(value) > max_len:
                errors.append(
                    _invalid(
                        field,
                        f"{label}不能超过{max_len}个字符",
                        f"{field} exceeds {max_len} characters",
                        "too_long",
                    )
                )
            elif field == "name" and not value.strip():
                errors.append(_invalid(field, "请填写事项名称", "Name is required", "required"))
            else:
                scalars[field] = value.strip()
        elif field in _CHOICE_FIELDS:
            allowed, label = _CHOICE_FIELDS[field]
            if value not in allowed:
                errors.append(
                    _invalid(field, f"{label}无效：{value}", f"Invalid {field}: {value!r}", "invalid_choice")
                )
            else:
                scalars[field] = value
        elif field in _MULTI_CHOICE_FIELDS:
            allowed, label = _MULTI_CHOICE_FIELDS[field]
            if not isinstance(value, list) or any(v not in allowed for v in value):
                errors.append(
                    _invalid(
                        field,
                        f"{label}应为以下值的列表：{'、'.join(allowed)}",
                        f"{field} must be a list of {allowed}",
                        "invalid_choice",
                    )
                )
            else:
                scalars[field] = list(dict.fromkeys(value))
        elif field in _INT_FIELDS:
            low, high, nullable, label = _INT_FIELDS[field]
            if value is None and nullable:
                scalars[field] = None
            elif type(value) is not int or value < low or (high is not None and value > high):
                errors.append(
                    _invalid(
                        field, f"{label}应为{low}至{high}的整数", f"{field} must be an integer {low}-{high}"
                    )
                )
            else:
                scalars[field] = value
        elif field in _BOOL_FIELDS:
            if type(value) is not bool:
                errors.append(
                    _invalid(field, f"{_BOOL_FIELDS[field]}应为是或否", f"{field} must be true or false")
                )
            else:
                scalars[field] = value
        elif field in _LIST_FIELDS:
            if not isinstance(value, list):
                errors.append(_invalid(field, f"{_LIST_FIELDS[field]}应为列表", f"{field} must be a list"))
            else:
                scalars[field] = value
        elif field in _FK_FIELDS:
            if value is None and field == "delegating_department":
                scalars[field] = None
            elif type(value) is not int or (dept := Department.objects.filter(pk=value).first()) is None:
                errors.append(
                    _invalid(
                        field, f"{_FK_FIELDS[field]}不存在", f"{field}: department not found", "not_found"
                    )
                )
            else:
                scalars[field] = dept
        elif field in _M2M_FIELDS:
            label = _M2M_FIELDS[field]
            model, key = {
                "legal_basis": (LegalReference, "pk"),
                "joint_departments": (Department, "pk"),
                "themes": (Theme, "code"),
            }[field]
            if not isinstance(value, list):
                errors.append(_invalid(field, f"{label}应为列表", f"{field} must be a list"))
                continue
            found = list(model.objects.filter(**{f"{key}__in": value}))
            missing = set(value) - {getattr(obj, key) for obj in found}
            if missing:
                errors.append(
                    _invalid(
                        field,
                        f"{label}中有不存在的项：{'、'.join(sorted(map(str, missing)))}",
                        f"{field}: not found: {sorted(map(str, missing))}",
                        "not_found",
                    )
                )
            else:
                m2m[field] = found
        elif field == "form_fields":
            form_fields = _clean_form_fields(value, errors)
    if errors:
        raise DomainError(*errors)

    for field, value in scalars.items():
        setattr(version, field, value)
    version.save()
    for field, objs in m2m.items():
        getattr(version, field).set(objs)
    if form_fields is not None:
        version.formfields.all().delete()
        FormField.objects.bulk_create(FormField(version=version, **spec) for spec in form_fields)
    if not version.item.is_published:
        item_sync_search_fields(item=version.item, version=version)
    audit_record(
        actor=user,
        action="catalog.version_update",
        object_type="catalog.itemversion",
        object_id=version.pk,
        data={"fields": sorted(data)},
    )
    return version


# ---------------------------------------------------------------------------------------- new draft


def _copy_row(obj: Any, **changes: Any) -> Any:
    """An unsaved copy of a model instance (concrete fields only, no primary key) with `changes` applied."""
    data = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if not f.primary_key}
    for key in changes:
        data.pop(obj._meta.get_field(key).attname, None)
    data.update(changes)
    return obj.__class__(**data)


@transaction.atomic
def item_version_new_draft(*, item: Item, user: Any) -> ItemVersion:
    """Version N+1 as a draft: a deep copy of the latest version with all its parts, links and transitions."""
    Item.objects.select_for_update().filter(pk=item.pk).first()
    versions = ItemVersion.objects.filter(item=item)
    open_version = versions.filter(status__in=OPEN_STATUSES).order_by("-version").first()
    if open_version is not None:
        raise Conflict(
            ErrorDetail(
                "draft_exists",
                f"该事项已有未发布的第{open_version.version}版（{open_version.get_status_display()}），请先完成或修改它",
                f"Version {open_version.version} is still {open_version.status}; finish it first",
            )
        )
    latest = versions.order_by("-version").first()
    if latest is None:
        raise not_found("事项版本", "Item version")

    new = _copy_row(
        latest,
        version=latest.version + 1,
        status=VersionStatus.DRAFT,
        effective_from=None,
        effective_to=None,
        change_note="",
        created_by=user if getattr(user, "pk", None) else None,
        submitted_at=None,
        reviewed_by=None,
        published_at=None,
        retired_at=None,
    )
    new.save()
    new.legal_basis.set(latest.legal_basis.all())
    new.joint_departments.set(latest.joint_departments.all())
    new.themes.set(latest.themes.all())

    for question in latest.situationquestions.all():
        _copy_row(question, version=new).save()
    situations: dict[int, Situation] = {}
    for situation in latest.situations.all():
        copy = _copy_row(situation, version=new)
        copy.save()
        situations[situation.pk] = copy
    for material in latest.materials.prefetch_related("legal_basis", "data_elements", "situations"):
        copy = _copy_row(material, version=new)
        copy.save()
        copy.legal_basis.set(material.legal_basis.all())
        copy.data_elements.set(material.data_elements.all())
        copy.situations.set([situations[s.pk] for s in material.situations.all()])
    FormField.objects.bulk_create(_copy_row(f, version=new) for f in latest.formfields.all())
    steps: dict[int, ProcessStep] = {}
    for step in latest.processsteps.all():
        copy = _copy_row(step, version=new)
        copy.save()
        steps[step.pk] = copy
    ProcessTransition.objects.bulk_create(
        ProcessTransition(
            version=new,
            order=t.order,
            source=steps[t.source_id],
            target=steps[t.target_id],
            condition=t.condition,
        )
        for t in latest.processtransitions.all()
    )
    audit_record(
        actor=user,
        action="catalog.version_new_draft",
        object_type="catalog.itemversion",
        object_id=new.pk,
        data={"item": item.implementation_code, "from_version": latest.version},
    )
    return new


# ------------------------------------------------------------------------------------ status moves


@transaction.atomic
def item_version_submit(*, version: ItemVersion, user: Any) -> ItemVersion:
    """Draft → review, if the guide linter finds nothing (all its errors are reported together)."""
    version = _locked(version)
    if version.status != VersionStatus.DRAFT:
        raise _not_editable(version)
    errors = lint_version(version)
    if errors:
        raise DomainError(*errors)
    version.status = VersionStatus.REVIEW
    version.submitted_at = clock.now()
    version.save(update_fields=["status", "submitted_at"])
    audit_record(
        actor=user, action="catalog.version_submit", object_type="catalog.itemversion", object_id=version.pk
    )
    return version


@transaction.atomic
def item_version_return(*, version: ItemVersion, user: Any) -> ItemVersion:
    """Review → draft, so the author can change it (a reviewer sends it back)."""
    version = _locked(version)
    if version.status != VersionStatus.REVIEW:
        raise Conflict(
            ErrorDetail(
                "version_not_in_review",
                "只有待审核的版本可以退回",
                "Only a version in review can be returned",
            )
        )
    version.status = VersionStatus.DRAFT
    version.submitted_at = None
    version.save(update_fields=["status", "submitted_at"])
    audit_record(
        actor=user, action="catalog.version_return", object_type="catalog.itemversion", object_id=version.pk
    )
    return version


@transaction.atomic
def item_version_publish(
    *,
    version: ItemVersion,
    user: Any = None,
    effective_from: dt.date | None = None,
    require_review: bool = False,
) -> ItemVersion:
    """Review (or, unless `require_review`, a lint-clean draft: imports and demo data) → published; the
    previous published version is retired with effective_to = this version's effective_from (exclusive end).
    The admin and the API pass require_review=True, so people publish only what went through review."""
    Item.objects.select_for_update().filter(pk=version.item_id).first()
    version = _locked(version)
    if require_review and version.status == VersionStatus.DRAFT:
        raise Conflict(
            ErrorDetail(
                "version_not_in_review",
                "请先提交审核，审核通过后再发布",
                "Submit the version for review before publishing it",
            )
        )
    if version.status not in OPEN_STATUSES:
        raise Conflict(
            ErrorDetail(
                "version_not_publishable",
                f"第{version.version}版状态为“{version.get_status_display()}”，不能发布",
                f"Version {version.version} is {version.status} and cannot be published",
            )
        )
    effective_from = effective_from or today()
    if effective_from > today():
        raise DomainError(
            ErrorDetail(
                "effective_from_in_future",
                "生效日期不能晚于今天；未来生效的版本请在生效当日发布",
                "effective_from may not be in the future; publish the version on that day",
                "effective_from",
            )
        )
    errors = lint_version(version)
    if errors:
        raise DomainError(*errors)

    now = clock.now()
    previous = (
        ItemVersion.objects.select_for_update()
        .filter(item_id=version.item_id, status=VersionStatus.PUBLISHED)
        .first()
    )
    if previous is not None:
        previous.status = VersionStatus.RETIRED
        previous.effective_to = max(effective_from, previous.effective_from or effective_from)
        previous.retired_at = now
        previous.save(update_fields=["status", "effective_to", "retired_at"])
    version.status = VersionStatus.PUBLISHED
    version.effective_from = effective_from
    version.effective_to = None
    version.published_at = now
    version.reviewed_by = user if getattr(user, "pk", None) else None
    if version.submitted_at is None:
        version.submitted_at = now
    version.save(
        update_fields=[
            "status",
            "effective_from",
            "effective_to",
            "published_at",
            "reviewed_by",
            "submitted_at",
        ]
    )
    item_sync_search_fields(item=version.item)
    audit_record(
        actor=user,
        action="catalog.version_publish",
        object_type="catalog.itemversion",
        object_id=version.pk,
        data={
            "item": version.item.implementation_code,
            "version": version.version,
            "retired_version": previous.version if previous else None,
        },
    )
    return version


@transaction.atomic
def item_version_retire(*, version: ItemVersion, user: Any) -> ItemVersion:
    """Published → retired: the item leaves the public catalogue until another version is published."""
    version = _locked(version)
    if version.status != VersionStatus.PUBLISHED:
        raise Conflict(
            ErrorDetail(
                "version_not_published",
                f"第{version.version}版状态为“{version.get_status_display()}”，只有已发布的版本可以废止",
                f"Version {version.version} is {version.status}; only a published version can be retired",
            )
        )
    version.status = VersionStatus.RETIRED
    version.effective_to = max(today(), version.effective_from or today())
    version.retired_at = clock.now()
    version.save(update_fields=["status", "effective_to", "retired_at"])
    item_sync_search_fields(item=version.item)
    audit_record(
        actor=user,
        action="catalog.version_retire",
        object_type="catalog.itemversion",
        object_id=version.pk,
        data={"item": version.item.implementation_code, "version": version.version},
    )
    return version
