"""Reads of 容缺 commitments: what a case page shows of each, the e-licences that could supply it, and the
supplied file to whoever may see it. The writes are services.deficiency."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from onetrip.bundles.selectors import computed
from onetrip.catalog.models import Material
from onetrip.core import clock
from onetrip.core.errors import not_found
from onetrip.intake.models import Case, CaseStatus, Channel, Deficiency, DeficiencyStatus, StoredFile
from onetrip.intake.services.acceptance import clerk_may_handle
from onetrip.orgs.models import ApplicantKind
from onetrip.sharing.models import Licence, LicenceStatus
from onetrip.workdays.core import SHANGHAI

# A case in these statuses is alive: a commitment can still be met.
LIVE_STATUSES = (
    CaseStatus.ACCEPTED_DEFICIENT,
    CaseStatus.ACCEPTED,
    CaseStatus.IN_PROGRESS,
    CaseStatus.COMPLETED,
)


def is_applicant_side(actor: Any, case: Case) -> bool:
    """The case's applicant, or the agent (代办员) who entered a proxy application for them."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if actor.pk == case.applicant_id:
        return True
    application = case.application
    return application.channel == Channel.PROXY and actor.pk == application.entered_by_id


def is_clerk_for(actor: Any, case: Case) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False) and clerk_may_handle(actor, case)


def may_supply(actor: Any, case: Case) -> bool:
    return is_applicant_side(actor, case) or is_clerk_for(actor, case)


def material_licence_type(case: Case, material_key: str) -> str:
    """The e-licence type (电子证照类型) the case's material names, or "" when none."""
    if case.item_version_id is not None:
        value = (
            Material.objects.filter(version_id=case.item_version_id, code=material_key)
            .values_list("licence_type", flat=True)
            .first()
        )
        return value or ""
    for m in computed(case.bundle_version).get("materials", {}).get("materials", ()):
        if m.get("key") == material_key:
            return str(m.get("licence_type") or "")
    return ""


def holder_of(case: Case) -> str:
    user = case.applicant
    if user.applicant_kind != ApplicantKind.CITIZEN and user.organisation_code:
        return user.organisation_code.upper()
    return (user.id_number or "").upper()


def licences_for(deficiency: Deficiency, *, on: dt.date | None = None) -> list[Licence]:
    """The applicant's valid e-licences of the type the committed material names (for 从电子证照选择)."""
    case = deficiency.case
    wanted = material_licence_type(case, deficiency.material_key)
    holder = holder_of(case)
    if not wanted or not holder:
        return []
    today = on or clock.now().astimezone(SHANGHAI).date()
    return [
        licence
        for licence in Licence.objects.filter(
            holder=holder,
            status=LicenceStatus.VALID,
            licence_type__satisfies=wanted,
            valid_from__lte=today,
        )
        .select_related("licence_type", "issuer")
        .order_by("-issued_at")
        if licence.valid_to is None or licence.valid_to >= today
    ]


@dataclass(frozen=True)
class DeficiencyRow:
    """One commitment as a case page shows it."""

    deficiency: Deficiency
    licences: list[Licence]  # the applicant's e-licences that could supply it (while it may be supplied)
    can_supply: bool  # pending and the date not passed
    awaiting_check: bool
    days_left: int  # natural days to the date (0: today), negative once passed


def deficiency_rows(case: Case, *, now: dt.datetime | None = None) -> list[DeficiencyRow]:
    today = (now or clock.now()).astimezone(SHANGHAI).date()
    live = case.status in LIVE_STATUSES
    out = []
    for d in case.deficiencies.select_related("licence__licence_type", "licence__issuer", "file").order_by(
        "due_date", "id"
    ):
        open_ = live and d.status == DeficiencyStatus.PENDING and today <= d.due_date
        out.append(
            DeficiencyRow(
                deficiency=d,
                licences=licences_for(d, on=today) if open_ else [],
                can_supply=open_,
                awaiting_check=live and d.status == DeficiencyStatus.CHECKING,
                days_left=(d.due_date - today).days,
            )
        )
    return out


def deficiency_for(*, case: Case, deficiency_id: int) -> Deficiency:
    """A commitment of this case (the caller has already checked who may see the case); else 404."""
    found = Deficiency.objects.filter(case=case, pk=deficiency_id).first()
    if found is None:
        raise not_found("容缺材料", "Deficiency", "deficiency_id")
    return found


def deficiency_file(deficiency: Deficiency) -> tuple[StoredFile, str]:
    """The supplied upload of a commitment and the name to show it under; 404 when there is none."""
    if deficiency.file_id is None:
        raise not_found("补交文件", "Supplied file", "deficiency_id")
    stored = StoredFile.objects.get(pk=deficiency.file_id)
    return stored, deficiency.file_name or stored.sha256[:12]
