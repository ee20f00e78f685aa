"""A demo bundle from the loaded demo data runs the whole way: the demo citizen applies online for
不动产交易登记“一件事”, the demo window clerk accepts, 交易备案 ∥ 税款征缴 are worked in parallel by their own
departments, 登记 follows the join, every item gets its result, and the result is collected at the window."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from onetrip.bundles.selectors import published_version
from onetrip.demo.loader import DemoSummary
from onetrip.flow import services as flow
from onetrip.flow.models import DeliveryStatus, FlowEvent
from onetrip.flow.tests.casebuilders import open_tasks, staff, version
from onetrip.intake.checklist import checklist_for
from onetrip.intake.formspec import form_definition
from onetrip.intake.models import CaseStatus, Channel
from onetrip.intake.services.acceptance import case_accept
from onetrip.intake.services.application import (
    application_material_upload,
    application_save,
    application_start,
    application_submit,
)
from onetrip.intake.tests.factories import PDF_BYTES
from onetrip.orgs.models import Role, RoleAssignment, User
from onetrip.workdays.core import SHANGHAI

pytestmark = pytest.mark.django_db
ACCEPTED = dt.datetime(2026, 3, 2, 9, 30, tzinfo=SHANGHAI)  # a Monday


def _officer(department: Any) -> User:
    """A member of the department's staff who may take any of its steps (handler and leader)."""
    user = staff(department)
    RoleAssignment.objects.create(user=user, role=Role.LEADER, department=department)
    return user


def _value(field: Any, applicant: User) -> Any:
    """A valid value for a field the prefill left empty, by its type."""
    options = [o.get("value", o) if isinstance(o, dict) else o for o in field.options]
    by_type = {
        "id_number": applicant.id_number,
        "phone": "13800138000",
        "date": "2026-02-27",
        "integer": "1",
        "decimal": "1",
        "boolean": True,
        "choice": options[0] if options else "",
        "multi_choice": options[:1],
    }
    value = by_type.get(field.field_type, "示例内容")
    if isinstance(value, str) and field.max_length:
        value = value[: field.max_length]
    return value


def test_the_demo_property_bundle_runs_from_application_to_collection(demo: DemoSummary) -> None:
    bundle = published_version("property-transaction")
    citizen = User.objects.get(username="zhangsan")
    clerk = User.objects.get(username="chuangkou")
    window = RoleAssignment.objects.get(user=clerk, role=Role.CLERK).window

    application = application_start(applicant=citizen, bundle=bundle.bundle, channel=Channel.ONLINE)
    spec = form_definition(application=application)
    form = {
        f.key: _value(f, citizen) for f in spec.fields if f.required and not application.form_data.get(f.key)
    }
    answers = {
        q.key: (q.options[0].get("value") if isinstance(q.options[0], dict) else q.options[0])
        for q in spec.questions
        if q.options
    }
    saved = application_save(
        application=application, revision=application.revision, form_data=form, answers=answers
    )
    assert saved.field_errors == [] or all(e.code == "authoritative_field" for e in saved.field_errors)
    for n, entry in enumerate(e for e in checklist_for(application=saved.application) if e.asked):
        application_material_upload(
            application=saved.application,
            key=entry.key,
            data=PDF_BYTES + str(n).encode(),
            declared_name=f"{entry.name}.pdf",
            actor=citizen,
        )
    case = application_submit(
        application=saved.application, idempotency_key="demo-property-0001", actor=citizen
    )
    case = case_accept(case=case, clerk=clerk, window=window, now=ACCEPTED)
    case.refresh_from_db()
    assert case.number and case.status == CaseStatus.IN_PROGRESS and case.promised_due_at

    # 交易备案 ∥ 税款征缴 open together in two departments; 登记 waits for both.
    first = {t.department.name for t in open_tasks(case)}
    assert len(first) == 2, first
    handlers: dict[int, User] = {}
    hour = 0
    while True:
        work = [t for t in open_tasks(case) if not t.step_code.endswith("issue")]
        if not work:
            break
        task = work[0]
        handler = handlers.setdefault(task.department_id, _officer(task.department))
        hour += 1
        flow.task_approve(
            task=task,
            actor=handler,
            now=ACCEPTED + dt.timedelta(hours=hour),
            expected_version=version(case),
            opinion="审核通过",
        )
    assert FlowEvent.objects.filter(case=case, kind="joined").exists()

    # Every item's own department issues its result, then the lead department's 统一出件.
    for n, item in enumerate(flow.case_items(case)):
        department = item.current_version.implementing_department
        flow.result_issue(
            case=case,
            item=item,
            kind="approval",
            document_number=f"丽莲〔2026〕{n + 1}号",
            title=f"{item.name}办理结果",
            actor=handlers.get(department.pk) or _officer(department),
            now=ACCEPTED + dt.timedelta(hours=hour + 1),
        )
    # 统一出件 (the step may be signed by more than one person of the lead department in turn).
    for step in range(5):
        remaining = open_tasks(case)
        if not remaining:
            break
        issue = remaining[0]
        assert issue.step_code.endswith("issue")
        flow.task_approve(
            task=issue,
            actor=_officer(issue.department),
            now=ACCEPTED + dt.timedelta(hours=hour + 2 + step),
            expected_version=version(case),
            opinion="出件",
        )
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED

    delivery = flow.delivery_create(
        case=case, method="pickup", actor=clerk, now=ACCEPTED + dt.timedelta(hours=hour + 3), window=window
    )
    flow.delivery_confirm(delivery=delivery, actor=citizen, now=ACCEPTED + dt.timedelta(days=1))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.RECEIVED
