"""Catalogue reads: guides, version history, and who may edit which item. (Search: catalog/search.py.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet

from onetrip.catalog.models import (
    Item,
    ItemType,
    ItemVersion,
    LegalReference,
    Material,
    ProcessStep,
    VersionStatus,
)
from onetrip.core.errors import not_found
from onetrip.orgs.models import Department, Region, Role, RoleAssignment

PUBLIC_STATUSES = (VersionStatus.PUBLISHED, VersionStatus.RETIRED)
EDITOR_ROLES = (Role.CATALOG_ADMIN, Role.SYSTEM_ADMIN)


# ------------------------------------------------------------------------------------------ editing


@dataclass(frozen=True)
class EditScope:
    """The departments whose items a user may edit: everything, a set of departments, or nothing."""

    everything: bool
    department_ids: frozenset[int]

    def allows(self, department_id: int) -> bool:
        return self.everything or department_id in self.department_ids

    @property
    def any(self) -> bool:
        return self.everything or bool(self.department_ids)


def _region_and_descendants(region_ids: set[int]) -> set[int]:
    found = set(region_ids)
    frontier = set(region_ids)
    while frontier:
        frontier = set(Region.objects.filter(parent_id__in=frontier).values_list("id", flat=True)) - found
        found |= frontier
    return found


def edit_scope(user: Any) -> EditScope:
    """System admins and unscoped catalogue admins edit everything; a catalogue admin scoped to a department
    edits that department's items, one scoped to a region the items of departments in it and below it."""
    if user is None or not user.is_authenticated:
        return EditScope(False, frozenset())
    if user.is_superuser:
        return EditScope(True, frozenset())
    assignments = list(
        RoleAssignment.objects.filter(user=user, role__in=EDITOR_ROLES).values_list(
            "role", "department_id", "region_id"
        )
    )
    departments: set[int] = set()
    regions: set[int] = set()
    for role, department_id, region_id in assignments:
        if role == Role.SYSTEM_ADMIN or (department_id is None and region_id is None):
            return EditScope(True, frozenset())
        if department_id is not None:
            departments.add(department_id)
        if region_id is not None:
            regions.add(region_id)
    if regions:
        all_regions = _region_and_descendants(regions)
        departments |= set(Department.objects.filter(region_id__in=all_regions).values_list("id", flat=True))
    return EditScope(False, frozenset(departments))


def editable_items(user: Any) -> QuerySet[Item]:
    scope = edit_scope(user)
    if scope.everything:
        return Item.objects.all()
    return Item.objects.filter(department_id__in=scope.department_ids)


# -------------------------------------------------------------------------------------------- items


def item_by_code(implementation_code: str) -> Item:
    item = Item.objects.filter(implementation_code=implementation_code).first()
    if item is None:
        raise not_found("事项", "Item", "implementation_code")
    return item


def version_by_id(version_id: int) -> ItemVersion:
    version = ItemVersion.objects.select_related("item").filter(pk=version_id).first()
    if version is None:
        raise not_found("事项版本", "Item version", "version_id")
    return version


def item_versions(item: Item, *, include_unpublished: bool) -> list[ItemVersion]:
    """The version history, newest first; the public sees published and retired versions only."""
    qs = ItemVersion.objects.filter(item=item).order_by("-version")
    if not include_unpublished:
        qs = qs.filter(status__in=PUBLIC_STATUSES)
    return list(
        qs.only(
            "id",
            "item_id",
            "version",
            "status",
            "effective_from",
            "effective_to",
            "published_at",
            "retired_at",
            "submitted_at",
            "created_at",
            "change_note",
            "name",
        )
    )


def published_version(implementation_code: str) -> ItemVersion:
    """The current published version of an item, loaded for a guide; NotFound when there is none."""
    version = (
        _guide_queryset()
        .filter(item__implementation_code=implementation_code, status=VersionStatus.PUBLISHED)
        .first()
    )
    if version is None:
        raise not_found("已发布的事项", "Published item", "implementation_code")
    return version


def version_for_guide(version_id: int) -> ItemVersion:
    version = _guide_queryset().filter(pk=version_id).first()
    if version is None:
        raise not_found("事项版本", "Item version", "version_id")
    return version


def _guide_queryset() -> QuerySet[ItemVersion]:
    references = LegalReference.objects.select_related("law")
    return ItemVersion.objects.select_related(
        "item", "item__parent", "implementing_department", "delegating_department"
    ).prefetch_related(
        Prefetch("legal_basis", queryset=references),
        "joint_departments",
        "themes",
        "situationquestions",
        "situations",
        Prefetch(
            "materials",
            queryset=Material.objects.prefetch_related(
                Prefetch("legal_basis", queryset=references), "situations", "data_elements"
            ),
        ),
        "formfields__data_element",
        Prefetch("processsteps", queryset=ProcessStep.objects.select_related("department")),
        "processtransitions",
    )


