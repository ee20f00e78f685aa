"""`onetrip catalog import FILE.xlsx [--publish] [--dry-run] [--report REPORT.xlsx]` and
`onetrip catalog export FILE.xlsx`: the item list (事项清单) in and out of the catalogue.

The workbook layout is described in onetrip.catalog.excel and docs/catalog-import.md. An import checks
every row first; a file with any bad row changes nothing and the command prints every problem (and writes
them to --report as an .xlsx) and exits with status 1.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from onetrip.catalog.excel import ImportRejected, export_items, import_items, write_error_report
from onetrip.core.errors import DomainError


class ProgressBar:
    """A plain text bar on stderr, redrawn in place at most ten times a second."""

    WIDTH = 30

    def __init__(self, stream: OutputWrapper) -> None:
        self.stream = stream
        self.stage = ""
        self.last = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        finished = done >= total
        if stage == self.stage and not finished and now - self.last < 0.1:
            return
        if stage != self.stage and self.stage:
            self.stream.write("\n", ending="")
        self.stage, self.last = stage, now
        share = done / total if total else 1.0
        filled = int(self.WIDTH * share)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        self.stream.write(f"\r{stage} [{bar}] {done}/{total} {share:4.0%}", ending="")
        self.stream.flush()

    def close(self) -> None:
        if self.stage:
            self.stream.write("\n", ending="")
            self.stream.flush()


class Command(BaseCommand):
    help = (
        "事项清单 Excel 导入导出：catalog import 文件.xlsx [--publish] [--dry-run]；catalog export 文件.xlsx"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        imp = sub.add_parser("import", help="导入事项清单（任一行有误则全部不导入）")
        imp.add_argument("file")
        imp.add_argument("--publish", action="store_true", help="导入后直接发布（须通过指南校验）")
        imp.add_argument("--dry-run", action="store_true", help="只检查，不写入")
        imp.add_argument("--report", help="把错误报告另存为 .xlsx")
        imp.add_argument("--no-progress", action="store_true", help="不显示进度条")
        exp = sub.add_parser("export", help="导出事项清单")
        exp.add_argument("file")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "export":
            count = export_items(options["file"])
            self.stdout.write(f"已导出 {count} 个事项到 {options['file']}")
            return
        self._import(options)

    def _import(self, options: dict[str, Any]) -> None:
        bar = None if options["no_progress"] else ProgressBar(self.stderr)
        try:
            result = import_items(
                options["file"], publish=options["publish"], dry_run=options["dry_run"], progress=bar
            )
        except ImportRejected as exc:
            if bar:
                bar.close()
            for error in exc.row_errors:
                self.stderr.write(str(error))
            if options["report"]:
                write_error_report(options["report"], exc.row_errors)
                self.stderr.write(f"错误报告已写入 {options['report']}")
            raise CommandError(f"导入未执行：发现 {len(exc.row_errors)} 处错误，未写入任何数据") from None
        except DomainError as exc:
            if bar:
                bar.close()
            raise CommandError("；".join(f"{e.code}: {e.message_zh}" for e in exc.errors)) from None
        if bar:
            bar.close()
        if result.dry_run:
            self.stdout.write(f"检查通过：{result.items} 个事项、{result.materials} 项材料（未写入）")
        else:
            state = "并已发布" if result.published else "（草稿）"
            self.stdout.write(f"已导入 {result.items} 个事项{state}、{result.materials} 项材料")
