"""`{% prefill_disagreements application as rows %}`: the applicant's objections to authoritative prefilled
values, with each field's label, for the clerk's case page."""

from __future__ import annotations

from typing import Any

from django import template

from onetrip.intake.formspec import form_definition
from onetrip.intake.services.prefill import prefill_disagreements as disagreements_of

register = template.Library()


@register.simple_tag
def prefill_disagreements(application: Any) -> list[dict[str, Any]]:
    rows = disagreements_of(application)
    if not rows:
        return []
    labels = {f.key: f.label for f in form_definition(application=application).fields}
    return [{**row, "label": labels.get(row["field"], row["field"])} for row in rows]
