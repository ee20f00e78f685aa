"""`{% case_deficiency_rows case as rows %}`: the case's 容缺 commitments as its pages show them (selector);
`{% case_termination_event case as ended %}`: the notice of its end for an overdue commitment."""

from __future__ import annotations

from typing import Any

from django import template

from onetrip.intake.documents_deficiency import termination_event
from onetrip.intake.models import CaseEvent, CaseStatus
from onetrip.intake.selectors_deficiency import DeficiencyRow, deficiency_rows

register = template.Library()


@register.simple_tag
def case_deficiency_rows(case: Any) -> list[DeficiencyRow]:
    return deficiency_rows(case)


@register.simple_tag
def case_termination_event(case: Any) -> CaseEvent | None:
    """The event with the 终止办理告知书 of a case ended for an overdue commitment, if any."""
    if case.status != CaseStatus.TERMINATED:
        return None
    return termination_event(case)
