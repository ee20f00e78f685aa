"""Prefill (预填): what the platform already knows about an applicant, by data-element code.

Until the data-sharing issue lands, the source is the platform's own user record (实名认证的账户信息) and
what follows from it (birth date and sex from the resident ID number). The data-sharing work replaces this
function's source; callers only rely on the signature.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from onetrip.orgs.models import ApplicantKind

SOURCE_ACCOUNT = "实名账户信息"
SOURCE_ID_NUMBER = "由身份证号码推算"


def _from_account(applicant: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "person.name": applicant.display_name,
        "person.id_number": applicant.id_number,
        "person.phone": applicant.phone,
    }
    if applicant.applicant_kind != ApplicantKind.CITIZEN:
        out["enterprise.uscc"] = applicant.organisation_code
        out["enterprise.name"] = applicant.organisation_name
        out["enterprise.legal_representative"] = applicant.display_name
    return out


def _from_id_number(id_number: str) -> dict[str, Any]:
    try:
        number = ric.validate(id_number)
        birth = ric.get_birth_date(number)
    except StdnumError:
        return {}
    return {
        "person.birth_date": birth.isoformat(),
        "person.gender": "1" if int(number[16]) % 2 else "2",  # GB 11643: odd 17th digit = male
    }


def prefill_for(*, applicant: Any, element_codes: Iterable[str]) -> dict[str, tuple[Any, str]]:
    """{element code: (value, source label)} for the wanted elements the platform knows (non-empty only)."""
    wanted = set(element_codes)
    known: dict[str, tuple[Any, str]] = {
        code: (value, SOURCE_ACCOUNT) for code, value in _from_account(applicant).items() if value
    }
    for code, value in _from_id_number(applicant.id_number or "").items():
        known.setdefault(code, (value, SOURCE_ID_NUMBER))
    return {code: pair for code, pair in known.items() if code in wanted}
