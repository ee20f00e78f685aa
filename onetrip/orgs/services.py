"""Writes for organisations and identity: regions, departments, halls, windows, users and role assignments.

Every service validates everything first, raises one DomainError listing every problem (Chinese and English,
with the field), and writes inside a transaction, so a rejected request changes nothing.

Region codes (统计用区划代码) are 12 digits; each level owns a segment, and the digits after a region's
"meaningful prefix" are zeros:

    level        prefix  example
    province     2       330000000000  浙江省
    city         4       330100000000  杭州市
    county       6       330106000000  西湖区
    township     9       330106001000  北山街道
    village      12      330106001001  某社区

A child region is exactly one level below its parent and its code starts with the parent's prefix, so every
descendant of a region is found with one indexed prefix match on `code` (used by permission scopes).
Every segment down to a region's level is non-zero, so the few prefecture cities without counties (东莞,
中山 …, whose townships carry a 00 county segment) need a county-level division of their own here.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from stdnum.cn import ric

from onetrip.catalog.codes import uscc_errors
from onetrip.core.audit import audit_record
from onetrip.core.errors import Conflict, DomainError, ErrorDetail
from onetrip.orgs.models import (
    REGION_PREFIX_LENGTH,
    ApplicantKind,
    Department,
    DepartmentLevel,
    HallDepartment,
    Region,
    RegionLevel,
    Role,
    RoleAssignment,
    ServiceHall,
    User,
    Window,
    WindowCategory,
)

_REGION_CODE_RE = re.compile(r"^\d{12}$")
_DEPARTMENT_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def _raise_if(errors: list[ErrorDetail]) -> None:
    if errors:
        raise DomainError(*errors)


def _required(value: str, field: str, zh: str, en: str) -> list[ErrorDetail]:
    if not (value or "").strip():
        return [ErrorDetail("required", f"{zh}不能为空", f"{en} is required", field)]
    return []


# --- regions ---------------------------------------------------------------------------------------------


def region_level_of_code(code: str) -> int | None:
    """The level a 12-digit code denotes: the last non-zero segment's level. None if the code is malformed
    or a segment above that level is all zeros (no such division)."""
    if not _REGION_CODE_RE.match(code or ""):
        return None
    start = 0
    for level in sorted(REGION_PREFIX_LENGTH):
        end = REGION_PREFIX_LENGTH[level]
        if set(code[start:end]) == {"0"}:
            return None
        if set(code[end:]) <= {"0"}:
            return level
        start = end
    return None


def region_errors(*, code: str, name: str, level: int, parent: Region | None) -> list[ErrorDetail]:
    errors = _required(name, "name", "区划名称", "Region name")
    if level not in RegionLevel.values:
        return [*errors, ErrorDetail("invalid_region_level", "区划层级无效", "Invalid region level", "level")]
    if not _REGION_CODE_RE.match(code or ""):
        errors.append(
            ErrorDetail(
                "invalid_region_code", "区划代码应为12位数字", "Region code must be 12 digits", "code"
            )
        )
        return errors
    implied = region_level_of_code(code)
    if implied is None:
        errors.append(
            ErrorDetail(
                "invalid_region_code",
                "区划代码的分段不符合规则（省2位、市4位、县6位、乡镇9位、村12位，其后补0）",
                "Region code segments are malformed (province 2, city 4, county 6, township 9, village 12 digits)",
                "code",
            )
        )
    elif implied != level:
        errors.append(
            ErrorDetail(
                "region_code_level_mismatch",
                f"区划代码表示“{RegionLevel(implied).label}”，与所选层级“{RegionLevel(level).label}”不一致",
                "The region code denotes a different level",
                "code",
            )
        )
    if parent is not None:
        if parent.level != level - 1:
            errors.append(
                ErrorDetail(
                    "region_level_not_below_parent",
                    "下级区划的层级应比上级区划低一级",
                    "A child region must be exactly one level below its parent",
                    "level",
                )
            )
        if not code.startswith(parent.prefix):
            errors.append(
                ErrorDetail(
                    "region_code_outside_parent",
                    f"区划代码应以上级区划代码前缀“{parent.prefix}”开头",
                    "The region code must start with its parent's prefix",
                    "code",
                )
            )
    return errors


@transaction.atomic
def region_create(*, code: str, name: str, level: int, parent: Region | None = None) -> Region:
    code, name = (code or "").strip(), (name or "").strip()
    _raise_if(region_errors(code=code, name=name, level=level, parent=parent))
    if Region.objects.filter(code=code).exists():
        raise Conflict(
            ErrorDetail("duplicate_region_code", "区划代码已存在", "Region code already exists", "code")
        )
    try:
        with transaction.atomic():
            return Region.objects.create(code=code, name=name, level=level, parent=parent)
    except IntegrityError as exc:
        raise Conflict(
            ErrorDetail("duplicate_region_code", "区划代码已存在", "Region code already exists", "code")
        ) from exc


@transaction.atomic
def region_rename(*, region: Region, name: str) -> Region:
    """Only the name changes: a code, level or parent change would invalidate every descendant's code."""
    name = (name or "").strip()
    _raise_if(_required(name, "name", "区划名称", "Region name"))
    region.name = name
    region.save(update_fields=["name"])
    return region


