"""Background work of 督办 and 代表结对监督 (django-tasks): the overdue sweep, scheduled by onetrip.core.schedule."""

from __future__ import annotations

from django_tasks import task

from onetrip.core import clock
from onetrip.orders.services import orders_sweep


@task()
def orders_sweep_task() -> dict[str, int]:
    """Remind departments of orders due today; flag and notify overdue orders and deputies' plans."""
    return orders_sweep(now=clock.now()).as_dict()
