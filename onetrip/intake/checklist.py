"""The material checklist of an application: which materials it needs and the state of each.

Which materials: an item application takes its pinned version's materials whose situations are selected by
the answers (a material with no situations applies to every situation); a bundle application takes the
merged materials (一套材料) of its mandatory members and chosen optional members, each narrowed the same way
by the member's situation (pinned on the member, or selected by the answers).

States (MaterialState): a material the platform obtains itself — source e-licence or shared data — is not
asked (三不提交) and shows where it comes from; otherwise it is uploaded, replaced by a written commitment
(告知承诺: allowed for non-key materials other than the application form — a key material never), handed in
on paper at the window, or missing. The entries are stored as ApplicationMaterial rows keyed by the
material key (item: material code; bundle: the merged material key), so uploads survive a closed browser.
Rows of materials that no longer apply are dropped unless they hold an upload (kept, so changing an answer
back restores it); the checklist lists only the materials that apply.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Prefetch

from onetrip.bundles.merge import MERGED_FORM_KEY, NO_SUBMIT_SOURCES
from onetrip.bundles.models import BundleMember
from onetrip.bundles.selectors import (
    FROZEN_STATUSES,
    computed,
    frozen_cached,
    snapshot_question_keys,
)
from onetrip.catalog.models import Material, Situation
from onetrip.intake.models import Application, ApplicationMaterial, MaterialState
from onetrip.intake.services.prefill import SHARING_KEY, STAFF_ID_FIELD
from onetrip.orgs.models import ApplicantKind
from onetrip.sharing.selectors import materials_satisfied_by_licences

NOT_ASKED_STATES = {"e_licence": MaterialState.E_LICENCE, "shared_data": MaterialState.SHARED}


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    name: str
    kind: str
    necessity: str  # "key" | "non_key"
    source: str
    source_note: str
    deficiency_allowed: bool  # 容缺: may be missing at acceptance against a signed commitment
    paper_copies: int
    members: tuple[str, ...] = ()

    @property
    def is_key(self) -> bool:
        return self.necessity == "key"

    @property
    def not_asked(self) -> bool:
        return self.source in NOT_ASKED_STATES

    @property
    def commitment_allowed(self) -> bool:
        return not self.is_key and self.kind != "form" and not self.not_asked


@dataclass(frozen=True, slots=True)
class ChecklistEntry:
    requirement: Requirement
    state: str
    file_id: int | None = None
    file_name: str = ""
    source_note: str = ""
    updated_at: dt.datetime | None = None

    @property
    def key(self) -> str:
        return self.requirement.key

    @property
    def name(self) -> str:
        return self.requirement.name

    @property
    def asked(self) -> bool:
        return not self.requirement.not_asked

    @property
    def missing(self) -> bool:
        return self.state == MaterialState.MISSING

    def as_dict(self) -> dict[str, Any]:
        r = self.requirement
        return {
            "key": r.key,
            "name": r.name,
            "kind": r.kind,
            "necessity": r.necessity,
            "deficiency_allowed": r.deficiency_allowed,
            "commitment_allowed": r.commitment_allowed,
            "paper_copies": r.paper_copies,
            "asked": self.asked,
            "state": self.state,
            "state_label": MaterialState(self.state).label,
            "source_note": self.source_note,
            "file_name": self.file_name,
            "has_file": self.file_id is not None,
        }


def situation_selected(conditions: Mapping[str, Any], answers: Mapping[str, Any]) -> bool:
    """A situation applies when every question it names is answered with one of its values."""
    for question, allowed in (conditions or {}).items():
        values = allowed if isinstance(allowed, list | tuple) else [allowed]
        answer = answers.get(question)
        if answer is None or str(answer) not in {str(v) for v in values}:
            return False
    return True


def _item_requirements(version_id: int, answers: Mapping[str, Any]) -> list[Requirement]:
    situations = Situation.objects.filter(version_id=version_id).only("id", "code", "conditions")
    selected = {s.pk for s in situations if situation_selected(s.conditions, answers)}
    out = []
    for m in (
        Material.objects.filter(version_id=version_id)
        .prefetch_related(Prefetch("situations", queryset=Situation.objects.only("id"), to_attr="rows"))
        .order_by("order", "id")
    ):
        if m.rows and not any(s.pk in selected for s in m.rows):
            continue
        out.append(
            Requirement(
                key=m.code,
                name=m.name,
                kind=m.kind,
                necessity=m.necessity,
                source=m.source,
                source_note=m.source_note or NO_SUBMIT_SOURCES.get(m.source, ""),
                deficiency_allowed=m.deficiency_allowed and m.necessity != "key",
                paper_copies=m.paper_copies,
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class _BundleMaterial:
    requirement: Requirement
    conditions: tuple[tuple[str, frozenset[str]], ...]  # (member, situations it applies to; empty: all)


@dataclass(frozen=True, slots=True)
class _BundleShape:
    """Everything a bundle version's checklist needs apart from the application's own answers and chosen
    members. A published version never changes, so this is built once per version and process."""

    mandatory: frozenset[str]  # member codes taking part whatever is chosen
    pinned: Mapping[str, str]  # member code → its pinned situation code
    # Each unpinned member: its merged question keys (member's own code, merged key) and its item version's
    # situations (code, conditions).
    unpinned: tuple[tuple[str, tuple[tuple[str, str], ...], tuple[tuple[str, Any], ...]], ...]
    materials: tuple[_BundleMaterial, ...]


def _bundle_shape(bundle_version: Any) -> _BundleShape:
    snapshot = computed(bundle_version)
    members = snapshot.get("members", ())
    pinned = {m["code"]: m.get("situation_code") or "" for m in members}
    questions = snapshot_question_keys(snapshot)
    member_versions = dict(
        BundleMember.objects.filter(version_id=bundle_version.pk).values_list("code", "item_version_id")
    )
    by_version: dict[int, list[tuple[str, Any]]] = {}
    for s in Situation.objects.filter(version_id__in=[v for v in member_versions.values() if v]).only(
        "version_id", "code", "conditions"
    ):
        by_version.setdefault(s.version_id, []).append((s.code, s.conditions))
    unpinned = tuple(
        (
            code,
            tuple((q, key) for (member, q), key in questions.items() if member == code),
            tuple(by_version.get(version_id or 0, ())),
        )
        for code, version_id in member_versions.items()
        if not pinned.get(code)
    )
    materials = tuple(
        _BundleMaterial(
            Requirement(
                key=m["key"],
                name=m["name"],
                kind=m["kind"],
                necessity=m["necessity"],
                source=m["source"],
                source_note=m.get("source_note") or m.get("no_submit_reason") or "",
                deficiency_allowed=bool(m.get("deficiency_allowed")) and m["necessity"] != "key",
                paper_copies=int(m.get("paper_copies") or 0),
                members=tuple(m.get("members", ())),
            ),
            tuple(
                (member, frozenset(m.get("conditions", {}).get(member, [])))
                for member in m.get("members", ())
            ),
        )
        for m in snapshot.get("materials", {}).get("materials", ())
    )
    return _BundleShape(
        mandatory=frozenset(m["code"] for m in members if not m.get("optional")),
        pinned={code: situation for code, situation in pinned.items() if situation},
        unpinned=unpinned,
        materials=materials,
    )


def _bundle_requirements(application: Application) -> list[Requirement]:
    version = application.bundle_version
    if version.status in FROZEN_STATUSES:
        shape = frozen_cached(version.pk, "intake_checklist_shape", lambda: _bundle_shape(version))
    else:
        shape = _bundle_shape(version)
    taking_part = shape.mandatory | set(application.chosen_members or ())
    answers = application.answers or {}
    # Each member's selected situations: pinned on the member, or selected by the answers (merged question
    # keys → the member's own question codes).
    selected: dict[str, set[str]] = {code: {situation} for code, situation in shape.pinned.items()}
    for code, keys, situations in shape.unpinned:
        own_answers = {q: answers.get(key) for q, key in keys if key in answers}
        selected[code] = {s for s, conditions in situations if situation_selected(conditions, own_answers)}
    out = []
    for m in shape.materials:
        for member, situations in m.conditions:
            if member in taking_part and (not situations or situations & selected.get(member, set())):
                out.append(m.requirement)
                break
    return out


def requirements_for(application: Application) -> list[Requirement]:
    """The materials the application needs now, in guide order."""
    if application.item_version_id is not None:
        return provided_by_sharing(
            application, _item_requirements(application.item_version_id, application.answers or {})
        )
    return provided_by_sharing(application, _bundle_requirements(application))


def provided_by_sharing(application: Application, requirements: list[Requirement]) -> list[Requirement]:
    """三不提交: a material the applicant holds a valid e-licence for, or whose every data element the
    prefill read from a shared source, is obtained by the platform, not asked — marked with its source."""
    if not requirements:
        return requirements
    keys = {r.key for r in requirements}
    if application.item_version_id is not None:
        materials: list[dict[str, Any]] = [
            {"key": m.code, "licence_type": m.licence_type, "data_elements": [e.code for e in m.rows]}
            for m in Material.objects.filter(version_id=application.item_version_id, code__in=keys)
            .only("code", "licence_type")
            .prefetch_related(Prefetch("data_elements", to_attr="rows"))
        ]
    else:
        snapshot = computed(application.bundle_version)
        materials = [m for m in snapshot.get("materials", {}).get("materials", ()) if m["key"] in keys]
    notes: dict[str, tuple[str, str]] = {}
    holder: Any = ""
    if any(m.get("licence_type") for m in materials):
        holder = application.applicant
        if holder.applicant_kind == ApplicantKind.OFFICE:  # acting for a staff member: their licences
            holder = str((application.form_data or {}).get(STAFF_ID_FIELD) or "")
    for key, licence in materials_satisfied_by_licences(holder=holder, materials=materials).items():
        notes[key] = (
            "e_licence",
            f"由{licence.issuer.name}电子证照获取（{licence.licence_type.name}，编号 {licence.number}）",
        )
    read = ((application.prefilled or {}).get(SHARING_KEY) or {}).get("elements", {})
    for m in materials:
        elements = m.get("data_elements") or []
        if m["key"] in notes or m["key"] == MERGED_FORM_KEY or not elements:
            continue
        if all(e in read for e in elements):
            notes[m["key"]] = ("shared_data", f"由{'、'.join(sorted({read[e] for e in elements}))}共享获取")
    if not notes:
        return requirements
    return [
        replace(r, source=notes[r.key][0], source_note=notes[r.key][1][:255]) if r.key in notes else r
        for r in requirements
    ]


def _initial_state(requirement: Requirement) -> str:
    return NOT_ASKED_STATES.get(requirement.source, MaterialState.MISSING)


def _entries(
    requirements: Iterable[Requirement], rows: Mapping[str, ApplicationMaterial | _Row]
) -> list[ChecklistEntry]:
    out = []
    for r in requirements:
        row = rows.get(r.key)
        if row is None:
            out.append(ChecklistEntry(r, _initial_state(r), source_note=r.source_note if r.not_asked else ""))
        else:
            out.append(
                ChecklistEntry(r, row.state, row.file_id, row.file_name, row.source_note, row.updated_at)
            )
    return out


@dataclass(frozen=True, slots=True)
class _Row:
    """The columns of an ApplicationMaterial row a checklist entry shows (read without building models)."""

    state: str
    file_id: int | None
    file_name: str
    source_note: str
    updated_at: dt.datetime | None


_ROW_FIELDS = ("key", "state", "file_id", "file_name", "source_note", "updated_at")
_rows_sql: dict[str, tuple[str, tuple[Any, ...]]] = {}


def _rows_query(db: BaseDatabaseWrapper) -> tuple[str, tuple[Any, ...]]:
    """The SELECT of an application's material rows and the converters of updated_at (per database vendor):
    hand-written, since compiling the ORM query cost more than running it (every pre-check and submission
    reads these rows)."""
    cached = _rows_sql.get(db.vendor)
    if cached is None:
        qn = db.ops.quote_name
        opts = ApplicationMaterial._meta
        fields = [opts.get_field(name) for name in _ROW_FIELDS]
        updated_at = fields[-1].get_col(opts.db_table)
        cached = _rows_sql[db.vendor] = (
            f"SELECT {', '.join(qn(f.column) for f in fields)} FROM {qn(opts.db_table)} "
            f"WHERE {qn(opts.get_field('application').column)} = %s",
            (updated_at, tuple(db.ops.get_db_converters(updated_at) + fields[-1].get_db_converters(db))),
        )
    return cached


def material_rows(application_id: int) -> dict[str, _Row]:
    """The application's ApplicationMaterial rows by key, as checklist entries show them."""
    db = connections[DEFAULT_DB_ALIAS]
    sql, (column, converters) = _rows_query(db)
    with db.cursor() as cursor:
        cursor.execute(sql, [application_id])
        found = cursor.fetchall()
    rows = {}
    for key, state, file_id, file_name, source_note, updated_at in found:
        for convert in converters:
            updated_at = convert(updated_at, column, db)
        rows[key] = _Row(state, file_id, file_name, source_note, updated_at)
    return rows


def checklist_for(*, application: Application) -> list[ChecklistEntry]:
    """The checklist as the applicant, the clerk and the pre-check see it (reads only)."""
    return _entries(requirements_for(application), material_rows(application.pk))


def checklist_sync(*, application: Application) -> list[ChecklistEntry]:
    """Bring the ApplicationMaterial rows in line with what the application needs now. Call inside the
    transaction of the change (answers, chosen members) that made it necessary."""
    requirements = requirements_for(application)
    rows = {row.key: row for row in application.materials.all()}
    needed = {r.key for r in requirements}
    stale = [row.pk for key, row in rows.items() if key not in needed and row.file_id is None]
    if stale:
        ApplicationMaterial.objects.filter(pk__in=stale).delete()
    new = [
        ApplicationMaterial(
            application=application,
            key=r.key,
            name=r.name[:255],
            state=_initial_state(r),
            source_note=(r.source_note if r.not_asked else "")[:255],
        )
        for r in requirements
        if r.key not in rows
    ]
    if new:
        ApplicationMaterial.objects.bulk_create(new)
        rows.update({row.key: row for row in new})
    return _entries(requirements, rows)
