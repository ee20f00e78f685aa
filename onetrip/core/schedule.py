"""Periodic jobs: what the scheduler enqueues, and how often.

`onetrip scheduler` enqueues each job on its interval; the database workers (`onetrip db_worker`) run them.
Every job is safe to run twice at once (sweeps take rows with SKIP LOCKED on PostgreSQL; the audit sealer
skips while another seals), so a second scheduler does no harm.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Job:
    name: str
    task: str  # dotted path to a django-tasks Task
    every_s: int


JOBS: tuple[Job, ...] = (
    Job("审计日志封存", "onetrip.core.tasks.audit_seal_task", 5),
    Job("受理期限与容缺补交检查", "onetrip.intake.tasks.intake_sweep", 60),
    Job("办理时限与超时策略检查", "onetrip.flow.tasks.flow_sweep_task", 60),
    Job("效能监管扫描（预警、超期、催办）", "onetrip.supervision.tasks.supervision_sweep_task", 60),
    Job("统计汇总", "onetrip.stats.tasks.stats_rollup_task", 30),
    Job("好差评整改超期检查", "onetrip.ratings.tasks.ratings_sweep_task", 300),
    Job("督办与代表建议超期检查", "onetrip.orders.tasks.orders_sweep_task", 300),
    Job("办件动态与待办消息（受理、告知、转办等通知）", "onetrip.notify.tasks.notify_fold_task", 10),
    Job("消息投递（独立投递进程之外的兜底）", "onetrip.notify.tasks.notify_dispatch_task", 10),
    Job("清理过期消息与投递记录", "onetrip.notify.tasks.notify_prune_task", 86400),
    Job("清理已完成的后台任务记录", "onetrip.core.tasks.prune_task_results_task", 3600),
)
