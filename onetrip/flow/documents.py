"""The results as PDFs: the decision documents (准予许可决定书, 证明, 不予许可决定书 with its reasons, legal basis
and remedy) and the e-licence (电子证照), laid out by WeasyPrint like the acceptance documents
(onetrip/intake/documents.py: offline, Noto CJK fonts, masked ID numbers). A result never changes once
issued, so its PDF is cached by the result and its case's unique submission key."""

from __future__ import annotations

from typing import Any

from onetrip.core.masking import mask_id_number
from onetrip.flow.models import CaseResult, ResultKind
from onetrip.intake.documents import REMEDY_TEXT, _cached, applicant_line
from onetrip.sharing.models import HolderKind


def result_context(result: CaseResult) -> dict[str, Any]:
    case = result.case
    licence = result.licence
    holder = ""
    if licence is not None:  # a person's ID number masked, an organisation's USCC as it is
        person = licence.licence_type.holder_kind == HolderKind.PERSON
        holder = mask_id_number(licence.holder) if person else licence.holder
    return {
        "case": case,
        "result": result,
        "licence": licence,
        "holder": holder,
        "applicant": applicant_line(case),
        "department": result.department.name,
        "item": result.item.name,
        "denial": result.kind == ResultKind.DENIAL,
        "remedy": REMEDY_TEXT,
    }


def result_pdf(result: CaseResult) -> bytes:
    template = (
        "flow/documents/licence.html" if result.kind == ResultKind.LICENCE else "flow/documents/decision.html"
    )
    stamp = f"result:{result.pk}:{result.case.idempotency_key}"
    return _cached(stamp, template, lambda: result_context(result))
