"""Prefill (预填): what the platform already knows about an applicant, by data-element code.

Sources, best first:
1. the data-sharing sources (onetrip.sharing): every read is bound to the application being filled in,
   authorised by the source's entitlements and written to the access log. A citizen or company applicant
   is read by their own ID number / USCC; an office applicant (机关单位) by the staff member whose ID number
   the form names (`person.id_number`), so at the start of an office application nothing is read yet;
2. the platform's own user record (实名认证的账户信息) and what follows from the resident ID number (birth
   date, sex) — for what no source provided.

A source that is slow or dead leaves its fields for the applicant (the prefill is then marked incomplete);
it never fails the application. Values from an authoritative source cannot be changed by the applicant:
`prefill_guard` keeps them and records the applicant's different value as a disagreement for the clerk.

What the sharing read found is kept in `Application.prefilled` beside the field → source-label pairs, under
the reserved key `SHARING_KEY` (form keys never contain "@"): the authoritative field keys, the elements read
and their sources, the degraded sources, whether the prefill was complete, and the disagreements.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from onetrip.core.errors import DomainError, ErrorDetail
from onetrip.orgs.models import ApplicantKind
from onetrip.sharing import services as sharing
from onetrip.sharing.models import AccessPurpose

SOURCE_ACCOUNT = "实名账户信息"
SOURCE_ID_NUMBER = "由身份证号码推算"
SHARING_KEY = "@sharing"
STAFF_ID_FIELD = "person.id_number"


class PrefillValues(dict[str, tuple[Any, str]]):
    """{element code: (value, source label)}, plus what the sharing read reported (`result`, None when no
    source was read)."""

    def __init__(self, values: Mapping[str, tuple[Any, str]], result: sharing.PrefillResult | None = None):
        super().__init__(values)
        self.result = result

    def record(self, by_element: Mapping[str, str]) -> dict[str, Any]:
        """The reserved `Application.prefilled` entry for this read (empty when no source was asked)."""
        r = self.result
        if r is None or not r.source_labels:  # no source holds any of the form's elements
            return {}
        return {
            SHARING_KEY: {
                "complete": r.complete,
                "authoritative": sorted(by_element[e] for e in r.authoritative if e in by_element),
                "elements": {e: r.label(e) for e in r.values},
                "missing": list(r.missing),
                "degraded": [{"source": d.source, "name": d.name, "reason": d.reason} for d in r.degraded],
                "disagreements": [],
            }
        }


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


def _subject(applicant: Any, staff_id_number: str | None) -> tuple[str | None, str | None]:
    """(ID number, USCC) to read, or (None, None) when there is nobody to read yet."""
    if applicant.applicant_kind == ApplicantKind.OFFICE:
        return (staff_id_number or None), None
    if applicant.id_number:
        return applicant.id_number, None
    return None, (applicant.organisation_code or None)


def _shared(
    applicant: Any, codes: list[str], application: Any, staff_id_number: str | None
) -> sharing.PrefillResult | None:
    id_number, uscc = _subject(applicant, staff_id_number)
    if application is None or not (id_number or uscc):
        return None
    actor = application.entered_by or applicant
    try:
        return sharing.prefill(
            subject_id_number=id_number,
            subject_uscc=uscc,
            element_codes=codes,
            purpose=AccessPurpose.PREFILL,
            actor=actor,
            application=application,
        )
    except DomainError:
        # An invalid subject or an element the catalogue lacks: the applicant types those fields.
        return None


def prefill_for(
    *,
    applicant: Any,
    element_codes: Iterable[str],
    application: Any = None,
    staff_id_number: str | None = None,
) -> PrefillValues:
    """{element code: (value, source label)} for the wanted elements the platform knows (non-empty only).
    Shared sources are read only for a saved `application` (the purpose every read is bound to)."""
    codes = list(dict.fromkeys(element_codes))
    wanted = set(codes)
    result = _shared(applicant, codes, application, staff_id_number)
    known: dict[str, tuple[Any, str]] = dict(result.as_pairs()) if result is not None else {}
    if staff_id_number is None:  # the account describes the applicant, not a staff member they act for
        for code, value in _from_account(applicant).items():
            if value:
                known.setdefault(code, (value, SOURCE_ACCOUNT))
        for code, value in _from_id_number(applicant.id_number or "").items():
            known.setdefault(code, (value, SOURCE_ID_NUMBER))
    return PrefillValues({c: pair for c, pair in known.items() if c in wanted}, result)


def prefill_guard(
    *, application: Any, changes: dict[str, Any], by_element: Mapping[str, str]
) -> list[ErrorDetail]:
    """Apply the prefill rules to a save's form changes, in place, before they are merged:

    - a change to an authoritative prefilled field is dropped (the stored value stays), recorded as a
      disagreement for the clerk, and answered with the field error `authoritative_field`;
    - a change to another prefilled field makes it the applicant's own (its source mark goes);
    - an office applicant naming a staff member (`person.id_number`) gets that person's shared data in the
      fields the same save leaves alone.
    """
    prefilled = application.prefilled
    meta = prefilled.get(SHARING_KEY) or {}
    authoritative = set(meta.get("authoritative", ()))
    staff_field = by_element.get(STAFF_ID_FIELD)
    office = application.applicant.applicant_kind == ApplicantKind.OFFICE
    if office:
        authoritative.discard(staff_field)  # for an office it names whose data to read: always editable
    errors: list[ErrorDetail] = []
    for key in list(changes):
        value = changes[key]
        stored = application.form_data.get(key)
        if key not in prefilled or value == stored:
            continue
        if key in authoritative:
            del changes[key]
            meta["disagreements"] = [d for d in meta.get("disagreements", ()) if d["field"] != key] + [
                {"field": key, "submitted": value, "prefilled": stored, "source": prefilled[key]}
            ]
            errors.append(
                ErrorDetail(
                    "authoritative_field",
                    f"该项由{prefilled[key]}提供，不能修改；如有异议，窗口工作人员将核实",
                    "This value comes from an authoritative source and cannot be changed; "
                    "the clerk will check your objection",
                    f"form.{key}",
                )
            )
        else:
            del prefilled[key]  # the applicant changed a prefilled value: no longer its source's
    if (
        office
        and staff_field in changes
        and isinstance(changes[staff_field], str)
        and changes[staff_field].strip()
    ):
        found = prefill_for(
            applicant=application.applicant,
            element_codes=by_element,
            application=application,
            staff_id_number=changes[staff_field].strip().upper(),
        )
        for element, (value, source) in found.items():
            key = by_element[element]
            if key not in changes or key == staff_field:
                changes[key] = value
                prefilled[key] = source
        record = found.record(by_element).get(SHARING_KEY)
        if record is not None:  # no shared record holds this staff ID number: nothing to note
            meta = {**record, "disagreements": meta.get("disagreements", [])}
    if meta:
        prefilled[SHARING_KEY] = meta
    return errors


def prefill_disagreements(application: Any) -> list[dict[str, Any]]:
    """The applicant's objections to authoritative values, for the clerk (field, submitted, prefilled,
    source)."""
    return list(((application.prefilled or {}).get(SHARING_KEY) or {}).get("disagreements", ()))