def region_is_within(region: Region, ancestor: Region) -> bool:
    """True when `region` is `ancestor` or one of its descendants."""
    return region.code.startswith(ancestor.prefix) and region.level >= ancestor.level


# --- departments -----------------------------------------------------------------------------------------


def department_errors(
    *,
    code: str,
    name: str,
    uscc: str,
    level: int,
    region: Region,
    parent: Department | None,
    instance: Department | None = None,
) -> list[ErrorDetail]:
    errors = _required(name, "name", "部门名称", "Department name")
    if not _DEPARTMENT_CODE_RE.match(code or ""):
        errors.append(
            ErrorDetail(
                "invalid_department_code",
                "部门编码应为1至32位字母、数字或“_.-”",
                "Department code must be 1-32 letters, digits or _.-",
                "code",
            )
        )
    errors += uscc_errors(uscc, field="uscc")
    if level not in DepartmentLevel.values:
        errors.append(
            ErrorDetail("invalid_department_level", "部门层级无效", "Invalid department level", "level")
        )
        return errors
    # DepartmentLevel counts from national (1); RegionLevel from province (1): a body sits one step lower.
    if region.level + 1 != level:
        errors.append(
            ErrorDetail(
                "department_level_region_mismatch",
                f"部门层级“{DepartmentLevel(level).label}”与所在区划“{region.name}”的层级不一致",
                "The department level does not match its region's level",
                "level",
            )
        )
    if parent is not None:
        if parent.level > level:
            errors.append(
                ErrorDetail(
                    "department_parent_level_lower",
                    "上级部门的层级不能低于本部门",
                    "A parent department must be at the same or a higher level",
                    "parent",
                )
            )
        if not region_is_within(region, parent.region):
            errors.append(
                ErrorDetail(
                    "department_parent_region_mismatch",
                    "上级部门应位于本部门所在区划或其上级区划",
                    "The parent department must be in the same region or an enclosing one",
                    "parent",
                )
            )
        if instance is not None and instance.pk is not None and _is_ancestor_or_self(instance, parent):
            errors.append(
                ErrorDetail(
                    "department_parent_cycle",
                    "上级部门不能是本部门或其下级部门",
                    "A department cannot be its own ancestor",
                    "parent",
                )
            )
    return errors


def _is_ancestor_or_self(department: Department, candidate: Department) -> bool:
    node: Department | None = candidate
    seen: set[int] = set()
    while node is not None and node.pk not in seen:
        if node.pk == department.pk:
            return True
        seen.add(node.pk)
        node = node.parent
    return False


def _department_conflicts(*, code: str, uscc: str, exclude_pk: int | None) -> list[ErrorDetail]:
    others = Department.objects.exclude(pk=exclude_pk) if exclude_pk else Department.objects.all()
    errors = []
    if others.filter(code=code).exists():
        errors.append(
            ErrorDetail(
                "duplicate_department_code", "部门编码已存在", "Department code already exists", "code"
            )
        )
    if others.filter(uscc=uscc).exists():
        errors.append(
            ErrorDetail(
                "duplicate_uscc",
                "统一社会信用代码已被其他部门使用",
                "USCC already used by a department",
                "uscc",
            )
        )
    return errors


@transaction.atomic
def department_create(
    *,
    code: str,
    name: str,
    uscc: str,
    level: int,
    region: Region,
    parent: Department | None = None,
    short_name: str = "",
    responsibilities: str = "",
) -> Department:
    code, name, uscc = (code or "").strip(), (name or "").strip(), (uscc or "").strip().upper()
    _raise_if(department_errors(code=code, name=name, uscc=uscc, level=level, region=region, parent=parent))
    conflicts = _department_conflicts(code=code, uscc=uscc, exclude_pk=None)
    if conflicts:
        raise Conflict(*conflicts)
    return Department.objects.create(
        code=code,
        name=name,
        short_name=short_name.strip(),
        uscc=uscc,
        level=level,
        region=region,
        parent=parent,
        responsibilities=responsibilities,
    )


