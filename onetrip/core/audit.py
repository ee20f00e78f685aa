"""Recording and verifying the audit log. Call audit_record inside the transaction of the change it records."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from django.db import transaction

from onetrip.core import clock
from onetrip.core.masking import mask_text
from onetrip.core.models import AuditChainHead, AuditEvent


def _digest(prev_hash: str, payload: dict[str, Any]) -> str:
    h = hashes.Hash(hashes.SM3())
    h.update(prev_hash.encode())
    h.update(json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode())
    return h.finalize().hex()


def _payload(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": event.at.isoformat(),
        "actor_id": event.actor_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "data": event.data,
    }


def audit_record(
    *, actor: Any, action: str, object_type: str, object_id: str | int, data: dict[str, Any] | None = None
) -> AuditEvent:
    """Append one event. Free text in `data` is masked, so personal data never lands in the log."""
    clean = json.loads(mask_text(json.dumps(data or {}, ensure_ascii=False, default=str)))
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
        event = AuditEvent(
            seq=head.last_seq + 1,
            at=clock.now(),
            actor_id=getattr(actor, "pk", None),
            actor_label=str(actor) if actor is not None else "系统",
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            data=clean,
            prev_hash=head.last_hash,
        )
        event.hash = _digest(event.prev_hash, _payload(event))
        event.save()
        head.last_seq, head.last_hash = event.seq, event.hash
        head.save(update_fields=["last_seq", "last_hash"])
    return event


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    checked: int
    first_bad_seq: int | None = None


def audit_verify(*, batch: int = 5000) -> ChainCheck:
    """Walk the whole chain in seq order (keyset batches) and recompute every hash."""
    prev_hash, expected_seq, checked, after = "0" * 64, 1, 0, 0
    while True:
        rows = list(AuditEvent.objects.filter(seq__gt=after).order_by("seq")[:batch])
        if not rows:
            break
        for event in rows:
            if (
                event.seq != expected_seq
                or event.prev_hash != prev_hash
                or event.hash != _digest(prev_hash, _payload(event))
            ):
                return ChainCheck(False, checked, event.seq)
            prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
        after = rows[-1].seq
    head = AuditChainHead.objects.filter(id=1).first()
    if head is not None and (head.last_seq != checked or head.last_hash != prev_hash):
        return ChainCheck(False, checked, checked + 1)
    return ChainCheck(True, checked)


def audit_history(*, object_type: str, object_id: str | int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id)).order_by("seq"))
