"""Persistence: definitions stored once by version, timeouts through the sweep with an injected `now`,
inbox ordering and countdown colours, results and delivery."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from onetrip.catalog.models import ProcessStep
from onetrip.catalog.services import item_version_publish
from onetrip.catalog.tests import factories as f
from onetrip.core.errors import Conflict, DomainError, Forbidden
from onetrip.flow import selectors
from onetrip.flow import services as s
from onetrip.flow.models import (
    CaseResult,
    Delivery,
    DeliveryStatus,
    FlowEvent,
    ProcessDefinitionRecord,
    ProcessInstanceRecord,
    TaskRecord,
    TaskStatus,
)
from onetrip.flow.tests.casebuilders import (
    NOW,
    approve,
    issue_results,
    item_case,
    open_tasks,
    staff,
    version,
)
from onetrip.intake.models import CaseStatus
from onetrip.intake.tests import factories as itf
from onetrip.orgs.models import ServiceHall, Window
from onetrip.sharing.models import Licence, LicenceType

pytestmark = pytest.mark.django_db
LATER = NOW + dt.timedelta(hours=1)


def item_with_policy(policy: str, step: str = "accept"):
    version = f.make_complete_draft()
    itf.add_intake_materials(version)
    ProcessStep.objects.filter(version=version, code=step).update(timeout_policy=policy)
    item_version_publish(version=version)
    version.item.refresh_from_db()
    return version.item


def finish(case, *, until_final: bool = False):
    """Approve the open tasks in turn (issuing the results the completing approval needs); `until_final`:
    stop when the item's final step is open."""
    for _ in range(10):
        tasks = open_tasks(case)
        if not tasks or (until_final and tasks[0].step_code == "decide"):
            return
        approve(tasks[0], actor=staff(tasks[0].department), now=LATER)


def test_definitions_are_stored_once_and_cases_keep_their_version():
    first = item_case()
    second = item_case(item=first.item_version.item)
    a = ProcessInstanceRecord.objects.get(case=first)
    b = ProcessInstanceRecord.objects.get(case=second)
    assert a.definition_id == b.definition_id
    assert ProcessDefinitionRecord.objects.filter(key=a.definition.key).count() == 1
    assert a.state["d"] == [a.definition.key, a.definition.version]
    assert len(str(a.state)) < 4096


def test_sweep_reminds_once_when_a_step_times_out():
    case = item_case()
    [task] = open_tasks(case)
    assert s.flow_sweep(now=task.due_at - dt.timedelta(minutes=1)).actions == 0
    report = s.flow_sweep(now=task.due_at + dt.timedelta(minutes=1))
    assert report.actions == 1 and report.by_kind == {"remind": 1}
    task.refresh_from_db()
    assert task.timed_out and task.reminders == 1 and task.status == TaskStatus.OPEN
    assert FlowEvent.objects.filter(case=case, kind="timeout_reminded", actor__isnull=True).exists()
    assert s.flow_sweep(now=task.due_at + dt.timedelta(days=1)).actions == 0  # once, not every sweep


def test_sweep_deems_a_late_step_approved_and_records_who_is_responsible():
    case = item_case(item=item_with_policy("deem_approved"))
    [task] = open_tasks(case)
    s.flow_sweep(now=task.due_at + dt.timedelta(minutes=1))
    task.refresh_from_db()
    assert task.status == TaskStatus.APPROVED and task.deemed
    [nxt] = open_tasks(case)
    assert nxt.step_code == "review"
    obligation = FlowEvent.objects.get(case=case, kind="obligation")
    assert obligation.data["department"] == f"d{task.department_id}"


def test_sweep_rejects_or_escalates_per_policy():
    rejected = item_case(item=item_with_policy("reject"))
    escalated = item_case(item=item_with_policy("escalate"))
    due = max(open_tasks(rejected)[0].due_at, open_tasks(escalated)[0].due_at)
    report = s.flow_sweep(now=due + dt.timedelta(minutes=1), batch=1)  # batches: one case at a time
    assert report.by_kind == {"reject": 1, "escalate": 1}
    rejected.refresh_from_db()
    # Rejected by the timeout policy: 办结 waits for the refusal decision with its reasons and legal basis.
    assert rejected.status == CaseStatus.IN_PROGRESS and rejected.completed_at is None
    assert ProcessInstanceRecord.objects.get(case=rejected).status == "rejected"
    issue_results(rejected, now=due, kind="denial")
    rejected.refresh_from_db()
    assert rejected.status == CaseStatus.COMPLETED
    assert open_tasks(escalated)[0].escalated


def test_a_suspended_case_does_not_time_out_and_gets_the_time_back():
    case = item_case(item=item_with_policy("deem_approved"))
    [task] = open_tasks(case)
    s.case_suspend(
        case=case, actor=staff(case.lead_department), now=LATER, expected_version=version(case), reason="中止"
    )
    assert ProcessInstanceRecord.objects.get(case=case).wake_at is None
    assert s.flow_sweep(now=task.due_at + dt.timedelta(days=5)).actions == 0
    s.case_resume(
        case=case,
        actor=staff(case.lead_department),
        now=LATER + dt.timedelta(days=7),
        expected_version=version(case),
    )
    task.refresh_from_db()
    assert task.due_at > LATER + dt.timedelta(days=7)


def test_sweep_command_prints_its_report():
    case = item_case()
    [task] = open_tasks(case)
    from io import StringIO

    out = StringIO()
    call_command("flow", "sweep", "--now", (task.due_at + dt.timedelta(hours=1)).isoformat(), stdout=out)
    assert '"actions": 1' in out.getvalue()