_DEPARTMENT_FIELDS = {
    "code",
    "name",
    "short_name",
    "uscc",
    "level",
    "region",
    "parent",
    "responsibilities",
    "is_active",
}


@transaction.atomic
def department_update(*, department: Department, **changes: Any) -> Department:
    unknown = set(changes) - _DEPARTMENT_FIELDS
    if unknown:
        raise TypeError(f"department_update got unknown fields: {sorted(unknown)}")
    locked = Department.objects.select_for_update().get(pk=department.pk)
    for field, value in changes.items():
        if isinstance(value, str) and field != "responsibilities":
            value = value.strip()
        if field == "uscc":
            value = value.upper()
        setattr(locked, field, value)
    _raise_if(
        department_errors(
            code=locked.code,
            name=locked.name,
            uscc=locked.uscc,
            level=locked.level,
            region=locked.region,
            parent=locked.parent,
            instance=locked,
        )
    )
    conflicts = _department_conflicts(code=locked.code, uscc=locked.uscc, exclude_pk=locked.pk)
    if conflicts:
        raise Conflict(*conflicts)
    locked.save()
    return locked


# --- halls and windows -----------------------------------------------------------------------------------


@transaction.atomic
def hall_create(
    *, name: str, region: Region, address: str = "", opening_hours: str = "", phone: str = ""
) -> ServiceHall:
    name = (name or "").strip()
    errors = _required(name, "name", "大厅名称", "Hall name")
    if phone and not (_MOBILE_RE.match(phone) or _LANDLINE_RE.match(phone) or phone.isdigit()):
        errors.append(ErrorDetail("invalid_phone", "咨询电话格式不正确", "Invalid phone number", "phone"))
    _raise_if(errors)
    return ServiceHall.objects.create(
        name=name, region=region, address=address.strip(), opening_hours=opening_hours.strip(), phone=phone
    )


def hall_department_errors(*, hall_region: Region, departments: list[Department]) -> list[ErrorDetail]:
    """A hall may host departments of any level whose region encloses the hall's (a city-level centre in a
    district hall, a county bureau in a township centre's parent) or lies inside it; never one of an
    unrelated region, and never an inactive one."""
    errors: list[ErrorDetail] = []
    for department in departments:
        if not department.is_active:
            errors.append(
                ErrorDetail(
                    "department_inactive",
                    f"{department.name}已停用，不能进驻",
                    f"Department {department.code} is inactive",
                    "departments",
                )
            )
        elif not (
            region_is_within(hall_region, department.region)
            or region_is_within(department.region, hall_region)
        ):
            errors.append(
                ErrorDetail(
                    "station_outside_region",
                    f"{department.name}不属于大厅所在区划或其上级区划，不能进驻",
                    f"Department {department.code} is outside the hall's region",
                    "departments",
                )
            )
    return errors


@transaction.atomic
def hall_departments_set(
    *, hall: ServiceHall, departments: list[Department], actor: User | None
) -> ServiceHall:
    """Make `departments` exactly the departments stationed in the hall (进驻部门); audited with what was
    added and removed. The hall row is locked so two admins' edits apply one after the other."""
    locked = ServiceHall.objects.select_for_update().select_related("region").get(pk=hall.pk)
    wanted = {d.pk: d for d in departments}
    _raise_if(hall_department_errors(hall_region=locked.region, departments=list(wanted.values())))
    current = dict(
        HallDepartment.objects.filter(hall=locked).values_list("department_id", "department__code")
    )
    added = [wanted[pk] for pk in sorted(set(wanted) - set(current))]
    removed = sorted(set(current) - set(wanted))
    if not added and not removed:
        return locked
    HallDepartment.objects.filter(hall=locked, department_id__in=removed).delete()
    HallDepartment.objects.bulk_create([HallDepartment(hall=locked, department=d) for d in added])
    audit_record(
        actor=actor,
        action="orgs.hall_departments_set",
        object_type="orgs.servicehall",
        object_id=locked.pk,
        data={"added": [d.code for d in added], "removed": sorted(current[pk] for pk in removed)},
    )
    return locked


