"""The dispatcher against real loopback servers: SMTP (aiosmtpd), a DingTalk-style robot and an SMS gateway
(stdlib http.server); retries with backoff, giving up, and errors without personal data."""

from __future__ import annotations

import base64
import datetime as dt
import email
import hashlib
import hmac
import random
from email.policy import default as default_policy

import pytest

from onetrip.notify.channels import dingtalk_signed_url, safe_error
from onetrip.notify.dispatcher import backoff_delay, notify_dispatch
from onetrip.notify.models import DepartmentRobot, Dispatch, DispatchStatus
from onetrip.notify.services import notify_send
from onetrip.notify.tests.loopback import HttpReceiver, SmtpReceiver
from onetrip.orgs import services as org_services
from onetrip.orgs.models import Role
from onetrip.orgs.tests import factories as f

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
ID_NUMBER = "330102199001011234"
PHONE = "13812345678"


@pytest.fixture
def notify_settings(settings):
    settings.NOTIFY_SITE_URL = "https://zwfw.example.gov.cn"
    settings.NOTIFY_SEND_THREADS = 2
    settings.NOTIFY_TIMEOUT_S = 5
    return settings


def _robot_user(url: str, secret: str = "SEC-robot-secret"):
    dept = f.department(region=f.region_chain()["county"])
    robot = DepartmentRobot.objects.create(department=dept, url=url, secret=secret)
    user = f.user()
    org_services.role_assign(user=user, role=Role.HANDLER, department=dept)
    return user, robot


def test_email_reaches_a_real_smtp_server_masked_and_with_an_absolute_link(notify_settings):
    user = f.user(email="zhang@example.cn")
    with SmtpReceiver() as smtp:
        notify_settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        notify_settings.EMAIL_HOST, notify_settings.EMAIL_PORT = "127.0.0.1", smtp.port
        notify_settings.DEFAULT_FROM_EMAIL = "noreply@onetrip.example.cn"
        notify_send(
            recipient_id=user.pk,
            kind="case_accepted",
            title="您的申请已受理",
            body=f"申请人身份证 {ID_NUMBER}，承诺办结日 3 月 9 日。",
            link="/apply/cases/42/",
            dedup_key="mail-1",
            at=AT,
        )
        report = notify_dispatch(now=AT)
    assert (report.taken, report.sent) == (1, 1)
    (envelope,) = smtp.messages
    assert envelope.rcpt_tos == ["zhang@example.cn"]
    message = email.message_from_bytes(envelope.content, policy=default_policy)
    assert message["Subject"] == "[受理通知] 您的申请已受理"
    text = message.get_content()
    assert "330102********1234" in text and ID_NUMBER not in text
    assert "https://zwfw.example.gov.cn/apply/cases/42/" in text
    d = Dispatch.objects.get()
    assert (d.status, d.attempts, d.last_error) == (DispatchStatus.SENT, 1, "")
    assert d.sent_at is not None


