"""Background work through Django's tasks interface (django-tasks; database queue, SKIP LOCKED)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from onetrip.core import clock
from onetrip.flow.services import flow_sweep


@task()
def flow_sweep_task() -> dict[str, Any]:
    """Apply the timeout actions due now; schedule it every few minutes (cron or a worker loop)."""
    report = flow_sweep(now=clock.now())
    return {"instances": report.instances, "actions": report.actions, "by_kind": report.by_kind}
