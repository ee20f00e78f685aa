"""The acceptance documents as PDFs: 受理回执 (receipt), 一次性告知书 (one-time notice), 不予受理决定书 (refusal).

Like the guide PDF (catalog/pdf.py), WeasyPrint lays out a template with Debian's Noto CJK fonts found
through fontconfig; the style sheet is inline and every URL is refused, so nothing is fetched. No QR code.
The applicant's ID number is masked on every document (the case number identifies the case). A document
reflects its record: a receipt is cached per case and row version, a notice or refusal never changes (keys
include the case's unique submission key, so a reused id can never serve another case's document).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.template.loader import render_to_string
from weasyprint import HTML

from onetrip.core.masking import mask_id_number
from onetrip.intake.checklist import checklist_for
from onetrip.intake.models import Case, CaseEvent, MaterialState, Notice, Refusal
from onetrip.orgs.models import ApplicantKind

CACHE_SECONDS = 6 * 3600
DEEMED_BASIS = "《中华人民共和国行政许可法》第三十二条"
NOTICE_BASIS = (
    "《中华人民共和国行政许可法》第三十二条第一款第（四）项：申请材料不齐全或者不符合法定形式的，"
    "应当当场或者在五日内一次告知申请人需要补正的全部内容，逾期不告知的，自收到申请材料之日起即为受理。"
)
REMEDY_TEXT = (
    "申请人如不服本决定，可以自收到本决定书之日起六十日内依法申请行政复议，"
    "或者自收到本决定书之日起六个月内依法向人民法院提起行政诉讼。"
)


def _refuse_urls(url: str, *args: object, **kwargs: object) -> dict[str, object]:
    # Offline by design: a document never loads anything from outside itself.
    raise ValueError(f"external resource refused: {url[:80]}")


def _render(template: str, context: dict[str, Any]) -> bytes:
    html = render_to_string(template, context)
    return bytes(HTML(string=html, url_fetcher=_refuse_urls, base_url="about:blank").write_pdf())


def _cached(key: str, template: str, context_factory: Any) -> bytes:
    digest = "intake-doc:" + hashlib.sha256(key.encode()).hexdigest()
    pdf = cache.get(digest)
    if pdf is None:
        pdf = _render(template, context_factory())
        cache.set(digest, pdf, CACHE_SECONDS)
    return bytes(pdf)


@dataclass(frozen=True)
class ApplicantLine:
    name: str
    id_label: str
    id_value: str


def applicant_line(case: Case) -> ApplicantLine:
    """Who applied, as printed: a person with a masked ID number, an organisation with its USCC."""
    user = case.applicant
    if user.applicant_kind != ApplicantKind.CITIZEN and user.organisation_code:
        return ApplicantLine(
            user.organisation_name or case.applicant_name, "统一社会信用代码", user.organisation_code
        )
    return ApplicantLine(case.applicant_name, "身份证号", mask_id_number(user.id_number))


def _office(case: Case) -> str:
    """The office issuing the document: the hall of the window, else the lead department."""
    if case.window_id is not None and case.window is not None:
        return case.window.hall.name
    return case.lead_department.name


def _clerk_name(user: Any) -> str:
    return "" if user is None else (user.display_name or user.username)


# Events that moved the promised date (flow writes them with the receipt version they start).
RECEIPT_REISSUE_EVENTS = ("case_resumed", "promised_date_changed")


def receipt_reissue(case: Case) -> CaseEvent | None:
    """The latest event that re-issued the receipt (a new promised date), None for the first version."""
    return (
        case.events.filter(kind__in=RECEIPT_REISSUE_EVENTS, data__has_key="receipt_version")
        .order_by("-id")
        .first()
    )


def receipt_context(case: Case) -> dict[str, Any]:
    entries = checklist_for(application=case.application)
    received = [e for e in entries if e.state != MaterialState.MISSING]
    reissue = receipt_reissue(case)
    return {
        "receipt_version": int(reissue.data["receipt_version"]) if reissue else 1,
        "reissued_at": reissue.at if reissue else None,
        "case": case,
        "applicant": applicant_line(case),
        "office": _office(case),
        "received": [{"name": e.name, "state": MaterialState(e.state).label} for e in received],
        "deficiencies": list(case.deficiencies.order_by("due_date", "id")),
        "clerk": _clerk_name(case.accepted_by),
        "window": case.window,
        "deemed_basis": DEEMED_BASIS,
    }


def receipt_pdf(case: Case) -> bytes:
    """受理回执 of an accepted case (ValueError for a case without a number). A moved promised date bumps the
    case's row version, so the re-issued receipt (its next version) is a new document."""
    if not case.number:
        raise ValueError("a receipt needs an accepted case")
    return _cached(
        f"receipt:{case.pk}:{case.idempotency_key}:{case.row_version}",
        "intake/documents/receipt.html",
        lambda: receipt_context(case),
    )


def notice_context(notice: Notice) -> dict[str, Any]:
    case = notice.case
    return {
        "case": case,
        "notice": notice,
        "document_number": f"告字〔{notice.issued_at.year}〕第{case.pk:08d}-{notice.submission}号",
        "applicant": applicant_line(case),
        "office": _office(case),
        "problems": notice.problems,
        "clerk": _clerk_name(notice.issued_by),
        "legal_basis": NOTICE_BASIS,
    }


def notice_pdf(notice: Notice) -> bytes:
    stamp = f"notice:{notice.pk}:{notice.case.idempotency_key}:{notice.submission}"
    return _cached(stamp, "intake/documents/notice.html", lambda: notice_context(notice))


def refusal_context(refusal: Refusal) -> dict[str, Any]:
    case = refusal.case
    return {
        "case": case,
        "refusal": refusal,
        "document_number": f"不予受理〔{refusal.issued_at.year}〕第{case.pk:08d}号",
        "applicant": applicant_line(case),
        "department": case.lead_department.name,
        "clerk": _clerk_name(refusal.issued_by),
        "remedy": REMEDY_TEXT,
    }


def refusal_pdf(refusal: Refusal) -> bytes:
    stamp = f"refusal:{refusal.pk}:{refusal.case.idempotency_key}"
    return _cached(stamp, "intake/documents/refusal.html", lambda: refusal_context(refusal))