def test_webhook_posts_signed_dingtalk_markdown_to_the_department_robot(notify_settings):
    with HttpReceiver() as robot_server:
        user, robot = _robot_user(f"{robot_server.url}/robot/send?access_token=abc")
        notify_send(
            recipient_id=user.pk,
            kind="task_warning",
            title="临期预警：食品经营许可",
            body=f"联系人 {PHONE}",
            link="/work/tasks/7/",
            dedup_key="hook-1",
            at=AT,
        )
        assert notify_dispatch(now=AT).sent == 1
    (req,) = robot_server.received
    assert req.path == "/robot/send"
    assert req.query["access_token"] == "abc"
    timestamp = req.query["timestamp"]
    expected = base64.b64encode(
        hmac.new(robot.secret.encode(), f"{timestamp}\n{robot.secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert req.query["sign"] == expected
    assert req.body["msgtype"] == "markdown"
    assert req.body["markdown"]["title"] == "临期预警：食品经营许可"
    text = req.body["markdown"]["text"]
    assert "138****5678" in text and PHONE not in text
    assert f"接收人：{user}" in text
    assert "[查看详情](https://zwfw.example.gov.cn/work/tasks/7/)" in text


def test_sms_gateway_gets_json_with_the_api_key_header(notify_settings):
    with HttpReceiver(reply={"code": "OK"}) as gateway:
        notify_settings.NOTIFY_SMS_URL = f"{gateway.url}/sms/send"
        notify_settings.NOTIFY_SMS_API_KEY = "k-123"
        notify_settings.NOTIFY_SMS_SIGN = "莲都政务"
        user = f.user(phone=PHONE)
        notify_send(recipient_id=user.pk, kind="result_ready", title="证照已可领取", dedup_key="s1", at=AT)
        assert notify_dispatch(now=AT).sent == 1
    (req,) = gateway.received
    d = Dispatch.objects.get()
    assert req.path == "/sms/send"
    assert req.headers["x-api-key"] == "k-123"
    assert req.body == {
        "msg_id": f"onetrip-{d.pk}",
        "phone": PHONE,
        "sign": "莲都政务",
        "text": "【莲都政务】证照已可领取",
    }


def test_sms_is_not_queued_without_a_gateway(notify_settings):
    notify_settings.NOTIFY_SMS_URL = ""
    user = f.user(phone=PHONE)
    notify_send(recipient_id=user.pk, kind="result_ready", title="t", dedup_key="s0", at=AT)
    assert not Dispatch.objects.exists()


def test_a_failing_receiver_is_retried_with_growing_backoff_until_it_succeeds(notify_settings):
    notify_settings.NOTIFY_BACKOFF_BASE_S = 30
    with HttpReceiver(fail_first=2) as robot_server:
        user, _ = _robot_user(f"{robot_server.url}/robot/send?access_token=t", secret="")
        notify_send(recipient_id=user.pk, kind="task_assigned", title="新的待办", dedup_key="r1", at=AT)
        first = notify_dispatch(now=AT)
        d = Dispatch.objects.get()
        assert (first.retried, d.attempts, d.status, d.last_error) == (
            1,
            1,
            "pending",
            "ChannelError: HTTP 500",
        )
        delay1 = d.next_attempt_at - AT
        assert dt.timedelta(seconds=24) <= delay1 <= dt.timedelta(seconds=36)
        # Not due yet: nothing is taken.
        assert notify_dispatch(now=AT + dt.timedelta(seconds=20)).taken == 0
        second_at = d.next_attempt_at
        assert notify_dispatch(now=second_at).retried == 1
        d.refresh_from_db()
        delay2 = d.next_attempt_at - second_at
        assert dt.timedelta(seconds=48) <= delay2 <= dt.timedelta(seconds=72)
        third = notify_dispatch(now=d.next_attempt_at)
    assert (third.sent, robot_server.failed, len(robot_server.received)) == (1, 2, 1)
    d.refresh_from_db()
    assert (d.status, d.attempts, d.last_error) == ("sent", 3, "")
    # The signature is left off for a robot without a secret.
    assert "sign" not in robot_server.received[0].query


def test_a_dispatch_is_dead_after_the_maximum_attempts(notify_settings):
    notify_settings.NOTIFY_MAX_ATTEMPTS = 3
    with HttpReceiver(fail_first=100, fail_status=503) as gateway:
        notify_settings.NOTIFY_SMS_URL = f"{gateway.url}/sms"
        user = f.user(phone=PHONE)
        notify_send(recipient_id=user.pk, kind="case_accepted", title="t", dedup_key="d1", at=AT)
        at = AT
        reports = []
        for _ in range(5):
            reports.append(notify_dispatch(now=at))
            at += dt.timedelta(days=1)
    assert [(r.taken, r.retried, r.dead) for r in reports] == [
        (1, 1, 0),
        (1, 1, 0),
        (1, 0, 1),
        (0, 0, 0),
        (0, 0, 0),
    ]
    d = Dispatch.objects.get()
    assert (d.status, d.attempts, d.last_error) == ("dead", 3, "ChannelError: HTTP 503")
    assert gateway.failed == 3


def test_an_unreachable_server_and_a_robot_error_code_are_retried(notify_settings):
    with HttpReceiver() as probe:
        dead_url = probe.url  # closed below: connections are refused
    user, robot = _robot_user(f"{dead_url}/robot/send?access_token=secret-token")
    notify_send(recipient_id=user.pk, kind="task_assigned", title="t", dedup_key="u1", at=AT)
    assert notify_dispatch(now=AT).retried == 1
    d = Dispatch.objects.get()
    assert d.last_error == "ChannelError: network error (NewConnectionError)"
    with HttpReceiver(reply={"errcode": 310000, "errmsg": "sign not match"}) as robot_server:
        robot.url = f"{robot_server.url}/robot/send?access_token=secret-token"
        robot.save()
        assert notify_dispatch(now=d.next_attempt_at).retried == 1
    d.refresh_from_db()
    assert d.last_error == "ChannelError: robot errcode 310000"


def test_errors_are_recorded_without_addresses_or_numbers():
    exc = OSError(f"recipient zhang@example.cn refused; phone {PHONE}; id {ID_NUMBER}; ?access_token=abc")
    text = safe_error(exc, "zhang@example.cn")
    assert "example.cn" not in text and PHONE not in text and ID_NUMBER not in text and "abc" not in text
    assert text.startswith("OSError: recipient ***")
    assert len(safe_error(OSError("x" * 1000))) == 255


def test_backoff_doubles_up_to_the_cap_with_jitter(settings):
    settings.NOTIFY_BACKOFF_BASE_S, settings.NOTIFY_BACKOFF_MAX_S = 30, 3600
    rng = random.Random(7)
    delays = [backoff_delay(n, rng=rng).total_seconds() for n in range(1, 11)]
    for n, delay in enumerate(delays, start=1):
        nominal = min(3600, 30 * 2 ** (n - 1))
        assert 0.8 * nominal <= delay <= 1.2 * nominal
    assert len({round(d) for d in delays[-3:]}) == 3  # jitter spreads retries that hit the cap together


def test_signed_url_matches_dingtalks_published_example():
    # DingTalk's algorithm: sign = urlencode(base64(hmac_sha256(secret, f"{timestamp}\n{secret}"))).
    url = dingtalk_signed_url("https://oapi.dingtalk.com/robot/send?access_token=T", "SECxyz", 1700000000000)
    digest = hmac.new(b"SECxyz", b"1700000000000\nSECxyz", hashlib.sha256).digest()
    import urllib.parse

    assert url == (
        "https://oapi.dingtalk.com/robot/send?access_token=T&timestamp=1700000000000&sign="
        + urllib.parse.quote_plus(base64.b64encode(digest))
    )


def test_external_messages_link_only_to_this_sites_paths(settings):
    from onetrip.notify.channels import message_parts
    from onetrip.notify.models import Notification

    settings.NOTIFY_SITE_URL = "https://zwfw.example.gov.cn/"
    links = {
        link: message_parts(Notification(title="t", link=link))[2]
        for link in ["/work/tasks/1/", "https://evil.example.com/", "//evil.example.com/x", ""]
    }
    assert links == {
        "/work/tasks/1/": "https://zwfw.example.gov.cn/work/tasks/1/",
        "https://evil.example.com/": "",
        "//evil.example.com/x": "",
        "": "",
    }
