"""Flow reads: the department inbox (open tasks by deadline, keyset-paginated, filtered in SQL by the user's
departments), a task's detail with the department's own projection of the case, the case history, results.

Remaining working days and the countdown colour are computed here from the official calendar:
red when overdue, yellow within one working day or once the warning share of the task's time has passed,
green otherwise.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import F, Q, QuerySet

from onetrip.bundles.selectors import projections
from onetrip.catalog.models import FormField
from onetrip.core.errors import ErrorDetail, NotFound
from onetrip.core.masking import mask_text
from onetrip.flow.models import (
    OPEN_TASK_STATUSES,
    CaseResult,
    Delivery,
    FlowEvent,
    ProcessInstanceRecord,
    TaskRecord,
)
from onetrip.intake.models import ApplicationMaterial, Case, CaseStatus
from onetrip.orgs.models import Role, RoleAssignment, User, Window
from onetrip.orgs.permissions import roles_of, scope_for
from onetrip.sharing.models import LicenceType
from onetrip.workdays.core import SHANGHAI, CalendarError
from onetrip.workdays.selectors import calendar_current

PAGE = 50


def warning_share() -> float:
    """Share of a task's time after which its countdown turns yellow (settings.FLOW_WARNING_SHARE)."""
    return float(getattr(settings, "FLOW_WARNING_SHARE", 0.8))


def handler_departments(user: User) -> set[int]:
    return set(
        RoleAssignment.objects.filter(
            user=user, role__in=(Role.HANDLER, Role.LEADER), department__isnull=False
        ).values_list("department_id", flat=True)
    )


@dataclass(frozen=True)
class Countdown:
    remaining: int | None  # working days left (negative: overdue by); None without a deadline
    colour: str  # green / yellow / red / none
    label: str


def countdown(task: TaskRecord, now: dt.datetime) -> Countdown:
    due = task.due_at
    if due is None:
        return Countdown(None, "none", "不限时")
    if due <= now:
        try:
            late = calendar_current().remaining_working_days(due, now).value
        except CalendarError:
            late = 0
        return Countdown(-late, "red", f"已超期{late}个工作日" if late else "已超期")
    try:
        left = calendar_current().remaining_working_days(now, due).value
    except CalendarError:
        left = (due.astimezone(SHANGHAI).date() - now.astimezone(SHANGHAI).date()).days
    total = (due - task.created_at).total_seconds()
    share = (now - task.created_at).total_seconds() / total if total > 0 else 1.0
    colour = "yellow" if left <= 1 or share >= warning_share() else "green"
    return Countdown(left, colour, "今日到期" if left == 0 else f"剩余{left}个工作日")


def _visible_tasks(user: User) -> Q:
    departments = handler_departments(user)
    q = Q(assignee=user) | Q(delegator=user)
    if departments:
        q |= Q(department_id__in=sorted(departments))
    return q


def inbox(
    *,
    user: User,
    after: tuple[dt.datetime | None, int] | None = None,
    limit: int = PAGE,
    department_id: int | None = None,
) -> list[TaskRecord]:
    """Open tasks of the user's departments (and those named to them), soonest deadline first, then by id;
    tasks without a deadline last. `after` is the (due_at, id) of the last row of the previous page."""
    roles = roles_of(user)
    qs: QuerySet[TaskRecord] = TaskRecord.objects.filter(status__in=OPEN_TASK_STATUSES).filter(
        _visible_tasks(user)
    )
    if department_id is not None:
        qs = qs.filter(department_id=department_id)
    if Role.LEADER not in roles:
        # A step for leaders only is not a handler's work (unless it is named to them).
        qs = qs.filter(Q(candidate_role__in=["", *sorted(roles)]) | Q(assignee=user))
    if after is not None:
        due, last_id = after
        if due is None:
            qs = qs.filter(due_at__isnull=True, id__gt=last_id)
        else:
            qs = qs.filter(Q(due_at__gt=due) | Q(due_at=due, id__gt=last_id) | Q(due_at__isnull=True))
    qs = (
        qs.select_related("case", "department", "assignee")
        .annotate(case_version=F("instance__version"))
        .order_by(F("due_at").asc(nulls_last=True), "id")
    )
    return list(qs[: max(1, min(limit, 200))])


