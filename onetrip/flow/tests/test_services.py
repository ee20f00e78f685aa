"""Flow services on the database: dispatch, every department operation, errors, batch approval."""

from __future__ import annotations

import datetime as dt

import pytest

from onetrip.core.errors import Conflict, DomainError, Forbidden
from onetrip.core.models import AuditEvent
from onetrip.flow import services as s
from onetrip.flow.models import FlowEvent, ProcessInstanceRecord, TaskRecord, TaskStatus
from onetrip.flow.tests.casebuilders import (
    NOW,
    approve,
    bundle_case,
    issue_results,
    item_case,
    open_tasks,
    staff,
    version,
)
from onetrip.intake.models import CaseEvent, CaseStatus
from onetrip.intake.tests import factories as itf
from onetrip.orgs.models import Role

pytestmark = pytest.mark.django_db
LATER = NOW + dt.timedelta(hours=1)


def approve_all(case, handlers=None) -> None:
    """Approve open tasks one at a time until none is left (each by a handler of its department)."""
    handlers = handlers if handlers is not None else {}
    for _ in range(50):
        tasks = open_tasks(case)
        if not tasks:
            return
        t = tasks[0]
        user = handlers.setdefault(t.department_id, staff(t.department))
        approve(t, actor=user, now=LATER, opinion="同意")
    raise AssertionError("the flow did not finish")


