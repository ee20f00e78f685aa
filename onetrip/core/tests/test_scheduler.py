import pytest
from django.core.management import call_command
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult

from onetrip.core.schedule import JOBS

pytestmark = pytest.mark.django_db


def test_every_scheduled_job_names_a_real_task():
    for job in JOBS:
        assert callable(import_string(job.task).enqueue), job


def test_scheduler_once_enqueues_each_job(capsys):
    call_command("scheduler", "--once")
    assert DBTaskResult.objects.count() == len(JOBS)
    assert "已放入" in capsys.readouterr().out