def window_errors(
    *, hall: ServiceHall, number: str, name: str, category: str, department: Department | None
) -> list[ErrorDetail]:
    errors = _required(number, "number", "窗口号", "Window number")
    errors += _required(name, "name", "窗口名称", "Window name")
    if category not in WindowCategory.values:
        errors.append(
            ErrorDetail("invalid_window_category", "窗口类别无效", "Invalid window category", "category")
        )
        return errors
    if category == WindowCategory.DEPARTMENT:
        if department is None:
            errors.append(
                ErrorDetail(
                    "window_department_required",
                    "部门即办窗口必须指定所属部门",
                    "A department immediate-service window needs its department",
                    "department",
                )
            )
        else:
            if not department.is_active:
                errors.append(
                    ErrorDetail(
                        "department_inactive", "该部门已停用", "The department is inactive", "department"
                    )
                )
            # A hall hosts windows of its own region's bodies, of enclosing ones (vertical departments) and of
            # the townships below it; a body from an unrelated region cannot staff it.
            if not (
                region_is_within(department.region, hall.region)
                or region_is_within(hall.region, department.region)
            ):
                errors.append(
                    ErrorDetail(
                        "window_department_outside_region",
                        "该部门不属于大厅所在区划",
                        "The department is outside the hall's region",
                        "department",
                    )
                )
    elif department is not None:
        errors.append(
            ErrorDetail(
                "window_department_not_allowed",
                "综合窗口面向所有部门受理，不能指定单一部门",
                "A comprehensive window serves every department and takes no department",
                "department",
            )
        )
    return errors


def _window_number_conflict(hall: ServiceHall, number: str, exclude_pk: int | None) -> None:
    qs = Window.objects.filter(hall=hall, number=number)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise Conflict(
            ErrorDetail(
                "duplicate_window_number", "该大厅已有此窗口号", "Window number already used", "number"
            )
        )


@transaction.atomic
def window_create(
    *, hall: ServiceHall, number: str, name: str, category: str, department: Department | None = None
) -> Window:
    number, name = (number or "").strip(), (name or "").strip()
    _raise_if(window_errors(hall=hall, number=number, name=name, category=category, department=department))
    _window_number_conflict(hall, number, None)
    return Window.objects.create(
        hall=hall, number=number, name=name, category=category, department=department
    )


@transaction.atomic
def window_update(*, window: Window, **changes: Any) -> Window:
    unknown = set(changes) - {"number", "name", "category", "department", "is_active"}
    if unknown:
        raise TypeError(f"window_update got unknown fields: {sorted(unknown)}")
    locked = Window.objects.select_for_update().get(pk=window.pk)
    for field, value in changes.items():
        setattr(locked, field, value.strip() if isinstance(value, str) else value)
    _raise_if(
        window_errors(
            hall=locked.hall,
            number=locked.number,
            name=locked.name,
            category=locked.category,
            department=locked.department,
        )
    )
    _window_number_conflict(locked.hall, locked.number, locked.pk)
    locked.save()
    return locked


# --- users and roles -------------------------------------------------------------------------------------


def user_errors(
    *,
    phone: str,
    id_number: str,
    applicant_kind: str,
    organisation_code: str,
    organisation_name: str,
) -> list[ErrorDetail]:
    errors: list[ErrorDetail] = []
    if phone and not (_MOBILE_RE.match(phone) or _LANDLINE_RE.match(phone)):
        errors.append(ErrorDetail("invalid_phone", "手机号格式不正确", "Invalid phone number", "phone"))
    if id_number and not ric.is_valid(id_number):
        errors.append(
            ErrorDetail(
                "invalid_id_number",
                "身份证号无效（应为18位且校验位正确）",
                "Invalid resident ID number",
                "id_number",
            )
        )
    if applicant_kind not in ApplicantKind.values:
        errors.append(
            ErrorDetail(
                "invalid_applicant_kind", "申请人类型无效", "Invalid applicant kind", "applicant_kind"
            )
        )
    elif applicant_kind != ApplicantKind.CITIZEN:
        if not organisation_code:
            errors.append(
                ErrorDetail(
                    "required",
                    "法人或机关单位申请人须填写统一社会信用代码",
                    "Companies and offices need their credit code",
                    "organisation_code",
                )
            )
        errors += _required(organisation_name, "organisation_name", "单位名称", "Organisation name")
    if organisation_code:
        errors += uscc_errors(organisation_code, field="organisation_code")
    return errors


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None = None,
    display_name: str = "",
    email: str = "",
    phone: str = "",
    id_number: str = "",
    applicant_kind: str = ApplicantKind.CITIZEN,
    organisation_code: str = "",
    organisation_name: str = "",
    oidc_subject: str | None = None,
    is_staff: bool = False,
) -> User:
    """Create a user. Without a password the account can only sign in through the identity provider."""
    username = (username or "").strip()
    id_number = (id_number or "").strip().upper()
    organisation_code = (organisation_code or "").strip().upper()
    errors = _required(username, "username", "用户名", "Username")
    errors += user_errors(
        phone=phone,
        id_number=id_number,
        applicant_kind=applicant_kind,
        organisation_code=organisation_code,
        organisation_name=organisation_name,
    )
    user = User(
        username=username,
        display_name=display_name.strip(),
        email=email.strip(),
        phone=phone,
        id_number=id_number,
        applicant_kind=applicant_kind,
        organisation_code=organisation_code,
        organisation_name=organisation_name.strip(),
        oidc_subject=oidc_subject or None,
        is_staff=is_staff,
    )
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors += [
                ErrorDetail(
                    "weak_password", "密码不符合要求：" + str(m), "Password rejected: " + str(m), "password"
                )
                for m in exc.messages
            ]
    _raise_if(errors)
    if User.objects.filter(username=username).exists():
        raise Conflict(ErrorDetail("username_taken", "用户名已被使用", "Username already taken", "username"))
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save()
    return user


