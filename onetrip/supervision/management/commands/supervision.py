"""`onetrip supervision sweep [--now ISO] [--batch N] [--threads N] [--loop [--interval S]]`: the supervision sweep, once
(or at --now), or as a long-running worker process for production (several may run side by side on
PostgreSQL: rows are taken with SKIP LOCKED and notifications are deduplicated)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import signal
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from onetrip.core import clock
from onetrip.supervision.services import DEFAULT_BATCH, supervision_sweep

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "效能监管：预警、超期、逐日催办与超期记录"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["sweep"])
        parser.add_argument(
            "--now", help="以此时刻为准（带时区的 ISO 时间），默认当前时间；不能与 --loop 同用"
        )
        parser.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="每批任务数（每批一个事务）")
        parser.add_argument(
            "--threads",
            type=int,
            default=None,
            help="并行线程数（PostgreSQL；默认取 SUPERVISION_SWEEP_THREADS）",
        )
        parser.add_argument("--loop", action="store_true", help="持续运行，每隔 --interval 秒扫描一次")
        parser.add_argument("--interval", type=float, default=60.0, help="持续运行时的扫描间隔（秒）")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"] < 1:
            raise CommandError("--batch 须为正整数")
        threads = settings.SUPERVISION_SWEEP_THREADS if options["threads"] is None else options["threads"]
        if threads < 1:
            raise CommandError("--threads 须为正整数")
        if options["loop"]:
            if options["now"]:
                raise CommandError("--now 不能与 --loop 同用")
            if options["interval"] <= 0:
                raise CommandError("--interval 须大于 0")
            self._loop(options["batch"], threads, options["interval"])
            return
        now = clock.now()
        if options["now"]:
            try:
                now = dt.datetime.fromisoformat(options["now"])
            except ValueError:
                raise CommandError("--now 须为 ISO 时间，如 2026-03-02T10:00:00+08:00") from None
            if now.tzinfo is None:
                raise CommandError("--now 须带时区")
        self.stdout.write(
            json.dumps(supervision_sweep(now=now, batch=options["batch"], threads=threads).as_dict())
        )

    def _loop(self, batch: int, threads: int, interval: float) -> None:
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self._run(batch, threads, interval, lambda: stopping)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _run(self, batch: int, threads: int, interval: float, stopping: Any) -> None:
        while not stopping():
            started = time.monotonic()
            close_old_connections()
            try:
                report = supervision_sweep(now=clock.now(), batch=batch, threads=threads)
                if report.discovered or report.checked:
                    self.stdout.write(json.dumps(report.as_dict()))
            except Exception:  # a failed pass is retried at the next interval; the worker stays up
                logger.exception("supervision sweep failed")
            while not stopping() and time.monotonic() - started < interval:
                time.sleep(min(0.5, interval))
