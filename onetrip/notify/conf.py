"""Notification settings, read from Django settings with these defaults (the environment names are the same).

| setting | default | meaning |
|---|---|---|
| NOTIFY_CHANNELS | "email,sms,webhook" | external channels in use; SMS also needs NOTIFY_SMS_URL, email a server |
| NOTIFY_SITE_URL | "" | prefix for links in emails, SMS and robot messages, e.g. https://zwfw.example.gov.cn |
| NOTIFY_SMS_URL | "" | the SMS gateway endpoint (JSON POST) |
| NOTIFY_SMS_API_KEY | "" | sent in the NOTIFY_SMS_KEY_HEADER header (default X-API-Key) |
| NOTIFY_SMS_SIGN | "OneTrip" | the SMS signature (短信签名) |
| NOTIFY_TIMEOUT_S | 10 | timeout of every network call (SMTP, webhook, SMS) |
| NOTIFY_MAX_ATTEMPTS | 10 | a dispatch is dead after this many failed attempts |
| NOTIFY_BACKOFF_BASE_S / _MAX_S | 30 / 3600 | retry delay: base·2^(attempt−1), capped, ±20 % jitter |
| NOTIFY_LEASE_S | 300 | how long a taken dispatch is reserved for the dispatcher that took it |
| NOTIFY_SEND_THREADS | 8 | concurrent sends per dispatcher batch |
| NOTIFY_KEEP_SENT_DAYS / _READ_DAYS | 30 / 365 | retention of sent dispatches / read messages (prune task) |

Email uses Django's email settings (EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER,
EMAIL_HOST_PASSWORD, EMAIL_USE_TLS/SSL, DEFAULT_FROM_EMAIL); with the SMTP backend it is in use only once
EMAIL_HOST is set.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings

_DEFAULTS: dict[str, Any] = {
    "NOTIFY_CHANNELS": "email,sms,webhook",
    "NOTIFY_SITE_URL": "",
    "NOTIFY_SMS_URL": "",
    "NOTIFY_SMS_API_KEY": "",
    "NOTIFY_SMS_KEY_HEADER": "X-API-Key",
    "NOTIFY_SMS_SIGN": "OneTrip",
    "NOTIFY_TIMEOUT_S": 10.0,
    "NOTIFY_MAX_ATTEMPTS": 10,
    "NOTIFY_BACKOFF_BASE_S": 30.0,
    "NOTIFY_BACKOFF_MAX_S": 3600.0,
    "NOTIFY_LEASE_S": 300.0,
    "NOTIFY_SEND_THREADS": 8,
    "NOTIFY_KEEP_SENT_DAYS": 30,
    "NOTIFY_KEEP_READ_DAYS": 365,
}


def setting(name: str) -> Any:
    """The Django setting if set, else the environment variable of the same name, else the default."""
    default = _DEFAULTS[name]
    if hasattr(settings, name):
        return getattr(settings, name)
    raw = os.environ.get(name)
    if raw is None:
        return default
    return type(default)(raw)


_SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def _email_configured() -> bool:
    """SMTP counts as configured when EMAIL_HOST was given (environment or settings); any other backend
    (console, file, a provider's) is taken as meant. Django's bare default, an SMTP server on localhost that
    the embedded set-up does not have, would only fill the queue with dead dispatches."""
    if settings.EMAIL_BACKEND != _SMTP_BACKEND:
        return True
    return "EMAIL_HOST" in os.environ or settings.EMAIL_HOST != "localhost"


def enabled_channels() -> frozenset[str]:
    """The external channels notifications are queued for: NOTIFY_CHANNELS, less SMS without a gateway URL
    and email without a mail server."""
    value = setting("NOTIFY_CHANNELS")
    names = {c.strip() for c in (value.split(",") if isinstance(value, str) else value) if c.strip()}
    if not setting("NOTIFY_SMS_URL"):
        names.discard("sms")
    if not _email_configured():
        names.discard("email")
    return frozenset(names)
