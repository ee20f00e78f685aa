"""容缺 API, mounted by intake/api.py under /api/v1/intake/deficiencies: list a case's commitments, supply one
(multipart: `file`, or the form field `licence_id` of one of the applicant's e-licences), check one (a clerk:
accept, or reject with a reason), download a supplied file.

Thin adapters over services.deficiency. A browser session only (the supplier and checker are people); a
case the caller may not see is 404, and every rule (who, which state, which date) is the service's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import File, Form, Router, Schema, UploadedFile

from onetrip.core.errors import NotFound, not_found
from onetrip.intake import selectors
from onetrip.intake.models import Case, Deficiency
from onetrip.intake.selectors_deficiency import deficiency_file, deficiency_rows
from onetrip.intake.services.deficiency import deficiency_check, deficiency_supply
from onetrip.intake.services.files import stored_file_open
from onetrip.orgs.auth import ScopedSessionAuth

router = Router(tags=["deficiencies"])
AUTH = [ScopedSessionAuth()]


class LicenceOut(Schema):
    id: int
    name: str
    number: str
    issuer: str


class DeficiencyOut(Schema):
    id: int
    case_id: int
    material_key: str
    material_name: str
    due_date: dt.date
    status: str
    status_label: str
    supplied_at: dt.datetime | None
    file_name: str
    licence_id: int | None
    checked_at: dt.datetime | None
    rejection_reason: str
    can_supply: bool
    licences: list[LicenceOut] = []


class CheckIn(Schema):
    accepted: bool
    reason: str = ""


def _out(d: Deficiency, *, can_supply: bool = False, licences: Any = ()) -> dict[str, Any]:
    return {
        "id": d.pk,
        "case_id": d.case_id,
        "material_key": d.material_key,
        "material_name": d.material_name,
        "due_date": d.due_date,
        "status": d.status,
        "status_label": d.get_status_display(),
        "supplied_at": d.supplied_at,
        "file_name": d.file_name,
        "licence_id": d.licence_id,
        "checked_at": d.checked_at,
        "rejection_reason": d.rejection_reason,
        "can_supply": can_supply,
        "licences": [
            {"id": x.pk, "name": x.licence_type.name, "number": x.number, "issuer": x.issuer.name}
            for x in licences
        ],
    }


def _deficiency(request: HttpRequest, deficiency_id: int) -> tuple[Case, Deficiency]:
    """The commitment, if the caller may see its case; else 404 (nobody learns another's case exists)."""
    case_id = Deficiency.objects.filter(pk=deficiency_id).values_list("case_id", flat=True).first()
    if case_id is None:
        raise not_found("容缺材料", "Deficiency", "deficiency_id")
    try:
        case = selectors.case_for(actor=request.auth, case_id=case_id)  # type: ignore[attr-defined]
    except NotFound:
        raise not_found("容缺材料", "Deficiency", "deficiency_id") from None
    return case, Deficiency.objects.get(pk=deficiency_id)


@router.get("", auth=AUTH, response=list[DeficiencyOut], summary="办件的容缺材料与补交状态")
def deficiency_list(request: HttpRequest, case_id: int) -> list[dict[str, Any]]:
    case = selectors.case_for(actor=request.auth, case_id=case_id)  # type: ignore[attr-defined]
    return [_out(r.deficiency, can_supply=r.can_supply, licences=r.licences) for r in deficiency_rows(case)]


@router.post(
    "/{deficiency_id}/supply",
    auth=AUTH,
    response=DeficiencyOut,
    summary="补交容缺材料（multipart：file 上传文件，或 licence_id 选择电子证照）",
)
def supply(
    request: HttpRequest,
    deficiency_id: int,
    file: UploadedFile | None = File(None),  # noqa: B008 (ninja's way to declare an optional upload)
    licence_id: int | None = Form(None),  # noqa: B008
) -> dict[str, Any]:
    _, deficiency = _deficiency(request, deficiency_id)
    row = deficiency_supply(
        deficiency=deficiency,
        actor=request.auth,  # type: ignore[attr-defined]
        file=file,
        file_name=file.name if file is not None else "",
        licence=licence_id,
    )
    return _out(row)


@router.post("/{deficiency_id}/check", auth=AUTH, response=DeficiencyOut, summary="窗口核验补交的材料")
def check(request: HttpRequest, deficiency_id: int, body: CheckIn) -> dict[str, Any]:
    _, deficiency = _deficiency(request, deficiency_id)
    row = deficiency_check(
        deficiency=deficiency,
        actor=request.auth,  # type: ignore[attr-defined]
        accepted=body.accepted,
        reason=body.reason,
    )
    return _out(row)


@router.get("/{deficiency_id}/file", auth=AUTH, summary="补交的文件")
def supplied_file(request: HttpRequest, deficiency_id: int) -> FileResponse:
    _, deficiency = _deficiency(request, deficiency_id)
    stored, _ = deficiency_file(deficiency)
    response = FileResponse(stored_file_open(stored), content_type=stored.content_type)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, no-store"
    return response
