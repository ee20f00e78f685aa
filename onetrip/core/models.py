"""The append-only, tamper-evident audit log (全程留痕).

Writes go through onetrip.core.audit.audit_record: one INSERT in the transaction of the change it records,
with no shared lock. Sealing (audit_seal) then gives events their place in one chain — a sequence number and
the SM3 hash of the content chained to the previous event's hash — so editing or deleting any sealed row
breaks verification from that row on. Sealing runs shortly after commits and before every verification.
"""

from __future__ import annotations

from django.db import models


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an audit event."""


class AuditChainHead(models.Model):
    """One row holding the last sequence number and hash; locked while appending so the chain never forks."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = verbose_name_plural = "审计链头"

    def __str__(self) -> str:
        return f"#{self.last_seq}"


class AuditEvent(models.Model):
    seq = models.BigIntegerField("序号", unique=True, null=True, blank=True, help_text="封存时分配")
    at = models.DateTimeField("时间")
    actor_id = models.BigIntegerField("操作人ID", null=True, blank=True)
    actor_label = models.CharField("操作人", max_length=150, blank=True)
    action = models.CharField("动作", max_length=64)
    object_type = models.CharField("对象类型", max_length=64)
    object_id = models.CharField("对象ID", max_length=64)
    data = models.JSONField("内容", default=dict)
    prev_hash = models.CharField("前序摘要", max_length=64, blank=True)
    hash = models.CharField("摘要(SM3)", max_length=64, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "审计日志"
        ordering = ["id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "id"]),
            # The sealer's queue: only the few unsealed rows are in this index.
            models.Index(
                fields=["id"], condition=models.Q(seq__isnull=True), name="core_auditevent_unsealed"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq or '待封存'} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise AppendOnlyError("audit events are append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events are append-only")
