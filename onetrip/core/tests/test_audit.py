import pytest
from django.db import connection

from onetrip.core.audit import audit_history, audit_record, audit_seal, audit_verify
from onetrip.core.models import AppendOnlyError, AuditEvent

pytestmark = pytest.mark.django_db


def test_events_chain_and_verify():
    for i in range(3):
        audit_record(actor=None, action="item.publish", object_type="item", object_id=i, data={"version": 1})
    check = audit_verify()
    assert check.ok and check.checked == 3
    assert [e.object_id for e in audit_history(object_type="item", object_id=1)] == ["1"]


def test_events_cannot_be_changed_or_deleted_through_the_orm():
    event = audit_record(actor=None, action="x", object_type="item", object_id=1)
    event.action = "y"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_tampering_with_a_sealed_event_in_the_database_is_detected():
    audit_record(actor=None, action="a", object_type="item", object_id=1, data={"n": 1})
    second = audit_record(actor=None, action="b", object_type="item", object_id=1, data={"n": 2})
    audit_record(actor=None, action="c", object_type="item", object_id=1, data={"n": 3})
    assert audit_seal() == 3
    AuditEvent.objects.filter(pk=second.pk).update(data={"n": 99})  # bypasses save(), as raw SQL would
    check = audit_verify()
    second.refresh_from_db()
    assert not check.ok and check.first_bad_seq == second.seq


def test_deleting_a_sealed_event_is_detected():
    events = [audit_record(actor=None, action="a", object_type="item", object_id=i) for i in range(3)]
    audit_seal()
    with connection.cursor() as cursor:  # the ORM refuses; raw SQL is what tampering would use
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [events[1].pk])
    assert not audit_verify().ok


def test_recording_takes_no_lock_and_sealing_numbers_events_in_insertion_order():
    first = audit_record(actor=None, action="a", object_type="x", object_id=1)
    second = audit_record(actor=None, action="b", object_type="x", object_id=2)
    assert first.seq is None and second.seq is None
    assert audit_seal() == 2
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.seq == first.seq + 1 and second.prev_hash == first.hash
    assert audit_seal() == 0


def test_personal_data_is_masked_in_the_log():
    event = audit_record(
        actor=None, action="a", object_type="x", object_id=1, data={"note": "申请人 33110219900101123X"}
    )
    assert "19900101" not in str(event.data)
