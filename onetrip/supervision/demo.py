"""Demo data for supervision: the global rule (Dongyang's 5/7, seeded by the migration) and a rule for a
机关内部 item that behaves like Dongyang's reports to the city government: 公务员转任审批 (区委组织部), whose
review step has 15 working days — warned after 10 working days, from then on reminded every working day in
the morning, at noon and in the evening (handler and leader), overdue after 15. Then one sweep at the current
instant, so the demo's open cases (loaded before this) show their colours on the board at once.
Idempotent: the rule is keyed by its item; a second run creates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from onetrip.catalog.models import Item
from onetrip.core import clock
from onetrip.supervision.models import DEFAULT_REMINDER_TIMES, AlertRule
from onetrip.supervision.services import SweepReport, supervision_sweep

GOVERNMENT_REPLY_ITEM = ("100040000000", "ld-zzb")  # 公务员转任审批 (basic code, department code)
GOVERNMENT_REPLY_NOTE = (
    "参照东阳：向市政府请示报告的事项，收文10个工作日后未办结的每天早中晚3次提醒，15个工作日内作出答复"
)


@dataclass
class SupervisionDemoSummary:
    counts: list[tuple[str, int, int]] = field(default_factory=list)  # label, total, created
    sweep: SweepReport | None = None

    @property
    def changed(self) -> bool:
        return any(created for _, _, created in self.counts)


@transaction.atomic
def supervision_demo_load() -> SupervisionDemoSummary:
    summary = SupervisionDemoSummary()
    now = clock.now()
    created = 0
    if not AlertRule.objects.filter(item__isnull=True).exists():
        AlertRule.objects.create(
            item=None, warn_after_days=5, overdue_after_days=7, accountability_threshold=3, updated_at=now
        )
        created += 1
    basic_code, department_code = GOVERNMENT_REPLY_ITEM
    item = Item.objects.filter(basic_code=basic_code, department__code=department_code).first()
    if item is None:
        raise RuntimeError("load the demo catalogue first (公务员转任审批 is missing)")
    if not AlertRule.objects.filter(item=item).exists():
        AlertRule.objects.create(
            item=item,
            warn_after_days=10,
            overdue_after_days=15,
            remind_from_days=10,
            reminder_times=DEFAULT_REMINDER_TIMES,
            remind_leader=True,
            note=GOVERNMENT_REPLY_NOTE,
            updated_at=now,
        )
        created += 1
    summary.counts.append(("预警规则", AlertRule.objects.count(), created))
    summary.sweep = supervision_sweep(now=now)
    return summary
