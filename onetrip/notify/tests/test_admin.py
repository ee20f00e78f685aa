"""The admin: robots with the token and secret hidden, dispatch status with masked addresses, and the
"send again" action for dead dispatches."""

from __future__ import annotations

import datetime as dt

import pytest

from onetrip.notify.models import DepartmentRobot, Dispatch, DispatchStatus
from onetrip.notify.services import notify_send
from onetrip.orgs.tests import factories as f

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def admin_client(client):
    admin = f.user(username="root-admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    return client


def test_robot_list_hides_the_token_and_editing_keeps_the_secret(admin_client):
    dept = f.department(region=f.region_chain()["county"])
    robot = DepartmentRobot.objects.create(
        department=dept, url="https://oapi.dingtalk.com/robot/send?access_token=TOPSECRET", secret="SECabc"
    )
    page = admin_client.get("/admin/notify/departmentrobot/").content.decode()
    assert "access_token=***" in page and "TOPSECRET" not in page
    form = admin_client.get(f"/admin/notify/departmentrobot/{robot.pk}/change/").content.decode()
    assert "SECabc" not in form
    response = admin_client.post(
        f"/admin/notify/departmentrobot/{robot.pk}/change/",
        {"department": dept.pk, "name": "审批群", "url": robot.url, "secret": "", "is_active": "on"},
    )
    assert response.status_code == 302
    robot.refresh_from_db()
    assert (robot.name, robot.secret) == ("审批群", "SECabc")


def test_dispatch_list_masks_addresses_and_sends_dead_ones_again(admin_client, settings):
    settings.NOTIFY_SMS_URL = "http://127.0.0.1:9/sms"
    user = f.user(email="zhangsan@example.cn", phone="13812345678")
    notify_send(recipient_id=user.pk, kind="case_accepted", title="受理", dedup_key="a1", at=AT)
    Dispatch.objects.update(status=DispatchStatus.DEAD, attempts=10, last_error="ChannelError: HTTP 500")
    page = admin_client.get("/admin/notify/dispatch/").content.decode()
    assert "138****5678" in page and "z***@example.cn" in page
    assert "13812345678" not in page and "zhangsan@" not in page
    ids = list(Dispatch.objects.values_list("pk", flat=True))
    response = admin_client.post(
        "/admin/notify/dispatch/", {"action": "send_again", "_selected_action": [str(i) for i in ids]}
    )
    assert response.status_code == 302
    assert list(Dispatch.objects.values_list("status", "attempts", "last_error").distinct()) == [
        (DispatchStatus.PENDING, 0, "")
    ]
