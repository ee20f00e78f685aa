"""API keys for other systems, and the authentication classes of the REST API.

A key looks like `ot_<prefix>_<secret>`. The prefix (8 characters) finds the row and is safe to show; the
secret is shown once at creation, and only its SHA-256 digest is stored and compared in constant time.

Routers use `auth=session_or_key(["orgs:read"])`: a request with an `X-API-Key` header is judged by the key
alone (a bad key is refused, never silently replaced by the session); without the header, the browser
session applies. Read scopes are open to every signed-in user; write scopes need the matching role.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import string
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest
from ninja.security import APIKeyHeader
from ninja.security.session import SessionAuth

from onetrip.core import clock
from onetrip.core.errors import DomainError, ErrorDetail, Forbidden
from onetrip.orgs.models import ApiKey, Department, Role, User
from onetrip.orgs.permissions import roles_of

API_SCOPES: dict[str, str] = {
    "catalog:read": "读取事项目录",
    "catalog:write": "维护事项目录",
    "intake:read": "读取申请与办件",
    "intake:write": "提交申请",
    "orgs:read": "读取组织机构",
    "orgs:write": "维护组织机构",
    "orders:read": "读取督办与代表监督",
    "ratings:read": "读取好差评与整改",
    "window:write": "窗口受理与排队叫号",
    "workdays:read": "读取工作日历",
}
# Which roles give a signed-in user a write scope; read scopes are open to every signed-in user.
SESSION_WRITE_SCOPE_ROLES: dict[str, frozenset[str]] = {
    "catalog:write": frozenset({Role.CATALOG_ADMIN, Role.SYSTEM_ADMIN}),
    "orgs:write": frozenset({Role.SYSTEM_ADMIN}),
    "window:write": frozenset({Role.CLERK}),
}
KEY_HEADER = "X-API-Key"
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_PREFIX_LENGTH = 8
# last_used_at is written at most this often per key, so a busy integration does not write on every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
_DUMMY_DIGEST = hashlib.sha256(b"onetrip-no-such-key").hexdigest()


class Unauthenticated(DomainError):
    status_code = 401


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def scope_errors(scopes: Iterable[str], field: str = "scopes") -> list[ErrorDetail]:
    scopes = list(scopes)
    if not scopes:
        return [ErrorDetail("required", "至少选择一个权限范围", "At least one scope is required", field)]
    unknown = sorted(set(scopes) - set(API_SCOPES))
    if unknown:
        return [
            ErrorDetail(
                "invalid_scope",
                "未知的权限范围：" + "、".join(unknown),
                "Unknown scope: " + ", ".join(unknown),
                field,
            )
        ]
    return []


@transaction.atomic
def api_key_create(
    *,
    name: str,
    scopes: Iterable[str],
    department: Department | None = None,
    created_by: User | None,
    expires_at: dt.datetime | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; returns it with the plaintext `ot_<prefix>_<secret>`, which is never available again."""
    name = (name or "").strip()
    scopes = sorted(set(scopes))
    errors: list[ErrorDetail] = []
    if not name:
        errors.append(ErrorDetail("required", "应用名称不能为空", "Name is required", "name"))
    errors += scope_errors(scopes)
    if expires_at is not None:
        if expires_at.tzinfo is None:
            errors.append(
                ErrorDetail("invalid", "过期时间须带时区", "Expiry must be timezone-aware", "expires_at")
            )
        elif expires_at <= clock.now():
            errors.append(
                ErrorDetail(
                    "expiry_in_past", "过期时间须晚于当前时间", "Expiry must be in the future", "expires_at"
                )
            )
    if errors:
        raise DomainError(*errors)
    while True:
        prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(_PREFIX_LENGTH))
        if not ApiKey.objects.filter(prefix=prefix).exists():
            break
    secret = secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        name=name,
        prefix=prefix,
        secret_hash=_digest(secret),
        scopes=scopes,
        department=department,
        created_by=created_by,
        expires_at=expires_at,
    )
    return key, f"ot_{prefix}_{secret}"


@transaction.atomic
def api_key_revoke(*, key: ApiKey) -> ApiKey:
    key.is_active = False
    key.save(update_fields=["is_active"])
    return key


def _invalid_key() -> Unauthenticated:
    return Unauthenticated(
        ErrorDetail("invalid_api_key", "API 密钥无效", "Invalid API key", KEY_HEADER),
    )


_key_sql: dict[str, tuple[str, tuple[tuple[int, tuple[Any, ...], Any], ...]]] = {}


