"""The inbox pages (/notices/) and the API (/api/v1/notify/): own messages only, keyset pages, unread count,
mark read / all read, link through, and the settings form."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from onetrip.notify.models import ChannelPreference, DepartmentRobot, Notification
from onetrip.notify.selectors import inbox_page
from onetrip.notify.services import NotificationDraft, notify_send, notify_send_many
from onetrip.orgs import services as org_services
from onetrip.orgs.models import Role
from onetrip.orgs.tests import factories as f

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _fill(user, n: int, prefix: str = "m") -> None:
    notify_send_many(
        drafts=[
            NotificationDraft(user.pk, "task_reminder", f"提醒{i}", f"{prefix}:{user.pk}:{i}")
            for i in range(n)
        ],
        at=AT,
    )


def test_inbox_pages_are_keyset_pages_newest_first_and_only_mine():
    me, other = f.user(), f.user()
    _fill(me, 45)
    _fill(other, 5)
    first = inbox_page(user=me, limit=20)
    assert [n.title for n in first.notifications][:2] == ["提醒44", "提醒43"]
    assert first.unread == 45
    second = inbox_page(user=me, before=first.next_before, limit=20)
    third = inbox_page(user=me, before=second.next_before, limit=20)
    seen = [n.pk for page in (first, second, third) for n in page.notifications]
    assert len(seen) == len(set(seen)) == 45
    assert third.next_before is None
    assert all(n.recipient_id == me.pk for n in Notification.objects.filter(pk__in=seen))


def test_inbox_page_lists_messages_and_marks_them_read(client):
    me = f.user()
    _fill(me, 3)
    client.force_login(me)
    page = client.get(reverse("notify:inbox"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "提醒2" in text and "全部标为已读" in text and 'aria-label="3 条未读消息"' in text
    target = Notification.objects.get(title="提醒1")
    response = client.post(reverse("notify:mark_read", args=[target.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "已读" in response.content.decode()
    target.refresh_from_db()
    assert target.read_at is not None
    assert client.get(reverse("notify:badge")).content.decode().count("2 条未读消息") == 1
    response = client.post(reverse("notify:mark_all_read"))
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=me, read_at__isnull=True).exists()
    assert client.get(reverse("notify:badge")).content.decode().strip() == ""
    unread_only = client.get(reverse("notify:inbox") + "?unread=1").content.decode()
    assert "没有未读消息" in unread_only


def test_link_through_marks_read_and_only_follows_site_paths(client):
    me = f.user()
    notify_send(recipient_id=me.pk, kind="k", title="a", dedup_key="a", link="/work/tasks/3/", at=AT)
    notify_send(recipient_id=me.pk, kind="k", title="b", dedup_key="b", link="//evil.example.com/x", at=AT)
    client.force_login(me)
    a, b = Notification.objects.get(dedup_key="a"), Notification.objects.get(dedup_key="b")
    assert client.get(reverse("notify:go", args=[a.pk]))["Location"] == "/work/tasks/3/"
    assert client.get(reverse("notify:go", args=[b.pk]))["Location"] == reverse("notify:inbox")
    a.refresh_from_db()
    assert a.read_at is not None


def test_someone_elses_message_is_not_found_and_stays_unread(client):
    me, other = f.user(), f.user()
    notify_send(recipient_id=other.pk, kind="k", title="theirs", dedup_key="x", at=AT)
    theirs = Notification.objects.get()
    client.force_login(me)
    assert client.get(reverse("notify:go", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("notify:mark_read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_pages_need_a_signed_in_user(client):
    assert client.get(reverse("notify:inbox")).status_code == 302
    assert client.get(reverse("notify:settings")).status_code == 302
    assert client.get("/api/v1/notify/notifications").status_code == 401
    badge = client.get(reverse("notify:badge"))
    assert (badge.status_code, badge.content) == (200, b"")


def test_settings_page_shows_defaults_and_saves_all_channels(client, settings):
    settings.NOTIFY_SMS_URL = "http://127.0.0.1:9/sms"
    dept = f.department(region=f.region_chain()["county"], name="区市场监管局")
    DepartmentRobot.objects.create(department=dept, url="http://127.0.0.1:9/robot")
    me = f.user(email="me@example.cn", phone="13812345678")
    org_services.role_assign(user=me, role=Role.HANDLER, department=dept)
    client.force_login(me)
    page = client.get(reverse("notify:settings")).content.decode()
    assert "me@example.cn" in page and "138****5678" in page and "13812345678" not in page
    assert "区市场监管局 群机器人" in page and "超期告警" in page
    response = client.post(
        reverse("notify:settings"),
        {
            "email-enabled": "on",
            "email-address": "work@example.cn",
            "email-muted": ["task_reminder"],
            "sms-address": "",
            "webhook-enabled": "on",
        },
    )
    assert response.status_code == 302
    prefs = {p.channel: p for p in ChannelPreference.objects.filter(user=me)}
    assert (prefs["email"].enabled, prefs["email"].address, prefs["email"].muted_kinds) == (
        True,
        "work@example.cn",
        ["task_reminder"],
    )
    assert prefs["sms"].enabled is False and prefs["webhook"].enabled is True


def test_settings_form_with_a_bad_phone_changes_nothing_and_keeps_what_was_typed(client):
    me = f.user()
    client.force_login(me)
    response = client.post(
        reverse("notify:settings"),
        {
            "email-enabled": "on",
            "email-address": "ok@example.cn",
            "sms-enabled": "on",
            "sms-address": "12345",
        },
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "请填写11位手机号码" in text and 'value="ok@example.cn"' in text
    assert not ChannelPreference.objects.exists()


def test_urgent_kinds_cannot_be_muted():
    from onetrip.core.errors import DomainError
    from onetrip.notify.services import preference_set

    me = f.user()
    with pytest.raises(DomainError) as info:
        preference_set(user=me, channel="email", enabled=True, muted_kinds=["task_overdue"])
    assert info.value.errors[0].code == "urgent_kind"
    assert not ChannelPreference.objects.exists()


def test_api_lists_marks_read_and_counts(client):
    me, other = f.user(), f.user()
    _fill(me, 3)
    _fill(other, 1, prefix="o")
    client.force_login(me)
    body = client.get("/api/v1/notify/notifications?limit=2").json()
    assert [i["title"] for i in body["items"]] == ["提醒2", "提醒1"]
    assert body["unread"] == 3 and body["next_before"] == body["items"][-1]["id"]
    rest = client.get(f"/api/v1/notify/notifications?limit=2&before={body['next_before']}").json()
    assert [i["title"] for i in rest["items"]] == ["提醒0"] and rest["next_before"] is None
    one = body["items"][0]["id"]
    marked = client.post(f"/api/v1/notify/notifications/{one}/read").json()
    assert marked["read_at"] is not None
    assert client.get("/api/v1/notify/notifications/unread-count").json() == {"unread": 2}
    theirs = Notification.objects.get(recipient=other).pk
    assert client.post(f"/api/v1/notify/notifications/{theirs}/read").status_code == 404
    assert client.post("/api/v1/notify/notifications/read-all").json() == {"marked": 2}
    assert client.get("/api/v1/notify/notifications?unread=true").json()["items"] == []


def test_api_preferences_round_trip_and_refuse_bad_input(client):
    me = f.user(email="me@example.cn")
    client.force_login(me)
    current = client.get("/api/v1/notify/preferences").json()
    assert [c["channel"] for c in current["channels"]] == ["email", "webhook", "sms"]
    assert current["channels"][0]["default_address"] == "me@example.cn"
    payload = {
        "channels": [{"channel": "email", "enabled": False}, {"channel": "sms", "address": "13900001111"}]
    }
    response = client.put("/api/v1/notify/preferences", json.dumps(payload), content_type="application/json")
    assert response.status_code == 200
    channels = {c["channel"]: c for c in response.json()["channels"]}
    assert channels["email"]["enabled"] is False and channels["sms"]["address"] == "13900001111"
    bad = {"channels": [{"channel": "email", "address": "not-an-email"}, {"channel": "fax"}]}
    response = client.put("/api/v1/notify/preferences", json.dumps(bad), content_type="application/json")
    assert response.status_code == 400
    assert {e["code"] for e in response.json()["errors"]} == {"invalid_email", "invalid_channel"}
    assert ChannelPreference.objects.get(user=me, channel="email").address == ""
