"""Builders for the supervision tests: items whose steps have the limit a test needs, dispatched cases left
untouched, department staff, and rules. Reuses the flow/intake/catalog factories."""

from __future__ import annotations

import datetime as dt
from typing import Any

from onetrip.catalog.models import Item, ProcessStep, StepKind
from onetrip.catalog.services import item_version_publish
from onetrip.catalog.tests import factories as f
from onetrip.flow.models import TaskRecord
from onetrip.flow.tests.casebuilders import item_case, open_tasks, staff
from onetrip.intake.models import Case
from onetrip.intake.tests import factories as itf
from onetrip.orgs.models import Department, Role, RoleAssignment, User
from onetrip.supervision.models import AlertRule, TaskWatch
from onetrip.supervision.services import RuleInput, alert_rule_create
from onetrip.workdays.core import SHANGHAI

# Wednesday before Labour Day 2026: May 1–5 are holidays and Saturday May 9 is an adjusted working day, so
# the 5th working day after 29 April is Saturday 9 May and the 7th is Tuesday 12 May.
APR29 = dt.datetime(2026, 4, 29, 10, 0, tzinfo=SHANGHAI)
MINUTE = dt.timedelta(minutes=1)


def local(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def slow_item(*, limit: int | None = None, department: Department | None = None) -> Item:
    """A published item whose flow steps have `limit` working days (None: no step limit)."""
    version = f.make_complete_draft(department=department)
    itf.add_intake_materials(version)
    ProcessStep.objects.filter(version=version, kind=StepKind.TASK).update(limit=limit)
    item_version_publish(version=version)
    version.item.refresh_from_db()
    return version.item


def untouched(*, item: Item | None = None, at: dt.datetime = APR29) -> tuple[Case, TaskRecord]:
    """An accepted, dispatched case whose first task nobody touches."""
    case = item_case(item=item or slow_item(), now=at)
    [task] = open_tasks(case)
    return case, task


def team(department: Department) -> tuple[User, User]:
    """A handler and a leader of the department."""
    return staff(department), staff(department, Role.LEADER)


def admin_user() -> User:
    user = f.make_user(display_name="系统管理员")
    RoleAssignment.objects.create(user=user, role=Role.SYSTEM_ADMIN)
    return user


def rule_for(item: Item | None, **fields: Any) -> AlertRule:
    data = {"warn_after_days": 5, "overdue_after_days": 7, **fields}
    return alert_rule_create(actor=admin_user(), item=item, data=RuleInput(**data), now=APR29)


class Seen:
    """A task as the sweep left it: its row (attributes pass through) and its watch state — alert "" and
    None points when it has no watch row (never seen, or no longer watched)."""

    def __init__(self, task: TaskRecord) -> None:
        task = TaskRecord.objects.get(pk=task.pk)
        watch = TaskWatch.objects.filter(task=task).first()
        self.task = task
        self.alert = watch.alert if watch else ""
        self.warn_at = watch.warn_at if watch else None
        self.overdue_at = watch.overdue_at if watch else None
        self.watch_at = watch.watch_at if watch else None
        self.rule_id = watch.rule_id if watch else None
        self.watch_reminders = watch.reminders if watch else 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.task, name)


def reload(task: TaskRecord | Seen) -> Seen:
    return Seen(task.task if isinstance(task, Seen) else task)


def seed_flushed_database() -> None:
    """What the migrations seed — the official calendar and the global alert rule — for a test with
    transaction=True, which may run after another such test flushed the database. (serialized_rollback would
    restore it too, but clashes with the content types that a flush recreates under new ids.)"""
    from importlib import import_module

    from django.apps import apps

    from onetrip.workdays.services import calendar_seed_package

    calendar_seed_package()
    import_module("onetrip.supervision.migrations.0001_initial").seed_global_rule(apps, None)
