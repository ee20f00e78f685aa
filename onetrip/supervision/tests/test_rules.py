"""Alert rules: the seeded global default, validation with clear errors that change nothing, one rule per item,
who may manage them, and what a new or deleted rule does to open tasks."""

from __future__ import annotations

import pytest

from onetrip.catalog.tests import factories as f
from onetrip.core.audit import AuditEvent
from onetrip.core.errors import Conflict, DomainError, Forbidden
from onetrip.orgs.models import Role, RoleAssignment
from onetrip.orgs.tests import factories as of
from onetrip.supervision.models import AlertRule
from onetrip.supervision.services import (
    RuleInput,
    alert_rule_create,
    alert_rule_delete,
    alert_rule_update,
    parse_reminder_times,
    supervision_sweep,
)
from onetrip.supervision.tests.builders import (
    APR29,
    MINUTE,
    admin_user,
    reload,
    rule_for,
    slow_item,
    untouched,
)

pytestmark = pytest.mark.django_db


def codes(exc: pytest.ExceptionInfo[DomainError]) -> set[tuple[str, str | None]]:
    return {(e.code, e.field) for e in exc.value.errors}


def test_the_migration_seeds_dongyangs_global_rule():
    rule = AlertRule.objects.get(item__isnull=True)
    assert (rule.warn_after_days, rule.overdue_after_days, rule.accountability_threshold) == (5, 7, 3)
    assert rule.remind_from_days is None and rule.reminders_per_day == 0 and rule.is_global


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"warn_after_days": 7, "overdue_after_days": 7},
            {("warning_not_before_overdue", "warn_after_days")},
        ),
        (
            {"warn_after_days": 9, "overdue_after_days": 7},
            {("warning_not_before_overdue", "warn_after_days")},
        ),
        ({"warn_after_days": 0, "overdue_after_days": 7}, {("not_positive", "warn_after_days")}),
        ({"warn_after_days": 5, "overdue_after_days": -1}, {("not_positive", "overdue_after_days")}),
        ({"warn_after_days": 5, "overdue_after_days": 900}, {("too_large", "overdue_after_days")}),
        (
            {"warn_after_days": 5, "overdue_after_days": 7, "remind_from_days": 3},
            {("escalation_before_warning", "remind_from_days")},
        ),
        (
            {"warn_after_days": 5, "overdue_after_days": 7, "remind_from_days": 0},
            {("not_positive", "remind_from_days")},
        ),
        (
            {"warn_after_days": 5, "overdue_after_days": 7, "remind_from_days": 6, "reminder_times": ""},
            {("times_required", "reminder_times")},
        ),
        (
            {"warn_after_days": 5, "overdue_after_days": 7, "reminder_times": "9点,12:00"},
            {("invalid_time", "reminder_times")},
        ),
        (
            {"warn_after_days": 5, "overdue_after_days": 7, "reminder_times": "12:00,09:00"},
            {("times_not_ordered", "reminder_times")},
        ),
        (
            {"warn_after_days": 5, "overdue_after_days": 7, "accountability_threshold": 3},
            {("threshold_global_only", "accountability_threshold")},
        ),
        (
            {"warn_after_days": 0, "overdue_after_days": 0, "remind_from_days": -2},
            {
                ("not_positive", "warn_after_days"),
                ("not_positive", "overdue_after_days"),
                ("not_positive", "remind_from_days"),
            },
        ),
    ],
)
def test_contradictory_or_bad_thresholds_are_refused_with_clear_errors_and_change_nothing(fields, expected):
    item = slow_item()
    with pytest.raises(DomainError) as exc:
        alert_rule_create(actor=admin_user(), item=item, data=RuleInput(**fields), now=APR29)
    assert codes(exc) == expected
    assert all(e.message_zh and e.message_en for e in exc.value.errors)
    assert not AlertRule.objects.filter(item=item).exists()


def test_the_warning_message_names_both_numbers():
    with pytest.raises(DomainError) as exc:
        alert_rule_create(
            actor=admin_user(),
            item=slow_item(),
            data=RuleInput(warn_after_days=8, overdue_after_days=7),
            now=APR29,
        )
    assert exc.value.errors[0].message_zh == "预警（8个工作日）必须早于超期（7个工作日）"