def _department(dept: Department | None) -> dict[str, Any] | None:
    if dept is None:
        return None
    return {"id": dept.pk, "code": dept.code, "name": dept.name}


def _reference(ref: LegalReference) -> dict[str, Any]:
    return {"law": ref.law.name, "article": ref.article, "excerpt": ref.excerpt}


def _limit(value: int | None, unit: str, note: str) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"value": value, "unit": unit, "note": note}


def guide(version: ItemVersion) -> dict[str, Any]:
    """Every element of a version's guide (八统一) as plain data: what the API, the portal and exports show.
    Load the version with published_version() or version_for_guide() so this makes no further queries."""
    item = version.item
    steps = list(version.processsteps.all())
    step_code = {s.pk: s.code for s in steps}
    return {
        "id": version.pk,
        "implementation_code": item.implementation_code,
        "basic_code": item.basic_code,
        "local_code": item.local_code,
        "parent_code": item.parent.implementation_code if item.parent_id else None,
        "level": item.level,
        "version": version.version,
        "status": version.status,
        "effective_from": version.effective_from,
        "effective_to": version.effective_to,
        "published_at": version.published_at,
        "change_note": version.change_note,
        "name": version.name,
        "item_type": version.item_type,
        "item_type_label": ItemType(version.item_type).label if version.item_type in ItemType.values else "",
        "power_source": version.power_source,
        "legal_basis": [_reference(r) for r in version.legal_basis.all()],
        "implementing_department": _department(version.implementing_department),
        "delegating_department": _department(version.delegating_department),
        "joint_departments": [_department(d) for d in version.joint_departments.all()],
        "service_objects": list(version.service_objects or []),
        "handling_kind": version.handling_kind,
        "acceptance_conditions": version.acceptance_conditions,
        "procedure": version.procedure,
        "handling_forms": list(version.handling_forms or []),
        "place": version.place,
        "hours": version.hours,
        "statutory_limit": _limit(
            version.statutory_limit, version.statutory_limit_unit, version.statutory_limit_note
        ),
        "promised_limit": _limit(
            version.promised_limit, version.promised_limit_unit, version.promised_limit_note
        ),
        "trips": version.trips,
        "fee_required": version.fee_required,
        "fee_basis": version.fee_basis,
        "fee_items": version.fee_items,
        "special_procedures": version.special_procedures,
        "quantity_limit": version.quantity_limit,
        "result_type": version.result_type,
        "result_name": version.result_name,
        "result_sample": version.result_sample,
        "intermediary_services": version.intermediary_services,
        "online_depth": version.online_depth,
        "post_delivery": version.post_delivery,
        "online_payment": version.online_payment,
        "appointment": version.appointment,
        "service_scope": version.service_scope,
        "themes": [{"code": t.code, "name": t.name} for t in version.themes.all()],
        "consultation": version.consultation,
        "complaint": version.complaint,
        "questions": [
            {"code": q.code, "text": q.text, "options": q.options} for q in version.situationquestions.all()
        ],
        "situations": [
            {"code": s.code, "name": s.name, "description": s.description, "conditions": s.conditions}
            for s in version.situations.all()
        ],
        "materials": [
            {
                "code": m.code,
                "name": m.name,
                "kind": m.kind,
                "necessity": m.necessity,
                "deficiency_allowed": m.deficiency_allowed,
                "source": m.source,
                "source_note": m.source_note,
                "licence_type": m.licence_type,
                "paper_copies": m.paper_copies,
                "paper_size": m.paper_size,
                "blank_form": m.blank_form,
                "sample": m.sample,
                "filling_notes": m.filling_notes,
                "acceptance_standard": m.acceptance_standard,
                "legal_basis": [_reference(r) for r in m.legal_basis.all()],
                "situations": [s.code for s in m.situations.all()],
                "data_elements": [e.code for e in m.data_elements.all()],
            }
            for m in version.materials.all()
        ],
        "form": [
            {
                "code": f.code,
                "data_element": f.data_element.code if f.data_element else None,
                "subject": f.subject,
                "label": f.label,
                "field_type": f.field_type,
                "required": f.required,
                "max_length": f.max_length,
                "options": f.options,
                "pattern": f.pattern,
                "section": f.section,
                "help_text": f.help_text,
            }
            for f in version.formfields.all()
        ],
        "process": {
            "steps": [
                {
                    "code": s.code,
                    "name": s.name,
                    "kind": s.kind,
                    "department": _department(s.department),
                    "role": s.role,
                    "limit": s.limit,
                    "limit_unit": s.limit_unit,
                    "countersign": s.countersign,
                    "timeout_policy": s.timeout_policy,
                }
                for s in steps
            ],
            "transitions": [
                {"source": step_code[t.source_id], "target": step_code[t.target_id], "condition": t.condition}
                for t in version.processtransitions.all()
            ],
        },
    }


def departments_by_id(ids: set[int]) -> dict[int, Department]:
    return Department.objects.in_bulk(list(ids))
