"""The rules from the source documents through the services and the database: simulated approval (模拟审批 →
formalise), approval on commitment (承诺制 → verification task), first-contact responsibility (首问 pull-in),
absence default (缺席默认) through `flow_sweep` with an injected `now`. The catalogue's process template has
no fields for these engine options, so each test stores the item's process definition (by its key and
version, exactly as dispatch looks it up) before the case is dispatched."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from onetrip.catalog.models import Item
from onetrip.catalog.tests import factories as f
from onetrip.core.errors import DomainError, Forbidden
from onetrip.flow import services as s
from onetrip.flow.models import (
    FlowEvent,
    ProcessDefinitionRecord,
    ProcessInstanceRecord,
    TaskKind,
    TaskRecord,
    TaskStatus,
)
from onetrip.flow.tests.casebuilders import NOW, approve, issue_results, item_case, open_tasks, staff, version
from onetrip.intake.models import CaseStatus
from onetrip.intake.tests import factories as itf
from onetrip.orgs.models import Department

pytestmark = pytest.mark.django_db
LATER = NOW + dt.timedelta(hours=1)


def item_with_steps_for(item: Item, *tasks: dict[str, Any]) -> Item:
    """Store `item`'s definition as start → tasks… (in sequence) → end, before any case dispatches it."""
    iv = item.current_version
    steps = [{"code": "start", "name": "开始", "kind": "start"}, *tasks, {"code": "end", "kind": "end"}]
    chain = [st["code"] for st in steps]
    ProcessDefinitionRecord.objects.create(
        key=f"item:{item.implementation_code}",
        version=iv.version,
        name=iv.name,
        source={
            "steps": steps,
            "transitions": [{"source": a, "target": b} for a, b in zip(chain, chain[1:], strict=False)],
        },
    )
    return item


def step(code: str, department: Department, **extra: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name": code,
        "department": f"d{department.pk}",
        "role": "handler",
        "limit": 1,
        **extra,
    }


