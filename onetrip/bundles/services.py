"""Bundle writes: bundles, versions, members, stages, the combined process, and publishing.

Every service is atomic and raises onetrip.core.errors.DomainError (or a subclass) with stable codes, so a
bad request changes nothing. Publishing validates everything at once and reports every problem together:
`empty_bundle`, `member_not_published`, `situation_not_found`, `optional_dependency`, `dependency_cycle`,
`stage_not_published`, `stage_cycle`, `process_cycle`, `conflicting_element`, `conflicting_question`,
and whatever the workflow engine refuses in the combined process, for every choice of optional members
(`join_without_matching_split`, `bundle_cannot_finish`, … see onetrip/bundles/process.py). It then pins
each member to its item's current published version (and situation), each stage to its bundle's published
version, and stores the computed snapshot (merged form and materials, combined limit, figures) on the
version.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction

from onetrip.bundles import selectors
from onetrip.bundles.critical_path import topological_order
from onetrip.bundles.models import (
    Bundle,
    BundleKind,
    BundleMember,
    BundleProcessEdge,
    BundleStage,
    BundleVersion,
)
from onetrip.bundles.process import bundle_process_errors
from onetrip.bundles.snapshot import compute
from onetrip.catalog.models import Item, LimitUnit, ServiceObject, Theme, VersionStatus
from onetrip.core import clock
from onetrip.core.audit import audit_record
from onetrip.core.errors import Conflict, DomainError, ErrorDetail, not_found
from onetrip.orgs.models import Department

SHANGHAI = ZoneInfo("Asia/Shanghai")
OPEN_STATUSES = (VersionStatus.DRAFT, VersionStatus.REVIEW)
SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,64}$")
STATED_FIELDS = tuple(
    f"stated_{m}_{side}"
    for m in ("trips", "materials", "fields", "steps", "limit")
    for side in ("before", "after")
)
TEXT_FIELDS = {"name": 200, "description": None, "change_note": None, "stated_note": None}


def today() -> dt.date:
    return clock.now().astimezone(SHANGHAI).date()


def _not_editable(version: BundleVersion) -> Conflict:
    return Conflict(
        ErrorDetail(
            "version_not_editable",
            f"第{version.version}版状态为“{version.get_status_display()}”，不能修改；请新建修订版本",
            f"Version {version.version} is {version.status} and cannot be changed; create a new draft",
        )
    )


def _locked(version: BundleVersion) -> BundleVersion:
    """Lock the version row (concurrent changes serialise) and re-read it."""
    BundleVersion.objects.select_for_update().filter(pk=version.pk).values_list("pk").get()
    version.refresh_from_db()
    return version


def _editable(version: BundleVersion) -> BundleVersion:
    version = _locked(version)
    if version.status != VersionStatus.DRAFT:
        raise _not_editable(version)
    return version


def _slug_error(value: str, field: str) -> ErrorDetail | None:
    if not SLUG.match(value or ""):
        return ErrorDetail(
            "invalid_code",
            "编码只能包含字母、数字、连字符和下划线（1至64个字符）",
            "A code is 1-64 letters, digits, hyphens or underscores",
            field,
        )
    return None


def _user(user: Any) -> Any:
    return user if getattr(user, "pk", None) else None


# ------------------------------------------------------------------------------------------- bundles


def _content_errors(data: dict[str, Any]) -> list[ErrorDetail]:
    errors: list[ErrorDetail] = []
    if "name" in data:
        name = (data["name"] or "").strip()
        if not name:
            errors.append(ErrorDetail("required", "请填写名称", "Name is required", "name"))
        elif len(name) > 200:
            errors.append(ErrorDetail("too_long", "名称不能超过200个字符", "Name is too long", "name"))
    if "kind" in data and data["kind"] not in BundleKind.values:
        errors.append(ErrorDetail("invalid_kind", "一件事类型无效", "Unknown bundle kind", "kind"))
    if "service_objects" in data:
        objects = data["service_objects"]
        if not isinstance(objects, list | tuple) or any(o not in ServiceObject.values for o in objects):
            errors.append(
                ErrorDetail(
                    "invalid_service_objects", "服务对象无效", "Unknown service object", "service_objects"
                )
            )
    for name in STATED_FIELDS:
        if name in data and data[name] is not None:
            value = data[name]
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                errors.append(
                    ErrorDetail("invalid_number", "请填写非负整数", "Must be a non-negative integer", name)
                )
    if "stated_limit_unit" in data and data["stated_limit_unit"] not in LimitUnit.values:
        errors.append(ErrorDetail("invalid_unit", "时限单位无效", "Unknown time unit", "stated_limit_unit"))
    return errors


def _themes(codes: Iterable[str], errors: list[ErrorDetail]) -> list[Theme]:
    codes = list(dict.fromkeys(codes))
    themes = list(Theme.objects.filter(code__in=codes))
    missing = set(codes) - {t.code for t in themes}
    if missing:
        errors.append(
            ErrorDetail(
                "unknown_theme",
                "主题不存在：" + "、".join(sorted(missing)),
                "Unknown themes: " + ", ".join(sorted(missing)),
                "themes",
            )
        )
    return themes


@transaction.atomic
def bundle_create(
    *,
    code: str,
    name: str,
    kind: str,
    lead_department: Department,
    description: str = "",
    themes: Sequence[str] = (),
    service_objects: Sequence[str] = (),
    user: Any = None,
) -> Bundle:
    """A new bundle with its draft version 1 (no members yet). `themes` are Theme codes."""
    errors = [e for e in [_slug_error(code, "code")] if e]
    errors += _content_errors({"name": name, "kind": kind, "service_objects": list(service_objects)})
    theme_rows = _themes(themes, errors)
    if errors:
        raise DomainError(*errors)
    duplicate = Conflict(
        ErrorDetail(
            "duplicate_code", f"一件事编码 {code} 已存在", f"Bundle code {code} already exists", "code"
        )
    )
    if Bundle.objects.filter(code=code).exists():
        raise duplicate
    try:
        with transaction.atomic():
            bundle = Bundle.objects.create(code=code, name=name.strip())
    except IntegrityError:  # a concurrent create won the race for the unique code
        raise duplicate from None
    version = BundleVersion.objects.create(
        bundle=bundle,
        version=1,
        name=name.strip(),
        kind=kind,
        lead_department=lead_department,
        description=description,
        service_objects=list(service_objects),
        created_by=_user(user),
    )
    version.themes.set(theme_rows)
    audit_record(
        actor=user,
        action="bundles.create",
        object_type="bundles.bundle",
        object_id=bundle.pk,
        data={"code": code, "name": bundle.name},
    )
    return bundle


@transaction.atomic
def bundle_version_update(*, version: BundleVersion, data: dict[str, Any], user: Any = None) -> BundleVersion:
    """Change a draft's own fields. `data` may hold name, kind, description, change_note, service_objects,
    themes (codes), lead_department (a Department or its id), the stated_* figures and stated_note."""
    version = _editable(version)
    allowed = {*TEXT_FIELDS, "kind", "service_objects", "themes", "lead_department", *STATED_FIELDS}
    allowed |= {"stated_limit_unit"}
    unknown = sorted(set(data) - allowed)
    errors = [ErrorDetail("unknown_field", f"未知字段：{k}", f"Unknown field: {k}", k) for k in unknown]
    errors += _content_errors(data)
    theme_rows = _themes(data["themes"], errors) if "themes" in data else None
    department = data.get("lead_department")
    if "lead_department" in data and not isinstance(department, Department):
        department = Department.objects.filter(pk=department).first() if department is not None else None
        if department is None:
            errors.append(
                ErrorDetail(
                    "unknown_department", "牵头部门不存在", "Unknown lead department", "lead_department"
                )
            )
    if errors:
        raise DomainError(*errors)
    changed: list[str] = []
    for key, value in data.items():
        if key in ("themes", "lead_department"):
            continue
        setattr(version, key, value.strip() if key == "name" else value)
        changed.append(key)
    if department is not None:
        version.lead_department = department
        changed.append("lead_department")
    version.save()
    if theme_rows is not None:
        version.themes.set(theme_rows)
        changed.append("themes")
    audit_record(
        actor=user,
        action="bundles.version_update",
        object_type="bundles.bundleversion",
        object_id=version.pk,
        data={"fields": sorted(changed)},
    )
    return version


# ------------------------------------------------------------------------------------------- members


def _member_codes(
    version: BundleVersion, codes: Iterable[str], field: str
) -> tuple[list[BundleMember], list[ErrorDetail]]:
    codes = list(dict.fromkeys(codes))
    rows = list(BundleMember.objects.filter(version=version, code__in=codes))
    missing = set(codes) - {m.code for m in rows}
    errors = [
        ErrorDetail("unknown_member", f"成员“{c}”不存在", f"Member '{c}' does not exist", field)
        for c in sorted(missing)
    ]
    return rows, errors


@transaction.atomic
def bundle_member_add(
    *,
    version: BundleVersion,
    item: Item,
    code: str = "",
    situation_code: str = "",
    optional: bool = False,
    depends_on: Sequence[str] = (),
    order: int | None = None,
    user: Any = None,
) -> BundleMember:
    """Add an item (optionally one situation of it) as a member. `code` defaults to m1, m2, …; the item's
    version is resolved when the bundle is published (an unpublished item is reported then)."""
    version = _editable(version)
    existing = list(
        BundleMember.objects.filter(version=version).values_list("code", "item_id", "situation_code", "order")
    )
    if not code:
        n = len(existing) + 1
        taken = {c for c, *_ in existing}
        while f"m{n}" in taken:
            n += 1
        code = f"m{n}"
    errors = [e for e in [_slug_error(code, "code")] if e]
    if situation_code and (err := _slug_error(situation_code, "situation_code")):
        errors.append(err)
    if any(c == code for c, *_ in existing):
        errors.append(
            ErrorDetail("duplicate_member", f"成员编码“{code}”已存在", f"Member code '{code}' exists", "code")
        )
    if any(i == item.pk and s == (situation_code or "") for _, i, s, _ in existing):
        errors.append(
            ErrorDetail(
                "duplicate_member",
                "该事项（及情形）已是本一件事的成员",
                "This item (and situation) is already a member",
                "item",
            )
        )
    dependencies, dep_errors = _member_codes(version, depends_on, "depends_on")
    errors += dep_errors
    if errors:
        raise DomainError(*errors)
    member = BundleMember.objects.create(
        version=version,
        code=code,
        item=item,
        situation_code=situation_code or "",
        optional=optional,
        order=order if order is not None else max((o for *_, o in existing), default=0) + 1,
    )
    member.depends_on.set(dependencies)
    audit_record(
        actor=user,
        action="bundles.member_add",
        object_type="bundles.bundleversion",
        object_id=version.pk,
        data={"member": code, "item": item.implementation_code, "optional": optional},
    )
    return member


@transaction.atomic
def bundle_member_update(
    *,
    member: BundleMember,
    optional: bool | None = None,
    situation_code: str | None = None,
    depends_on: Sequence[str] | None = None,
    order: int | None = None,
    user: Any = None,
) -> BundleMember:
    """Change a member of a draft: optional (点单), situation, dependencies (member codes), order."""
    version = _editable(member.version)
    member.refresh_from_db()
    errors: list[ErrorDetail] = []
    if situation_code and (err := _slug_error(situation_code, "situation_code")):
        errors.append(err)
    dependencies: list[BundleMember] = []
    if depends_on is not None:
        dependencies, dep_errors = _member_codes(version, depends_on, "depends_on")
        errors += dep_errors
        if member.code in depends_on:
            errors.append(
                ErrorDetail(
                    "dependency_cycle", "成员不能依赖自身", "A member cannot depend on itself", "depends_on"
                )
            )
    if errors:
        raise DomainError(*errors)
    if optional is not None:
        member.optional = optional
    if situation_code is not None:
        member.situation_code = situation_code
    if order is not None:
        member.order = order
    member.save()
    if depends_on is not None:
        member.depends_on.set(dependencies)
    audit_record(
        actor=user,
        action="bundles.member_update",
        object_type="bundles.bundleversion",
        object_id=version.pk,
        data={"member": member.code},
    )
    return member


@transaction.atomic
def bundle_member_remove(*, member: BundleMember, user: Any = None) -> None:
    """Remove a member of a draft with its process edges; other members stop depending on it."""
    version = _editable(member.version)
    code = member.code
    member.dependents.clear()
    member.delete()
    audit_record(
        actor=user,
        action="bundles.member_remove",
        object_type="bundles.bundleversion",
        object_id=version.pk,
        data={"member": code},
    )


# ----------------------------------------------------------------------------- process and stages


@transaction.atomic
def bundle_process_set(
    *, version: BundleVersion, edges: Sequence[tuple[str, str]], user: Any = None
) -> list[BundleProcessEdge]:
    """Replace the combined process: each (a, b) of member codes means b starts after a has finished;
    members with no path between them run in parallel. A cycle is refused (`process_cycle`)."""
    version = _editable(version)
    members = {m.code: m for m in BundleMember.objects.filter(version=version)}
    errors: list[ErrorDetail] = []
    pairs = list(dict.fromkeys((a, b) for a, b in edges))
    for i, (a, b) in enumerate(pairs):
        for c in (a, b):
            if c not in members:
                errors.append(
                    ErrorDetail(
                        "unknown_member", f"成员“{c}”不存在", f"Member '{c}' does not exist", "edges", i + 1
                    )
                )
        if a == b:
            errors.append(
                ErrorDetail("process_cycle", "连线不能指向自身", "An edge cannot loop", "edges", i + 1)
            )
    if not errors:
        _, cyclic = topological_order(list(members), pairs)
        if cyclic:
            errors.append(
                ErrorDetail(
                    "process_cycle",
                    "联办流程存在循环：" + "、".join(cyclic),
                    "The combined process has a cycle: " + ", ".join(cyclic),
                    "edges",
                )
            )
    if errors:
        raise DomainError(*errors)
    BundleProcessEdge.objects.filter(version=version).delete()
    rows = BundleProcessEdge.objects.bulk_create(
        BundleProcessEdge(version=version, order=i, source=members[a], target=members[b])
        for i, (a, b) in enumerate(pairs)
    )
    audit_record(
        actor=user,
        action="bundles.process_set",
        object_type="bundles.bundleversion",
        object_id=version.pk,
        data={"edges": [list(p) for p in pairs]},
    )
    return rows


@transaction.atomic
def bundle_stage_add(
    *,
    version: BundleVersion,
    code: str,
    name: str,
    stage_bundle: Bundle,
    predecessors: Sequence[str] = (),
    order: int | None = None,
    user: Any = None,
) -> BundleStage:
    """Add a phase (its own bundle, with its own lead department) after the given predecessor stages."""
    version = _editable(version)
    errors = [e for e in [_slug_error(code, "code")] if e]
    name = (name or "").strip()
    if not name or len(name) > 64:
        errors.append(
            ErrorDetail(
                "invalid_name", "请填写阶段名称（不超过64字）", "Stage name is 1-64 characters", "name"
            )
        )
    if BundleStage.objects.filter(version=version, code=code).exists():
        errors.append(
            ErrorDetail("duplicate_stage", f"阶段编码“{code}”已存在", f"Stage '{code}' exists", "code")
        )
    if stage_bundle.pk == version.bundle_id:
        errors.append(
            ErrorDetail(
                "stage_cycle", "阶段不能是本一件事自身", "A bundle cannot be its own stage", "stage_bundle"
            )
        )
    preds = list(BundleStage.objects.filter(version=version, code__in=list(predecessors)))
    missing = set(predecessors) - {p.code for p in preds}
    errors += [
        ErrorDetail("unknown_stage", f"阶段“{c}”不存在", f"Stage '{c}' does not exist", "predecessors")
        for c in sorted(missing)
    ]
    if errors:
        raise DomainError(*errors)
    last = (
        BundleStage.objects.filter(version=version).order_by("-order").values_list("order", flat=True).first()
    )
    stage = BundleStage.objects.create(
        version=version,
        code=code,
        name=name,
        stage_bundle=stage_bundle,
        order=order if order is not None else (last or 0) + 1,
    )
    stage.predecessors.set(preds)
    audit_record(
        actor=user,
        action="bundles.stage_add",
        object_type="bundles.bundleversion",
        object_id=version.pk,
        data={"stage": code, "bundle": stage_bundle.code},
    )
    return stage


@transaction.atomic
def bundle_stage_set_predecessors(
    *, stage: BundleStage, predecessors: Sequence[str], user: Any = None
) -> BundleStage:
    """Replace a stage's predecessors (stage codes of the same version); cycles are reported at publish."""
    version = _editable(stage.version)
    preds = list(BundleStage.objects.filter(version=version, code__in=list(predecessors)))
    missing = set(predecessors) - {p.code for p in preds}
    if missing:
        raise DomainError(
            *(
                ErrorDetail(
                    "unknown_stage", f"阶段“{c}”不存在", f"Stage '{c}' does not exist", "predecessors"
                )
                for c in sorted(missing)
            )
        )
    stage.predecessors.set(preds)
    audit_record(
        actor=user,
        action="bundles.stage_update",
        object_type="bundles.bundleversion",
        object_id=version.pk,
        data={"stage": stage.code, "predecessors": sorted(p.code for p in preds)},
    )
    return stage


