"""Background work of 好差评 (django-tasks): the overdue sweep, scheduled by onetrip.core.schedule."""

from __future__ import annotations

from django_tasks import task

from onetrip.core import clock
from onetrip.ratings.services import ratings_sweep


@task()
def ratings_sweep_task() -> dict[str, int]:
    """Flag and notify call-backs and rectifications of bad ratings past their limits."""
    return ratings_sweep(now=clock.now()).as_dict()