def test_simulated_approvals_hold_the_result_until_formalised_in_one_action():
    lead = f.make_department()
    planning = f.make_department()
    until = {"simulate_until": "land_rights == true"}
    item = item_with_steps_for(
        itf.make_intake_item(department=lead), step("plan", planning, **until), step("design", lead, **until)
    )
    case = item_case(item=item)
    planner, designer = staff(planning), staff(lead)
    s.task_approve(task=open_tasks(case)[0], actor=planner, now=LATER, expected_version=version(case))
    case.refresh_from_db()
    assert case.result_held, "a simulated approval is not yet a result"
    assert FlowEvent.objects.filter(case=case, kind="simulated_approval").count() == 1
    approve(open_tasks(case)[0], actor=designer, now=LATER)
    assert ProcessInstanceRecord.objects.get(case=case).status == "held"
    with pytest.raises(DomainError) as err:  # 拿地 has not happened yet
        s.case_formalise(case=case, actor=designer, now=LATER, expected_version=version(case))
    assert err.value.errors[0].code == "precondition_unmet"
    s.case_formalise(
        case=case, actor=designer, now=LATER, expected_version=version(case), variables={"land_rights": True}
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED and not case.result_held
    formalised = FlowEvent.objects.filter(case=case, kind="approval_formalised")
    assert formalised.count() == 2 and all(e.actor_id == designer.pk for e in formalised)


def test_approval_on_commitment_completes_and_opens_a_verification_task():
    department = f.make_department()
    item = item_with_steps_for(
        itf.make_intake_item(department=department), step("licence", department, commitment=True)
    )
    case = item_case(item=item)
    handler = staff(department)
    approve(open_tasks(case)[0], actor=handler, now=LATER)
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED  # the licence is granted on the applicant's commitment
    [check] = open_tasks(case)
    assert check.kind == TaskKind.VERIFY and check.department_id == department.pk
    assert check.due_at > LATER + dt.timedelta(days=20)  # 20 working days to verify
    outsider = staff(f.make_department())
    with pytest.raises(Forbidden):
        s.task_approve(task=check, actor=outsider, now=LATER, expected_version=version(case))
    s.task_reject(
        task=check, actor=handler, now=LATER, expected_version=version(case), reason="现场核查与承诺不符"
    )
    check.refresh_from_db()
    assert check.status == TaskStatus.REJECTED and check.opinion == "现场核查与承诺不符"
    failed = FlowEvent.objects.get(case=case, kind="verification_failed")
    assert failed.actor_id == handler.pk


def test_the_first_department_asked_leads_and_pulls_others_in():
    case = item_case()
    lead = staff(case.lead_department)
    tax = f.make_department(name="莲都区税务局")
    with pytest.raises(Forbidden) as err:
        s.case_pull_in(
            case=case, actor=staff(tax), now=LATER, expected_version=version(case), department=tax, note="x"
        )
    assert err.value.errors[0].code == "not_lead"
    with pytest.raises(DomainError) as err:
        s.case_pull_in(
            case=case,
            actor=lead,
            now=LATER,
            expected_version=version(case),
            department=case.lead_department,
            note="x",
        )
    assert err.value.errors[0].code == "pull_in_self"
    s.case_pull_in(
        case=case,
        actor=lead,
        now=LATER,
        expected_version=version(case),
        department=tax,
        note="请协助核实欠税",
    )
    [consult] = TaskRecord.objects.filter(case=case, kind=TaskKind.CONSULT)
    assert consult.department_id == tax.pk and consult.status == TaskStatus.OPEN
    pulled = FlowEvent.objects.get(case=case, kind="pulled_in")
    assert pulled.actor_id == lead.pk and pulled.data["note"] == "请协助核实欠税"
    tax_handler = staff(tax)
    s.task_approve(
        task=consult, actor=tax_handler, now=LATER, expected_version=version(case), opinion="无欠税记录"
    )
    consult.refresh_from_db()
    assert consult.status == TaskStatus.APPROVED and consult.closed_by == tax_handler
    reply = FlowEvent.objects.get(case=case, kind="consult_replied")
    assert reply.data["opinion"] == "无欠税记录"
    assert [t.step_code for t in open_tasks(case)] == ["accept"]  # the flow itself did not move


def test_absence_default_deems_the_absent_joint_reviewer_to_agree_through_the_sweep():
    lead = f.make_department()
    nrb, env, fire = (f.make_department() for _ in range(3))
    joint = step(
        "joint",
        lead,
        countersign="all",
        signers=[f"d{nrb.pk}", f"d{env.pk}", f"d{fire.pk}"],
        absence_default=True,
        timeout_policy="reject",  # the policy for a single task; absence default wins for the countersign
    )
    case = item_case(item=item_with_steps_for(itf.make_intake_item(department=lead), joint))
    tasks = {t.department_id: t for t in open_tasks(case)}
    assert set(tasks) == {nrb.pk, env.pk, fire.pk}
    for dept in (nrb, env):
        s.task_approve(task=tasks[dept.pk], actor=staff(dept), now=LATER, expected_version=version(case))
    issue_results(case, now=LATER)  # at the final step; the deemed approval then completes the case
    due = tasks[fire.pk].due_at
    assert s.flow_sweep(now=due - dt.timedelta(minutes=1)).actions == 0
    report = s.flow_sweep(now=due + dt.timedelta(minutes=1))
    assert report.by_kind == {"absence_default": 1}
    absent = TaskRecord.objects.get(pk=tasks[fire.pk].pk)
    assert absent.status == TaskStatus.APPROVED and absent.deemed and absent.closed_by is None
    event = FlowEvent.objects.get(case=case, kind="task_approved", task_id=absent.task_id)
    assert event.actor_label == "系统" and event.data["responsible"] == f"d{fire.pk}"
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    assert s.flow_sweep(now=due + dt.timedelta(days=3)).actions == 0  # applied once


def test_a_late_department_deemed_to_approve_is_recorded_as_responsible():
    """超时默认 through the sweep: the case moves on, the late department is recorded as responsible."""
    department = f.make_department()
    item = item_with_steps_for(
        itf.make_intake_item(department=department),
        step("review", department, timeout_policy="deem_approved"),
        step("decide", department),
    )
    case = item_case(item=item)
    [late] = open_tasks(case)
    report = s.flow_sweep(now=late.due_at + dt.timedelta(minutes=1))
    assert report.by_kind == {"deem_approved": 1}
    late.refresh_from_db()
    assert late.status == TaskStatus.APPROVED and late.deemed and late.closed_by is None
    assert [t.step_code for t in open_tasks(case)] == ["decide"]
    obligation = FlowEvent.objects.get(case=case, kind="obligation")
    assert obligation.data["department"] == f"d{department.pk}" and obligation.actor_label == "系统"
    assert obligation.data["kind"] == "issue_approval"  # it must still issue its own approval