_ROLE_RULES_ZH = {
    Role.APPLICANT: "申请人角色不带部门、区划或窗口范围",
    Role.CLERK: "综合窗口人员须指定区划或窗口，不能指定部门",
    Role.HANDLER: "部门经办人须指定部门，不能指定区划或窗口",
    Role.LEADER: "部门负责人须指定部门，不能指定区划或窗口",
    Role.SUPERVISOR: "效能监管人员可指定区划或部门之一（不指定则为全局），不能指定窗口",
    Role.CATALOG_ADMIN: "事项管理员可指定区划或部门之一（不指定则为全局），不能指定窗口",
    Role.SYSTEM_ADMIN: "系统管理员为全局角色，不能指定范围",
}


def role_assignment_errors(
    *, role: str, department: Department | None, region: Region | None, window: Window | None
) -> list[ErrorDetail]:
    if role not in Role.values:
        return [ErrorDetail("invalid_role", "角色无效", "Invalid role", "role")]
    role = Role(role)

    def rule(field: str) -> ErrorDetail:
        return ErrorDetail(
            "role_scope_invalid", _ROLE_RULES_ZH[role], f"Scope not valid for role {role}", field
        )

    errors: list[ErrorDetail] = []
    if role in (Role.HANDLER, Role.LEADER):
        if department is None:
            errors.append(rule("department"))
        if region is not None:
            errors.append(rule("region"))
        if window is not None:
            errors.append(rule("window"))
    elif role == Role.CLERK:
        if department is not None:
            errors.append(rule("department"))
        if region is None and window is None:
            errors.append(rule("region"))
        if window is not None and region is not None and not region_is_within(window.hall.region, region):
            errors.append(
                ErrorDetail(
                    "window_outside_region",
                    "窗口所在大厅不在所指定的区划内",
                    "The window's hall is outside the given region",
                    "window",
                )
            )
    elif role in (Role.SUPERVISOR, Role.CATALOG_ADMIN):
        if department is not None and region is not None:
            errors.append(rule("region"))
        if window is not None:
            errors.append(rule("window"))
    else:  # applicant, system admin: unscoped
        for field, value in (("department", department), ("region", region), ("window", window)):
            if value is not None:
                errors.append(rule(field))
    if department is not None and not department.is_active and not errors:
        errors.append(
            ErrorDetail("department_inactive", "该部门已停用", "The department is inactive", "department")
        )
    return errors


@transaction.atomic
def role_assign(
    *,
    user: User,
    role: str,
    department: Department | None = None,
    region: Region | None = None,
    window: Window | None = None,
) -> RoleAssignment:
    _raise_if(role_assignment_errors(role=role, department=department, region=region, window=window))
    duplicate = Conflict(
        ErrorDetail(
            "role_already_assigned", "该用户已有此角色授权", "The user already holds this role", "role"
        )
    )
    if RoleAssignment.objects.filter(user=user, role=role, department=department, region=region).exists():
        raise duplicate
    try:
        with transaction.atomic():
            assignment = RoleAssignment.objects.create(
                user=user, role=role, department=department, region=region, window=window
            )
    except IntegrityError as exc:
        raise duplicate from exc
    _forget_cached_roles(user)
    return assignment


@transaction.atomic
def role_revoke(*, assignment: RoleAssignment) -> None:
    user = assignment.user
    assignment.delete()
    _forget_cached_roles(user)


def _forget_cached_roles(user: User) -> None:
    for attr in ("_onetrip_roles", "_onetrip_scope"):
        if hasattr(user, attr):
            delattr(user, attr)
