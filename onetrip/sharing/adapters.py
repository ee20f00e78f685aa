"""Source adapters: how the platform reads one data source (数据源适配器).

Every adapter has one method, `fetch(subject, fields, timeout) -> dict[field, value]`: the values the
source holds for the subject, keyed by the source's own field names (missing fields and unknown subjects are
simply absent). A source that cannot answer raises `SourceUnavailable` (dead, timed out, circuit open, HTTP
error); one that answers with something unusable raises `SourceDataError`. The prefill service turns either
into a degraded source whose fields are left for the applicant — never into a failed application.

- `LocalTableAdapter` reads one of the platform's own shared record tables (models in this app), by the
  subject's ID number or company code, in the caller's thread and database connection.
- `HttpJsonAdapter` POSTs `{"subject": {...}, "fields": [...]}` to a department's endpoint (personal data in
  the body, never in the URL) and expects `{"found": bool, "data": {field: value}}`. It has a per-source
  deadline, retries with exponential backoff inside that deadline (connection errors and 5xx only), and a
  circuit breaker per source: after `breaker_failures` consecutive failures it stays open for
  `breaker_open_seconds` (no network call at all), then lets one trial call through (half-open).
  Credentials come from the environment variable named by `credentials_ref`; the secret never appears in
  the configuration, in exceptions or in logs.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from django.db import connection, models

from onetrip.sharing.models import (
    CompanyRecord,
    HouseholdMember,
    HousingFundRecord,
    PersonRecord,
    RealEstateRecord,
    SocialInsuranceRecord,
    StaffRecord,
)


class SourceUnavailable(Exception):
    """The source did not answer (dead, timeout, HTTP error, circuit open). `reason` is a stable code."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        super().__init__(f"{reason}: {detail}" if detail else reason)


class SourceDataError(Exception):
    """The source answered with data the platform cannot use (malformed JSON, wrong shape)."""

    reason = "malformed"


@dataclass(frozen=True)
class Subject:
    """Whose data is read: a person by ID number or a company by USCC."""

    id_number: str | None = None
    uscc: str | None = None

    @property
    def kind(self) -> str:
        return "person" if self.id_number else "company"

    @property
    def key(self) -> str:
        return self.id_number or self.uscc or ""


class SourceAdapter(Protocol):
    def fetch(self, subject: Subject, fields: Sequence[str], timeout: float) -> dict[str, Any]: ...


