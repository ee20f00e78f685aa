"""Background work: the rollup job (the scheduler runs it every ~30 s; see onetrip.core.schedule)."""

from __future__ import annotations

from django_tasks import task

from onetrip.stats.services import stats_rollup


@task()
def stats_rollup_task() -> dict[str, int]:
    """Fold the pending statistics facts into the day and month rollups."""
    return stats_rollup().as_dict()
