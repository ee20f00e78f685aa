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
from onetrip.flow import selectors, services
from onetrip.flow.models import DeliveryMethod, ResultKind, TaskRecord
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
    projection = selectors.department_projection(case, task.department_id)
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
            "delivery_methods": DeliveryMethod.choices,
            # What was typed into the form that failed, so it is shown again with the error.
            "typed": {failed: request.POST} if failed else {},
            "failed": failed,
            "form_errors": [e.message_zh for e in errors.errors] if errors else [],
        },
        status=status,
    )


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


def _required(code: str, zh: str, en: str, field: str) -> DomainError:
    return DomainError.single(code, zh, en, field)


def _departments(post: QueryDict, name: str) -> list[Department]:
    ids = [i for i in (_int(v) for v in post.getlist(name)) if i is not None]
    found = list(Department.objects.filter(pk__in=ids, is_active=True).order_by("name"))
    if not found:
        raise _required("required", "请至少选择一个部门", "Choose at least one department", name)
    return found


# Operations on the task (kw: task, actor, now, expected_version) and on its case (case instead of task).
_DONE = {
    "approve": "已审批通过",
    "reject": "已作出不予通过决定",
    "return": "已退回",
    "transfer": "已转办",
    "claim": "已签收",
    "comment": "意见已保存",
    "delegate": "已委派，办理后结果回到您",
    "add_signers": "已加签",
    "remove_signers": "已减签",
    "withdraw": "已撤回，任务回到您的待办",
    "copy": "已抄送",
    "suspend": "办件已中止，期间不计时",
    "resume": "办件已恢复办理",
    "extend": "已延长办理时限",
    "special_start": "已进入特别程序，期间不计时",
    "special_end": "特别程序已结束",
    "result": "办理结果已出具",
    "delivery": "已安排送达并通知申请人",
}
_STAY = {"comment", "claim", "copy", "add_signers", "remove_signers", "withdraw", "result", "delivery"}
_STAY |= {"suspend", "resume", "extend", "special_start", "special_end", "delegate"}


def _apply(operation: str, task: TaskRecord, user: User, post: QueryDict) -> None:
    now = clock.now()
    expected = _int(post.get("expected_version"))
    kw: dict[str, Any] = {
        "task": task,
        "actor": user,
        "now": now,
        "expected_version": expected if expected is not None else -1,
    }
    case = task.case
    ckw: dict[str, Any] = {**kw, "case": case}
    del ckw["task"]
    if operation == "approve":
        services.task_approve(**kw, opinion=post.get("opinion", ""))
    elif operation == "reject":
        services.task_reject(**kw, reason=post.get("reason", ""))
    elif operation == "return":
        items = [line.strip() for line in post.get("items", "").splitlines() if line.strip()]
        services.task_return(
            **kw, reason=post.get("reason", ""), to_step=post.get("to_step") or None, items=items
        )
    elif operation == "transfer":
        department = Department.objects.filter(pk=_int(post.get("department")) or 0).first()
        if department is None:
            raise _required("required", "请选择转办部门", "Choose a department", "department")
        services.task_transfer(**kw, department=department, reason=post.get("reason", ""))
    elif operation == "claim":
        services.task_claim(**kw)
    elif operation == "comment":
        services.task_comment(case=case, task=task, actor=user, now=now, text=post.get("text", ""))
    elif operation == "delegate":
        to_user = selectors.department_staff_member(task.department_id, _int(post.get("to_user")))
        if to_user is None:
            raise _required("required", "请选择受委派人", "Choose a colleague", "to_user")
        services.task_delegate(**kw, to_user=to_user, note=post.get("note", ""))
    elif operation == "add_signers":
        services.task_add_signers(**kw, signers=_departments(post, "signers"))
    elif operation == "remove_signers":
        services.task_remove_signers(**kw, signers=_departments(post, "signers"))
    elif operation == "withdraw":
        services.task_withdraw(**kw, reason=post.get("reason", ""))
    elif operation == "copy":
        services.task_copy(
            task=task, actor=user, now=now, to=_departments(post, "to"), note=post.get("note", "")
        )
    elif operation == "suspend":
        services.case_suspend(**ckw, reason=post.get("reason", ""))
    elif operation == "resume":
        services.case_resume(**ckw)
    elif operation == "extend":
        count = _int(post.get("count"))
        if count is None or count < 1:
            raise _required(
                "invalid_count", "请填写延长的工作日数（正整数）", "Days must be positive", "count"
            )
        services.case_extend(**ckw, count=count, reason=post.get("reason", ""))
    elif operation == "special_start":
        services.case_special_start(**ckw, procedure=post.get("procedure", ""), note=post.get("note", ""))
    elif operation == "special_end":
        services.case_special_end(**ckw, outcome=post.get("outcome", ""))
    elif operation == "result":
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
            licence_type=post.get("licence_type", ""),
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


@login_required
@require_POST
def task_operation(request: HttpRequest, task_id: int, operation: str) -> HttpResponse:
    user = request.user
    if operation not in _DONE:
        return render(request, "flow/not_found.html", status=404)
    try:
        task = selectors.task_for(user=user, task_id=task_id)  # type: ignore[arg-type]
    except NotFound:
        return render(request, "flow/not_found.html", status=404)
    try:
        _apply(operation, task, user, request.POST)  # type: ignore[arg-type]
    except NotFound:
        return render(request, "flow/not_found.html", status=404)
    except DomainError as exc:
        # Shown again with what was typed; nothing was changed (each service is one transaction).
        task.refresh_from_db()
        task.instance.refresh_from_db()
        return _render_task(request, task, failed=operation, errors=exc, status=exc.status_code)
    messages.success(request, _DONE[operation])
    if operation in _STAY:
        return HttpResponseRedirect(reverse("flow:task", args=[task_id]))
    return HttpResponseRedirect(reverse("flow:inbox"))


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
