"""Recording, sealing and verifying the audit log.

`audit_record` is one INSERT inside the transaction of the change it records — no shared lock, so audited
writes from many processes never queue behind each other, and no request pays for sealing. `audit_seal`
gives unsealed events, in insertion order, the next sequence numbers and their chained SM3 hashes; one
sealer at a time holds the chain head (others skip). Sealing runs in the background worker every few
seconds (onetrip.core.schedule), from `onetrip audit seal`, and before every `audit_verify`; an event is
tamper-evident from its sealing on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from django.db import transaction

from onetrip.core import clock
from onetrip.core.masking import mask_text
from onetrip.core.models import AuditChainHead, AuditEvent

SEAL_BATCH = 5000


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
    event = AuditEvent.objects.create(
        at=clock.now(),
        actor_id=getattr(actor, "pk", None),
        actor_label=str(actor) if actor is not None else "系统",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        data=clean,
    )
    return event


def audit_seal(*, batch: int = SEAL_BATCH) -> int:
    """Seal every committed unsealed event; returns how many. Does nothing while another sealer works."""
    sealed = 0
    while True:
        with transaction.atomic():
            head = AuditChainHead.objects.select_for_update(skip_locked=True).filter(id=1).first()
            if head is None:
                return (
                    sealed  # another process is sealing right now (the head row exists from migration 0002)
                )
            rows = list(AuditEvent.objects.filter(seq__isnull=True).order_by("id")[:batch])
            if not rows:
                return sealed
            seq, prev = head.last_seq, head.last_hash
            for event in rows:
                seq += 1
                event.seq, event.prev_hash = seq, prev
                event.hash = prev = _digest(prev, _payload(event))
            # bulk_update bypasses AuditEvent.save, which refuses changes: sealing is the one write allowed.
            AuditEvent.objects.bulk_update(rows, ["seq", "prev_hash", "hash"], batch_size=1000)
            head.last_seq, head.last_hash = seq, prev
            head.save(update_fields=["last_seq", "last_hash"])
            sealed += len(rows)
        if len(rows) < batch:
            return sealed


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    unsealed: int = 0


def audit_verify(*, batch: int = 5000) -> ChainCheck:
    """Seal what is pending, then walk the whole chain in seq order (keyset batches) recomputing every hash."""
    audit_seal()
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
        after = rows[-1].seq or 0
    head = AuditChainHead.objects.filter(id=1).first()
    unsealed = AuditEvent.objects.filter(seq__isnull=True).count()
    if head is not None and (head.last_seq != checked or head.last_hash != prev_hash):
        return ChainCheck(False, checked, checked + 1, unsealed)
    return ChainCheck(True, checked, None, unsealed)


def audit_history(*, object_type: str, object_id: str | int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id)).order_by("id"))