def test_inbox_orders_by_deadline_with_countdown_colours():
    department = f.make_department()
    cases = [
        item_case(item=itf.make_intake_item(department=department), now=NOW + dt.timedelta(days=d))
        for d in (2, 0, 1)
    ]
    user = staff(department)
    rows = selectors.inbox(user=user)
    assert [r.case_id for r in rows] == [cases[1].pk, cases[2].pk, cases[0].pk]
    assert [r.due_at for r in rows] == sorted(r.due_at for r in rows)
    page1 = selectors.inbox(user=user, limit=2)
    page2 = selectors.inbox(user=user, after=(page1[-1].due_at, page1[-1].pk), limit=2)
    assert [r.pk for r in page1 + page2] == [r.pk for r in rows]
    first = rows[0]
    assert selectors.countdown(first, first.created_at).colour == "yellow"  # one working day: within 1 day
    assert selectors.countdown(first, first.due_at + dt.timedelta(days=2)).colour == "red"
    outsider = staff(f.make_department())
    assert selectors.inbox(user=outsider) == []


def test_countdown_is_green_with_time_to_spare():
    case = item_case()
    [task] = open_tasks(case)
    TaskRecord.objects.filter(pk=task.pk).update(due_at=NOW + dt.timedelta(days=14))
    task.refresh_from_db()
    c = selectors.countdown(task, NOW)
    assert c.colour == "green" and c.remaining >= 5


def test_results_and_delivery_close_the_case_with_the_applicant_confirming():
    case = item_case()
    finish(case, until_final=True)
    case.refresh_from_db()
    department = case.item_version.implementing_department
    handler = staff(department)
    with pytest.raises(Forbidden):
        s.result_issue(
            case=case,
            item=case.item_version.item,
            kind="approval",
            document_number="X",
            title="T",
            actor=staff(f.make_department()),
            now=LATER,
        )
    with pytest.raises(DomainError) as err:
        s.result_issue(
            case=case,
            item=case.item_version.item,
            kind="denial",
            document_number="",
            title="决定",
            actor=handler,
            now=LATER,
        )
    assert {e.code for e in err.value.errors} >= {
        "kind_mismatch",
        "required",
        "reason_required",
        "legal_basis_required",
    }
    with pytest.raises(DomainError) as unknown:
        s.result_issue(
            case=case,
            item=case.item_version.item,
            kind="licence",
            document_number="丽莲许〔2026〕1号",
            title="许可证",
            licence_type="water-permit",
            actor=handler,
            now=LATER,
        )
    assert unknown.value.errors[0].code == "unknown_licence_type"
    assert not CaseResult.objects.filter(case=case).exists()
    LicenceType.objects.create(
        code="water-permit",
        name="取水许可证",
        issuer=case.item_version.implementing_department,
        satisfies="取水许可证",
        holder_kind="person",
    )
    result = s.result_issue(
        case=case,
        item=case.item_version.item,
        kind="licence",
        document_number="丽莲许〔2026〕1号",
        title="许可证",
        licence_type="water-permit",
        actor=handler,
        now=LATER,
    )
    assert result.licence_type == "取水许可证"
    # Issued into the e-licence register, so a later case takes it instead of a paper copy.
    licence = Licence.objects.get(number="丽莲许〔2026〕1号")
    assert licence.holder == case.applicant.id_number.upper() and licence.licence_type.code == "water-permit"
    with pytest.raises(Conflict):
        s.result_issue(
            case=case,
            item=case.item_version.item,
            kind="approval",
            document_number="2",
            title="T",
            actor=handler,
            now=LATER,
        )
    finish(case)  # the final approval, now that the result is there
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    with pytest.raises(DomainError) as err:
        s.delivery_create(case=case, method="post", actor=handler, now=LATER)
    assert err.value.errors[0].code == "tracking_required"
    hall = ServiceHall.objects.create(name="莲都区行政服务中心", region=case.region)
    window = Window.objects.create(hall=hall, number="8", name="统一出件", category="general")
    delivery = s.delivery_create(case=case, method="pickup", actor=handler, now=LATER, window=window)
    assert delivery.status == DeliveryStatus.READY and "8号窗口" in delivery.notice
    with pytest.raises(Forbidden):
        s.delivery_confirm(delivery=delivery, actor=handler, now=LATER)
    trips = case.trips
    s.delivery_confirm(delivery=delivery, actor=case.applicant, now=LATER)
    case.refresh_from_db()
    assert Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.RECEIVED
    assert case.trips == trips + 1  # collecting at the window is a trip


def test_results_wait_for_the_decision_and_a_denial_follows_a_rejection():
    case = item_case()
    [task] = open_tasks(case)
    handler = staff(task.department)
    with pytest.raises(Conflict):
        s.result_issue(
            case=case,
            item=case.item_version.item,
            kind="approval",
            document_number="1",
            title="T",
            actor=handler,
            now=LATER,
        )
    s.task_reject(
        task=task, actor=handler, now=LATER, expected_version=version(case), reason="不符合法定条件"
    )
    s.result_issue(
        case=case,
        item=case.item_version.item,
        kind="denial",
        document_number="丽莲不许〔2026〕1号",
        title="不予许可决定书",
        reasons="不符合法定条件",
        legal_basis="《中华人民共和国行政许可法》第三十八条第二款",
        actor=handler,
        now=LATER,
    )
    delivery = s.delivery_create(case=case, method="electronic", actor=handler, now=LATER)
    assert delivery.status == DeliveryStatus.SENT
    s.delivery_confirm(delivery=delivery, actor=case.applicant, now=LATER)
