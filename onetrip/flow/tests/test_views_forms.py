"""The inbox task page's forms: delegate, add/remove signers, withdraw, copy, case operations for the lead
department, results and delivery. Each posts through its service; a bad input shows the page again with the
error and what was typed, and changes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from onetrip.catalog.tests import factories as f
from onetrip.flow.models import CaseResult, Delivery, FlowEvent, ProcessInstanceRecord, TaskStatus
from onetrip.flow.tests.casebuilders import item_case, open_tasks, staff, version
from onetrip.orgs.models import Role, ServiceHall, Window
from onetrip.sharing.models import LicenceType

pytestmark = pytest.mark.django_db


def post(client, task, operation, **data):
    return client.post(reverse("flow:task_operation", args=[task.pk, operation]), data)


def test_task_forms_post_through_their_services(client):
    case = item_case()
    [task] = open_tasks(case)
    user = staff(task.department, Role.LEADER)
    colleague = staff(task.department)
    other, third = f.make_department(), f.make_department()
    client.force_login(user)
    page = client.get(reverse("flow:task", args=[task.pk])).content.decode()
    for label in (
        "委派",
        "加签",
        "减签",
        "抄送",
        "中止办理",
        "延长时限",
        "特别程序",
        "出具办理结果",
        "统一出件",
    ):
        assert label in page, label

    assert post(client, task, "copy", to=[other.pk], note="供参考").status_code == 302
    assert FlowEvent.objects.filter(case=case, kind="copied").exists()
    r = post(client, task, "add-signers", expected_version=version(case), signers=[other.pk, third.pk])
    assert r.status_code == 302 and {t.department_id for t in open_tasks(case)} >= {other.pk, third.pk}
    r = post(client, task, "remove-signers", expected_version=version(case), signers=[third.pk])
    assert r.status_code == 302 and third.pk not in {t.department_id for t in open_tasks(case)}
    r = post(client, task, "delegate", expected_version=version(case), to_user=colleague.pk, note="请核查")
    task.refresh_from_db()
    assert r.status_code == 302 and task.assignee == colleague and task.delegator == user

    for operation, data, status in (
        ("suspend", {"reason": "等待司法裁决"}, "suspended"),
        ("resume", {}, "running"),
        ("special-start", {"procedure": "hearing", "note": "申请听证"}, "special"),
        ("special-end", {"outcome": "听证完毕"}, "running"),
        ("extend", {"count": "3", "reason": "情况复杂", "task_id": str(task.pk)}, "running"),
    ):
        r = post(client, task, operation, expected_version=version(case), **data)
        assert r.status_code == 302, operation
        assert ProcessInstanceRecord.objects.get(case=case).status == status
    assert FlowEvent.objects.filter(case=case, kind="extended").exists()


def test_withdraw_result_and_delivery_forms():
    from django.test import Client

    client = Client()
    case = item_case()
    handler = staff(case.lead_department)
    client.force_login(handler)
    first = open_tasks(case)[0]
    post(client, first, "approve", expected_version=version(case), opinion="同意")
    page = client.get(reverse("flow:task", args=[first.pk])).content.decode()
    assert "撤回本环节的办理" in page
    assert (
        post(client, first, "withdraw", expected_version=version(case), reason="意见有误").status_code == 302
    )
    first.refresh_from_db()
    assert first.status == TaskStatus.OPEN
    for _ in range(5):
        tasks = open_tasks(case)
        if tasks[0].step_code == "decide":
            break
        post(client, tasks[0], "approve", expected_version=version(case), opinion="同意")
    [final] = open_tasks(case)
    r = post(client, final, "approve", expected_version=version(case), opinion="同意")
    assert r.status_code == 409 and "尚未出具办理结果" in r.content.decode()  # 办结 needs the result first
    item = case.item_version.item
    LicenceType.objects.create(
        code="water-permit",
        name="取水许可证",
        issuer=case.item_version.implementing_department,
        satisfies="取水许可证",
        holder_kind="person",
    )
    r = post(
        client,
        first,
        "result",
        item=item.pk,
        kind="licence",
        document_number="丽莲许〔2026〕8号",
        title="许可证",
        licence_type="water-permit",
    )
    assert r.status_code == 302
    assert CaseResult.objects.get(case=case).licence_type == "取水许可证"
    assert post(client, final, "approve", expected_version=version(case)).status_code == 302
    hall = ServiceHall.objects.create(name="莲都区行政服务中心", region=case.region)
    window = Window.objects.create(hall=hall, number="8", name="统一出件", category="general")
    r = post(client, first, "delivery", method="pickup", window=window.pk)
    assert r.status_code == 302
    delivery = Delivery.objects.get(case=case)
    assert delivery.window == window and "8号窗口" in delivery.notice


@pytest.mark.parametrize(
    ("operation", "data", "typed"),
    [
        ("delegate", {"to_user": "", "note": "请帮忙核查面积"}, "请帮忙核查面积"),
        ("copy", {"note": "请知悉抄送内容"}, "请知悉抄送内容"),
        ("extend", {"count": "0", "reason": "需要补充勘验"}, "需要补充勘验"),
        ("special-start", {"procedure": "lottery", "note": "组织专家论证"}, "组织专家论证"),
        ("suspend", {"reason": " "}, None),
        (
            "result",
            {"kind": "licence", "document_number": "丽莲许〔2026〕99号", "title": ""},
            "丽莲许〔2026〕99号",
        ),
        ("delivery", {"method": "post", "carrier": "中国邮政EMS"}, "中国邮政EMS"),
        ("withdraw", {"reason": "撤回理由甲"}, "撤回理由甲"),
    ],
)
def test_bad_input_shows_the_error_and_keeps_what_was_typed(client, operation, data, typed):
    case = item_case()
    [task] = open_tasks(case)
    user = staff(task.department, Role.LEADER)
    client.force_login(user)
    v = version(case)
    if operation == "result":
        data = {**data, "item": case.item_version.item.pk}
    events = FlowEvent.objects.filter(case=case).count()
    response = post(client, task, operation, expected_version=v, **data)
    assert response.status_code in (400, 403, 409)
    page = response.content.decode()
    assert "未能办理" in page
    if typed is not None:
        assert typed in page
    assert version(case) == v and FlowEvent.objects.filter(case=case).count() == events
    assert (
        not CaseResult.objects.filter(case=case).exists() and not Delivery.objects.filter(case=case).exists()
    )
