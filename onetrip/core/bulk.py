"""Bulk writes on PostgreSQL through COPY.

Django's PostgreSQL backend binds parameters on the client: every value of an `unnest(%s::text[])` array is
quoted in Python (a regex per element), which cost the 100,000-task sweep about ten seconds for its 210,000
notifications. COPY sends the rows in psycopg's C row format instead, about twelve times faster
(`bench/supervision_sweep.py`). Rows that go straight into a table use `copy_rows`; rows that need an
`INSERT … SELECT … ON CONFLICT` (deduplication, upserts) go through a session temporary table filled by
`copy_to_temp`. `json_text` and `timestamp_text` encode the JSON and timestamp columns of such rows (as text,
which COPY parses on the server: dumping a datetime in psycopg costs ~2 µs, a cached string almost nothing).

Reading is the mirror image: Django reads every timestamptz through its own loader written in Python (~6 µs
a value); `fetch_values` reads a queryset's rows with psycopg's C loaders instead (~0.5 µs).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache
from typing import Any

import orjson
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Model, QuerySet
from psycopg.types.datetime import TimestamptzLoader
from psycopg.types.json import JsonbLoader

_DJANGO_JSON = DjangoJSONEncoder()


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """COPY `rows` into `table` (PostgreSQL only). Triggers and constraints apply as for INSERT; a violated
    constraint raises Django's IntegrityError, as an INSERT would."""
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    sql = f"COPY {connection.ops.quote_name(table)} ({names}) FROM STDIN"
    with connection.cursor() as cursor, connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def allocate_ids(model: type[Model], count: int) -> list[int]:
    """`count` new primary keys from the table's identity sequence in one round trip, so rows written by
    COPY (which returns nothing) carry known ids."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
            [_sequence_of(model._meta.db_table, model._meta.pk.column), count],
        )
        return [row[0] for row in cursor.fetchall()]


@cache
def _sequence_of(table: str, column: str) -> str:
    # Looked up once per process: inside the nextval query PostgreSQL would look it up once per id (~5 µs).
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
        name = cursor.fetchone()[0]
    if name is None:
        raise LookupError(f"{table}.{column} has no sequence")
    return str(name)


def copy_to_temp(name: str, definition: str, rows: Iterable[Sequence[Any]]) -> None:
    """Fill this session's temporary table `name` (columns as in `definition`, e.g. "task_id bigint, at
    timestamptz") with `rows`, replacing what an earlier call in the same transaction left there.

    Call it inside a transaction and read the table before it commits: the table is created on first use
    with ON COMMIT DELETE ROWS, so nothing outlives the transaction and it works behind a transaction-mode
    connection pooler too."""
    if not connection.in_atomic_block:
        raise RuntimeError("copy_to_temp needs a transaction: its rows are deleted at commit")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({definition}) ON COMMIT DELETE ROWS")
        # Empty at the start of every transaction; a second fill in the same one replaces the first.
        cursor.execute(f"DELETE FROM {name}")
        with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {name} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def json_text(value: Any) -> str:
    """`value` as JSON text, as DjangoJSONEncoder writes it (dates, decimals, UUIDs, lazy strings), about ten
    times faster than `json.dumps` for the small objects bulk rows carry."""
    return orjson.dumps(value, default=_DJANGO_JSON.default, option=orjson.OPT_PASSTHROUGH_DATETIME).decode()


@lru_cache(maxsize=4096)
def timestamp_text(at: dt.datetime) -> str:
    """An aware datetime as COPY text. Cached: bulk rows repeat a few instants many times."""
    if at.tzinfo is None:
        raise ValueError("timestamp_text needs an aware datetime")
    return at.isoformat()


def fetch_values(qs: QuerySet[Any], fields: Sequence[str]) -> list[tuple[Any, ...]]:
    """`qs.values_list(*fields)` as tuples. On PostgreSQL the rows are read with psycopg's own loaders for
    timestamptz (aware, in the connection's time zone, which Django keeps at UTC) and jsonb (decoded), so use
    it only for fields whose Django conversion is exactly that: integers, text, timestamps, JSON keys."""
    values = qs.values_list(*fields)
    if connection.vendor != "postgresql":
        return list(values)
    sql, params = values.query.get_compiler(using=values.db).as_sql()
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor
        cursor.adapters.register_loader("timestamptz", TimestamptzLoader)  # this cursor only
        cursor.adapters.register_loader("jsonb", JsonbLoader)
        cursor.execute(sql, params)
        return cursor.fetchall()
