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
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch

from onetrip.bundles.merge import NO_SUBMIT_SOURCES
from onetrip.bundles.models import BundleMember
from onetrip.bundles.selectors import computed, snapshot_question_keys
from onetrip.catalog.models import Material, Situation
from onetrip.intake.models import Application, ApplicationMaterial, MaterialState

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


def _bundle_requirements(application: Application) -> list[Requirement]:
    snapshot = computed(application.bundle_version)
    chosen = set(application.chosen_members or ())
    answers = application.answers or {}
    taking_part = {
        m["code"] for m in snapshot.get("members", ()) if not m.get("optional") or m["code"] in chosen
    }
    fixed = {m["code"]: m.get("situation_code") or "" for m in snapshot.get("members", ())}
    questions = snapshot_question_keys(snapshot)
    # Each unpinned member's situations selected by the answers (merged question keys → member's codes).
    member_versions = dict(
        BundleMember.objects.filter(version_id=application.bundle_version_id).values_list(
            "code", "item_version_id"
        )
    )
    by_version: dict[int, list[Situation]] = {}
    for s in Situation.objects.filter(version_id__in=[v for v in member_versions.values() if v]).only(
        "version_id", "code", "conditions"
    ):
        by_version.setdefault(s.version_id, []).append(s)
    selected: dict[str, set[str]] = {}
    for code, version_id in member_versions.items():
        if fixed.get(code):
            selected[code] = {fixed[code]}
            continue
        own_answers = {
            q: answers.get(key) for (member, q), key in questions.items() if member == code and key in answers
        }
        selected[code] = {
            s.code
            for s in by_version.get(version_id or 0, ())
            if situation_selected(s.conditions, own_answers)
        }
    out = []
    for m in snapshot.get("materials", {}).get("materials", ()):
        applies = False
        for member in m.get("members", ()):
            if member not in taking_part:
                continue
            situations = m.get("conditions", {}).get(member, [])
            if not situations or set(situations) & selected.get(member, set()):
                applies = True
                break
        if not applies:
            continue
        out.append(
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
            )
        )
    return out


def requirements_for(application: Application) -> list[Requirement]:
    """The materials the application needs now, in guide order."""
    if application.item_version_id is not None:
        return _item_requirements(application.item_version_id, application.answers or {})
    return _bundle_requirements(application)


def _initial_state(requirement: Requirement) -> str:
    return NOT_ASKED_STATES.get(requirement.source, MaterialState.MISSING)


def _entries(
    requirements: Iterable[Requirement], rows: Mapping[str, ApplicationMaterial]
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


def checklist_for(*, application: Application) -> list[ChecklistEntry]:
    """The checklist as the applicant, the clerk and the pre-check see it (reads only)."""
    rows = {row.key: row for row in application.materials.all()}
    return _entries(requirements_for(application), rows)


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
