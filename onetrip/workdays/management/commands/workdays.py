"""`onetrip workdays add|between|show|load|seed`: the working-day calendar from the command line.

Errors exit non-zero with the Chinese message; a provisional result (a year whose arrangement is not loaded)
is printed with its flag and exits 0.
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from onetrip.core.errors import DomainError
from onetrip.workdays.core import SHANGHAI, Unit
from onetrip.workdays.selectors import calendar_add, calendar_between, calendar_year_overview
from onetrip.workdays.services import calendar_seed_package, calendar_year_load


def provisional_note(missing_years: tuple[int, ...]) -> str:
    return "（临时结果：" + "、".join(f"{y}年" for y in missing_years) + "日历未载入）"


def _zh(exc: DomainError) -> str:
    return "；".join(
        (f"[{e.field}] " if e.field and e.field not in ("start", "end", "n", "unit") else "") + e.message_zh
        for e in exc.errors
    )


class Command(BaseCommand):
    help = "工作日历：推算期限、计算工作日数、查看和载入年度节假日安排"

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="从 DATE 起加 N 个工作日/自然日/工作小时（默认次日起算）")
        add.add_argument("date", help="2026-10-01 或带时区的 2026-10-01T10:00+08:00")
        add.add_argument("n", help="时限数（非负整数）")
        add.add_argument("--unit", default="working", help="working（工作日，默认）、natural 或 hours")
        add.add_argument("--same-day", action="store_true", help="当日起算（默认次日起算）")
        between = sub.add_parser("between", help="A 之后到 B（含）之间的工作日数")
        between.add_argument("start")
        between.add_argument("end")
        show = sub.add_parser("show", help="显示某年的放假与调休安排")
        show.add_argument("year", type=int)
        load = sub.add_parser("load", help="从 TOML 文件载入一年的国务院节假日安排")
        load.add_argument("file")
        load.add_argument("--replace", action="store_true", help="替换已载入的同一年份")
        sub.add_parser("seed", help="载入 chinese-calendar 软件包中数据库尚缺的年份")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, "_" + options["action"])(options)
        except DomainError as exc:
            raise CommandError(_zh(exc)) from None

    def _add(self, options: dict[str, Any]) -> None:
        try:
            n = int(options["n"])
        except ValueError:
            raise CommandError("时限数必须是整数") from None
        answer = calendar_add(start=options["date"], n=n, unit=options["unit"], same_day=options["same_day"])
        if answer.accepted_on is not None or options["unit"] == Unit.HOURS:
            # An instant was given (or hours asked for): the deadline instant, in Beijing time.
            text = answer.deadline.astimezone(SHANGHAI).isoformat(timespec="minutes")
            if answer.accepted_on is not None:
                text += f"（视为 {answer.accepted_on.isoformat()} 受理）"
        else:
            text = answer.date.isoformat()
        if answer.provisional:
            text += provisional_note(answer.missing_years)
        self.stdout.write(text)

    def _between(self, options: dict[str, Any]) -> None:
        value, provisional, missing = calendar_between(start=options["start"], end=options["end"])
        self.stdout.write(str(value) + (provisional_note(missing) if provisional else ""))

    def _show(self, options: dict[str, Any]) -> None:
        overview = calendar_year_overview(options["year"])
        year = overview.year
        if overview.loaded is None:
            self.stdout.write(f"{year}年：未载入。涉及该年的期限仅按周末计算，结果为临时结果。")
            return
        loaded = overview.loaded
        self.stdout.write(
            f"{year}年：已载入（来源：{loaded.get_source_display()}；通知：{loaded.notice or '—'}；"
            f"载入时间：{loaded.loaded_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}）"
        )
        self.stdout.write("放假：")
        for name, first, last in overview.holidays:
            days = (last - first).days + 1
            span = first.isoformat() if first == last else f"{first.isoformat()} 至 {last.isoformat()}"
            self.stdout.write(f"  {name}：{span}（{days}天）")
        self.stdout.write("调休上班：" + ("" if overview.adjusted_workdays else "无"))
        for day, name in overview.adjusted_workdays:
            self.stdout.write(f"  {day.isoformat()}（{'一二三四五六日'[day.weekday()]}）{name}")

    def _load(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取文件 {path}：{exc.strerror}") from None
        year = calendar_year_load(content=content, replace=options["replace"])
        count = year.special_days.count()
        self.stdout.write(f"已载入 {year.year}年日历（{year.notice}），共 {count} 个放假或调休日期")

    def _seed(self, options: dict[str, Any]) -> None:
        added = calendar_seed_package()
        if added:
            self.stdout.write(f"已从 chinese-calendar 载入：{added[0]}—{added[-1]}年（{len(added)}个年份）")
        else:
            self.stdout.write("chinese-calendar 中的年份均已载入")
