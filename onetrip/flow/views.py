"""Department work pages (/work/): the inbox by remaining working days with a coloured countdown, a task
page with the department's own view of the case, the decision forms and the case history, and batch
approval. Thin: they parse the form, call one service or selector, and render."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from onetrip.core import clock
from onetrip.core.errors import DomainError, NotFound
from onetrip.flow import selectors, services
from onetrip.flow.models import TaskRecord
from onetrip.orgs.models import Department


def _error_text(exc: DomainError) -> str:
    return "；".join(e.message_zh for e in exc.errors)


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


@login_required
def task_page(request: HttpRequest, task_id: int) -> HttpResponse:
    try:
        task = selectors.task_for(user=request.user, task_id=task_id)  # type: ignore[arg-type]
    except NotFound:
        return render(request, "flow/not_found.html", status=404)
    case = task.case
    projection = selectors.department_projection(case, task.department_id)
    history = [
        (e, selectors.event_label(e.kind), selectors.event_reason(e)) for e in selectors.case_history(case)
    ]
    steps = sorted(
        {t.step_code for t in selectors.case_tasks(case) if t.kind == "flow" and t.task_id < task.task_id}
    )
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
            "results": selectors.case_results(case),
        },
    )


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


@login_required
@require_POST
def task_operation(request: HttpRequest, task_id: int, operation: str) -> HttpResponse:
    user = request.user
    post = request.POST
    here = reverse("flow:task", args=[task_id])
    try:
        task = selectors.task_for(user=user, task_id=task_id)  # type: ignore[arg-type]
        expected = _int(post.get("expected_version"))
        now = clock.now()
        kw = {
            "task": task,
            "actor": user,
            "now": now,
            "expected_version": expected if expected is not None else -1,
        }
        if operation == "approve":
            services.task_approve(**kw, opinion=post.get("opinion", ""))  # type: ignore[arg-type]
            done = "已审批通过"
        elif operation == "reject":
            services.task_reject(**kw, reason=post.get("reason", ""))  # type: ignore[arg-type]
            done = "已作出不予通过决定"
        elif operation == "return":
            items = [line.strip() for line in post.get("items", "").splitlines() if line.strip()]
            services.task_return(
                **kw, reason=post.get("reason", ""), to_step=post.get("to_step") or None, items=items
            )  # type: ignore[arg-type]
            done = "已退回"
        elif operation == "transfer":
            department = Department.objects.filter(pk=_int(post.get("department")) or 0).first()
            if department is None:
                raise DomainError.single("required", "请选择转办部门", "Choose a department", "department")
            services.task_transfer(**kw, department=department, reason=post.get("reason", ""))  # type: ignore[arg-type]
            done = "已转办"
        elif operation == "claim":
            services.task_claim(**kw)  # type: ignore[arg-type]
            done = "已签收"
        elif operation == "comment":
            services.task_comment(case=task.case, task=task, actor=user, now=now, text=post.get("text", ""))  # type: ignore[arg-type]
            done = "意见已保存"
        else:
            return render(request, "flow/not_found.html", status=404)
    except NotFound:
        return render(request, "flow/not_found.html", status=404)
    except DomainError as exc:
        messages.error(request, _error_text(exc))
        return HttpResponseRedirect(here)
    messages.success(request, done)
    if operation in ("comment", "claim"):
        return HttpResponseRedirect(here)
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
