"""终止办理告知书: the notice of a case ended because a 容缺 commitment passed its date (services.deficiency).

Rendered like the other acceptance documents (documents.py: WeasyPrint, Noto CJK, every URL refused, the
ID number masked) from the `deficiency_overdue` CaseEvent that ended the case, which never changes: the key
includes the event and the case's unique submission key.
"""

from __future__ import annotations

from typing import Any

from onetrip.intake.documents import _cached, applicant_line
from onetrip.intake.models import Case, CaseEvent, Deficiency


def termination_event(case: Case) -> CaseEvent | None:
    """The CaseEvent that told the applicant their case ended for an overdue commitment, if any."""
    return case.events.filter(kind="deficiency_overdue", data__terminated=True).order_by("at", "id").first()


def termination_context(case: Case, event: CaseEvent) -> dict[str, Any]:
    ids = list((event.data or {}).get("deficiencies") or ())
    return {
        "case": case,
        "document_number": f"终止〔{event.at.year}〕第{case.pk:08d}号",
        "applicant": applicant_line(case),
        "department": case.lead_department.name,
        "overdue": list(Deficiency.objects.filter(case=case, pk__in=ids).order_by("due_date", "id")),
        "ended_at": event.at,
    }


def termination_pdf(case: Case, event: CaseEvent) -> bytes:
    stamp = f"termination:{case.pk}:{case.idempotency_key}:{event.pk}"
    return _cached(stamp, "intake/documents/termination.html", lambda: termination_context(case, event))
