"""Department work API, mounted at /api/v1/flow (signed-in staff; browser session with CSRF).

- GET  /flow/inbox                         my open tasks, soonest deadline first; keyset pages (`after`)
- GET  /flow/tasks/{id}                    a task, its case (version, status), countdown, projection
- POST /flow/tasks/{id}/{operation}        claim, approve, reject, return, transfer, delegate, add-signers,
                                           remove-signers, withdraw, remind (each with `expected_version`),
                                           copy, comment: one endpoint per entry of flow/operations.py
- POST /flow/tasks/batch-approve           simple tasks at once, a result per task
- POST /flow/cases/{id}/{operation}        suspend, resume, extend, special-start, special-end, withdraw,
                                           terminate, resubmit (with `expected_version`), the same table
- GET  /flow/cases/{id}/history            every event: who, when, why

Errors come in the standard shape; a stale `expected_version` or a task no longer open is 409.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from onetrip.core import clock
from onetrip.core.errors import DomainError, ErrorDetail, Forbidden, NotFound
from onetrip.flow import selectors, services
from onetrip.flow.models import ProcessInstanceRecord, TaskRecord
from onetrip.flow.operations import CASE_OPERATIONS, TASK_OPERATIONS, Operation
from onetrip.orgs.auth import ScopedSessionAuth
from onetrip.orgs.models import User

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


# `int:` keeps this GET from claiming /tasks/batch-approve (a bare `{task_id}` matched any text).
@router.get("/tasks/{int:task_id}", response=TaskDetailOut, summary="任务详情（本部门视角的表单与材料）")
def task_detail(request: HttpRequest, task_id: int) -> dict[str, Any]:
    user = _user(request)
    task = selectors.task_for(user=user, task_id=task_id)
    projection = selectors.department_projection(
        task.case, task.department_id, masked=not selectors.sees_identity(user, task)
    )
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


class EventOut(Schema):
    id: int
    at: dt.datetime
    kind: str
    label: str
    actor: str
    task_id: int | None
    reason: str
    data: dict[str, Any]


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


@router.get("/cases/{int:case_id}/history", response=list[EventOut], summary="办件流转记录（谁、何时、为何）")
def case_history(request: HttpRequest, case_id: int) -> list[dict[str, Any]]:
    user = _user(request)
    case = selectors.case_for(user=user, case_id=case_id)
    if case.applicant_id == user.pk and not selectors.handler_departments(user):
        # Applicants follow their case on the intake timeline; internal opinions are for staff.
        raise NotFound(ErrorDetail("not_found", "办件不存在", "Case not found"))
    return [_event_out(e) for e in selectors.case_history(case)]


def _operation_result(op: Operation, result: Any) -> Any:
    if op.result == "events":
        return [_event_out(e) for e in result]
    return _version_out(result)


def _mount(op: Operation) -> None:
    """One endpoint per operation of the table (flow/operations.py), its schema as the body."""
    response: Any = list[EventOut] if op.result == "events" else VersionOut
    if op.target == "task":

        def endpoint(request: HttpRequest, task_id: int, body: Any) -> Any:
            user = _user(request)
            task = selectors.task_for(user=user, task_id=task_id)
            return _operation_result(op, op.run(task, user, clock.now(), body))

        path = f"/tasks/{{int:task_id}}/{op.name}"
        endpoint.__annotations__ = {"request": HttpRequest, "task_id": int, "body": op.schema, "return": Any}
    else:

        def endpoint(request: HttpRequest, case_id: int, body: Any) -> Any:
            user = _user(request)
            case = selectors.case_for(user=user, case_id=case_id)
            return _operation_result(op, op.run(case, user, clock.now(), body))

        path = f"/cases/{{int:case_id}}/{op.name}"
        endpoint.__annotations__ = {"request": HttpRequest, "case_id": int, "body": op.schema, "return": Any}
    endpoint.__name__ = f"{op.target}_{op.key}"
    router.post(path, response=response, summary=op.label, operation_id=f"flow_{op.target}_{op.key}")(
        endpoint
    )


for _op in (*TASK_OPERATIONS.values(), *CASE_OPERATIONS.values()):
    _mount(_op)


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
