"""Background tasks of the core: sealing the audit log."""

from django_tasks import task

from onetrip.core.audit import audit_seal


@task()
def audit_seal_task() -> int:
    return audit_seal()


@task()
def prune_task_results_task() -> None:
    """Finished task results older than a day go: the scheduler adds thousands a day."""
    from django.core.management import call_command

    call_command("prune_db_task_results", "--queue-name", "*", "--min-age-days", "1", verbosity=0)
