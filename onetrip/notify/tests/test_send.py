"""notify_send / notify_send_many: dedup, dispatch rows per enabled channel, outbox atomicity."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from onetrip.notify.models import ChannelPreference, DepartmentRobot, Dispatch, DispatchChannel, Notification
from onetrip.notify.services import NotificationDraft, notify_send, notify_send_many
from onetrip.orgs import services as org_services
from onetrip.orgs.models import Role
from onetrip.orgs.tests import factories as f

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _sms_gateway_configured(settings):
    # Queueing only: nothing is sent in these tests, but SMS is queued only when a gateway is configured.
    settings.NOTIFY_SMS_URL = "http://127.0.0.1:9/sms"


def _channels(notification: Notification) -> dict[str, str]:
    return dict(notification.dispatches.values_list("channel", "address"))


def test_send_makes_inbox_entry_and_skips_a_reused_dedup_key():
    user = f.user()
    assert notify_send(recipient_id=user.pk, kind="task_reminder", title="请办理", dedup_key="k1", at=AT)
    assert not notify_send(recipient_id=user.pk, kind="task_reminder", title="又一次", dedup_key="k1", at=AT)
    (n,) = Notification.objects.filter(recipient=user)
    assert (n.title, n.created_at, n.read_at) == ("请办理", AT, None)


def test_data_is_stored_as_json_with_dates_as_iso_text():
    user = f.user()
    notify_send(
        recipient_id=user.pk, kind="k", title="t", dedup_key="d", data={"task_id": 7, "due": AT.date()}, at=AT
    )
    assert Notification.objects.get().data == {"task_id": 7, "due": "2026-03-02"}


def test_send_many_counts_only_new_rows_including_duplicates_inside_one_batch():
    user = f.user()
    notify_send(recipient_id=user.pk, kind="k", title="old", dedup_key="a", at=AT)
    drafts = [NotificationDraft(user.pk, "k", f"t{i}", key) for i, key in enumerate(["a", "b", "c", "b"])]
    assert notify_send_many(drafts=drafts, at=AT) == 2
    assert sorted(Notification.objects.values_list("dedup_key", "title")) == [
        ("a", "old"),
        ("b", "t1"),
        ("c", "t2"),
    ]
    assert notify_send_many(drafts=drafts, at=AT) == 0


def test_dispatches_default_to_the_accounts_email_and_phone():
    both = f.user(email="a@example.cn", phone="13812345678")
    none = f.user()
    notify_send(recipient_id=both.pk, kind="case_accepted", title="t", dedup_key="1", at=AT)
    notify_send(recipient_id=none.pk, kind="case_accepted", title="t", dedup_key="2", at=AT)
    assert _channels(Notification.objects.get(dedup_key="1")) == {
        "email": "a@example.cn",
        "sms": "13812345678",
    }
    assert _channels(Notification.objects.get(dedup_key="2")) == {}
    d = Dispatch.objects.filter(channel="email").get()
    assert (d.status, d.attempts, d.next_attempt_at, d.created_at) == ("pending", 0, AT, AT)


def test_webhook_goes_to_the_robot_of_the_recipients_department():
    regions = f.region_chain()
    dept = f.department(region=regions["county"])
    other = f.department(region=regions["county"])
    robot = DepartmentRobot.objects.create(
        department=dept, url="http://127.0.0.1:9/robot/send?access_token=x"
    )
    DepartmentRobot.objects.create(department=other, url="http://127.0.0.1:9/other", is_active=False)
    handler = f.user()
    org_services.role_assign(user=handler, role=Role.HANDLER, department=dept)
    outsider = f.user()
    org_services.role_assign(user=outsider, role=Role.HANDLER, department=other)
    notify_send(recipient_id=handler.pk, kind="task_assigned", title="t", dedup_key="h", at=AT)
    notify_send(recipient_id=outsider.pk, kind="task_assigned", title="t", dedup_key="o", at=AT)
    (d,) = Dispatch.objects.filter(notification__dedup_key="h")
    assert (d.channel, d.robot_id, d.address) == ("webhook", robot.pk, "")
    assert not Dispatch.objects.filter(notification__dedup_key="o").exists()


def test_preferences_switch_channels_off_change_address_and_mute_kinds():
    user = f.user(email="a@example.cn", phone="13812345678")
    ChannelPreference.objects.create(user=user, channel="email", address="b@example.cn", updated_at=AT)
    ChannelPreference.objects.create(user=user, channel="sms", muted_kinds=["task_reminder"], updated_at=AT)
    notify_send(recipient_id=user.pk, kind="task_reminder", title="t", dedup_key="r", at=AT)
    notify_send(recipient_id=user.pk, kind="case_accepted", title="t", dedup_key="c", at=AT)
    assert _channels(Notification.objects.get(dedup_key="r")) == {"email": "b@example.cn"}
    assert _channels(Notification.objects.get(dedup_key="c")) == {
        "email": "b@example.cn",
        "sms": "13812345678",
    }
    ChannelPreference.objects.filter(user=user, channel="email").update(enabled=False)
    notify_send(recipient_id=user.pk, kind="case_accepted", title="t", dedup_key="c2", at=AT)
    assert _channels(Notification.objects.get(dedup_key="c2")) == {"sms": "13812345678"}


def test_urgent_kinds_ignore_mutes_and_still_leave_the_inbox_when_every_channel_is_off():
    user = f.user(email="a@example.cn", phone="13812345678")
    ChannelPreference.objects.create(user=user, channel="sms", muted_kinds=["task_overdue"], updated_at=AT)
    notify_send(recipient_id=user.pk, kind="task_overdue", title="t", dedup_key="u1", at=AT)
    assert set(_channels(Notification.objects.get(dedup_key="u1"))) == {"email", "sms"}
    ChannelPreference.objects.filter(user=user).update(enabled=False)
    ChannelPreference.objects.create(user=user, channel="email", enabled=False, updated_at=AT)
    notify_send(recipient_id=user.pk, kind="task_overdue", title="t", dedup_key="u2", at=AT)
    notify_send(recipient_id=user.pk, kind="case_accepted", title="t", dedup_key="n2", at=AT)
    assert _channels(Notification.objects.get(dedup_key="u2")) == {"email": "a@example.cn"}
    assert _channels(Notification.objects.get(dedup_key="n2")) == {}


def test_inactive_accounts_get_the_inbox_entry_but_nothing_external():
    user = f.user(email="a@example.cn")
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert notify_send(recipient_id=user.pk, kind="task_overdue", title="t", dedup_key="x", at=AT)
    assert not Dispatch.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_event_leaves_no_notification_and_no_dispatch():
    user = f.user(email="a@example.cn")

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        assert notify_send(recipient_id=user.pk, kind="k", title="t", dedup_key="rb", at=AT)
        assert Dispatch.objects.count() == 1
        raise Boom
    assert not Notification.objects.exists()
    assert not Dispatch.objects.exists()
    # The key was never used, so the retried event queues it.
    assert notify_send(recipient_id=user.pk, kind="k", title="t", dedup_key="rb", at=AT)


def test_bulk_send_uses_a_constant_number_of_queries_per_batch():
    users = [f.user(email=f"u{i}@example.cn") for i in range(30)]
    drafts = [
        NotificationDraft(u.pk, "task_reminder", "t", f"bulk:{u.pk}:{j}") for u in users for j in range(20)
    ]
    with CaptureQueriesContext(connection) as ctx:
        assert notify_send_many(drafts=drafts, at=AT) == 600
    # One insert, three routing reads, the dispatch inserts in batches: a handful, never one per row.
    assert len(ctx.captured_queries) <= 20, [q["sql"][:60] for q in ctx.captured_queries]
    assert Dispatch.objects.count() == 600


def test_overlong_dedup_key_is_refused_rather_than_truncated_into_a_collision():
    user = f.user()
    with pytest.raises(ValueError):
        notify_send(recipient_id=user.pk, kind="k", title="t", dedup_key="x" * 161, at=AT)
    assert not Notification.objects.exists()
    assert DispatchChannel.WEBHOOK == "webhook"


def test_channels_without_a_server_are_not_queued(settings, monkeypatch):
    user = f.user(email="a@example.cn", phone="13812345678")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "localhost"  # Django's default: nothing configured
    monkeypatch.delenv("EMAIL_HOST", raising=False)
    settings.NOTIFY_SMS_URL = ""
    notify_send(recipient_id=user.pk, kind="case_accepted", title="t", dedup_key="none", at=AT)
    settings.EMAIL_HOST = "smtp.example.gov.cn"
    settings.NOTIFY_SMS_URL = "http://127.0.0.1:9/sms"
    settings.NOTIFY_CHANNELS = "email"
    notify_send(recipient_id=user.pk, kind="case_accepted", title="t", dedup_key="email", at=AT)
    assert _channels(Notification.objects.get(dedup_key="none")) == {}
    assert _channels(Notification.objects.get(dedup_key="email")) == {"email": "a@example.cn"}


def test_a_batch_mixing_used_and_new_keys_stores_and_queues_only_the_new_ones():
    # On PostgreSQL the batch first goes in by COPY; the used key fails it, and the fallback (temporary
    # table + ON CONFLICT DO NOTHING) must store the same rows an all-new batch would, with their dispatches.
    users = [f.user(email=f"m{i}@example.cn", phone=f"1381234{i:04d}") for i in range(3)]
    notify_send(recipient_id=users[0].pk, kind="task_overdue", title="旧", dedup_key="mix:0", at=AT)
    drafts = [
        NotificationDraft(u.pk, "task_overdue", f"超期{i}", f"mix:{i}", "正文", "/flow/tasks/1/", {"n": i})
        for i, u in enumerate(users * 50)
    ]
    with transaction.atomic():
        assert notify_send_many(drafts=drafts, at=AT) == 149
        # The transaction is still usable after the failed COPY was rolled back to its savepoint.
        assert Notification.objects.count() == 150
    fresh = Notification.objects.get(dedup_key="mix:7")
    assert (fresh.recipient_id, fresh.kind, fresh.title, fresh.body, fresh.link, fresh.data) == (
        users[1].pk,
        "task_overdue",
        "超期7",
        "正文",
        "/flow/tasks/1/",
        {"n": 7},
    )
    assert fresh.created_at == AT
    assert _channels(fresh) == {"email": "m1@example.cn", "sms": "13812340001"}
    assert Notification.objects.get(dedup_key="mix:0").title == "旧"
    assert Dispatch.objects.count() == 2 * 150
    assert set(Dispatch.objects.values_list("status", "next_attempt_at")) == {("pending", AT)}


def test_an_all_new_batch_stores_every_column_and_returns_the_ids_its_dispatches_use():
    user = f.user(email="n@example.cn")
    drafts = [
        NotificationDraft(user.pk, "task_warning", f"t{i}", f"new:{i}", data={"i": i}) for i in range(120)
    ]
    assert notify_send_many(drafts=drafts, at=AT) == 120
    rows = Notification.objects.order_by("id")
    assert [n.dedup_key for n in rows] == [f"new:{i}" for i in range(120)]
    assert [n.data for n in rows] == [{"i": i} for i in range(120)]
    dispatched = dict(Dispatch.objects.values_list("notification_id", "address"))
    assert dispatched == {n.pk: "n@example.cn" for n in rows}
    # The ids came from the table's own sequence: an ORM insert afterwards continues after them.
    later = Notification.objects.create(recipient=user, kind="k", title="t", dedup_key="later", created_at=AT)
    assert later.pk > max(n.pk for n in rows)
