"""Bundle reads. A published (or retired) version's merged form, materials, limit and figures are read from
its `computed` snapshot — one row; a draft is previewed by computing the same snapshot from the members'
current published item versions.

A published or retired version never changes (its members, their pinned item versions and its snapshot are
frozen at publish), so reads of it that hot paths repeat — the decoded snapshot, and what callers derive from
it — are kept per process in a small cache keyed by version id (`frozen_cached`). An entry is dropped whenever
that BundleVersion row is saved or deleted through the ORM (publishing, retiring, or a test database reusing
an id), so a cached read is always of the row as it was frozen."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.signals import post_delete, post_save

from onetrip.bundles.models import Bundle, BundleMember, BundleProcessEdge, BundleStage, BundleVersion
from onetrip.bundles.projection import DepartmentForm, project
from onetrip.bundles.snapshot import compute
from onetrip.bundles.spec import (
    FieldSpec,
    MaterialSpec,
    MemberSpec,
    QuestionSpec,
    StepSpec,
    member_from_dict,
)
from onetrip.catalog.models import (
    FormField,
    HandlingKind,
    ItemVersion,
    Material,
    ProcessStep,
    Situation,
    SituationQuestion,
    VersionStatus,
)
from onetrip.core.errors import DomainError, ErrorDetail, not_found

FROZEN_STATUSES = (VersionStatus.PUBLISHED, VersionStatus.RETIRED)
PUBLIC_STATUSES = FROZEN_STATUSES

# --------------------------------------------------------------------- cache of frozen version reads

T = TypeVar("T")
FROZEN_CACHE_VERSIONS = 256  # versions kept per process; a full cache starts again empty
_frozen: dict[int, dict[str, Any]] = {}
_frozen_lock = threading.Lock()


def frozen_cached(version_id: int, name: str, load: Callable[[], T]) -> T:
    """`load()` for a published or retired bundle version, computed once per process and kept under
    (version_id, name). Only for reads of a frozen version (the caller checks the status); the value is
    shared, so callers must treat it as read-only."""
    entry = _frozen.get(version_id)
    if entry is not None and name in entry:
        return entry[name]  # type: ignore[no-any-return]
    value = load()
    with _frozen_lock:
        if len(_frozen) >= FROZEN_CACHE_VERSIONS and version_id not in _frozen:
            _frozen.clear()
        _frozen.setdefault(version_id, {})[name] = value
    return value


def frozen_cache_clear(version_id: int | None = None) -> None:
    with _frozen_lock:
        if version_id is None:
            _frozen.clear()
        else:
            _frozen.pop(version_id, None)


def _drop_frozen(sender: Any, instance: BundleVersion, **kwargs: Any) -> None:
    frozen_cache_clear(instance.pk)


post_save.connect(_drop_frozen, sender=BundleVersion, dispatch_uid="bundles_frozen_cache_save")
post_delete.connect(_drop_frozen, sender=BundleVersion, dispatch_uid="bundles_frozen_cache_delete")


# ------------------------------------------------------------------------------------------- bundles


def bundle_by_code(code: str) -> Bundle:
    bundle = Bundle.objects.filter(code=code).first()
    if bundle is None:
        raise not_found("一件事", "Bundle", "code")
    return bundle


def _version_queryset() -> QuerySet[BundleVersion]:
    return BundleVersion.objects.select_related("bundle", "lead_department").prefetch_related("themes")


def version_by_id(version_id: int) -> BundleVersion:
    version = _version_queryset().filter(pk=version_id).first()
    if version is None:
        raise not_found("一件事版本", "Bundle version", "version_id")
    return version


def published_version(code: str) -> BundleVersion:
    """The current published version of a bundle; NotFound when there is none."""
    version = _version_queryset().filter(bundle__code=code, status=VersionStatus.PUBLISHED).first()
    if version is None:
        raise not_found("已发布的一件事", "Published bundle", "code")
    return version


def bundle_versions(bundle: Bundle, *, include_unpublished: bool) -> list[BundleVersion]:
    """The version history, newest first; the public sees published and retired versions only."""
    qs = BundleVersion.objects.filter(bundle=bundle).order_by("-version").defer("computed")
    if not include_unpublished:
        qs = qs.filter(status__in=PUBLIC_STATUSES)
    return list(qs)


def published_bundles(
    *,
    theme_code: str | None = None,
    after_name: str | None = None,
    after_code: str | None = None,
    limit: int = 50,
) -> list[BundleVersion]:
    """Published bundle versions by name, keyset-paginated on (name, code); `computed` is left unloaded."""
    qs = (
        BundleVersion.objects.filter(status=VersionStatus.PUBLISHED)
        .select_related("bundle", "lead_department")
        .defer("computed")
        .order_by("name", "bundle__code")
    )
    if theme_code:
        qs = qs.filter(themes__code=theme_code)
    if after_name is not None and after_code is not None:
        qs = qs.filter(Q(name__gt=after_name) | Q(name=after_name, bundle__code__gt=after_code))
    return list(qs[: max(1, min(limit, 200))])


def bundles_with_item(item_id: int) -> list[BundleVersion]:
    """Published bundle versions that include the item (for an item's guide page: 相关一件事)."""
    return list(
        BundleVersion.objects.filter(status=VersionStatus.PUBLISHED, bundlemembers__item_id=item_id)
        .select_related("bundle")
        .defer("computed")
        .distinct()
        .order_by("name")
    )


def version_members(version: BundleVersion) -> list[BundleMember]:
    """Members in order with their item, pinned version/situation and dependencies (for pages and admin)."""
    return list(
        version.bundlemembers.select_related(
            "item", "item__department", "item_version", "item_version__implementing_department", "situation"
        )
        .prefetch_related(Prefetch("depends_on", queryset=BundleMember.objects.only("id", "code")))
        .order_by("order", "id")
    )


def version_stages(version: BundleVersion) -> list[BundleStage]:
    return list(
        version.bundlestages.select_related("stage_bundle", "stage_version", "stage_version__lead_department")
        .prefetch_related(Prefetch("predecessors", queryset=BundleStage.objects.only("id", "code")))
        .order_by("order", "id")
    )


def version_edges(version: BundleVersion) -> list[tuple[str, str]]:
    return [
        (s, t)
        for s, t in BundleProcessEdge.objects.filter(version=version)
        .order_by("order", "id")
        .values_list("source__code", "target__code")
    ]


# -------------------------------------------------------------------------------- plain member data


def resolve_members(
    members: Sequence[BundleMember], *, frozen: bool
) -> dict[int, tuple[ItemVersion | None, Situation | None]]:
    """Each member's item version and situation: the pinned pair when `frozen`, else the item's current
    published version and the situation of the member's code in it (None where there is none)."""
    if frozen:
        return {m.pk: (m.item_version, m.situation) for m in members}
    version_ids = {m.item.current_version_id for m in members if m.item.current_version_id}
    versions = {
        v.pk: v
        for v in ItemVersion.objects.filter(
            pk__in=version_ids, status=VersionStatus.PUBLISHED
        ).select_related("implementing_department")
    }
    codes = {m.situation_code for m in members if m.situation_code}
    situations = (
        {(s.version_id, s.code): s for s in Situation.objects.filter(version_id__in=versions, code__in=codes)}
        if codes
        else {}
    )
    out: dict[int, tuple[ItemVersion | None, Situation | None]] = {}
    for m in members:
        iv = versions.get(m.item.current_version_id or 0)
        situation = situations.get((iv.pk, m.situation_code)) if iv and m.situation_code else None
        out[m.pk] = (iv, situation)
    return out


def member_specs(
    members: Sequence[BundleMember], resolved: Mapping[int, tuple[ItemVersion | None, Situation | None]]
) -> list[MemberSpec]:
    """Plain MemberSpecs for the members that resolved to an item version, in a fixed number of queries."""
    ids = {iv.pk for iv, _ in resolved.values() if iv is not None}
    fields: dict[int, list[FieldSpec]] = {i: [] for i in ids}
    for f in (
        FormField.objects.filter(version_id__in=ids).select_related("data_element").order_by("order", "id")
    ):
        element = f.data_element
        fields[f.version_id].append(
            FieldSpec(
                code=f.code,
                label=f.label,
                field_type=f.field_type,
                data_element=element.code if element else None,
                element_name=element.name if element else "",
                required=f.required,
                max_length=f.effective_max_length,
                options=tuple(f.effective_options),
                pattern=f.pattern,
                section=f.section,
                help_text=f.help_text,
                subject=f.subject,
            )
        )
    questions: dict[int, list[QuestionSpec]] = {i: [] for i in ids}
    for q in SituationQuestion.objects.filter(version_id__in=ids).order_by("order", "id"):
        questions[q.version_id].append(QuestionSpec(q.code, q.text, tuple(q.options or ())))
    materials: dict[int, list[MaterialSpec]] = {i: [] for i in ids}
    for mat in (
        Material.objects.filter(version_id__in=ids)
        .prefetch_related(
            Prefetch("data_elements", to_attr="element_rows"),
            Prefetch("situations", queryset=Situation.objects.only("id", "code"), to_attr="situation_rows"),
        )
        .order_by("order", "id")
    ):
        materials[mat.version_id].append(
            MaterialSpec(
                code=mat.code,
                name=mat.name,
                kind=mat.kind,
                necessity=mat.necessity,
                source=mat.source,
                source_note=mat.source_note,
                licence_type=mat.licence_type,
                data_elements=tuple(sorted(e.code for e in mat.element_rows)),
                situations=tuple(sorted(s.code for s in mat.situation_rows)),
                deficiency_allowed=mat.deficiency_allowed,
                paper_copies=mat.paper_copies,
            )
        )
    steps: dict[int, list[StepSpec]] = {i: [] for i in ids}
    for s in ProcessStep.objects.filter(version_id__in=ids).order_by("order", "id"):
        steps[s.version_id].append(StepSpec(s.code, s.name, s.kind, s.department_id))

    depends: dict[int, list[str]] = {}
    for m in members:
        depends[m.pk] = sorted(d.code for d in m.depends_on.all())
    out = []
    for m in members:
        iv, situation = resolved.get(m.pk, (None, None))
        if iv is None:
            continue
        out.append(
            MemberSpec(
                code=m.code,
                item_code=m.item.implementation_code,
                item_name=iv.name,
                department_id=iv.implementing_department_id,
                department_name=iv.implementing_department.name,
                optional=m.optional,
                situation_code=m.situation_code,
                situation_name=situation.name if situation else "",
                depends_on=tuple(depends[m.pk]),
                fields=tuple(fields[iv.pk]),
                questions=tuple(questions[iv.pk]),
                materials=tuple(materials[iv.pk]),
                steps=tuple(steps[iv.pk]),
                promised_limit=iv.promised_limit,
                promised_limit_unit=iv.promised_limit_unit,
                statutory_limit=iv.statutory_limit,
                statutory_limit_unit=iv.statutory_limit_unit,
                immediate=iv.handling_kind == HandlingKind.IMMEDIATE,
                trips=iv.trips,
            )
        )
    return out


def stated_figures(version: BundleVersion) -> dict[str, int | None]:
    out: dict[str, Any] = {}
    for measure in ("trips", "materials", "fields", "steps", "limit"):
        out[f"{measure}_before"] = getattr(version, f"stated_{measure}_before")
        out[f"{measure}_after"] = getattr(version, f"stated_{measure}_after")
    out["limit_unit"] = version.stated_limit_unit
    return out


def _members_for_compute(version: BundleVersion) -> list[BundleMember]:
    return list(
        version.bundlemembers.select_related(
            "item", "item_version", "item_version__implementing_department", "situation"
        )
        .prefetch_related(Prefetch("depends_on", queryset=BundleMember.objects.only("id", "code")))
        .order_by("order", "id")
    )


def preview(version: BundleVersion) -> tuple[dict[str, Any], list[ErrorDetail]]:
    """Compute the snapshot of a draft or review version from its members' current published item versions.
    Members whose item has no published version are left out and listed under `unresolved`."""
    members = _members_for_compute(version)
    resolved = resolve_members(members, frozen=False)
    specs = member_specs(members, resolved)
    snapshot, errors = compute(
        name=version.name, members=specs, edges=version_edges(version), stated=stated_figures(version)
    )
    snapshot["unresolved"] = [m.code for m in members if resolved[m.pk][0] is None]
    return snapshot, errors


def computed(version: BundleVersion) -> dict[str, Any]:
    """The snapshot: stored for a published or retired version (one row), computed live for a draft.

    A frozen version loaded with `computed` deferred (hot paths do, to skip decoding the snapshot on every
    request) gets the per-process cached snapshot: shared, read-only."""
    if version.status in FROZEN_STATUSES:
        if "computed" in version.__dict__:
            return version.computed
        return frozen_cached(version.pk, "computed", lambda: _stored_snapshot(version.pk))
    return preview(version)[0]


def _stored_snapshot(version_id: int) -> dict[str, Any]:
    return BundleVersion.objects.values_list("computed", flat=True).get(pk=version_id)  # type: ignore[no-any-return]


def merged_form(version: BundleVersion) -> dict[str, Any]:
    return computed(version)["form"]


def merged_materials(version: BundleVersion) -> dict[str, Any]:
    return computed(version)["materials"]


def reform_figures(version: BundleVersion) -> dict[str, Any]:
    return computed(version)["figures"]


def snapshot_members(snapshot: Mapping[str, Any]) -> list[MemberSpec]:
    return [member_from_dict(m) for m in snapshot.get("members", ())]


def snapshot_question_keys(snapshot: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    return {(m, c): k for m, c, k in snapshot.get("form", {}).get("question_keys", ())}


def projections(
    version: BundleVersion,
    *,
    values: Mapping[str, Any],
    chosen: Iterable[str] = (),
    answers: Mapping[str, Any] | None = None,
) -> list[DepartmentForm]:
    """Each department's own forms filled from one merged submission (一源多用)."""
    snapshot = computed(version)
    members = snapshot_members(snapshot)
    chosen = list(chosen)
    optional = {m.code for m in members if m.optional}
    unknown = [c for c in chosen if c not in optional]
    if unknown:
        raise DomainError(
            *(
                ErrorDetail(
                    "unknown_optional_member",
                    f"“{c}”不是本一件事的可选成员",
                    f"'{c}' is not an optional member of this bundle",
                    "chosen",
                )
                for c in unknown
            )
        )
    return project(
        members=members,
        values=values,
        chosen=chosen,
        answers=answers,
        question_keys=snapshot_question_keys(snapshot),
    )
