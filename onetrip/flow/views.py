"""Department work pages (/work/): the inbox by remaining working days with a coloured countdown, a task
page with the department's own view of the case, the decision forms and the case history, and batch
approval. Thin: they parse the form, call one service or selector, and render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from onetrip.core import clock
from onetrip.core.errors import DomainError, ErrorDetail, NotFound
from onetrip.flow import operations, selectors, services
from onetrip.flow.documents import result_pdf
from onetrip.flow.models import DeliveryMethod, ResultKind, TaskRecord
from onetrip.intake.documents import applicant_line
from onetrip.intake.models import Case
from onetrip.orgs.models import Department, User


def _cursor(value: str | None) -> tuple[dt.datetime | None, int] | None:
    if not value or "~" not in value:
        return None
    due, _, last = value.rpartition("~")
    try:
        return (dt.datetime.fromisoformat(due) if due else None, int(last))
    except ValueError:
        return None


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    user = request.user
    now = clock.now()
    page = 50
    rows = selectors.inbox(user=user, after=_cursor(request.GET.get("after")), limit=page + 1)  # type: ignore[arg-type]
    more = len(rows) > page
    rows = rows[:page]
    next_cursor = ""
    if more:
        last = rows[-1]
        next_cursor = f"{last.due_at.isoformat() if last.due_at else ''}~{last.pk}"
    tasks = [(t, selectors.countdown(t, now)) for t in rows]
    departments = Department.objects.filter(pk__in=selectors.handler_departments(user)).order_by("name")  # type: ignore[arg-type]
    return render(
        request,
        "flow/inbox.html",
        {"tasks": tasks, "next_cursor": next_cursor, "departments": departments},
    )


SPECIAL_PROCEDURES = [
    ("hearing", "听证"),
    ("testing", "检验、检测、检疫"),
    ("expert_review", "专家评审"),
    ("public_notice", "公示、公告"),
]


def _render_task(
    request: HttpRequest,
    task: TaskRecord,
    *,
    failed: str = "",
    errors: DomainError | None = None,
    status: int = 200,
) -> HttpResponse:
    case = task.case
    user = request.user
    projection = selectors.department_projection(
        case,
        task.department_id,
        masked=not selectors.sees_identity(user, task),  # type: ignore[arg-type]
    )
    history = [
        (e, selectors.event_label(e.kind), selectors.event_reason(e)) for e in selectors.case_history(case)
    ]
    steps = sorted(
        {t.step_code for t in selectors.case_tasks(case) if t.kind == "flow" and t.task_id < task.task_id}
    )
    mine = selectors.handler_departments(user)  # type: ignore[arg-type]
    return render(
        request,
        "flow/task.html",
        {
            "task": task,
            "case": case,
            "countdown": selectors.countdown(task, clock.now()),
            "version": task.instance.version,
            "projection": projection,
            "history": history,
            "earlier_steps": steps,
            "departments": Department.objects.filter(is_active=True)
            .exclude(pk=task.department_id)
            .order_by("name"),
            "colleagues": selectors.department_staff(task.department_id, exclude=user.pk)
            if task.department_id
            else [],
            "results": selectors.case_results(case),
            "delivery": selectors.case_delivery(case),
            "items": services.case_items(case),
            "windows": selectors.pickup_windows(case),
            "lead": case.lead_department_id in mine,
            "instance_status": task.instance.status,
            "special_procedures": SPECIAL_PROCEDURES,
            "result_kinds": ResultKind.choices,
            "licence_types": selectors.licence_types(),
            "result_prefill": _result_prefill(case),
            "delivery_methods": DeliveryMethod.choices,
            # What was typed into the form that failed, so it is shown again with the error.
            "typed": {failed.replace("-", "_"): request.POST} if failed else {},
            "failed": failed,
            "form_errors": [e.message_zh for e in errors.errors] if errors else [],
        },
        status=status,
    )


def _result_prefill(case: Case) -> dict[str, Any]:
    """What the result form already knows from the case: the holder (ID masked) and the issue date."""
    line = applicant_line(case)
    return {"holder": line.name, "id_label": line.id_label, "id_value": line.id_value, "today": clock.now()}


@login_required
def result_download(request: HttpRequest, result_id: int) -> HttpResponse:
    """A result's PDF (decision document or e-licence), for the applicant and the staff handling the case."""
    try:
        result = selectors.result_for_download(user=request.user, result_id=result_id)  # type: ignore[arg-type]
    except NotFound:
        return render(request, "flow/not_found.html", status=404)
    response = HttpResponse(result_pdf(result), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="result-{result.pk}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def task_page(request: HttpRequest, task_id: int) -> HttpResponse:
    try:
        task = selectors.task_for(user=request.user, task_id=task_id)  # type: ignore[arg-type]
    except NotFound:
        return render(request, "flow/not_found.html", status=404)
    return _render_task(request, task)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _required("invalid_date", "有效期止日期格式不正确", "Invalid date", "valid_to") from None


def _required(code: str, zh: str, en: str, field: str) -> DomainError:
    return DomainError.single(code, zh, en, field)


# What the page does after an operation succeeded: back to the inbox once the task has left the user's hands,
# else the task page again.
_TO_INBOX = {"approve", "reject", "return", "transfer"}
# Results and delivery are page forms over the result services (the API has its own delivery endpoints).
_PAGE_ONLY = {"result": "办理结果已出具", "delivery": "已安排送达并通知申请人"}


def _apply(operation: str, task: TaskRecord, user: User, post: QueryDict) -> str:
    """Run the posted operation; returns the message to show. Table operations (flow/operations.py) are
    validated with their schema and call their service, exactly as the API does."""
    now = clock.now()
    op = operations.page_operation(operation)
    if op is not None:
        body = op.parse(post)
        op.run(task if op.target == "task" else task.case, user, now, body)
        return op.done
    case = task.case
    if operation == "result":
        item = next((i for i in services.case_items(case) if i.pk == _int(post.get("item"))), None)
        if item is None:
            raise _required("required", "请选择事项", "Choose the item", "item")
        services.result_issue(
            case=case,
            item=item,
            kind=post.get("kind", ""),
            document_number=post.get("document_number", ""),
            title=post.get("title", ""),
            reasons=post.get("reasons", ""),
            legal_basis=post.get("legal_basis", ""),
            licence_type=post.get("licence_type", ""),
            valid_to=_date(post.get("valid_to")),
            actor=user,
            now=now,
        )
    elif operation == "delivery":
        window = None
        if post.get("window"):
            window = next(
                (w for w in selectors.pickup_windows(case) if w.pk == _int(post.get("window"))), None
            )
        services.delivery_create(
            case=case,
            method=post.get("method", ""),
            window=window,
            carrier=post.get("carrier", ""),
            tracking_number=post.get("tracking_number", ""),
            actor=user,
            now=now,
        )
    else:
        raise NotFound(ErrorDetail("unknown_operation", "未知操作", "Unknown operation"))
    return _PAGE_ONLY[operation]


@login_required
@require_POST
def task_operation(request: HttpRequest, task_id: int, operation: str) -> HttpResponse:
    user = request.user
    if operations.page_operation(operation) is None and operation not in _PAGE_ONLY:
        return render(request, "flow/not_found.html", status=404)
    try:
        task = selectors.task_for(user=user, task_id=task_id)  # type: ignore[arg-type]
    except NotFound:
        return render(request, "flow/not_found.html", status=404)
    try:
        done = _apply(operation, task, user, request.POST)  # type: ignore[arg-type]
    except NotFound:
        return render(request, "flow/not_found.html", status=404)
    except DomainError as exc:
        # Shown again with what was typed; nothing was changed (each service is one transaction).
        task.refresh_from_db()
        task.instance.refresh_from_db()
        return _render_task(request, task, failed=operation, errors=exc, status=exc.status_code)
    messages.success(request, done)
    if operation in _TO_INBOX:
        return HttpResponseRedirect(reverse("flow:inbox"))
    return HttpResponseRedirect(reverse("flow:task", args=[task_id]))


@login_required
@require_POST
def batch_approve(request: HttpRequest) -> HttpResponse:
    user = request.user
    pairs: list[tuple[TaskRecord, int]] = []
    skipped = 0
    for value in request.POST.getlist("task"):
        task_id, _, version = value.partition(":")
        tid, ver = _int(task_id), _int(version)
        if tid is None or ver is None:
            skipped += 1
            continue
        try:
            pairs.append((selectors.task_for(user=user, task_id=tid), ver))  # type: ignore[arg-type]
        except NotFound:
            skipped += 1
    if not pairs and not skipped:
        messages.error(request, "请先勾选要批量审批的任务")
        return HttpResponseRedirect(reverse("flow:inbox"))
    result = services.tasks_batch_approve(
        tasks=pairs,
        actor=user,
        now=clock.now(),
        opinion=request.POST.get("opinion") or "同意",  # type: ignore[arg-type]
    )
    failed = len(result.errors) + skipped
    if result.approved:
        messages.success(request, f"已批量审批通过{len(result.approved)}件")
    if failed:
        reasons = "；".join(sorted({e.message_zh for errs in result.errors.values() for e in errs}))
        messages.error(request, f"{failed}件未能审批" + (f"：{reasons}" if reasons else ""))
    return HttpResponseRedirect(reverse("flow:inbox"))