def json_value(value: Any) -> Any:
    """Dates as ISO text and decimals as text, as a form holds them."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


# ------------------------------------------------------------------------------------ local tables


@dataclass(frozen=True, eq=False)
class LocalTable:
    model: type[models.Model]
    key: str  # the column holding the subject's ID number or USCC
    order: str = "-id"  # which row wins when the subject has several (the newest)


LOCAL_TABLES: dict[str, LocalTable] = {
    "person": LocalTable(PersonRecord, "id_number"),
    "company": LocalTable(CompanyRecord, "uscc"),
    "social_insurance": LocalTable(SocialInsuranceRecord, "id_number"),
    "housing_fund": LocalTable(HousingFundRecord, "id_number"),
    "real_estate": LocalTable(RealEstateRecord, "owner_id_number", "-registered"),
    "staff": LocalTable(StaffRecord, "id_number"),
    "household": LocalTable(HouseholdMember, "id_number"),
}


def local_table_fields(table: str) -> set[str]:
    spec = LOCAL_TABLES[table]
    return {f.name for f in spec.model._meta.concrete_fields if not f.primary_key}


class LocalTableAdapter:
    def __init__(self, table: str) -> None:
        if table not in LOCAL_TABLES:
            raise SourceDataError(f"unknown local table {table!r}")
        self.table = LOCAL_TABLES[table]

    def fetch(self, subject: Subject, fields: Sequence[str], timeout: float) -> dict[str, Any]:
        columns = tuple(dict.fromkeys(fields))
        sql, converters = _select_sql(self.table, columns)
        with connection.cursor() as cursor:
            cursor.execute(sql, [subject.key])
            row = cursor.fetchone()
        if row is None:
            return {}
        out = {}
        for name, value, convert in zip(columns, row, converters, strict=True):
            if convert is not None:
                value = convert(value)
            if value not in (None, ""):
                out[name] = json_value(value)
        return out


@functools.lru_cache(maxsize=256)
def _select_sql(table: LocalTable, columns: tuple[str, ...]) -> tuple[str, list[Any]]:
    """One indexed point query per source, built once per column set (a hot path: no ORM compile per read).
    Column names come from the model (validated when the source is registered), never from input."""
    meta = table.model._meta
    fields = [meta.get_field(c) for c in columns]
    q = connection.ops.quote_name
    order_field = meta.get_field(table.order.lstrip("-"))
    direction = "DESC" if table.order.startswith("-") else "ASC"
    sql = (
        f"SELECT {', '.join(q(f.column) for f in fields)} FROM {q(meta.db_table)} "
        f"WHERE {q(meta.get_field(table.key).column)} = %s ORDER BY {q(order_field.column)} {direction} LIMIT 1"
    )
    converters = []
    for f in fields:
        # The backend's converters turn SQLite's text dates and decimals back into Python values.
        # Converters take the column expression (SQLite's decimal converter reads its output_field).
        col = f.get_col(meta.db_table)
        fns = connection.ops.get_db_converters(col) + f.get_db_converters(connection)
        converters.append(
            (lambda v, fns=fns, col=col: functools.reduce(lambda acc, fn: fn(acc, col, connection), fns, v))
            if fns
            else None
        )
    return sql, converters


# ---------------------------------------------------------------------------------- circuit breaker


class CircuitBreaker:
    """Closed → (N consecutive failures) → open for T seconds → half-open: one trial call decides."""

    def __init__(self, failures: int, open_seconds: float, clock: Callable[[], float] = time.monotonic):
        self.threshold = max(1, failures)
        self.open_seconds = open_seconds
        self.clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial = False
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self.clock() - self._opened_at >= self.open_seconds:
            return "half_open"
        return "open"

    def allow(self) -> bool:
        with self._lock:
            state = self._state()
            if state == "closed":
                return True
            if state == "half_open" and not self._trial:
                self._trial = True
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            self._failures, self._opened_at, self._trial = 0, None, False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._trial or self._failures >= self.threshold:
                self._opened_at, self._trial = self.clock(), False


_breakers: dict[str, CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(source_code: str, failures: int, open_seconds: float) -> CircuitBreaker:
    """One breaker per source per process (a new configuration replaces it)."""
    with _breakers_lock:
        breaker = _breakers.get(source_code)
        if breaker is None or (breaker.threshold, breaker.open_seconds) != (max(1, failures), open_seconds):
            breaker = _breakers[source_code] = CircuitBreaker(failures, open_seconds)
        return breaker


def breakers_reset() -> None:
    with _breakers_lock:
        _breakers.clear()


# --------------------------------------------------------------------------------------- HTTP JSON


@dataclass(frozen=True)
class HttpConfig:
    url: str
    credentials_ref: str = ""
    timeout: float = 2.0
    retries: int = 1
    backoff: float = 0.05
    breaker_failures: int = 5
    breaker_open_seconds: float = 30.0

    @classmethod
    def from_dict(cls, config: dict[str, Any]) -> HttpConfig:
        url = str(config.get("url") or "")
        if not url.startswith(("http://", "https://")):
            raise ValueError("url must be an http(s) URL")
        return cls(
            url=url,
            credentials_ref=str(config.get("credentials_ref") or ""),
            timeout=float(config.get("timeout", cls.timeout)),
            retries=int(config.get("retries", cls.retries)),
            backoff=float(config.get("backoff", cls.backoff)),
            breaker_failures=int(config.get("breaker_failures", cls.breaker_failures)),
            breaker_open_seconds=float(config.get("breaker_open_seconds", cls.breaker_open_seconds)),
        )


class HttpJsonAdapter:
    def __init__(self, source_code: str, config: HttpConfig, *, sleep: Callable[[float], None] = time.sleep):
        self.source_code = source_code
        self.config = config
        self.breaker = breaker_for(source_code, config.breaker_failures, config.breaker_open_seconds)
        self.sleep = sleep

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.config.credentials_ref:
            secret = os.environ.get(self.config.credentials_ref, "")
            if not secret:
                raise SourceUnavailable("credentials_missing", self.config.credentials_ref)
            headers["Authorization"] = f"Bearer {secret}"
        return headers

    def fetch(self, subject: Subject, fields: Sequence[str], timeout: float) -> dict[str, Any]:
        if not self.breaker.allow():
            raise SourceUnavailable("circuit_open")
        try:
            data = self._fetch_with_retries(subject, fields, min(timeout, self.config.timeout))
        except SourceUnavailable:
            self.breaker.record_failure()
            raise
        except SourceDataError:
            self.breaker.record_failure()
            raise
        self.breaker.record_success()
        return data

    def _fetch_with_retries(self, subject: Subject, fields: Sequence[str], timeout: float) -> dict[str, Any]:
        body = json.dumps(
            {"subject": {subject.kind: subject.key}, "fields": list(fields)}, ensure_ascii=False
        ).encode()
        headers = self._headers()
        deadline = time.monotonic() + timeout
        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SourceUnavailable("timeout")
            try:
                return self._once(body, headers, remaining, fields)
            except SourceUnavailable as exc:
                if exc.reason == "timeout" or attempt >= self.config.retries:
                    raise
                pause = self.config.backoff * (2**attempt)
                if time.monotonic() + pause >= deadline:
                    raise
                self.sleep(pause)
                attempt += 1

    def _once(
        self, body: bytes, headers: dict[str, str], timeout: float, fields: Sequence[str]
    ) -> dict[str, Any]:
        request = urllib.request.Request(self.config.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http(s) only)
                raw = response.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return {}
            raise SourceUnavailable("http_error", str(exc.code)) from None
        except TimeoutError:
            raise SourceUnavailable("timeout") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError | socket.timeout):
                raise SourceUnavailable("timeout") from None
            raise SourceUnavailable("unreachable", type(exc.reason).__name__) from None
        except (ConnectionError, OSError) as exc:
            raise SourceUnavailable("unreachable", type(exc).__name__) from None
        return parse_response(raw, fields)


def parse_response(raw: bytes, fields: Sequence[str]) -> dict[str, Any]:
    """`{"found": bool, "data": {field: scalar}}` → the requested fields; anything else is malformed."""
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise SourceDataError("response is not JSON") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("found"), bool):
        raise SourceDataError("response must be an object with a boolean 'found'")
    if not payload["found"]:
        return {}
    data = payload.get("data")
    if not isinstance(data, dict):
        raise SourceDataError("'data' must be an object")
    wanted = set(fields)
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in wanted or value is None or value == "":
            continue
        if not isinstance(value, str | int | float | bool):
            raise SourceDataError(f"field {key!r} is not a scalar")
        out[key] = value
    return out


def adapter_for(source: Any) -> SourceAdapter:
    """The adapter of a DataSource row."""
    config = source.config or {}
    if source.kind == "http":
        try:
            return HttpJsonAdapter(source.code, HttpConfig.from_dict(config))
        except (TypeError, ValueError) as exc:
            raise SourceDataError(f"bad configuration: {exc}") from None
    return LocalTableAdapter(str(config.get("table", "")))