def _key_by_prefix(prefix: str) -> ApiKey | None:
    """The key row with this prefix (unique), read with a hand-written SELECT: every API request makes this
    read, and compiling the ORM query cost several times more than running it. The instance is the one the
    ORM would build (same converters); its department loads on first use."""
    cached = _key_sql.get(connection.vendor)
    if cached is None:
        qn = connection.ops.quote_name
        fields = ApiKey._meta.concrete_fields
        converters = []
        for n, f in enumerate(fields):
            col = f.get_col(ApiKey._meta.db_table)
            found = tuple(connection.ops.get_db_converters(col) + f.get_db_converters(connection))
            if found:
                converters.append((n, found, col))
        sql = (
            f"SELECT {', '.join(qn(f.column) for f in fields)} FROM {qn(ApiKey._meta.db_table)} "
            f"WHERE {qn(ApiKey._meta.get_field('prefix').column)} = %s"
        )
        cached = _key_sql[connection.vendor] = (sql, tuple(converters))
    sql, converters = cached
    with connection.cursor() as cursor:
        cursor.execute(sql, [prefix])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for n, found, col in converters:
        for convert in found:
            values[n] = convert(values[n], col, connection)
    return ApiKey.from_db(connection.alias, [f.attname for f in ApiKey._meta.concrete_fields], values)


def api_key_verify(plaintext: str) -> ApiKey:
    """The active, unexpired key matching `plaintext`, or Unauthenticated. Does not check API scopes."""
    parts = (plaintext or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] != "ot" or len(parts[1]) != _PREFIX_LENGTH:
        raise _invalid_key()
    key = _key_by_prefix(parts[1])
    # Compare even when the prefix is unknown, so timing does not tell which prefixes exist.
    if not hmac.compare_digest(key.secret_hash if key else _DUMMY_DIGEST, _digest(parts[2])) or key is None:
        raise _invalid_key()
    if not key.is_active:
        raise Unauthenticated(ErrorDetail("api_key_revoked", "API 密钥已吊销", "API key revoked", KEY_HEADER))
    now = clock.now()
    if key.expires_at is not None and key.expires_at <= now:
        raise Unauthenticated(ErrorDetail("api_key_expired", "API 密钥已过期", "API key expired", KEY_HEADER))
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def _missing_scope(missing: Iterable[str]) -> Forbidden:
    names = sorted(missing)
    return Forbidden(
        ErrorDetail(
            "scope_missing",
            "缺少权限范围：" + "、".join(names),
            "Missing scope: " + ", ".join(names),
        )
    )


class ApiKeyAuth(APIKeyHeader):
    """`X-API-Key` authentication requiring every scope in `scopes` (an empty list: any valid key)."""

    param_name = KEY_HEADER

    def __init__(self, scopes: Iterable[str] = ()) -> None:
        self.scopes = frozenset(scopes)
        unknown = self.scopes - set(API_SCOPES)
        if unknown:
            raise ValueError(f"unknown API scopes: {sorted(unknown)}")
        super().__init__()

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiKey | None:
        if not key:
            return None  # let the next auth class (the session) decide
        api_key = api_key_verify(key)
        missing = self.scopes - set(api_key.scopes)
        if missing:
            raise _missing_scope(missing)
        return api_key


class ScopedSessionAuth(SessionAuth):
    """Browser session; a write scope also needs a role that grants it (SESSION_WRITE_SCOPE_ROLES)."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self, scopes: Iterable[str] = (), csrf: bool = True) -> None:
        self.scopes = frozenset(scopes)
        super().__init__(csrf=csrf)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if not user.is_authenticated:
            return None
        missing = {s for s in self.scopes if s not in session_scopes(user)}
        if missing:
            raise _missing_scope(missing)
        return user


def session_scopes(user: Any) -> frozenset[str]:
    """The API scopes a signed-in user holds through their roles."""
    if user is None or not user.is_authenticated:
        return frozenset()
    roles = roles_of(user)
    granted = {s for s in API_SCOPES if s.endswith(":read")}
    granted |= {s for s, allowed in SESSION_WRITE_SCOPE_ROLES.items() if roles & allowed}
    return frozenset(granted)


def session_or_key(scopes: Iterable[str] = ()) -> list[Any]:
    """`auth=session_or_key(["orgs:read"])`: an API key with the scopes, else a session granting them."""
    scopes = list(scopes)
    return [ApiKeyAuth(scopes), ScopedSessionAuth(scopes)]


def request_user(request: HttpRequest) -> User | None:
    """The signed-in user behind a request authenticated by either class (None for an API key)."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, User) else None


def login_locked_out(request: HttpRequest, response: Any, credentials: dict[str, Any] | None) -> Any:
    """django-axes' lockout answer (AXES_LOCKOUT_CALLABLE): the login page saying, in Chinese, that the
    account is locked and for how long; 429, so scripts see it too. The count of attempts is not shown."""
    from django.shortcuts import render

    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    return render(request, "portal/locked_out.html", {"minutes": minutes}, status=429)
