"""`onetrip serve`: the web server, the background worker and the scheduler together (embedded set-up).

Production runs them as separate processes: a WSGI server, `onetrip db_worker` one or more times,
`onetrip scheduler` and `onetrip notify worker` (one or two).
"""

import signal
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "启动网页服务与后台任务进程（嵌入式部署）"

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport: str, **options):  # type: ignore[no-untyped-def]
        helpers = [
            subprocess.Popen([sys.executable, "-m", "onetrip.cli", "db_worker", "--queue-name", "*"]),
            subprocess.Popen([sys.executable, "-m", "onetrip.cli", "scheduler"]),
            subprocess.Popen([sys.executable, "-m", "onetrip.cli", "notify", "worker"]),
        ]
        pids = "、".join(str(p.pid) for p in helpers)
        self.stdout.write(f"后台任务与定时调度进程已启动（pid {pids}）；网页服务：http://{addrport}/")

        def stop_worker(*_: object) -> None:
            for process in helpers:
                if process.poll() is None:
                    process.terminate()
                    process.wait(timeout=10)

        signal.signal(signal.SIGTERM, lambda *a: (stop_worker(), sys.exit(0)))
        try:
            call_command("runserver", addrport, use_reloader=False, use_threading=True)
        finally:
            stop_worker()
