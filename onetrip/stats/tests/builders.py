"""A small known set of cases for the statistics tests, with every figure computed by hand.

Cases are made through intake's factories (submitted online), then given the dates, channel and trips the
set needs directly on the row, and their facts are recorded with `stats_record` at the instants below, so
the rollup reads exactly these values. March 2026 has no holiday: working days are Monday to Friday.

| case | dept | channel | accepted     | promised    | statutory   | completed   | outcome   | trips |
|------|------|---------|--------------|-------------|-------------|-------------|-----------|-------|
| c1   | D1   | online  | Mon 3-02     | Fri 3-06    | Fri 3-13    | Wed 3-04    | completed | 0     |
| c2   | D1   | window  | Mon 3-02     | Tue 3-03    | —           | Thu 3-05    | completed | 1     |
| c3   | D1   | mobile  | Tue 3-03     | Tue 3-10    | Tue 3-17    | Mon 3-09    | rejected  | 2     |
| c4   | D1   | online  | Wed 3-04     | Wed 3-11    | —           | (open)      |           | 0     |
| c5   | D1   | online  | (refused Thu 3-05)                                                     |
| c6   | D2   | online  | Mon 3-02     | Wed 3-04    | —           | Mon 3-02    | completed | 0     |
| c7   | D1   | online  | Mon 3-02     | Mon 3-09    | —           | Tue 3-03    | withdrawn | 0     |

Working days (acceptance → completion): c1 2, c2 3, c3 4, c6 0. Promised: c1 4, c2 1, c3 5, c6 2; statutory:
c1 9, c3 10. Ratings: c1 level 5; c2 level 2, then a follow-up 2 → 4; c6 level 1, then an upheld appeal
(1 → none); an on-site rating (case 0) of D2, level 3. Supervision: c2 warned once and overdue three times
in D1.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from onetrip.catalog.tests import factories as f
from onetrip.intake.models import ApplicationMaterial, Case, CaseStatus, MaterialState
from onetrip.intake.tests import factories as itf
from onetrip.orgs.models import Department, Region
from onetrip.stats.services import stats_record
from onetrip.workdays.core import SHANGHAI


def at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, 0, tzinfo=SHANGHAI)


def due(day: int) -> dt.datetime:
    return at(day, 17)


@dataclass
class KnownSet:
    region: Region
    d1: Department
    d2: Department
    cases: dict[str, Case]
    item1: Any
    item2: Any


def make_case(item: Any, **fields: Any) -> Case:
    """A submitted case of `item`, then `fields` written straight onto the row."""
    case = itf.make_submitted_case(item=item)
    materials = fields.pop("fetched", 0)
    prefilled = fields.pop("prefilled", None)
    # The spared materials and fields are part of the set: exactly `materials` fetched, `prefilled` filled.
    ApplicationMaterial.objects.filter(application_id=case.application_id).update(
        state=MaterialState.UPLOADED
    )
    if materials:
        keys = list(
            ApplicationMaterial.objects.filter(application_id=case.application_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:materials]
        )
        ApplicationMaterial.objects.filter(pk__in=keys).update(state=MaterialState.E_LICENCE)
    case.application.prefilled = prefilled or {}
    case.application.save(update_fields=["prefilled"])
    Case.objects.filter(pk=case.pk).update(**fields)
    case.refresh_from_db()
    return case


def known_set() -> KnownSet:
    region = f.make_region(code="339901000000", name="统计测试区")
    d1 = f.make_department(name="统计测试一局", region=region)
    d2 = f.make_department(name="统计测试二局", region=region)
    item1 = itf.make_intake_item(department=d1)
    item2 = itf.make_intake_item(department=d2)
    common = {"region": region}
    c: dict[str, Case] = {}
    c["c1"] = make_case(
        item1,
        channel="online",
        trips=0,
        accepted_at=at(2),
        promised_due_at=due(6),
        statutory_due_at=due(13),
        completed_at=at(4, 15),
        status=CaseStatus.COMPLETED,
        fetched=1,
        prefilled={"person.name": "账户", "person.phone": "账户", "@sharing": {"complete": True}},
        **common,
    )
    c["c2"] = make_case(
        item1,
        channel="window",
        trips=1,
        accepted_at=at(2),
        promised_due_at=due(3),
        completed_at=at(5, 9),
        status=CaseStatus.COMPLETED,
        **common,
    )
    c["c3"] = make_case(
        item1,
        channel="mobile",
        trips=2,
        accepted_at=at(3),
        promised_due_at=due(10),
        statutory_due_at=due(17),
        completed_at=at(9, 16),
        status=CaseStatus.COMPLETED,
        fetched=2,
        **common,
    )
    c["c4"] = make_case(
        item1,
        channel="online",
        accepted_at=at(4),
        promised_due_at=due(11),
        status=CaseStatus.IN_PROGRESS,
        **common,
    )
    c["c5"] = make_case(item1, channel="online", status=CaseStatus.REFUSED, **common)
    c["c6"] = make_case(
        item2,
        channel="online",
        accepted_at=at(2, 9),
        promised_due_at=due(4),
        completed_at=at(2, 16),
        status=CaseStatus.COMPLETED,
        prefilled={"person.name": "账户"},
        **common,
    )
    c["c7"] = make_case(
        item1,
        channel="online",
        accepted_at=at(2),
        promised_due_at=due(9),
        completed_at=at(3),
        status=CaseStatus.WITHDRAWN,
        **common,
    )
    return KnownSet(region, d1, d2, c, item1, item2)


def record_facts(s: KnownSet) -> None:
    """The facts the services would have recorded for the set, in time order."""
    c = s.cases
    for name in ("c1", "c2", "c3", "c4", "c6", "c7"):
        stats_record(case_id=c[name].pk, kind="accepted", at=c[name].accepted_at, data={"deemed": False})
    stats_record(case_id=c["c5"].pk, kind="refused", at=at(5))
    for name, outcome in (("c1", "completed"), ("c2", "completed"), ("c3", "rejected"), ("c6", "completed")):
        stats_record(case_id=c[name].pk, kind="completed", at=c[name].completed_at, data={"outcome": outcome})
    stats_record(case_id=c["c7"].pk, kind="completed", at=c["c7"].completed_at, data={"outcome": "withdrawn"})
    rated = [
        (c["c1"].pk, 5, None, s.d1.pk, False, at(5)),
        (c["c2"].pk, 2, None, s.d1.pk, False, at(6)),
        (c["c2"].pk, 4, 2, s.d1.pk, False, at(20)),
        (c["c6"].pk, 1, None, s.d2.pk, False, at(3)),
        (c["c6"].pk, None, 1, s.d2.pk, False, at(12)),
        (0, 3, None, s.d2.pk, True, at(10)),
    ]
    for case_id, level, previous, department, onsite, when in rated:
        stats_record(
            case_id=case_id,
            kind="rated",
            at=when,
            data={"level": level, "previous_level": previous, "department_id": department, "onsite": onsite},
        )
    task = {"task_id": 1, "department_id": s.d1.pk, "assignee_id": None}
    stats_record(case_id=c["c2"].pk, kind="warned", at=at(3, 9), data=task)
    for hour in (9, 10, 11):
        stats_record(case_id=c["c2"].pk, kind="overdue", at=at(4, hour), data=task)