@transaction.atomic
def bundle_stage_remove(*, stage: BundleStage, user: Any = None) -> None:
    version = _editable(stage.version)
    code = stage.code
    stage.successors.clear()
    stage.delete()
    audit_record(
        actor=user,
        action="bundles.stage_remove",
        object_type="bundles.bundleversion",
        object_id=version.pk,
        data={"stage": code},
    )


# ---------------------------------------------------------------------------------------- validation


def _validate(version: BundleVersion) -> tuple[list[ErrorDetail], dict[str, Any], list[Any], list[Any]]:
    """Every problem that stops publishing, the snapshot publishing would store, the members with their
    resolved (item version, situation), and the stages with their stage bundle's published version."""
    errors: list[ErrorDetail] = []
    members = selectors._members_for_compute(version)
    stages = list(
        version.bundlestages.select_related("stage_bundle", "stage_bundle__current_version")
        .prefetch_related("predecessors")
        .order_by("order", "id")
    )
    if not members and not stages:
        errors.append(
            ErrorDetail(
                "empty_bundle",
                "一件事至少需要一个成员事项或阶段",
                "A bundle needs a member or a stage",
                "members",
            )
        )
    resolved = selectors.resolve_members(members, frozen=False)
    for m in members:
        iv, situation = resolved[m.pk]
        if iv is None:
            errors.append(
                ErrorDetail(
                    "member_not_published",
                    f"成员“{m.code}”的事项“{m.item.name}”没有已发布的版本",
                    f"Member '{m.code}': item {m.item.implementation_code} has no published version",
                    f"members.{m.code}.item",
                )
            )
        elif m.situation_code and situation is None:
            errors.append(
                ErrorDetail(
                    "situation_not_found",
                    f"成员“{m.code}”的事项没有编码为“{m.situation_code}”的办事情形",
                    f"Member '{m.code}': the item has no situation '{m.situation_code}'",
                    f"members.{m.code}.situation_code",
                )
            )
    by_code = {m.code: m for m in members}
    dependency_edges = []
    for m in members:
        for d in m.depends_on.all():
            dependency_edges.append((d.code, m.code))
            if not m.optional and by_code[d.code].optional:
                errors.append(
                    ErrorDetail(
                        "optional_dependency",
                        f"必选成员“{m.code}”依赖可选成员“{d.code}”；被依赖的成员应为必选",
                        f"Mandatory member '{m.code}' depends on optional member '{d.code}'",
                        f"members.{m.code}.depends_on",
                    )
                )
    _, cyclic = topological_order(list(by_code), dependency_edges)
    if cyclic:
        errors.append(
            ErrorDetail(
                "dependency_cycle",
                "成员之间的依赖存在循环：" + "、".join(cyclic),
                "Members depend on each other in a cycle: " + ", ".join(cyclic),
                "members",
            )
        )
    stage_versions = []
    for s in stages:
        current = s.stage_bundle.current_version
        if s.stage_bundle_id == version.bundle_id:
            errors.append(
                ErrorDetail(
                    "stage_cycle",
                    "阶段不能是本一件事自身",
                    "A bundle cannot be its own stage",
                    f"stages.{s.code}",
                )
            )
        elif current is None or current.status != VersionStatus.PUBLISHED:
            errors.append(
                ErrorDetail(
                    "stage_not_published",
                    f"阶段“{s.name}”的一件事“{s.stage_bundle.code}”没有已发布的版本",
                    f"Stage '{s.code}': bundle {s.stage_bundle.code} has no published version",
                    f"stages.{s.code}.stage_bundle",
                )
            )
        elif BundleStage.objects.filter(version=current, stage_bundle_id=version.bundle_id).exists():
            errors.append(
                ErrorDetail(
                    "stage_cycle",
                    f"阶段“{s.name}”的一件事又把本一件事作为阶段",
                    f"Stage '{s.code}' has this bundle as one of its own stages",
                    f"stages.{s.code}.stage_bundle",
                )
            )
        stage_versions.append((s, current))
    stage_edges = [(p.code, s.code) for s in stages for p in s.predecessors.all()]
    _, cyclic = topological_order([s.code for s in stages], stage_edges)
    if cyclic:
        errors.append(
            ErrorDetail(
                "stage_cycle",
                "阶段的前后顺序存在循环：" + "、".join(cyclic),
                "The stages' order has a cycle: " + ", ".join(cyclic),
                "stages",
            )
        )
    specs = selectors.member_specs(members, resolved)
    snapshot, merge_errors = compute(
        name=version.name,
        members=specs,
        edges=selectors.version_edges(version),
        stated=selectors.stated_figures(version),
    )
    snapshot["stages"] = [
        {
            "code": s.code,
            "name": s.name,
            "bundle": s.stage_bundle.code,
            "predecessors": sorted(p.code for p in s.predecessors.all()),
        }
        for s in stages
    ]
    errors += merge_errors
    pins = [(m, *resolved[m.pk]) for m in members]
    if members and not errors:
        # A bundle that publishes can run: its combined process, as dispatch will build it, through the
        # engine for every choice of optional members.
        errors += bundle_process_errors(
            version, [(m, iv, s) for m, iv, s in pins if iv is not None], selectors.version_edges(version)
        )
    return errors, snapshot, pins, stage_versions


