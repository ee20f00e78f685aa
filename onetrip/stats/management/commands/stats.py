"""`onetrip stats rollup [--batch N] [--loop --interval S]`: fold pending facts into the rollups.
`onetrip stats rollup --rebuild`: recompute the case-derived counters from the cases — a full scan of the cases,
for recovery only (after restoring a backup, or if the rollup tables were lost); ratings, warnings and overdue
counts come from their own facts and are kept."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from onetrip.core.errors import DomainError
from onetrip.stats.services import stats_rebuild, stats_rollup


class Command(BaseCommand):
    help = "统计分析：汇总待处理的统计事实（--rebuild 从办件全量重算，仅用于恢复）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rollup"])
        parser.add_argument("--batch", type=int, default=500, help="每批事实数（每批一个事务）")
        parser.add_argument("--rebuild", action="store_true", help="从办件全量重算（全表扫描，仅用于恢复）")
        parser.add_argument("--loop", action="store_true", help="持续运行（生产环境的独立进程）")
        parser.add_argument("--interval", type=float, default=30.0, help="--loop 时两次汇总的间隔秒数")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["rebuild"]:
                self.stdout.write(json.dumps(stats_rebuild(chunk=options["batch"]).as_dict()))
                return
            while True:
                report = stats_rollup(batch=options["batch"])
                self.stdout.write(json.dumps(report.as_dict()))
                if not options["loop"]:
                    return
                time.sleep(max(options["interval"], 1.0))
        except DomainError as exc:
            raise CommandError(str(exc)) from None
