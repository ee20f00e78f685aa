"""`onetrip demo`: load the demo region, departments, hall, catalogue and users (idempotent)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from onetrip.core.errors import DomainError
from onetrip.demo.loader import load_demo, load_demo_activity
from onetrip.demo.people import DEMO_PASSWORD


class Command(BaseCommand):
    help = "加载演示数据（丽水市莲都区：部门、大厅窗口、事项目录、演示账号、近两个月的演示办件）；可重复执行"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="只输出一行结果")

    def handle(self, *args: Any, quiet: bool = False, **options: Any) -> None:
        started = time.perf_counter()
        try:
            summary = load_demo_activity(load_demo())
        except DomainError as exc:  # demo data that fails validation is a bug in the demo, say which
            raise CommandError(f"演示数据加载失败，未做任何更改：{exc}") from exc
        seconds = time.perf_counter() - started
        created = sum(c.created for c in summary.counts)
        headline = (
            f"演示数据已加载：新增 {created} 条记录（{seconds:.1f} 秒）。"
            if summary.changed
            else f"演示数据已是最新，未做任何更改（{seconds:.1f} 秒）。"
        )
        if quiet:
            self.stdout.write(headline)
            return
        self.stdout.write(headline)
        self.stdout.write("")
        self.stdout.write(f"{'类别':<10}{'总数':>6}{'本次新增':>8}")
        for c in summary.counts:
            self.stdout.write(f"{_pad(c.label, 12)}{c.total:>6}{c.created:>10}")
        self.stdout.write("")
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        self.stdout.write(f"{_pad('用户名', 16)}{_pad('姓名', 12)}{_pad('角色', 16)}说明")
        for username, name, roles, note in summary.logins:
            self.stdout.write(f"{_pad(username, 16)}{_pad(name, 12)}{_pad(roles, 16)}{note}")


def _pad(text: str, width: int) -> str:
    """Left-align in a terminal where a CJK character takes two columns."""
    used = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
    return text + " " * max(1, width - used)
