"""Overdue counts per department and person over a period, and the 问责 mark at the global threshold."""

from __future__ import annotations

import datetime as dt

import pytest

from onetrip.catalog.tests import factories as f
from onetrip.core.errors import Forbidden
from onetrip.flow import services as flow
from onetrip.flow.tests.casebuilders import item_case, open_tasks, version
from onetrip.orgs.models import Role, RoleAssignment
from onetrip.orgs.tests import factories as of
from onetrip.supervision import selectors
from onetrip.supervision.models import AlertRule
from onetrip.supervision.services import RuleInput, alert_rule_update, supervision_sweep
from onetrip.supervision.tests.builders import APR29, admin_user, local, slow_item, team

pytestmark = pytest.mark.django_db
MAY = (dt.date(2026, 5, 1), dt.date(2026, 5, 31))


@pytest.fixture
def overdue_world():
    """莲都区: department A with 3 overdue tasks (2 claimed by one handler), B with 2 (1 claimed);
    青田县: department C with 1. All overdue on 12 May."""
    regions = of.region_chain()
    a = f.make_department(name="甲局", region=regions["county"])
    b = f.make_department(name="乙局", region=regions["county"])
    c = f.make_department(name="丙局", region=regions["other"])
    people = {}
    for department, count, claimed in ((a, 3, 2), (b, 2, 1), (c, 1, 0)):
        item = slow_item(department=department)
        handler, leader = team(department)
        people[department.pk] = (handler, leader)
        for n in range(count):
            case = item_case(item=item, now=APR29)
            if n < claimed:
                [task] = open_tasks(case)
                flow.task_claim(task=task, actor=handler, now=APR29, expected_version=version(case))
    supervision_sweep(now=local(2026, 5, 13, 9, 0))
    supervisor = f.make_user(display_name="跑改办")
    RoleAssignment.objects.create(user=supervisor, role=Role.SUPERVISOR, region=regions["county"])
    return {"a": a, "b": b, "c": c, "people": people, "supervisor": supervisor}


def test_counts_per_department_and_person_and_the_accountability_mark(overdue_world):
    w = overdue_world
    result = selectors.accountability(user=w["supervisor"], start=MAY[0], end=MAY[1])
    assert result.threshold == 3
    rows = {d.name: d for d in result.departments}
    assert set(rows) == {"甲局", "乙局"}  # 丙局 is in another county
    a, b = rows["甲局"], rows["乙局"]
    handler_a = w["people"][w["a"].pk][0]
    handler_b = w["people"][w["b"].pk][0]
    assert (a.count, a.flagged, a.unassigned) == (3, True, 1)
    assert [(p.user_id, p.count) for p in a.people] == [(handler_a.pk, 2)]
    assert (b.count, b.flagged, b.unassigned) == (2, False, 1)
    assert [(p.user_id, p.count) for p in b.people] == [(handler_b.pk, 1)]
    assert [d.name for d in result.flagged] == ["甲局"]
    # Another period holds none of them.
    assert (
        selectors.accountability(
            user=w["supervisor"], start=dt.date(2026, 6, 1), end=dt.date(2026, 6, 30)
        ).departments
        == []
    )


def test_the_threshold_comes_from_the_global_rule(overdue_world):
    rule = AlertRule.objects.get(item__isnull=True)
    alert_rule_update(
        actor=admin_user(), rule=rule, data=RuleInput(5, 7, accountability_threshold=2), now=APR29
    )
    result = selectors.accountability(user=overdue_world["supervisor"], start=MAY[0], end=MAY[1])
    assert result.threshold == 2 and {d.name for d in result.flagged} == {"甲局", "乙局"}


def test_leaders_see_their_departments_and_handlers_see_no_accountability(overdue_world):
    w = overdue_world
    handler_b, leader_b = w["people"][w["b"].pk]
    result = selectors.accountability(user=leader_b, start=MAY[0], end=MAY[1])
    assert [d.name for d in result.departments] == ["乙局"]
    with pytest.raises(Forbidden):
        selectors.accountability(user=handler_b, start=MAY[0], end=MAY[1])
    everyone = selectors.accountability(user=admin_user(), start=MAY[0], end=MAY[1])
    assert {d.name for d in everyone.departments} == {"甲局", "乙局", "丙局"}


def test_the_drill_down_lists_the_records_behind_a_count_page_by_page(overdue_world):
    w = overdue_world
    first, after = selectors.overdue_records(
        user=w["supervisor"], start=MAY[0], end=MAY[1], department_id=w["a"].pk, limit=2
    )
    assert len(first) == 2 and after
    rest, after2 = selectors.overdue_records(
        user=w["supervisor"],
        start=MAY[0],
        end=MAY[1],
        department_id=w["a"].pk,
        after=selectors.parse_after(after),
        limit=2,
    )
    assert len(rest) == 1 and after2 == ""
    assert len({r.pk for r in first + rest}) == 3
    # Out of scope: the other county's department shows nothing for this supervisor.
    none, _ = selectors.overdue_records(
        user=w["supervisor"], start=MAY[0], end=MAY[1], department_id=w["c"].pk
    )
    assert none == []
    handler_a = w["people"][w["a"].pk][0]
    mine, _ = selectors.overdue_records(
        user=w["supervisor"], start=MAY[0], end=MAY[1], person_id=handler_a.pk
    )
    assert len(mine) == 2 and {r.person_id for r in mine} == {handler_a.pk}