def test_reminder_times_are_normalised():
    assert parse_reminder_times(" 9:00，12:00 , 17:30") == (
        parse_reminder_times("09:00")[0],
        parse_reminder_times("12:00")[0],
        parse_reminder_times("17:30")[0],
    )
    rule = rule_for(slow_item(), remind_from_days=5, reminder_times="9:00,12:00,17:00")
    assert rule.reminder_times == "09:00,12:00,17:00" and rule.reminders_per_day == 3


def test_one_rule_per_item_and_one_global_rule():
    item = slow_item()
    rule_for(item)
    with pytest.raises(Conflict) as exc:
        rule_for(item, warn_after_days=2, overdue_after_days=3)
    assert codes(exc) == {("rule_exists", "item")}
    with pytest.raises(Conflict):
        alert_rule_create(
            actor=admin_user(),
            item=None,
            data=RuleInput(warn_after_days=5, overdue_after_days=7, accountability_threshold=3),
            now=APR29,
        )
    assert AlertRule.objects.filter(item=item).count() == 1


def test_the_global_rule_can_be_changed_but_not_deleted_and_always_has_a_threshold():
    rule = AlertRule.objects.get(item__isnull=True)
    admin = admin_user()
    with pytest.raises(DomainError) as exc:
        alert_rule_update(actor=admin, rule=rule, data=RuleInput(5, 7), now=APR29)
    assert codes(exc) == {("required", "accountability_threshold")}
    alert_rule_update(
        actor=admin, rule=rule, data=RuleInput(4, 6, accountability_threshold=2, note="试行"), now=APR29
    )
    rule.refresh_from_db()
    assert (rule.warn_after_days, rule.overdue_after_days, rule.accountability_threshold) == (4, 6, 2)
    with pytest.raises(Conflict):
        alert_rule_delete(actor=admin, rule=rule, now=APR29)
    assert AuditEvent.objects.filter(action="supervision.rule_update", object_id=str(rule.pk)).exists()


def test_who_may_manage_rules():
    item = slow_item()
    data = RuleInput(warn_after_days=3, overdue_after_days=4)
    handler = f.make_user()
    RoleAssignment.objects.create(user=handler, role=Role.HANDLER, department=item.department)
    with pytest.raises(Forbidden):
        alert_rule_create(actor=handler, item=item, data=data, now=APR29)
    # A supervisor of another county may not; one of the item's region may, but not the global rule.
    elsewhere = of.region_chain()["other"]
    outsider = f.make_user()
    RoleAssignment.objects.create(user=outsider, role=Role.SUPERVISOR, region=elsewhere)
    with pytest.raises(Forbidden):
        alert_rule_create(actor=outsider, item=item, data=data, now=APR29)
    supervisor = f.make_user()
    RoleAssignment.objects.create(user=supervisor, role=Role.SUPERVISOR, region=item.department.region)
    rule = alert_rule_create(actor=supervisor, item=item, data=data, now=APR29)
    assert rule.updated_by == supervisor
    with pytest.raises(Forbidden):
        alert_rule_update(
            actor=supervisor,
            rule=AlertRule.objects.get(item__isnull=True),
            data=RuleInput(5, 7, accountability_threshold=3),
            now=APR29,
        )


def test_a_new_item_rule_applies_to_the_items_open_tasks_and_deleting_it_falls_back():
    item = slow_item()
    _, task = untouched(item=item)
    supervision_sweep(now=APR29 + MINUTE)
    global_rule = AlertRule.objects.get(item__isnull=True)
    assert reload(task).rule_id == global_rule.pk
    rule = rule_for(item, warn_after_days=1, overdue_after_days=2)
    assert reload(task).watch_at == APR29 and reload(task).rule_id is None
    supervision_sweep(now=APR29 + 2 * MINUTE)
    assert reload(task).rule_id == rule.pk
    alert_rule_delete(actor=admin_user(), rule=rule, now=APR29 + 3 * MINUTE)
    assert not AlertRule.objects.filter(pk=rule.pk).exists()
    supervision_sweep(now=APR29 + 4 * MINUTE)
    assert reload(task).rule_id == global_rule.pk
    assert AuditEvent.objects.filter(action="supervision.rule_delete").count() == 1