def bundle_version_check(*, version: BundleVersion) -> list[ErrorDetail]:
    """What publishing this version would refuse (empty when it can be published); changes nothing."""
    return _validate(version)[0]


# ------------------------------------------------------------------------------------ status moves


@transaction.atomic
def bundle_version_submit(*, version: BundleVersion, user: Any = None) -> BundleVersion:
    """Draft → review, if publishing would accept it (all problems are reported together)."""
    version = _locked(version)
    if version.status != VersionStatus.DRAFT:
        raise _not_editable(version)
    errors = _validate(version)[0]
    if errors:
        raise DomainError(*errors)
    version.status = VersionStatus.REVIEW
    version.submitted_at = clock.now()
    version.save(update_fields=["status", "submitted_at"])
    audit_record(
        actor=user, action="bundles.version_submit", object_type="bundles.bundleversion", object_id=version.pk
    )
    return version


@transaction.atomic
def bundle_version_return(*, version: BundleVersion, user: Any = None) -> BundleVersion:
    """Review → draft, so the author can change it."""
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
        actor=user, action="bundles.version_return", object_type="bundles.bundleversion", object_id=version.pk
    )
    return version


def bundle_sync_fields(*, bundle: Bundle) -> Bundle:
    """Copy the current published version's list fields onto the bundle (or clear them)."""
    current = (
        BundleVersion.objects.filter(bundle=bundle, status=VersionStatus.PUBLISHED).only("id", "name").first()
    )
    bundle.current_version = current
    bundle.is_published = current is not None
    if current is not None:
        bundle.name = current.name
    bundle.save(update_fields=["current_version", "is_published", "name"])
    return bundle


