"""Department work API, mounted at /api/v1/flow (signed-in staff; browser session with CSRF).

- GET  /flow/inbox                         my open tasks, soonest deadline first; keyset pages (`after`)
- GET  /flow/tasks/{id}                    a task, its case (version, status), countdown, projection
- POST /flow/tasks/{id}/{operation}        claim, approve, reject, return, transfer, delegate, add-signers,
                                           remove-signers, withdraw, remind (each with `expected_version`),
                                           copy, comment
- POST /flow/tasks/batch-approve           simple tasks at once, a result per task
- POST /flow/cases/{id}/{operation}        suspend, resume, extend, special-start, special-end, withdraw,
                                           terminate, resubmit (with `expected_version`)
- GET  /flow/cases/{id}/history            every event: who, when, why

Errors come in the standard shape; a stale `expected_version` or a task no longer open is 409.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from onetrip.core import clock
from onetrip.core.errors import DomainError, ErrorDetail, Forbidden, NotFound
from onetrip.flow import selectors, services
from onetrip.flow.models import ProcessInstanceRecord, TaskRecord
from onetrip.intake.models import Case
from onetrip.orgs.auth import ScopedSessionAuth
from onetrip.orgs.models import Department, User

router = Router(tags=["flow"], auth=[ScopedSessionAuth()])


def _user(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    if not isinstance(user, User):
        raise Forbidden(ErrorDetail("forbidden", "无权访问", "You are not allowed to do this"))
    return user


class Cursor(Schema):
    after: str | None = Field(None, description="上一页返回的 next_cursor")
    limit: int = 50


class TaskOut(Schema):
    id: int
    case_id: int
    case_number: str | None
    case_title: str
    step_code: str
    step_name: str
    kind: str
    status: str
    department: str | None
    assignee_id: int | None
    due_at: dt.datetime | None
    remaining_working_days: int | None
    countdown: str
    countdown_label: str
    deemed: bool
    escalated: bool


class InboxOut(Schema):
    items: list[TaskOut]
    next_cursor: str | None


def _task_out(task: TaskRecord, now: dt.datetime) -> dict[str, Any]:
    c = selectors.countdown(task, now)
    return {
        "id": task.pk,
        "case_id": task.case_id,
        "case_number": task.case.number,
        "case_title": task.case.title,
        "step_code": task.step_code,
        "step_name": task.step_name,
        "kind": task.kind,
        "status": task.status,
        "department": task.department.name if task.department else None,
        "assignee_id": task.assignee_id,
        "due_at": task.due_at,
        "remaining_working_days": c.remaining,
        "countdown": c.colour,
        "countdown_label": c.label,
        "deemed": task.deemed,
        "escalated": task.escalated,
    }


def _parse_cursor(value: str | None) -> tuple[dt.datetime | None, int] | None:
    if not value:
        return None
    try:
        due, _, last = value.rpartition("~")
        return (dt.datetime.fromisoformat(due) if due else None, int(last))
    except ValueError:
        raise DomainError(ErrorDetail("invalid_cursor", "分页游标无效", "Invalid cursor", "after")) from None


@router.get("/inbox", response=InboxOut, summary="我的待办（按剩余工作日排序）")
def inbox(request: HttpRequest, q: Query[Cursor]) -> dict[str, Any]:
    user = _user(request)
    limit = max(1, min(q.limit, 200))
    rows = selectors.inbox(user=user, after=_parse_cursor(q.after), limit=limit + 1)
    now = clock.now()
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = None
    if more and rows:
        last = rows[-1]
        cursor = f"{last.due_at.isoformat() if last.due_at else ''}~{last.pk}"
    return {"items": [_task_out(t, now) for t in rows], "next_cursor": cursor}


class FieldOut(Schema):
    label: str
    value: str


class FormOut(Schema):
    title: str
    situation: str
    fields: list[FieldOut]


class MaterialOut(Schema):
    key: str
    name: str
    state: str


class TaskDetailOut(Schema):
    task: TaskOut
    case_version: int
    case_status: str
    forms: list[FormOut]
    materials: list[MaterialOut]


@router.get("/tasks/{task_id}", response=TaskDetailOut, summary="任务详情（本部门视角的表单与材料）")
def task_detail(request: HttpRequest, task_id: int) -> dict[str, Any]:
    user = _user(request)
    task = selectors.task_for(user=user, task_id=task_id)
    projection = selectors.department_projection(task.case, task.department_id)
    return {
        "task": _task_out(task, clock.now()),
        "case_version": task.instance.version,
        "case_status": task.instance.status,
        "forms": [
            {
                "title": form["title"],
                "situation": form["situation"],
                "fields": [{"label": label, "value": value} for label, value in form["fields"]],
            }
            for form in projection.forms
        ],
        "materials": [{"key": m.key, "name": m.name, "state": m.state} for m in projection.materials],
    }


class VersionOut(Schema):
    case_id: int
    version: int
    status: str


def _version_out(record: ProcessInstanceRecord) -> dict[str, Any]:
    return {"case_id": record.case_id, "version": record.version, "status": record.status}


class OpIn(Schema):
    expected_version: int = Field(..., description="读取任务时的办件版本；已被他人更新时返回 409")
    opinion: str = ""
    reason: str = ""
    note: str = ""
    to_step: str | None = Field(None, description="退回到的环节编码；为空表示退回申请人补正")
    items: list[str] = Field(default_factory=list, description="补正事项清单（一次性告知）")
    department_id: int | None = None
    user_id: int | None = None
    signer_user_ids: list[int] = Field(default_factory=list)
    signer_department_ids: list[int] = Field(default_factory=list)


class NoteIn(Schema):
    text: str = ""
    note: str = ""
    to_user_ids: list[int] = Field(default_factory=list)
    to_department_ids: list[int] = Field(default_factory=list)


class EventOut(Schema):
    id: int
    at: dt.datetime
    kind: str
    label: str
    actor: str
    task_id: int | None
    reason: str
    data: dict[str, Any]


def _department(pk: int | None) -> Department:
    found = Department.objects.filter(pk=pk).first() if pk else None
    if found is None:
        raise DomainError(ErrorDetail("required", "请选择部门", "Choose a department", "department_id"))
    return found


def _users(ids: list[int], field: str) -> list[User]:
    found = {u.pk: u for u in User.objects.filter(pk__in=ids)}
    if len(found) != len(set(ids)):
        raise DomainError(ErrorDetail("unknown_user", "人员不存在", "Unknown user", field))
    return [found[i] for i in ids]


def _signers(body: OpIn) -> list[User | Department]:
    departments = list(Department.objects.filter(pk__in=body.signer_department_ids))
    if len(departments) != len(set(body.signer_department_ids)):
        raise DomainError(ErrorDetail("unknown_department", "部门不存在", "Unknown department", "signers"))
    return [*_users(body.signer_user_ids, "signer_user_ids"), *departments]


TaskOp = Callable[[TaskRecord, User, dt.datetime, OpIn], ProcessInstanceRecord]

TASK_OPERATIONS: dict[str, TaskOp] = {
    "claim": lambda t, u, n, b: services.task_claim(
        task=t, actor=u, now=n, expected_version=b.expected_version
    ),
    "approve": lambda t, u, n, b: services.task_approve(
        task=t, actor=u, now=n, expected_version=b.expected_version, opinion=b.opinion
    ),
    "reject": lambda t, u, n, b: services.task_reject(
        task=t, actor=u, now=n, expected_version=b.expected_version, reason=b.reason
    ),
    "return": lambda t, u, n, b: services.task_return(
        task=t,
        actor=u,
        now=n,
        expected_version=b.expected_version,
        reason=b.reason,
        to_step=b.to_step,
        items=b.items,
    ),
    "transfer": lambda t, u, n, b: services.task_transfer(
        task=t,
        actor=u,
        now=n,
        expected_version=b.expected_version,
        department=_department(b.department_id),
        user=_users([b.user_id], "user_id")[0] if b.user_id else None,
        reason=b.reason,
    ),
    "delegate": lambda t, u, n, b: services.task_delegate(
        task=t,
        actor=u,
        now=n,
        expected_version=b.expected_version,
        to_user=_users([b.user_id or 0], "user_id")[0],
        note=b.note,
    ),
    "add-signers": lambda t, u, n, b: services.task_add_signers(
        task=t, actor=u, now=n, expected_version=b.expected_version, signers=_signers(b)
    ),
    "remove-signers": lambda t, u, n, b: services.task_remove_signers(
        task=t, actor=u, now=n, expected_version=b.expected_version, signers=_signers(b)
    ),
    "withdraw": lambda t, u, n, b: services.task_withdraw(
        task=t, actor=u, now=n, expected_version=b.expected_version, reason=b.reason
    ),
    "remind": lambda t, u, n, b: services.task_remind(
        task=t, actor=u, now=n, expected_version=b.expected_version, note=b.note
    ),
}


class BatchItem(Schema):
    id: int
    expected_version: int


class BatchIn(Schema):
    tasks: list[BatchItem] = Field(..., max_length=200)
    opinion: str = "同意"


class BatchErrorOut(Schema):
    id: int
    errors: list[dict[str, Any]]


class BatchOut(Schema):
    approved: list[int]
    failed: list[BatchErrorOut]


@router.post("/tasks/batch-approve", response=BatchOut, summary="批量审批简单任务")
def batch_approve(request: HttpRequest, body: BatchIn) -> dict[str, Any]:
    user = _user(request)
    pairs = []
    failed: list[dict[str, Any]] = []
    for entry in body.tasks:
        try:
            pairs.append((selectors.task_for(user=user, task_id=entry.id), entry.expected_version))
        except NotFound as exc:
            failed.append({"id": entry.id, "errors": [e.as_dict() for e in exc.errors]})
    result = services.tasks_batch_approve(tasks=pairs, actor=user, now=clock.now(), opinion=body.opinion)
    failed += [{"id": pk, "errors": [e.as_dict() for e in errs]} for pk, errs in result.errors.items()]
    return {"approved": result.approved, "failed": failed}


@router.post("/tasks/{task_id}/copy", response=list[EventOut], summary="抄送")
def task_copy(request: HttpRequest, task_id: int, body: NoteIn) -> list[dict[str, Any]]:
    user = _user(request)
    task = selectors.task_for(user=user, task_id=task_id)
    departments = list(Department.objects.filter(pk__in=body.to_department_ids))
    to = [*_users(body.to_user_ids, "to_user_ids"), *departments]
    return [
        _event_out(e)
        for e in services.task_copy(task=task, actor=user, now=clock.now(), to=to, note=body.note)
    ]


@router.post("/tasks/{task_id}/comment", response=list[EventOut], summary="填写意见")
def task_comment(request: HttpRequest, task_id: int, body: NoteIn) -> list[dict[str, Any]]:
    user = _user(request)
    task = selectors.task_for(user=user, task_id=task_id)
    events = services.task_comment(case=task.case, task=task, actor=user, now=clock.now(), text=body.text)
    return [_event_out(e) for e in events]


@router.post(
    "/tasks/{task_id}/{operation}", response=VersionOut, summary="办理任务（签收、通过、退回、转办……）"
)
def task_operation(request: HttpRequest, task_id: int, operation: str, body: OpIn) -> dict[str, Any]:
    user = _user(request)
    op = TASK_OPERATIONS.get(operation)
    if op is None:
        raise NotFound(ErrorDetail("unknown_operation", "不支持的操作", "Unknown operation", "operation"))
    task = selectors.task_for(user=user, task_id=task_id)
    return _version_out(op(task, user, clock.now(), body))


class CaseOpIn(Schema):
    expected_version: int
    reason: str = ""
    note: str = ""
    outcome: str = ""
    procedure: str = Field("", description="hearing / testing / expert_review / public_notice")
    count: int = 0
    task_id: int | None = None


CaseOp = Callable[[Case, User, dt.datetime, CaseOpIn], ProcessInstanceRecord]


def _case_task(case: Case, body: CaseOpIn) -> TaskRecord | None:
    if body.task_id is None:
        return None
    task = TaskRecord.objects.filter(pk=body.task_id, case=case).first()
    if task is None:
        raise NotFound(ErrorDetail("not_found", "任务不存在", "Task not found", "task_id"))
    return task


CASE_OPERATIONS: dict[str, CaseOp] = {
    "suspend": lambda c, u, n, b: services.case_suspend(
        case=c, actor=u, now=n, expected_version=b.expected_version, reason=b.reason
    ),
    "resume": lambda c, u, n, b: services.case_resume(
        case=c, actor=u, now=n, expected_version=b.expected_version
    ),
    "extend": lambda c, u, n, b: services.case_extend(
        case=c,
        actor=u,
        now=n,
        expected_version=b.expected_version,
        count=b.count,
        reason=b.reason,
        task=_case_task(c, b),
    ),
    "special-start": lambda c, u, n, b: services.case_special_start(
        case=c, actor=u, now=n, expected_version=b.expected_version, procedure=b.procedure, note=b.note
    ),
    "special-end": lambda c, u, n, b: services.case_special_end(
        case=c, actor=u, now=n, expected_version=b.expected_version, outcome=b.outcome
    ),
    "withdraw": lambda c, u, n, b: services.case_withdraw(
        case=c, actor=u, now=n, expected_version=b.expected_version, reason=b.reason
    ),
    "terminate": lambda c, u, n, b: services.case_terminate(
        case=c, actor=u, now=n, expected_version=b.expected_version, reason=b.reason
    ),
    "resubmit": lambda c, u, n, b: services.case_resubmit(
        case=c, actor=u, now=n, expected_version=b.expected_version
    ),
}


# Declared before the operations: the same path shape would otherwise take the GET.
@router.get("/cases/{case_id}/history", response=list[EventOut], summary="办件流转记录（谁、何时、为何）")
def case_history(request: HttpRequest, case_id: int) -> list[dict[str, Any]]:
    user = _user(request)
    case = selectors.case_for(user=user, case_id=case_id)
    if case.applicant_id == user.pk and not selectors.handler_departments(user):
        # Applicants follow their case on the intake timeline; internal opinions are for staff.
        raise NotFound(ErrorDetail("not_found", "办件不存在", "Case not found"))
    return [_event_out(e) for e in selectors.case_history(case)]


@router.post(
    "/cases/{case_id}/{operation}", response=VersionOut, summary="办件操作（中止、恢复、延期、特别程序……）"
)
def case_operation(request: HttpRequest, case_id: int, operation: str, body: CaseOpIn) -> dict[str, Any]:
    user = _user(request)
    op = CASE_OPERATIONS.get(operation)
    if op is None:
        raise NotFound(ErrorDetail("unknown_operation", "不支持的操作", "Unknown operation", "operation"))
    case = selectors.case_for(user=user, case_id=case_id)
    return _version_out(op(case, user, clock.now(), body))


def _event_out(e: Any) -> dict[str, Any]:
    return {
        "id": e.pk,
        "at": e.at,
        "kind": e.kind,
        "label": selectors.event_label(e.kind),
        "actor": str(e.actor) if e.actor_id else (e.actor_label or "系统"),
        "task_id": e.task_id,
        "reason": selectors.event_reason(e),
        "data": e.data,
    }
