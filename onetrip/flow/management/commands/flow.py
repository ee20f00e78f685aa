"""`onetrip flow sweep [--now ISO]`: apply the workflow timeout actions due now (or at --now)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from onetrip.core import clock
from onetrip.flow.services import flow_sweep


class Command(BaseCommand):
    help = "审批流程：超时处理（催办、超时默认、退回、上报）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["sweep"])
        parser.add_argument("--now", help="以此时刻为准（带时区的 ISO 时间），默认当前时间")
        parser.add_argument("--batch", type=int, default=100)

    def handle(self, *args: Any, **options: Any) -> None:
        now = clock.now()
        if options["now"]:
            try:
                now = dt.datetime.fromisoformat(options["now"])
            except ValueError:
                raise CommandError("--now 须为 ISO 时间，如 2026-03-02T10:00:00+08:00") from None
            if now.tzinfo is None:
                raise CommandError("--now 须带时区")
        report = flow_sweep(now=now, batch=options["batch"])
        self.stdout.write(
            json.dumps(
                {"instances": report.instances, "actions": report.actions, "by_kind": report.by_kind},
                ensure_ascii=False,
            )
        )