def can_see_case(user: User, case: Case) -> bool:
    if case.applicant_id == user.pk:
        return True
    departments = handler_departments(user)
    if case.lead_department_id in departments:
        return True
    if TaskRecord.objects.filter(case=case).filter(_visible_tasks(user)).exists():
        return True
    roles = roles_of(user)
    if Role.SUPERVISOR in roles or Role.CLERK in roles or Role.SYSTEM_ADMIN in roles:
        return scope_for(user).allows_department(case.lead_department_id)
    return False


def _not_found(what_zh: str, what_en: str) -> NotFound:
    return NotFound(ErrorDetail("not_found", f"{what_zh}不存在", f"{what_en} not found"))


def task_for(*, user: User, task_id: int) -> TaskRecord:
    """A task the user may see (its department's staff, its assignee or delegator, the lead department, a
    supervisor in scope); NotFound otherwise, so ids do not reveal other departments' work."""
    task = (
        TaskRecord.objects.select_related("case", "department", "assignee", "instance")
        .filter(pk=task_id)
        .first()
    )
    if task is None or not (
        task.department_id in handler_departments(user)
        or user.pk in (task.assignee_id, task.delegator_id)
        or (can_see_case(user, task.case) and task.case.applicant_id != user.pk)
    ):
        raise _not_found("任务", "Task")
    return task


def case_for(*, user: User, case_id: int) -> Case:
    case = Case.objects.select_related("lead_department").filter(pk=case_id).first()
    if case is None or not can_see_case(user, case):
        raise _not_found("办件", "Case")
    return case


def instance_of(case: Case) -> ProcessInstanceRecord | None:
    return ProcessInstanceRecord.objects.filter(case=case).only("id", "case_id", "version", "status").first()


def case_history(case: Case) -> list[FlowEvent]:
    """Every recorded flow event of the case, in order: who, when, and why (opinions, reasons)."""
    return list(FlowEvent.objects.filter(case=case).select_related("actor").order_by("id"))


def case_tasks(case: Case) -> list[TaskRecord]:
    return list(
        TaskRecord.objects.filter(case=case).select_related("department", "assignee").order_by("task_id")
    )


EVENT_LABELS = {
    "started": "启动审批流程",
    "task_created": "生成待办",
    "task_claimed": "签收",
    "task_approved": "审批通过",
    "task_rejected": "不予通过",
    "task_cancelled": "任务取消",
    "task_transferred": "转办",
    "task_delegated": "委派",
    "delegation_returned": "委派办理完毕",
    "task_withdrawn": "撤回",
    "signers_added": "加签",
    "signers_removed": "减签",
    "returned_to_applicant": "退回申请人补正",
    "returned_to_step": "退回",
    "resubmitted": "补正后重新提交",
    "reminded": "催办",
    "timeout_reminded": "超时催办",
    "escalated": "超时上报",
    "obligation": "超时默认，责任部门仍须出具意见",
    "joined": "并联环节汇合",
    "subprocess_started": "启动子流程",
    "subprocess_completed": "子流程完成",
    "step_skipped": "跳过未选择的环节",
    "commented": "意见",
    "copied": "抄送",
    "suspended": "中止",
    "resumed": "恢复",
    "special_procedure_started": "进入特别程序",
    "special_procedure_ended": "特别程序结束",
    "extended": "延期",
    "held": "待出件（结果暂缓）",
    "completed": "办结",
    "rejected": "不予许可",
    "withdrawn_by_applicant": "申请人撤回",
    "terminated": "终止",
    "deficiency_added": "容缺受理",
    "deficiency_satisfied": "容缺材料已补齐",
    "deficiency_overdue": "容缺材料逾期未补",
    "simulated_approval": "模拟审批",
    "approval_formalised": "模拟审批转正式",
    "verification_passed": "承诺核查通过",
    "verification_failed": "承诺核查不通过",
    "pulled_in": "首问协调其他部门",
    "consult_replied": "协办答复",
    "result_issued": "出具结果",
    "delivery_created": "安排送达",
    "delivery_received": "确认签收",
}


def event_label(kind: str) -> str:
    return EVENT_LABELS.get(kind, kind)


def event_reason(event: FlowEvent) -> str:
    data = event.data or {}
    for key in ("opinion", "reason", "text", "note", "outcome"):
        if data.get(key):
            return str(data[key])
    return ""


@dataclass
class Projection:
    """What one department sees of the case: its own forms (bundle projection or the item's form)."""

    forms: list[dict[str, Any]]
    materials: list[ApplicationMaterial]