@transaction.atomic
def bundle_version_publish(
    *,
    version: BundleVersion,
    user: Any = None,
    effective_from: dt.date | None = None,
    require_review: bool = False,
) -> BundleVersion:
    """Review (or, unless `require_review`, a valid draft: demo data and imports) → published. Validates
    everything at once, pins members and stages, stores the computed snapshot, retires the previous
    published version (effective_to = this version's effective_from, exclusive)."""
    Bundle.objects.select_for_update().filter(pk=version.bundle_id).first()
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
    errors: list[ErrorDetail] = []
    if effective_from > today():
        errors.append(
            ErrorDetail(
                "effective_from_in_future",
                "生效日期不能晚于今天；未来生效的版本请在生效当日发布",
                "effective_from may not be in the future; publish the version on that day",
                "effective_from",
            )
        )
    problems, snapshot, pins, stage_versions = _validate(version)
    errors += problems
    if errors:
        raise DomainError(*errors)

    for member, item_version, situation in pins:
        member.item_version, member.situation = item_version, situation
        member.save(update_fields=["item_version", "situation"])
    for stage, stage_version in stage_versions:
        stage.stage_version = stage_version
        stage.save(update_fields=["stage_version"])
    now = clock.now()
    previous = (
        BundleVersion.objects.select_for_update()
        .filter(bundle_id=version.bundle_id, status=VersionStatus.PUBLISHED)
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
    version.reviewed_by = _user(user)
    version.submitted_at = version.submitted_at or now
    version.computed = snapshot
    version.save(
        update_fields=[
            "status",
            "effective_from",
            "effective_to",
            "published_at",
            "reviewed_by",
            "submitted_at",
            "computed",
        ]
    )
    bundle_sync_fields(bundle=version.bundle)
    audit_record(
        actor=user,
        action="bundles.version_publish",
        object_type="bundles.bundleversion",
        object_id=version.pk,
        data={
            "bundle": version.bundle.code,
            "version": version.version,
            "retired_version": previous.version if previous else None,
            "members": {m.code: iv.item.implementation_code + f" v{iv.version}" for m, iv, _ in pins if iv},
        },
    )
    return version


@transaction.atomic
def bundle_version_retire(*, version: BundleVersion, user: Any = None) -> BundleVersion:
    """Published → retired: the bundle leaves the public list until another version is published."""
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
    bundle_sync_fields(bundle=version.bundle)
    audit_record(
        actor=user,
        action="bundles.version_retire",
        object_type="bundles.bundleversion",
        object_id=version.pk,
        data={"bundle": version.bundle.code, "version": version.version},
    )
    return version


@transaction.atomic
def bundle_version_new_draft(*, bundle: Bundle, user: Any = None) -> BundleVersion:
    """Version N+1 as a draft copied from the latest version: content, themes, members (item + situation
    code, not the pins, so publishing picks up the items' newer guides), dependencies, process, stages."""
    Bundle.objects.select_for_update().filter(pk=bundle.pk).first()
    versions = BundleVersion.objects.filter(bundle=bundle)
    open_version = versions.filter(status__in=OPEN_STATUSES).order_by("-version").first()
    if open_version is not None:
        raise Conflict(
            ErrorDetail(
                "draft_exists",
                f"该一件事已有未发布的第{open_version.version}版（{open_version.get_status_display()}），请先完成或修改它",
                f"Version {open_version.version} is still {open_version.status}; finish it first",
            )
        )
    latest = versions.order_by("-version").first()
    if latest is None:
        raise not_found("一件事版本", "Bundle version")
    content = {
        f.attname: getattr(latest, f.attname)
        for f in BundleVersion._meta.concrete_fields
        if f.name
        not in {
            "id",
            "version",
            "status",
            "effective_from",
            "effective_to",
            "change_note",
            "created_at",
            "created_by",
            "submitted_at",
            "reviewed_by",
            "published_at",
            "retired_at",
            "computed",
        }
    }
    new = BundleVersion.objects.create(**content, version=latest.version + 1, created_by=_user(user))
    new.themes.set(latest.themes.all())
    old_members = list(latest.bundlemembers.prefetch_related("depends_on").order_by("order", "id"))
    copies = {
        m.pk: BundleMember.objects.create(
            version=new,
            code=m.code,
            item_id=m.item_id,
            situation_code=m.situation_code,
            optional=m.optional,
            order=m.order,
        )
        for m in old_members
    }
    for m in old_members:
        copies[m.pk].depends_on.set([copies[d.pk] for d in m.depends_on.all()])
    BundleProcessEdge.objects.bulk_create(
        BundleProcessEdge(version=new, order=e.order, source=copies[e.source_id], target=copies[e.target_id])
        for e in latest.bundleprocessedges.all()
    )
    old_stages = list(latest.bundlestages.prefetch_related("predecessors").order_by("order", "id"))
    stage_copies = {
        s.pk: BundleStage.objects.create(
            version=new, code=s.code, name=s.name, stage_bundle_id=s.stage_bundle_id, order=s.order
        )
        for s in old_stages
    }
    for s in old_stages:
        stage_copies[s.pk].predecessors.set([stage_copies[p.pk] for p in s.predecessors.all()])
    audit_record(
        actor=user,
        action="bundles.version_new_draft",
        object_type="bundles.bundleversion",
        object_id=new.pk,
        data={"bundle": bundle.code, "from_version": latest.version},
    )
    return new
