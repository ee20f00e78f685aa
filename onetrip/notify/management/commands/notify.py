"""`onetrip notify worker` (the dispatcher loop), `onetrip notify dispatch` (one pass) and `onetrip notify fold`
(turn new case and workflow events into notifications, until caught up)."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand

from onetrip.core.clock import now as clock_now
from onetrip.notify.dispatcher import notify_dispatch
from onetrip.notify.observe import DEFAULT_BATCH, notify_fold_events
from onetrip.notify.worker import run_worker


class Command(BaseCommand):
    help = "消息投递：worker 持续发送邮件、短信和机器人消息；dispatch 只发送一批"

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        sub = parser.add_subparsers(dest="action", required=True)
        worker = sub.add_parser("worker", help="持续投递（PostgreSQL 上监听 NOTIFY，提交后立即发送）")
        worker.add_argument("--interval", type=float, default=1.0, help="空闲时的轮询间隔（秒）")
        worker.add_argument("--batch", type=int, default=200, help="每批最多取多少条")
        worker.add_argument("--threads", type=int, default=None, help="每批并发发送的线程数")
        worker.add_argument(
            "--coalesce", type=float, default=0.1, help="被唤醒后再等多久，把随后的提交并入同一批（秒）"
        )
        worker.add_argument("--max-seconds", type=float, default=None, help="运行多少秒后退出（测试用）")
        once = sub.add_parser("dispatch", help="发送一批到期的投递，然后退出")
        once.add_argument("--batch", type=int, default=200)
        fold = sub.add_parser("fold", help="把新的办件动态和流程事件转为通知（处理到最新为止）")
        fold.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="每批读取多少条事件")

    def handle(self, *args, action: str, **options):  # type: ignore[no-untyped-def]
        if action == "fold":
            folded = notify_fold_events(now=clock_now(), batch=options["batch"])
            self.stdout.write(f"读取事件 {folded.events} 条，新增通知 {folded.notifications} 条")
            return
        if action == "dispatch":
            report = notify_dispatch(now=clock_now(), batch=options["batch"])
            self.stdout.write(
                f"取出 {report.taken} 条：发送成功 {report.sent}，稍后重试 {report.retried}，放弃 {report.dead}"
            )
            return
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())

        def ready() -> None:
            self.stdout.write("消息投递进程已启动")
            self.stdout.flush()

        totals = run_worker(
            interval=options["interval"],
            batch=options["batch"],
            threads=options["threads"],
            stop=stop,
            max_seconds=options["max_seconds"],
            coalesce=options["coalesce"],
            on_ready=ready,
        )
        self.stdout.write(
            f"消息投递进程退出：{totals.passes} 批，发送成功 {totals.sent}，稍后重试 {totals.retried}，放弃 {totals.dead}"
        )
