"""Builders for the ratings and orders tests: cases completed through the real workflow, served visits,
supervisors of a region and department staff (on top of flow's casebuilders and intake's factories)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from onetrip.catalog.tests import factories as f
from onetrip.flow.tests.casebuilders import NOW, approve, item_case, open_tasks, staff
from onetrip.intake.models import Case, CaseStatus, QueueTicket
from onetrip.intake.services.queue import ticket_call_next, ticket_finish, ticket_take
from onetrip.intake.tests import factories as itf
from onetrip.orgs.models import Department, Region, Role, RoleAssignment, ServiceHall, User, Window
from onetrip.workdays.services import calendar_seed_package

COMPLETED_AT = NOW + dt.timedelta(hours=2)  # Monday 2026-03-02 12:00
RATED_AT = NOW + dt.timedelta(hours=4)  # Monday 2026-03-02 14:00
_seq = itertools.count(1)


def load_calendar() -> None:
    """The official arrangements (chinese-calendar) so deadlines are exact, not provisional."""
    calendar_seed_package()


def completed_case(*, department: Department | None = None) -> Case:
    """An item case accepted, dispatched and approved step by step until the workflow completes it."""
    item = itf.make_intake_item(department=department) if department is not None else None
    case = item_case(item=item)
    handlers: dict[int, User] = {}
    for _ in range(20):
        tasks = open_tasks(case)
        if not tasks:
            break
        task = tasks[0]
        user = handlers.setdefault(task.department_id, staff(task.department, Role.LEADER))
        # Issues the results first where this approval would complete the case (none completes without).
        approve(task, actor=user, now=COMPLETED_AT, opinion="同意")
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED and case.completed_at is not None
    return case


def supervisor(*, region: Region | None = None, department: Department | None = None) -> User:
    """A supervisor of `region` (or of the region of `department`)."""
    user = f.make_user(display_name=f"监管人员{next(_seq)}")
    RoleAssignment.objects.create(
        user=user, role=Role.SUPERVISOR, region=region or (department.region if department else None)
    )
    return user


def outside_supervisor() -> User:
    """A supervisor of a county whose code shares no prefix with the catalogue factories' regions."""
    region = f.make_region(code=f"35{next(_seq) % 10000:04d}000000")
    return supervisor(region=region)


def leader(department: Department, **fields: Any) -> User:
    return staff(department, Role.LEADER, **fields)


def handler(department: Department) -> User:
    return staff(department, Role.HANDLER)


def deputy(**fields: Any) -> User:
    user = f.make_user(display_name=f"人大代表{next(_seq)}", **fields)
    RoleAssignment.objects.create(user=user, role=Role.DEPUTY)
    return user


def hall_with_windows(*, region: Region, department: Department | None = None) -> tuple[ServiceHall, Window]:
    """A hall with a comprehensive window, or a department window when `department` is given."""
    hall = ServiceHall.objects.create(name=f"政务服务中心{next(_seq)}", region=region)
    if department is not None:
        window = Window.objects.create(
            hall=hall, number="G01", name="部门即办窗口", category="department", department=department
        )
    else:
        window = Window.objects.create(hall=hall, number="F01", name="综合窗口", category="general")
    return hall, window


def served_ticket(
    *, holder: User, window: Window, case: Case | None = None, at: dt.datetime = NOW
) -> QueueTicket:
    """A ticket taken, called and finished at `window` (its clerk is made here)."""
    clerk = itf.make_clerk(window=window)
    ticket_take(hall=window.hall, category=window.category, holder=holder, now=at)
    called = ticket_call_next(window=window, clerk=clerk, now=at + dt.timedelta(minutes=5))
    assert called is not None
    return ticket_finish(ticket=called, clerk=clerk, case=case, now=at + dt.timedelta(minutes=20))
