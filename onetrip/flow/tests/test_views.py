"""The department inbox pages (/work/) and the flow API (/api/v1/flow)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from onetrip.flow.models import TaskStatus
from onetrip.flow.tests.casebuilders import bundle_case, item_case, open_tasks, staff, version
from onetrip.intake.tests import factories as itf

pytestmark = pytest.mark.django_db


def test_inbox_page_lists_the_departments_tasks_with_a_countdown(client):
    case = item_case()
    [task] = open_tasks(case)
    client.force_login(staff(task.department))
    page = client.get(reverse("flow:inbox")).content.decode()
    assert case.title in page and "countdown-" in page and "批量审批通过" in page
    assert f'value="{task.pk}:{version(case)}"' in page


def test_task_page_shows_the_departments_projection_and_approves(client):
    case = bundle_case(members=2)
    task = open_tasks(case)[0]
    user = staff(task.department)
    client.force_login(user)
    page = client.get(reverse("flow:task", args=[task.pk])).content.decode()
    assert "本部门申请表" in page and "流转记录" in page and "综合窗口已受理" in page
    response = client.post(
        reverse("flow:task_operation", args=[task.pk, "approve"]),
        {"expected_version": version(case), "opinion": "材料齐全"},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.APPROVED and task.opinion == "材料齐全"


def test_a_stale_form_shows_an_error_and_changes_nothing(client):
    case = item_case()
    [task] = open_tasks(case)
    client.force_login(staff(task.department))
    response = client.post(
        reverse("flow:task_operation", args=[task.pk, "approve"]),
        {"expected_version": version(case) - 1},
        follow=True,
    )
    assert "办件已被他人更新" in response.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_other_departments_cannot_see_the_task(client):
    case = item_case()
    [task] = open_tasks(case)
    client.force_login(staff(itf.f.make_department()))
    assert client.get(reverse("flow:task", args=[task.pk])).status_code == 404


def test_batch_approval_from_the_inbox(client):
    first = item_case()
    second = item_case(item=first.item_version.item)
    user = staff(first.lead_department)
    client.force_login(user)
    ticks = [f"{open_tasks(c)[0].pk}:{version(c)}" for c in (first, second)]
    response = client.post(reverse("flow:batch_approve"), {"task": ticks, "opinion": "同意"}, follow=True)
    assert "已批量审批通过2件" in response.content.decode()
    assert [open_tasks(c)[0].step_code for c in (first, second)] == ["review", "review"]


def test_api_inbox_operations_history_and_409(client):
    case = item_case()
    [task] = open_tasks(case)
    user = staff(task.department)
    client.force_login(user)
    inbox = client.get("/api/v1/flow/inbox").json()
    assert inbox["items"][0]["id"] == task.pk and inbox["items"][0]["countdown"] in ("green", "yellow", "red")
    detail = client.get(f"/api/v1/flow/tasks/{task.pk}").json()
    v = detail["case_version"]
    assert detail["forms"][0]["title"] == case.title
    ok = client.post(
        f"/api/v1/flow/tasks/{task.pk}/approve",
        {"expected_version": v, "opinion": "同意"},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["version"] == v + 1
    again = client.post(
        f"/api/v1/flow/tasks/{task.pk}/approve", {"expected_version": v}, content_type="application/json"
    )
    assert again.status_code == 409 and again.json()["errors"][0]["code"] == "stale_version"
    history = client.get(f"/api/v1/flow/cases/{case.pk}/history").json()
    approved = [e for e in history if e["kind"] == "task_approved"]
    assert approved[0]["reason"] == "同意" and approved[0]["actor"] == str(user)


def test_api_refuses_strangers_and_unknown_operations(client):
    case = item_case()
    [task] = open_tasks(case)
    assert client.get("/api/v1/flow/inbox").status_code == 401
    client.force_login(staff(itf.f.make_department()))
    assert client.get(f"/api/v1/flow/tasks/{task.pk}").status_code == 404
    client.force_login(staff(task.department))
    bad = client.post(
        f"/api/v1/flow/tasks/{task.pk}/explode", {"expected_version": 1}, content_type="application/json"
    )
    assert bad.status_code == 404
    suspend = client.post(
        f"/api/v1/flow/cases/{case.pk}/suspend",
        {"expected_version": version(case), "reason": "等待鉴定"},
        content_type="application/json",
    )
    assert suspend.status_code == 200 and suspend.json()["status"] == "suspended"
