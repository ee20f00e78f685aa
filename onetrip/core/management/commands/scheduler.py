"""`onetrip scheduler`: enqueue the periodic jobs of onetrip.core.schedule on their intervals."""

import time

from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from onetrip.core.schedule import JOBS


class Command(BaseCommand):
    help = "定时任务调度：按间隔把巡检、封存等任务放入后台队列"

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--once", action="store_true", help="每个任务只放入一次，然后退出")

    def handle(self, *args, once: bool, **options):  # type: ignore[no-untyped-def]
        tasks = [(job, import_string(job.task)) for job in JOBS]
        due = {job.name: 0.0 for job in JOBS}
        while True:
            now = time.monotonic()
            for job, task in tasks:
                if now >= due[job.name]:
                    task.enqueue()
                    due[job.name] = now + job.every_s
            if once:
                self.stdout.write(f"已放入 {len(tasks)} 个定时任务")
                return
            time.sleep(1)