def sees_identity(user: User, task: TaskRecord) -> bool:
    """Whether the user works this case (staff of the task's or the lead department, the assignee or the
    delegator) and so needs full ID and phone numbers; anyone else who may read the task (a supervisor, a
    clerk of the region) sees them masked."""
    departments = handler_departments(user)
    return (
        task.department_id in departments
        or task.case.lead_department_id in departments
        or user.pk in (task.assignee_id, task.delegator_id)
    )


def department_projection(case: Case, department_id: int | None, *, masked: bool = False) -> Projection:
    """The department's view of the case: its forms and the materials. `masked` hides ID and phone
    numbers (for readers who do not work the case)."""
    projection = _department_projection(case, department_id)
    if masked:
        for form in projection.forms:
            form["fields"] = [(label, mask_text(value)) for label, value in form["fields"]]
    return projection


def _department_projection(case: Case, department_id: int | None) -> Projection:
    application = case.application
    materials = list(ApplicationMaterial.objects.filter(application=application).order_by("id"))
    values = application.form_data or {}
    if case.bundle_version_id is not None:
        forms = []
        for dept in projections(
            case.bundle_version,
            values=values,
            chosen=application.chosen_members or (),
            answers=application.answers or {},
        ):
            if department_id is None or dept.department_id == department_id:
                for form in dept.forms:
                    forms.append(
                        {
                            "title": form.item_name,
                            "situation": form.situation_name,
                            "fields": [(f.label, f.display) for f in form.fields],
                        }
                    )
        return Projection(forms, materials)
    # Answers are keyed as the form keys them (`FormField.key`: the data element's code when bound).
    fields = (
        FormField.objects.filter(version_id=case.item_version_id)
        .select_related("data_element")
        .order_by("order", "id")
    )
    rows = [(f.label, "" if values.get(f.key) is None else str(values.get(f.key))) for f in fields]
    return Projection([{"title": case.title, "situation": "", "fields": rows}], materials)


def case_results(case: Case) -> list[CaseResult]:
    return list(CaseResult.objects.filter(case=case).select_related("item", "issued_by").order_by("id"))


def case_delivery(case: Case) -> Delivery | None:
    return Delivery.objects.filter(case=case).select_related("window", "window__hall").first()


def licence_types() -> list[LicenceType]:
    """The e-licence register's licence types, for the result form's select (no free-text type)."""
    return list(LicenceType.objects.select_related("issuer").order_by("name", "code"))


def result_for_download(*, user: User, result_id: int) -> CaseResult:
    """A result the user may download: the applicant (or the agent who entered the application) once the
    case is 办结 and nothing is held, and staff handling the case (its lead, the result's or a task's
    department, a task's assignee, a clerk of the case's hall for 统一出件). NotFound otherwise."""
    result = (
        CaseResult.objects.select_related("case", "case__application", "item", "department", "licence")
        .filter(pk=result_id)
        .first()
    )
    if result is None:
        raise _not_found("办理结果", "Result")
    case = result.case
    if _is_staff(user, case, result):
        return result
    applicant = user.pk in (case.applicant_id, case.application.entered_by_id)
    if applicant and case.status == CaseStatus.COMPLETED and not case.result_held:
        return result
    raise _not_found("办理结果", "Result")


def _is_staff(user: User, case: Case, result: CaseResult) -> bool:
    departments = handler_departments(user)
    if departments & {case.lead_department_id, result.department_id}:
        return True
    tasks = TaskRecord.objects.filter(case=case)
    if tasks.filter(Q(department_id__in=departments) | Q(assignee=user) | Q(delegator=user)).exists():
        return True
    return scope_for(user, Role.CLERK).allows_department(case.lead_department_id)


def department_staff(department_id: int, *, exclude: int | None = None) -> list[User]:
    """Handlers and leaders of a department (a delegation goes to one of them), by name."""
    qs = User.objects.filter(
        is_active=True,
        roles__department_id=department_id,
        roles__role__in=(Role.HANDLER, Role.LEADER),
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return list(qs.distinct().order_by("display_name", "pk"))


def department_staff_member(department_id: int | None, user_id: int | None) -> User | None:
    if department_id is None or user_id is None:
        return None
    return next((u for u in department_staff(department_id) if u.pk == user_id), None)


def pickup_windows(case: Case) -> list[Window]:
    """Windows of the case's region where results can be collected."""
    return list(
        Window.objects.filter(hall__region_id=case.region_id)
        .select_related("hall")
        .order_by("hall__name", "number")
    )
