"""External channels as small plugins behind one interface: `send(dispatch)` returns or raises.

A channel object is used by one thread for one batch and then closed, so it may keep a connection open
between sends (email does). Every network call has a timeout (NOTIFY_TIMEOUT_S); HTTP goes through one
keep-alive connection pool per process (urllib3). Texts are masked (ID and mobile numbers) before they
leave, links are only this site's paths; addresses are never logged, and errors are reduced to a short
message without them (`safe_error`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import threading
import urllib.parse
from collections.abc import Callable
from typing import Any, ClassVar, Protocol

import urllib3
from django.core import mail

from onetrip.core.clock import now as clock_now
from onetrip.core.masking import mask_text
from onetrip.notify.conf import setting
from onetrip.notify.kinds import kind_label
from onetrip.notify.models import Dispatch, DispatchChannel, Notification


class ChannelError(Exception):
    """A delivery failed; the message carries no personal data."""


class Channel(Protocol):
    name: ClassVar[str]

    def send(self, dispatch: Dispatch) -> None: ...

    def close(self) -> None: ...


def _site_url(link: str) -> str:
    """The absolute address of a site path; anything else (another host, `//host`) is dropped."""
    if not link.startswith("/") or link.startswith("//"):
        return ""
    return setting("NOTIFY_SITE_URL").rstrip("/") + link


def message_parts(notification: Notification) -> tuple[str, str, str]:
    """(title, body, absolute link) with ID and mobile numbers masked."""
    return mask_text(notification.title), mask_text(notification.body), _site_url(notification.link)


_http: urllib3.PoolManager | None = None
_http_lock = threading.Lock()


def _pool() -> urllib3.PoolManager:
    """One keep-alive connection pool per process, shared by the sending threads (urllib3 is thread-safe)."""
    global _http
    with _http_lock:
        if _http is None:
            size = max(1, int(setting("NOTIFY_SEND_THREADS")))
            _http = urllib3.PoolManager(num_pools=32, maxsize=size, block=False, retries=False)
        return _http


def _forget_pool() -> None:
    global _http
    _http = None


# A forked child (a worker started by a test or a process manager) must not reuse the parent's sockets.
os.register_at_fork(after_in_child=_forget_pool)


def _post_json(url: str, payload: dict[str, Any], headers: dict[str, str] | None = None) -> bytes:
    """POST JSON with a timeout; any non-2xx answer or network failure raises ChannelError (no URL in it)."""
    try:
        response = _pool().request(
            "POST",
            url,
            body=json.dumps(payload, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
            timeout=urllib3.Timeout(total=float(setting("NOTIFY_TIMEOUT_S"))),
            retries=False,
            redirect=False,
        )
    except urllib3.exceptions.HTTPError as exc:
        raise ChannelError(f"network error ({type(exc).__name__})") from None
    if not 200 <= response.status < 300:
        raise ChannelError(f"HTTP {response.status}")
    return response.data


class EmailChannel:
    """Email through Django's email backend (SMTP settings: EMAIL_HOST, EMAIL_PORT, …)."""

    name = DispatchChannel.EMAIL

    def __init__(self) -> None:
        self._connection: Any = None

    def send(self, dispatch: Dispatch) -> None:
        if self._connection is None:
            self._connection = mail.get_connection(timeout=float(setting("NOTIFY_TIMEOUT_S")))
        title, body, url = message_parts(dispatch.notification)
        text = "\n\n".join(part for part in (body, f"查看详情：{url}" if url else "") if part)
        subject = f"[{kind_label(dispatch.notification.kind)}] {title}"
        message = mail.EmailMessage(
            subject, text or title, to=[dispatch.address], connection=self._connection
        )
        message.send(fail_silently=False)

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    """Append DingTalk's signature: base64(HMAC-SHA256(key=secret, "timestamp\\nsecret")), URL-quoted."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp_ms}&sign={sign}"


class WebhookChannel:
    """A department's DingTalk-style robot: markdown message, signed when the robot has a secret."""

    name = DispatchChannel.WEBHOOK

    def send(self, dispatch: Dispatch) -> None:
        robot = dispatch.robot
        if robot is None or not robot.is_active:
            raise ChannelError("robot removed or disabled")
        notification = dispatch.notification
        title, body, url = message_parts(notification)
        # A group robot speaks to the whole department: say whom the message is for (name only).
        lines = [
            f"#### {title}",
            f"接收人：{notification.recipient}",
            body,
            f"[查看详情]({url})" if url else "",
        ]
        payload = {
            "msgtype": "markdown",
            "markdown": {"title": title, "text": "\n\n".join(line for line in lines if line)},
        }
        target = robot.url
        if robot.secret:
            target = dingtalk_signed_url(target, robot.secret, int(clock_now().timestamp() * 1000))
        raw = _post_json(target, payload)
        try:
            errcode = json.loads(raw or b"{}").get("errcode", 0)
        except (ValueError, AttributeError):
            raise ChannelError("robot answered with something other than JSON") from None
        if errcode:
            raise ChannelError(f"robot errcode {errcode}")

    def close(self) -> None:
        return None


class SmsChannel:
    """An SMS gateway over HTTP: JSON POST to NOTIFY_SMS_URL with the API key in a header.

    `msg_id` is stable per dispatch, so a gateway can drop the duplicate of a retried request."""

    name = DispatchChannel.SMS

    def send(self, dispatch: Dispatch) -> None:
        url = setting("NOTIFY_SMS_URL")
        if not url:
            raise ChannelError("SMS gateway not configured")
        title, _body, link = message_parts(dispatch.notification)
        sign = setting("NOTIFY_SMS_SIGN")
        payload = {
            "msg_id": f"onetrip-{dispatch.pk}",
            "phone": dispatch.address,
            "sign": sign,
            "text": f"【{sign}】{title}" + (f" {link}" if link else ""),
        }
        _post_json(url, payload, {setting("NOTIFY_SMS_KEY_HEADER"): setting("NOTIFY_SMS_API_KEY")})

    def close(self) -> None:
        return None


CHANNELS: dict[str, Callable[[], Channel]] = {
    DispatchChannel.EMAIL: EmailChannel,
    DispatchChannel.WEBHOOK: WebhookChannel,
    DispatchChannel.SMS: SmsChannel,
}

_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_SECRET_QUERY_RE = re.compile(r"(access_token|sign|key|token)=[^&\s'\"]+", re.IGNORECASE)


def safe_error(exc: BaseException, address: str = "") -> str:
    """A short description of a failure for `Dispatch.last_error`: no addresses, tokens or numbers."""
    text = f"{type(exc).__name__}: {exc}"
    if address:
        text = text.replace(address, "***")
    text = _EMAIL_RE.sub("***@***", text)
    text = _SECRET_QUERY_RE.sub(lambda m: m.group(1) + "=***", text)
    return mask_text(text)[:255]