def test_dispatching_an_item_case_opens_its_first_step_for_the_implementing_department():
    case = item_case()
    record = ProcessInstanceRecord.objects.get(case=case)
    assert record.definition.key.startswith("item:") and record.status == "running"
    [task] = open_tasks(case)
    assert task.step_code == "accept" and task.department_id == case.item_version.implementing_department_id
    assert task.due_at is not None and task.due_at > NOW
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    kinds = list(FlowEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds[0] == "started" and "task_created" in kinds
    assert AuditEvent.objects.filter(action="flow.dispatch", object_id=str(case.pk)).exists()


def test_dispatch_is_idempotent():
    case = item_case()
    before = (
        FlowEvent.objects.count(),
        TaskRecord.objects.count(),
        ProcessInstanceRecord.objects.get(case=case).pk,
    )
    again = s.case_dispatch(case=case, actor=None, now=LATER)
    assert again.pk == before[2]
    assert (FlowEvent.objects.count(), TaskRecord.objects.count()) == before[:2]


def test_a_case_not_yet_accepted_is_not_dispatched():
    case = itf.make_submitted_case()
    with pytest.raises(Conflict) as err:
        s.case_dispatch(case=case, actor=None, now=NOW)
    assert err.value.errors[0].code == "case_not_accepted"


def test_a_bundle_case_runs_its_departments_in_parallel_and_joins_once():
    case = bundle_case(members=3)
    tasks = open_tasks(case)
    departments = {t.department_id for t in tasks}
    assert len(tasks) == 3 and len(departments) == 3  # the window's acceptance is done; three departments
    assert TaskRecord.objects.filter(case=case, step_code="accept", status=TaskStatus.APPROVED).exists()
    handlers = {d: staff(t.department) for t in tasks for d in [t.department_id]}
    # Work the three members to their last step, then the lead department's 统一出件 opens exactly once.
    for _ in range(30):
        open_now = [t for t in open_tasks(case) if t.step_code != "issue"]
        if not open_now:
            break
        t = open_now[0]
        s.task_approve(task=t, actor=handlers[t.department_id], now=LATER, expected_version=version(case))
    [issue] = open_tasks(case)
    assert issue.step_code == "issue" and issue.department_id == case.lead_department_id
    assert FlowEvent.objects.filter(case=case, kind="joined", data__step="issue").count() == 1
    lead = staff(case.lead_department)
    with pytest.raises(Conflict) as err:  # 统一出件 without the members' results
        s.task_approve(task=issue, actor=lead, now=LATER, expected_version=version(case))
    assert err.value.errors[0].code == "results_missing"
    issue_results(case, now=LATER)
    s.task_approve(task=issue, actor=lead, now=LATER, expected_version=version(case))
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED and case.completed_at == LATER
    assert CaseEvent.objects.filter(case=case, kind="flow_completed").exists()


def test_a_stale_version_is_a_conflict_and_changes_nothing():
    case = item_case()
    [task] = open_tasks(case)
    user = staff(task.department)
    v = version(case)
    s.task_approve(task=task, actor=user, now=LATER, expected_version=v)
    events = FlowEvent.objects.count()
    with pytest.raises(Conflict) as err:
        s.task_approve(task=task, actor=user, now=LATER, expected_version=v)  # the double click
    assert err.value.errors[0].code == "stale_version" and err.value.status_code == 409
    assert FlowEvent.objects.count() == events and version(case) == v + 1
    with pytest.raises(Conflict) as err:  # the right version, but the task is done
        s.task_approve(task=task, actor=user, now=LATER, expected_version=v + 1)
    assert err.value.errors[0].code == "task_not_open"


def test_only_the_tasks_department_may_act():
    case = item_case()
    [task] = open_tasks(case)
    outsider = staff(itf.f.make_department())
    with pytest.raises(Forbidden) as err:
        s.task_approve(task=task, actor=outsider, now=LATER, expected_version=version(case))
    assert err.value.errors[0].code == "not_entitled"
    assert open_tasks(case)[0].pk == task.pk


def test_rejection_ends_the_case_as_decided_with_the_reason_recorded():
    case = item_case()
    [task] = open_tasks(case)
    user = staff(task.department)
    with pytest.raises(DomainError) as err:
        s.task_reject(task=task, actor=user, now=LATER, expected_version=version(case), reason=" ")
    assert err.value.errors[0].code == "reason_required"
    s.task_reject(task=task, actor=user, now=LATER, expected_version=version(case), reason="不符合条件")
    task.refresh_from_db()
    assert task.status == TaskStatus.REJECTED and task.opinion == "不符合条件" and task.closed_by == user
    case.refresh_from_db()
    assert ProcessInstanceRecord.objects.get(case=case).status == "rejected"
    assert case.status == CaseStatus.IN_PROGRESS  # 办结 with the refusal decision, not before
    issue_results(case, now=LATER, kind="denial")
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED


def test_return_to_applicant_pauses_until_the_applicant_resubmits():
    case = item_case()
    [task] = open_tasks(case)
    user = staff(task.department)
    s.task_return(
        task=task,
        actor=user,
        now=LATER,
        expected_version=version(case),
        reason="材料不清晰",
        items=["申请表"],
    )
    task.refresh_from_db()
    case.refresh_from_db()
    assert task.status == TaskStatus.RETURNED and case.status == CaseStatus.CORRECTION
    with pytest.raises(Forbidden):
        s.case_resubmit(case=case, actor=user, now=LATER, expected_version=version(case))
    s.case_resubmit(
        case=case, actor=case.applicant, now=LATER + dt.timedelta(days=1), expected_version=version(case)
    )
    task.refresh_from_db()
    case.refresh_from_db()
    assert task.status == TaskStatus.OPEN and case.status == CaseStatus.IN_PROGRESS


def test_return_to_an_earlier_step_reopens_it():
    case = item_case()
    [accept] = open_tasks(case)
    user = staff(accept.department)
    s.task_approve(task=accept, actor=user, now=LATER, expected_version=version(case))
    [review] = open_tasks(case)
    s.task_return(
        task=review,
        actor=user,
        now=LATER,
        expected_version=version(case),
        reason="重新受理",
        to_step="accept",
    )
    [again] = open_tasks(case)
    assert again.step_code == "accept" and again.task_id != accept.task_id
    review.refresh_from_db()
    assert review.status == TaskStatus.CANCELLED


def test_transfer_moves_the_task_to_the_other_department():
    case = item_case()
    [task] = open_tasks(case)
    user = staff(task.department)
    other = itf.f.make_department()
    s.task_transfer(
        task=task, actor=user, now=LATER, expected_version=version(case), department=other, reason="职责调整"
    )
    task.refresh_from_db()
    assert task.department_id == other.pk
    with pytest.raises(Forbidden):
        s.task_approve(task=task, actor=user, now=LATER, expected_version=version(case))
    s.task_approve(task=task, actor=staff(other), now=LATER, expected_version=version(case))


def test_claim_delegate_and_the_result_returns_to_the_delegator():
    case = item_case()
    [task] = open_tasks(case)
    boss = staff(task.department, Role.LEADER)
    s.task_claim(task=task, actor=boss, now=LATER, expected_version=version(case))
    task.refresh_from_db()
    assert task.assignee == boss
    helper = staff(task.department)
    s.task_delegate(
        task=task, actor=boss, now=LATER, expected_version=version(case), to_user=helper, note="请核查"
    )
    task.refresh_from_db()
    assert task.assignee == helper and task.delegator == boss
    s.task_approve(task=task, actor=helper, now=LATER, expected_version=version(case), opinion="核查无误")
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and task.assignee == boss and task.delegator is None
    s.task_approve(task=task, actor=boss, now=LATER, expected_version=version(case))
    assert open_tasks(case)[0].step_code == "review"


def test_add_and_remove_signers_countersign_the_step():
    case = item_case()
    [task] = open_tasks(case)
    user = staff(task.department)
    second, third = itf.f.make_department(), itf.f.make_department()
    s.task_add_signers(
        task=task, actor=user, now=LATER, expected_version=version(case), signers=[second, third]
    )
    tasks = open_tasks(case)
    assert {t.department_id for t in tasks} == {task.department_id, second.pk, third.pk}
    assert all(t.countersign for t in tasks)
    s.task_remove_signers(task=task, actor=user, now=LATER, expected_version=version(case), signers=[third])
    s.task_approve(task=task, actor=user, now=LATER, expected_version=version(case))
    assert open_tasks(case)[0].department_id == second.pk  # the step waits for the remaining signer
    s.task_approve(task=open_tasks(case)[0], actor=staff(second), now=LATER, expected_version=version(case))
    assert open_tasks(case)[0].step_code == "review"


def test_withdraw_takes_back_an_approval_until_the_next_person_acts():
    case = item_case()
    [task] = open_tasks(case)
    user = staff(task.department)
    s.task_approve(task=task, actor=user, now=LATER, expected_version=version(case))
    s.task_withdraw(task=task, actor=user, now=LATER, expected_version=version(case), reason="意见有误")
    [again] = open_tasks(case)
    assert again.pk == task.pk and again.status == TaskStatus.OPEN
    assert TaskRecord.objects.filter(case=case, step_code="review", status=TaskStatus.CANCELLED).exists()


def test_remind_copy_and_comment_are_recorded():
    case = item_case()
    [task] = open_tasks(case)
    user = staff(task.department)
    v = version(case)
    s.task_copy(task=task, actor=user, now=LATER, to=[itf.f.make_department()], note="供参考")
    s.task_comment(case=case, task=task, actor=user, now=LATER, text="已电话核实")
    assert version(case) == v  # notes do not change the state
    s.task_remind(task=task, actor=case.applicant, now=LATER, expected_version=v, note="请尽快")
    task.refresh_from_db()
    assert task.reminders == 1
    kinds = set(FlowEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert {"copied", "commented", "reminded"} <= kinds
    comment = FlowEvent.objects.get(case=case, kind="commented")
    assert comment.actor == user and comment.data["text"] == "已电话核实"


def test_case_operations_by_the_lead_department():
    case = item_case()
    lead = staff(case.lead_department, Role.LEADER)
    handler = staff(case.lead_department)
    s.case_suspend(case=case, actor=handler, now=LATER, expected_version=version(case), reason="等待司法裁决")
    assert ProcessInstanceRecord.objects.get(case=case).status == "suspended"
    with pytest.raises(Conflict):
        s.task_approve(task=open_tasks(case)[0], actor=handler, now=LATER, expected_version=version(case))
    later = LATER + dt.timedelta(days=3)
    s.case_resume(case=case, actor=handler, now=later, expected_version=version(case))
    s.case_special_start(
        case=case, actor=handler, now=later, expected_version=version(case), procedure="hearing"
    )
    with pytest.raises(DomainError):
        s.case_special_end(case=case, actor=handler, now=later, expected_version=version(case) - 1)
    s.case_special_end(
        case=case, actor=handler, now=later, expected_version=version(case), outcome="听证完毕"
    )
    [task] = open_tasks(case)
    with pytest.raises(Forbidden) as err:
        s.case_extend(
            case=case,
            actor=handler,
            now=later,
            expected_version=version(case),
            count=5,
            reason="复杂",
            task=task,
        )
    assert err.value.errors[0].code == "extension_needs_leader"
    s.case_extend(
        case=case,
        actor=lead,
        now=later,
        expected_version=version(case),
        count=5,
        reason="情况复杂",
        task=task,
    )
    outsider = staff(itf.f.make_department(), Role.LEADER)
    with pytest.raises(Forbidden):
        s.case_terminate(case=case, actor=outsider, now=later, expected_version=version(case), reason="x")
    s.case_terminate(case=case, actor=lead, now=later, expected_version=version(case), reason="申请人注销")
    case.refresh_from_db()
    assert case.status == CaseStatus.TERMINATED and not open_tasks(case)
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert "case_suspended" in kinds and "case_resumed" in kinds and "flow_terminated" in kinds


def test_the_applicant_may_withdraw_before_the_decision():
    case = item_case()
    with pytest.raises(Forbidden):
        s.case_withdraw(
            case=case, actor=staff(case.lead_department), now=LATER, expected_version=version(case)
        )
    s.case_withdraw(
        case=case, actor=case.applicant, now=LATER, expected_version=version(case), reason="不需要了"
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.WITHDRAWN


def test_batch_approval_reports_each_task():
    cases = [item_case() for _ in range(3)]
    department = cases[0].lead_department
    same = [item_case(item=cases[0].item_version.item) for _ in range(2)]
    user = staff(department)
    pairs = [(open_tasks(c)[0], version(c)) for c in [cases[0], *same]]
    foreign = (open_tasks(cases[1])[0], version(cases[1]))
    stale = (pairs[1][0], pairs[1][1] - 1)
    result = s.tasks_batch_approve(tasks=[pairs[0], pairs[2], foreign, stale], actor=user, now=LATER)
    assert result.approved == [pairs[0][0].pk, pairs[2][0].pk]
    assert result.errors[foreign[0].pk][0].code == "not_entitled"
    assert result.errors[stale[0].pk][0].code == "stale_version"
    assert open_tasks(cases[0])[0].step_code == "review"
