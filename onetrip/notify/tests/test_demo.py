"""The demo loader: a welcome message per user, in the inbox only."""

from __future__ import annotations

import pytest

from onetrip.notify.demo import notify_demo_load
from onetrip.notify.models import DepartmentRobot, Dispatch, Notification
from onetrip.orgs import services as org_services
from onetrip.orgs.tests import factories as f

pytestmark = pytest.mark.django_db


def test_demo_load_is_idempotent_and_sends_nothing_outside(settings):
    settings.NOTIFY_SMS_URL = "http://127.0.0.1:9/sms"
    region = f.region_chain()["county"]
    org_services.department_create(
        code="ld-scjg", name="莲都区市场监督管理局", uscc=f.uscc(region.code), level=4, region=region
    )
    users = [f.user(email=f"u{i}@example.cn", phone=f"1395780000{i}") for i in range(3)]
    first = notify_demo_load()
    assert first.counts == [("站内消息", 3, 3)]
    assert notify_demo_load().counts == [("站内消息", 3, 0)]
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {u.pk for u in users}
    assert not Dispatch.objects.exists()
    assert not DepartmentRobot.objects.exists()  # a robot's address is the department's own
