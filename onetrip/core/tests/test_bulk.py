"""core.bulk: COPY writes, id allocation, the C-loader read and the text encoders for bulk rows."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction

from onetrip.core.bulk import (
    allocate_ids,
    copy_rows,
    copy_to_temp,
    fetch_values,
    json_text,
    timestamp_text,
)
from onetrip.notify.models import Notification
from onetrip.orgs.tests import factories as f

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")

AT = dt.datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=dt.UTC)


def test_json_text_reads_back_as_django_writes_it():
    value = {
        "n": 1,
        "none": None,
        "at": AT,
        "day": AT.date(),
        "amount": decimal.Decimal("1.50"),
        "id": uuid.UUID(int=7),
        "text": "东阳市",
        "list": [1, "二"],
    }
    assert json.loads(json_text(value)) == json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def test_json_text_refuses_what_django_cannot_encode_either():
    with pytest.raises(TypeError):
        json_text({"x": object()})


def test_timestamp_text_keeps_the_offset_and_refuses_naive_instants():
    shanghai = dt.timezone(dt.timedelta(hours=8))
    assert timestamp_text(AT.astimezone(shanghai)) == "2026-03-02T17:30:15.123456+08:00"
    with pytest.raises(ValueError):
        timestamp_text(dt.datetime(2026, 3, 2, 9, 0))


def test_fetch_values_gives_what_values_list_gives():
    user = f.user()
    for i in range(3):
        Notification.objects.create(
            recipient=user,
            kind="k",
            title=f"标题{i}",
            dedup_key=f"fv{i}",
            data={"i": i, "p": [[1, 2]]},
            created_at=AT,
        )
    qs = Notification.objects.filter(recipient=user).order_by("id")
    fields = ("id", "title", "created_at", "read_at", "data__p", "recipient__username")
    assert fetch_values(qs, fields) == list(qs.values_list(*fields))
    assert fetch_values(qs[:2], fields) == list(qs.values_list(*fields)[:2])


@postgresql_only
def test_fetch_values_reads_timestamps_as_aware_utc_instants():
    user = f.user()
    Notification.objects.create(recipient=user, kind="k", title="t", dedup_key="utc", created_at=AT)
    [(created,)] = fetch_values(Notification.objects.filter(dedup_key="utc"), ("created_at",))
    assert created == AT and created.utcoffset() == dt.timedelta(0)


@postgresql_only
def test_copy_rows_writes_rows_and_a_violated_constraint_is_djangos_integrity_error():
    user = f.user()
    ids = allocate_ids(Notification, 2)
    assert len(set(ids)) == 2
    columns = ("id", "recipient_id", "kind", "title", "body", "link", "dedup_key", "data", "created_at")
    rows = [(pk, user.pk, "k", f"t{pk}", "", "", f"copy:{pk}", '{"a": 1}', timestamp_text(AT)) for pk in ids]
    with transaction.atomic():
        copy_rows(Notification._meta.db_table, columns, rows)
    assert sorted(Notification.objects.values_list("id", "data", "created_at")) == [
        (pk, {"a": 1}, AT) for pk in ids
    ]
    again = [(allocate_ids(Notification, 1)[0], *rows[0][1:])]  # a used dedup key
    with pytest.raises(IntegrityError), transaction.atomic():
        copy_rows(Notification._meta.db_table, columns, again)
    assert Notification.objects.count() == 2


@postgresql_only
@pytest.mark.django_db(transaction=True)  # real commits
def test_copy_to_temp_replaces_earlier_rows_and_empties_at_commit():
    def read() -> list[tuple[int, str]]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT n, s FROM bulk_test ORDER BY n")
            return cursor.fetchall()

    with transaction.atomic():
        copy_to_temp("bulk_test", "n integer, s text", [(1, "甲"), (2, "乙")])
        assert read() == [(1, "甲"), (2, "乙")]
        copy_to_temp("bulk_test", "n integer, s text", [(3, "丙")])
        assert read() == [(3, "丙")]
    with transaction.atomic():
        assert read() == []


@pytest.mark.django_db(transaction=True)
def test_copy_to_temp_outside_a_transaction_is_refused():
    # Its rows would be deleted by the statement's own commit before anything could read them.
    assert not connection.in_atomic_block
    with pytest.raises(RuntimeError):
        copy_to_temp("bulk_test", "n integer", [(1,)])
