"""Data-sharing reads: the catalogue tree (目录树), each bundle's data-sharing coverage, which materials
e-licences and shared data provide, "materials avoided" figures, and the access log by subject and per day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, Sum
from django.utils import timezone

from onetrip.bundles import selectors as bundle_selectors
from onetrip.bundles.merge import MERGED_FORM_KEY
from onetrip.bundles.models import BundleVersion
from onetrip.catalog.models import FormField, Item, Material
from onetrip.core import clock
from onetrip.sharing.models import (
    AccessDailyCount,
    AccessLogEntry,
    DataSource,
    Licence,
    LicenceStatus,
    LicenceType,
    SourceElement,
)
from onetrip.sharing.services import PrefillResult, subject_hash

# ----------------------------------------------------------------------------------- registry reads


def element_sources(codes: Iterable[str] | None = None) -> dict[str, list[SourceElement]]:
    """Data element code → the active sources providing it, best authority first."""
    qs = SourceElement.objects.filter(source__is_active=True).select_related(
        "source", "source__department", "element"
    )
    if codes is not None:
        qs = qs.filter(element__code__in=list(codes))
    out: dict[str, list[SourceElement]] = {}
    for b in qs.order_by("authority_rank", "source__code"):
        out.setdefault(b.element.code, []).append(b)
    return out


def licence_types_by_material_type() -> dict[str, LicenceType]:
    return {t.satisfies: t for t in LicenceType.objects.select_related("issuer")}


# ---------------------------------------------------------------------------------- catalogue tree


@dataclass
class SourceNode:
    code: str
    name: str
    department: str
    sensitivity: str
    authority_rank: int
    authoritative: bool


@dataclass
class ElementNode:
    code: str
    name: str
    sources: list[SourceNode]


@dataclass
class MaterialNode:
    code: str
    name: str
    source: str
    licence_type: str
    licence_issuer: str
    elements: list[ElementNode]

    @property
    def shared(self) -> bool:
        """Provided by an e-licence type in the register, or every data element by some source."""
        return bool(self.licence_issuer) or (bool(self.elements) and all(e.sources for e in self.elements))


@dataclass
class ItemNode:
    code: str
    name: str
    department: str
    materials: list[MaterialNode]
    fields: list[ElementNode]  # the form's data elements


@dataclass
class TreePage:
    items: list[ItemNode]
    next_after: str | None


def _element_node(code: str, name: str, sources: Mapping[str, list[SourceElement]]) -> ElementNode:
    return ElementNode(
        code,
        name,
        [
            SourceNode(
                b.source.code,
                b.source.name,
                b.source.department.name,
                b.source.sensitivity,
                b.authority_rank,
                b.authoritative,
            )
            for b in sources.get(code, ())
        ],
    )


def catalogue_tree(*, after: str | None = None, limit: int = 50, query: str = "") -> TreePage:
    """Published items by implementation code (keyset pages) → materials → data elements → sources; each
    item also lists its form's data elements and their sources."""
    limit = max(1, min(limit, 500))
    qs = Item.objects.filter(is_published=True, current_version__isnull=False).select_related("department")
    if after:
        qs = qs.filter(implementation_code__gt=after)
    if query:
        qs = qs.filter(name__contains=query)
    items = list(qs.order_by("implementation_code")[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    version_ids = [i.current_version_id for i in items]
    materials = (
        Material.objects.filter(version_id__in=version_ids)
        .prefetch_related(Prefetch("data_elements", to_attr="element_rows"))
        .order_by("order", "id")
    )
    fields = (
        FormField.objects.filter(version_id__in=version_ids, data_element__isnull=False)
        .select_related("data_element")
        .order_by("order", "id")
    )
    sources = element_sources()
    licence_types = licence_types_by_material_type()
    by_version_m: dict[int, list[MaterialNode]] = {v: [] for v in version_ids}
    for m in materials:
        lt = licence_types.get(m.licence_type) if m.licence_type else None
        by_version_m[m.version_id].append(
            MaterialNode(
                m.code,
                m.name,
                m.get_source_display(),
                m.licence_type,
                lt.issuer.name if lt else "",
                [
                    _element_node(e.code, e.name, sources)
                    for e in sorted(m.element_rows, key=lambda e: e.code)
                ],
            )
        )
    by_version_f: dict[int, list[ElementNode]] = {v: [] for v in version_ids}
    for f in fields:
        element = f.data_element
        assert element is not None
        by_version_f[f.version_id].append(_element_node(element.code, element.name, sources))
    nodes = [
        ItemNode(
            i.implementation_code,
            i.name,
            i.department.name,
            by_version_m[i.current_version_id or 0],
            by_version_f[i.current_version_id or 0],
        )
        for i in items
    ]
    return TreePage(nodes, items[-1].implementation_code if more and items else None)


# ---------------------------------------------------------------------------------- bundle coverage


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class Coverage:
    bundle_code: str
    bundle_name: str
    fields: int
    fields_covered: int
    materials: int
    materials_covered: int
    uncovered_fields: list[str] = field(default_factory=list)
    uncovered_materials: list[str] = field(default_factory=list)

    @property
    def fields_rate(self) -> Decimal | None:
        return _rate(self.fields_covered, self.fields)

    @property
    def materials_rate(self) -> Decimal | None:
        return _rate(self.materials_covered, self.materials)

    @property
    def rate(self) -> Decimal | None:
        """Fields and materials together: the share data sharing provides (数据共享率)."""
        return _rate(self.fields_covered + self.materials_covered, self.fields + self.materials)

    def as_dict(self) -> dict[str, Any]:
        return {
            "bundle": self.bundle_code,
            "name": self.bundle_name,
            "fields": self.fields,
            "fields_covered": self.fields_covered,
            "materials": self.materials,
            "materials_covered": self.materials_covered,
            "fields_rate": None if self.fields_rate is None else str(self.fields_rate),
            "materials_rate": None if self.materials_rate is None else str(self.materials_rate),
            "rate": None if self.rate is None else str(self.rate),
            "uncovered_fields": self.uncovered_fields,
            "uncovered_materials": self.uncovered_materials,
        }


def bundle_coverage(version: BundleVersion) -> Coverage:
    """A field is covered when an active source provides its data element; a material when the bundle
    already obtains it from shared data or an e-licence (not to be submitted), when its e-licence type is in
    the register, or when sources provide all of its data elements. The merged application form itself is
    a material the applicant still signs and submits, so it never counts as covered."""
    form = bundle_selectors.merged_form(version)
    materials = bundle_selectors.merged_materials(version)["materials"]
    provided = set(
        SourceElement.objects.filter(source__is_active=True).values_list("element__code", flat=True)
    )
    licence_types = set(LicenceType.objects.values_list("satisfies", flat=True))
    cov = Coverage(version.bundle.code, version.name, 0, 0, 0, 0)
    for f in form["fields"]:
        cov.fields += 1
        if f["data_element"] and f["data_element"] in provided:
            cov.fields_covered += 1
        else:
            cov.uncovered_fields.append(f["label"])
    for m in materials:
        cov.materials += 1
        covered = m["key"] != MERGED_FORM_KEY and (
            m["not_submitted"]
            or (m["licence_type"] and m["licence_type"] in licence_types)
            or (m["data_elements"] and all(e in provided for e in m["data_elements"]))
        )
        if covered:
            cov.materials_covered += 1
        else:
            cov.uncovered_materials.append(m["name"])
    return cov


def bundles_coverage() -> list[Coverage]:
    versions = BundleVersion.objects.filter(status="published").select_related("bundle").order_by("name")
    return [bundle_coverage(v) for v in versions]


# ------------------------------------------------------------------------------ licences, materials


def _holder_key(holder: Any) -> str:
    if isinstance(holder, str):
        return holder.strip().upper()
    return (getattr(holder, "id_number", "") or getattr(holder, "organisation_code", "") or "").upper()


def _material_key_type(material: Any) -> tuple[str, str]:
    if isinstance(material, Mapping):
        return str(material.get("key") or material.get("code")), str(material.get("licence_type") or "")
    return str(getattr(material, "key", None) or material.code), str(material.licence_type or "")


def valid_licences(holder: Any, *, on: dt.date | None = None) -> list[Licence]:
    key = _holder_key(holder)
    if not key:
        return []
    today = on or timezone.localtime(clock.now()).date()
    return list(
        Licence.objects.filter(holder=key, status=LicenceStatus.VALID, valid_from__lte=today)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .select_related("licence_type", "issuer")
        .order_by("-issued_at")
    )


def materials_satisfied_by_licences(*, holder: Any, materials: Iterable[Any]) -> dict[str, Licence]:
    """Material key → the holder's valid e-licence of the material's licence type. `materials` are merged
    materials (dicts with `key`), catalogue Materials (by `code`) or anything with `key`/`licence_type`."""
    wanted = [_material_key_type(m) for m in materials]
    if not any(t for _, t in wanted):
        return {}
    by_type: dict[str, Licence] = {}
    for licence in valid_licences(holder):
        by_type.setdefault(licence.licence_type.satisfies, licence)
    return {key: by_type[t] for key, t in wanted if t and t in by_type}


@dataclass(frozen=True)
class ProvidedMaterial:
    state: str  # "e_licence" or "shared" (intake's MaterialState values)
    note: str  # what the applicant sees: where it came from


def materials_provided(
    *, holder: Any, materials: Iterable[Any], prefill_result: PrefillResult | None = None
) -> dict[str, ProvidedMaterial]:
    """Which materials the applicant need not supply, and from where: an e-licence the holder has, or shared
    data that prefill read for every one of the material's data elements."""
    materials = list(materials)
    out: dict[str, ProvidedMaterial] = {}
    for key, licence in materials_satisfied_by_licences(holder=holder, materials=materials).items():
        out[key] = ProvidedMaterial(
            "e_licence",
            f"电子证照：{licence.licence_type.name}（{licence.issuer.name}，编号 {licence.number}）",
        )
    if prefill_result is None:
        return out
    for m in materials:
        key = _material_key_type(m)[0]
        elements = m.get("data_elements") if isinstance(m, Mapping) else None
        if key in out or not elements or key == MERGED_FORM_KEY:
            continue
        if all(e in prefill_result.values for e in elements):
            labels = sorted({prefill_result.label(e) for e in elements})
            out[key] = ProvidedMaterial("shared", "共享数据：" + "、".join(labels))
    return out


def case_materials_avoided(case: Any) -> dict[str, int]:
    """For one case: materials on its checklist, and those provided by e-licence or shared data."""
    from onetrip.intake.models import MaterialState

    counts = case.application.materials.aggregate(
        total=Count("id"),
        e_licence=Count("id", filter=Q(state=MaterialState.E_LICENCE)),
        shared=Count("id", filter=Q(state=MaterialState.SHARED)),
    )
    return {**counts, "avoided": counts["e_licence"] + counts["shared"]}


def bundle_materials_avoided(version: BundleVersion) -> dict[str, Any]:
    """Per bundle version: the materials its design avoids (not to be submitted), and what its cases
    actually avoided (e-licence or shared data on their checklists), with the average per case."""
    from onetrip.intake.models import ApplicationMaterial, Case, MaterialState

    merged = bundle_selectors.merged_materials(version)
    designed = sum(1 for m in merged["materials"] if m["not_submitted"])
    cases = Case.objects.filter(bundle_version=version).count()
    avoided = ApplicationMaterial.objects.filter(
        application__case__bundle_version=version, state__in=[MaterialState.E_LICENCE, MaterialState.SHARED]
    ).count()
    return {
        "bundle": version.bundle.code,
        "materials": merged["distinct"],
        "designed_avoided": designed,
        "cases": cases,
        "avoided_in_cases": avoided,
        "avoided_per_case": None if not cases else str((Decimal(avoided) / cases).quantize(Decimal("0.01"))),
    }


# ------------------------------------------------------------------------------------- access log


@dataclass
class LogPage:
    entries: list[AccessLogEntry]
    next_before: int | None


def access_log_for_subject(key: str, *, before: int | None = None, limit: int = 50) -> LogPage:
    """Who read this person's (or company's) data, newest first (ids grow with time); keyset pages on id."""
    limit = max(1, min(limit, 200))
    qs = AccessLogEntry.objects.filter(subject_hash=subject_hash(key))
    if before is not None:
        qs = qs.filter(id__lt=before)
    rows = list(
        qs.select_related("source", "source__department", "actor_department", "case").order_by("-id")[
            : limit + 1
        ]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return LogPage(rows, rows[-1].pk if more and rows else None)


def daily_counts(*, since: dt.date, until: dt.date, source_code: str | None = None) -> list[dict[str, Any]]:
    qs = AccessDailyCount.objects.filter(day__gte=since, day__lte=until).select_related("source")
    if source_code:
        qs = qs.filter(source__code=source_code)
    return [
        {
            "day": r.day.isoformat(),
            "source": r.source.code,
            "source_name": r.source.name,
            "calls": r.calls,
            "elements": r.elements,
            "failures": r.failures,
        }
        for r in qs.order_by("day", "source__code")
    ]


def daily_totals(*, since: dt.date, until: dt.date) -> dict[str, int]:
    agg = AccessDailyCount.objects.filter(day__gte=since, day__lte=until).aggregate(
        calls=Sum("calls"), elements=Sum("elements"), failures=Sum("failures")
    )
    return {k: int(v or 0) for k, v in agg.items()}


def sources_list() -> list[DataSource]:
    return list(
        DataSource.objects.select_related("department")
        .prefetch_related(Prefetch("elements", queryset=SourceElement.objects.select_related("element")))
        .order_by("code")
    )
