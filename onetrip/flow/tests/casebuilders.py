"""Builders for the flow persistence tests: accepted cases (item or bundle) dispatched to their departments,
and department staff. Cases are built through intake's factories and marked accepted directly, so these
tests exercise the flow services on their own."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from onetrip.bundles.models import BundleVersion
from onetrip.catalog.models import Item
from onetrip.catalog.tests import factories as f
from onetrip.flow.models import ProcessInstanceRecord, TaskRecord, TaskStatus
from onetrip.flow.services import case_dispatch
from onetrip.intake.models import Case, CaseStatus
from onetrip.intake.tests import factories as itf
from onetrip.orgs.models import Department, Role, RoleAssignment, User
from onetrip.workdays.core import SHANGHAI

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)  # a Monday
_seq = itertools.count(1)


def staff(department: Department, role: str = Role.HANDLER, **fields: Any) -> User:
    user = f.make_user(display_name=f"经办人{next(_seq)}", **fields)
    RoleAssignment.objects.create(user=user, role=role, department=department)
    return user


def accepted(case: Case, *, now: dt.datetime = NOW) -> Case:
    Case.objects.filter(pk=case.pk).update(
        status=CaseStatus.ACCEPTED, number=f"331102-2026-{next(_seq):06d}", accepted_at=now
    )
    case.refresh_from_db()
    return case


def item_case(*, item: Item | None = None, now: dt.datetime = NOW, dispatch: bool = True) -> Case:
    case = accepted(itf.make_submitted_case(item=item or itf.make_intake_item()), now=now)
    if dispatch:
        case_dispatch(case=case, actor=itf.make_clerk(region=case.region), now=now)
    return case


def bundle_case(
    *, bundle: BundleVersion | None = None, members: int = 3, now: dt.datetime = NOW, dispatch: bool = True
) -> Case:
    bundle = bundle or itf.make_intake_bundle(members=members)
    case = accepted(itf.make_submitted_case(bundle=bundle), now=now)
    if dispatch:
        case_dispatch(case=case, actor=itf.make_clerk(region=case.region), now=now)
    return case


def open_tasks(case: Case) -> list[TaskRecord]:
    return list(
        TaskRecord.objects.filter(case=case, status=TaskStatus.OPEN)
        .select_related("department")
        .order_by("task_id")
    )


def version(case: Case) -> int:
    return ProcessInstanceRecord.objects.get(case=case).version


def issue_results(case: Case, *, now: dt.datetime = NOW, kind: str = "approval") -> None:
    """Issue a result for every item of the case that has none yet (a case completes only with them), each
    by a handler of the item's implementing department."""
    from onetrip.flow import services
    from onetrip.flow.models import CaseResult

    case.refresh_from_db()
    have = set(CaseResult.objects.filter(case=case).values_list("item_id", flat=True))
    versions = services._case_items(case)
    for item in services.case_items(case):
        if item.pk in have:
            continue
        department = versions[item.pk].implementing_department
        services.result_issue(
            case=case,
            item=item,
            kind=kind,
            document_number=f"测准〔{case.pk}〕{item.pk}号",
            title="准予许可决定书",
            actor=staff(department),
            now=now,
            **(
                {"reasons": "不符合法定条件", "legal_basis": "《中华人民共和国行政许可法》第三十八条"}
                if kind == "denial"
                else {}
            ),
        )


def approve(task: TaskRecord, *, actor: User, now: dt.datetime = NOW, **kw: Any) -> ProcessInstanceRecord:
    """task_approve, issuing the missing results first when this approval would complete the case."""
    from onetrip.core.errors import Conflict
    from onetrip.flow import services

    expected = ProcessInstanceRecord.objects.get(case_id=task.case_id).version
    try:
        return services.task_approve(task=task, actor=actor, now=now, expected_version=expected, **kw)
    except Conflict as exc:
        if exc.errors[0].code != "results_missing":
            raise
    issue_results(Case.objects.get(pk=task.case_id), now=now)
    expected = ProcessInstanceRecord.objects.get(case_id=task.case_id).version
    return services.task_approve(task=task, actor=actor, now=now, expected_version=expected, **kw)
