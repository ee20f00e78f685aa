"""Background work through Django's tasks interface (django-tasks; database queue, SKIP LOCKED)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django_tasks import task

from onetrip.core import clock
from onetrip.supervision.services import supervision_sweep


@task()
def supervision_sweep_task() -> dict[str, Any]:
    """Colour tasks reaching their warning or overdue point, send the reminders due, record overdue work.
    Schedule it every minute; several workers may run it at once."""
    return supervision_sweep(now=clock.now(), threads=settings.SUPERVISION_SWEEP_THREADS).as_dict()
