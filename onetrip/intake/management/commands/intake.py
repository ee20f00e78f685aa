"""`onetrip intake sweep`: run the deemed-acceptance and overdue-deficiency sweeps once (for cron), or
`onetrip intake sweep --enqueue` to hand them to the task worker."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from onetrip.intake.tasks import intake_sweep


class Command(BaseCommand):
    help = "受理相关的定时任务：sweep 逾期视为受理、容缺材料逾期终止"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sweep = sub.add_parser("sweep", help="执行一次：逾期未答复视为受理；容缺材料逾期未补交终止办件")
        sweep.add_argument("--enqueue", action="store_true", help="交给后台任务队列执行，而不是立即执行")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "sweep":
            if options["enqueue"]:
                result = intake_sweep.enqueue()
                self.stdout.write(f"已加入任务队列：{result.id}")
                return
            counts = intake_sweep.call()
            self.stdout.write(json.dumps(counts, ensure_ascii=False))
