import pytest

from onetrip.core.audit import audit_history, audit_record, audit_verify
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


def test_tampering_in_the_database_is_detected():
    audit_record(actor=None, action="a", object_type="item", object_id=1, data={"n": 1})
    second = audit_record(actor=None, action="b", object_type="item", object_id=1, data={"n": 2})
    audit_record(actor=None, action="c", object_type="item", object_id=1, data={"n": 3})
    AuditEvent.objects.filter(pk=second.pk).update(data={"n": 99})  # bypasses save(), as raw SQL would
    check = audit_verify()
    assert not check.ok and check.first_bad_seq == second.seq


def test_personal_data_is_masked_in_the_log():
    event = audit_record(
        actor=None, action="a", object_type="x", object_id=1, data={"note": "申请人 33110219900101123X"}
    )
    assert "19900101" not in str(event.data)
