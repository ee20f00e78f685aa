"""Parsing of the pages' POSTs into plain values for the services. Messages in Chinese; what was typed is
kept by the caller and shown again. ID numbers travel only in POST bodies, never in URLs."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.http import QueryDict
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError


def new_idempotency_key() -> str:
    """A fresh submission key, rendered into the submit form: a double click or a retried POST carries the
    same key, so the services return the one case instead of making two."""
    return uuid.uuid4().hex


def parse_int(raw: str | None, *, minimum: int = 0) -> int | None:
    value = (raw or "").strip()
    if not value.isdigit() or len(value) > 12:
        return None
    number = int(value)
    return number if number >= minimum else None


@dataclass
class Lookup:
    id_number: str = ""
    error: str = ""


def parse_lookup(post: QueryDict) -> Lookup:
    """An ID number typed at the window (a lower-case x is accepted and upper-cased)."""
    raw = (post.get("id_number") or "").strip().replace(" ", "").upper()
    if not raw:
        return Lookup(raw, "请输入身份证号码")
    try:
        return Lookup(ric.validate(raw))
    except StdnumError:
        return Lookup(raw, "身份证号码不正确，请核对后重新输入")


@dataclass
class Decision:
    """A clerk's decision on a case as typed, with the messages for what could not be read."""

    commitments: list[dict[str, str]] = field(default_factory=list)
    problems: list[dict[str, str]] = field(default_factory=list)
    reasons: str = ""
    legal_basis: str = ""
    applicant_present: bool = False
    errors: list[str] = field(default_factory=list)


def parse_deficiency(post: QueryDict, *, allowed_keys: set[str], today: dt.date) -> Decision:
    """`deficient` (material keys ticked) with `due_<key>` dates; the service checks keys and dates again."""
    decision = Decision(applicant_present=post.get("applicant_present") == "1")
    chosen = post.getlist("deficient")
    if not chosen:
        decision.errors.append("请勾选容缺的材料并填写承诺补交日期")
    for key in chosen:
        due = (post.get(f"due_{key}") or "").strip()
        decision.commitments.append({"material_key": key, "due_date": due})
        if key not in allowed_keys:
            decision.errors.append("所选材料不可容缺（关键材料或不允许容缺的材料不能选择）")
        elif not due:
            decision.errors.append("请为每一项容缺材料填写承诺补交日期")
        else:
            try:
                if dt.date.fromisoformat(due) <= today:
                    decision.errors.append("承诺补交日期应晚于今天")
            except ValueError:
                decision.errors.append("承诺补交日期格式应为 YYYY-MM-DD")
    return decision


def parse_notice(post: QueryDict) -> Decision:
    """Problems (`problem` = "material:<key>", "field:<key>" or "other") with their texts, and `extra`: one
    further problem a line. The problems the system knows are added by the service whatever is posted, and a
    notice with no problem at all is refused there."""
    decision = Decision(applicant_present=post.get("applicant_present") == "1")
    for token in post.getlist("problem"):
        text = (post.get(f"text_{token}") or "").strip()
        entry: dict[str, str] = {"problem": text}
        if token.startswith("material:"):
            entry["material_key"] = token.removeprefix("material:")
        elif token.startswith("field:"):
            entry["field"] = token.removeprefix("field:")
        decision.problems.append(entry)
    for line in (post.get("extra") or "").splitlines():
        if line.strip():
            decision.problems.append({"problem": line.strip()})
    return decision


def parse_refusal(post: QueryDict) -> Decision:
    return Decision(
        reasons=(post.get("reasons") or "").strip(),
        legal_basis=(post.get("legal_basis") or "").strip(),
        applicant_present=post.get("applicant_present") == "1",
    )
