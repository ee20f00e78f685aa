"""One notice means one notice (一次性告知, 《行政许可法》第三十二条): what a one-time notice must list.

The system knows some problems itself: every material of the checklist still missing, and every form field
empty or invalid (the checks the submission itself runs). A notice always lists all of them — the service
adds them whatever the clerk's form sends, the clerk may only reword them — plus whatever the clerk adds (a
material that is there but does not meet the standard, anything else). A notice with no problem at all is
refused (`problems_required`).

A later notice (after a correction) may add only problems that could not be known when the previous notice
was issued (`problem_known_before` otherwise): a problem of a material or field that was listed then (still
not right), that changed since (a newly uploaded correction file, a retyped value), or that the application
did not have then (a material an answer changed made necessary). What the previous notice looked at is in
its audit event (the material and field keys then); what changed since is in the application's audit trail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from onetrip.core.errors import ErrorDetail
from onetrip.core.models import AuditEvent
from onetrip.intake.checklist import checklist_for
from onetrip.intake.formspec import field_errors, form_definition
from onetrip.intake.models import Application, Case

MAX_TEXT = 2000
MISSING_TEXT = "缺少该材料，请补交"
NOTICE_ACTION = "case.notice"
# The application's audited changes: which key each names.
CHANGE_ACTIONS = ("application.save", "application.material_upload", "application.material_state")


@dataclass(frozen=True)
class KnownProblem:
    """A problem the system itself knows: a missing material or an empty/invalid form field."""

    problem: str
    material_key: str = ""
    material_name: str = ""
    field: str = ""
    field_label: str = ""

    @property
    def token(self) -> str:
        return f"material:{self.material_key}" if self.material_key else f"field:{self.field}"

    def as_entry(self, text: str = "") -> dict[str, Any]:
        entry: dict[str, Any] = {"problem": text or self.problem, "known": True}
        if self.material_key:
            entry |= {"material_key": self.material_key, "material_name": self.material_name}
        else:
            entry |= {"field": self.field, "field_label": self.field_label}
        return entry


def notice_known_problems(*, application: Application) -> list[KnownProblem]:
    """Every problem the checklist and the form checks know of now, in guide order: materials, then fields."""
    out = [
        KnownProblem(MISSING_TEXT, material_key=e.key, material_name=e.name)
        for e in checklist_for(application=application)
        if e.asked and e.missing
    ]
    definition = form_definition(application=application)
    labels = {f"form.{f.key}": (f.key, f.label) for f in definition.fields}
    for error in field_errors(definition, application.form_data or {}, required=True):
        key, label = labels.get(error.field or "", ("", ""))
        if key:
            out.append(KnownProblem(error.message_zh, field=key, field_label=label))
    return out


def notice_scope(*, application: Application) -> tuple[dict[str, str], dict[str, str]]:
    """The material names and field labels of the application now, by key (what a notice may name)."""
    materials = {e.key: e.name for e in checklist_for(application=application)}
    fields = {f.key: f.label for f in form_definition(application=application).fields}
    return materials, fields


def notice_problems(
    *,
    known: Sequence[KnownProblem],
    given: Sequence[Mapping[str, Any]],
    materials: Mapping[str, str],
    fields: Mapping[str, str],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[ErrorDetail]]:
    """(every problem of the notice, the clerk's additions among them, errors). The known problems come
    first, with the clerk's wording where the clerk gave one; the clerk's other problems follow."""
    errors: list[ErrorDetail] = []
    texts: dict[str, str] = {}
    extras: list[dict[str, Any]] = []
    known_tokens = {k.token for k in known}
    for i, p in enumerate(given):
        text = str(p.get("problem") or "").strip()
        key = str(p.get("material_key") or "").strip()
        field = str(p.get("field") or "").strip()
        token = f"material:{key}" if key else (f"field:{field}" if field else "")
        if len(text) > MAX_TEXT:
            errors.append(
                ErrorDetail("too_long", f"问题说明不超过{MAX_TEXT}字", "Problem text too long", "problem", i)
            )
            continue
        if token in known_tokens:
            texts.setdefault(token, text)  # a known problem: the clerk may reword it, never drop it
            continue
        if not text:
            errors.append(ErrorDetail("required", "请填写问题说明", "Describe the problem", "problem", i))
        if key and key not in materials:
            errors.append(
                ErrorDetail(
                    "unknown_material",
                    "本申请没有该材料",
                    "No such material in this application",
                    "material_key",
                    i,
                )
            )
        if field and field not in fields:
            errors.append(
                ErrorDetail("unknown_field", "表单中没有这一项", "No such field in this form", "field", i)
            )
        entry: dict[str, Any] = {"problem": text}
        if key:
            entry |= {"material_key": key, "material_name": materials.get(key, "")}
        elif field:
            entry |= {"field": field, "field_label": fields.get(field, "")}
        entry["index"] = i
        extras.append(entry)
    # The same material or field named twice by the clerk: one problem, the texts joined.
    merged: dict[str, dict[str, Any]] = {}
    for entry in extras:
        token = (
            f"material:{entry['material_key']}"
            if "material_key" in entry
            else (f"field:{entry['field']}" if "field" in entry else f"other:{entry['index']}")
        )
        if token in merged and entry["problem"] not in merged[token]["problem"]:
            merged[token]["problem"] += "；" + entry["problem"]
        merged.setdefault(token, entry)
    additions = list(merged.values())
    problems = [k.as_entry(texts.get(k.token, "")) for k in known] + [
        {k: v for k, v in e.items() if k != "index"} for e in additions
    ]
    if not problems:
        errors.insert(
            0,
            ErrorDetail(
                "problems_required",
                "没有需要补正的问题：材料齐全、表单无误的申请请直接受理",
                "A notice needs at least one problem; a complete application is accepted instead",
                "problems",
            ),
        )
    return problems, additions, errors


def notice_basis(*, application: Application) -> dict[str, list[str]]:
    """What a notice looked at (for the audit event): the material and field keys the application had."""
    materials, fields = notice_scope(application=application)
    return {"materials": sorted(materials), "fields": sorted(fields)}


def notice_unknowable_errors(*, case: Case, additions: Sequence[Mapping[str, Any]]) -> list[ErrorDetail]:
    """The clerk's additions to a later notice that could have been known at the previous notice."""
    if not additions:
        return []
    previous = (
        AuditEvent.objects.filter(object_type="intake.case", object_id=str(case.pk), action=NOTICE_ACTION)
        .order_by("-id")
        .first()
    )
    if previous is None:
        return []  # the first notice of this case
    listed: set[str] = set()
    for problems in case.notices.values_list("problems", flat=True):
        for p in problems or ():
            listed |= {f"material:{p['material_key']}"} if p.get("material_key") else set()
            listed |= {f"field:{p['field']}"} if p.get("field") else set()
    seen = previous.data or {}
    had = {f"material:{k}" for k in seen.get("materials", ())} | {
        f"field:{k}" for k in seen.get("fields", ())
    }
    changed: set[str] = set()
    for action, data in AuditEvent.objects.filter(
        object_type="intake.application",
        object_id=str(case.application_id),
        action__in=CHANGE_ACTIONS,
        id__gt=previous.pk,
    ).values_list("action", "data"):
        data = data or {}
        if action == "application.save":
            changed |= {f"field:{k}" for k in data.get("fields", ())}
        elif data.get("key"):
            changed.add(f"material:{data['key']}")
    errors = []
    for entry in additions:
        if "material_key" in entry:
            token, name = f"material:{entry['material_key']}", f"《{entry['material_name']}》"
        elif "field" in entry:
            token, name = f"field:{entry['field']}", f"表单“{entry['field_label']}”"
        else:
            token, name = "", "其他问题"
        if token and (token in listed or token in changed or token not in had):
            continue
        if not token and changed:
            continue  # something was corrected since: a new problem may come with it
        errors.append(
            ErrorDetail(
                "problem_known_before",
                f"{name}在上次一次性告知时已可发现，应当在上次告知中一并列明，不能再次告知",
                "This problem could be known at the previous notice and had to be listed there",
                "problems",
                int(entry.get("index", 0)),
            )
        )
    return errors
