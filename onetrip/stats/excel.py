"""The dashboard as an Excel workbook (openpyxl): the figures with their definitions, the department ranking
(with 问责 marks), regions, items and the trend. Rates are numbers (percent), undefined ones empty cells."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook

from onetrip.stats.present import CARD_GROUPS
from onetrip.stats.selectors import FIGURE_BY_KEY, Dashboard, Percentile

ROW_HEADER = ["受理件数", "办结件数", "按时办结率%", "超期办结", "平均办理用时（工作日）", "提速率%",
              "最多跑一次率%", "网上办理率%", "评价数", "满意率%", "差评数", "差评率%", "预警", "超期"]  # fmt: skip
ROW_KEYS = ["accepted", "completed", "on_time_rate", "late", "mean_days", "speedup_rate", "one_trip_rate",
            "online_rate", "rated", "satisfaction_rate", "bad", "bad_rate", "warned", "overdue"]  # fmt: skip


def cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Percentile):
        return str(value)
    return value


def _period(board: Dashboard) -> list[list[Any]]:
    f = board.filter
    rows: list[list[Any]] = [["统计期", f"{f.date_from:%Y-%m-%d} 至 {f.date_to:%Y-%m-%d}"]]
    if f.region is not None:
        rows.append(["区划", f.region.name])
    if f.department is not None:
        rows.append(["部门", f.department.name])
    if f.item is not None:
        rows.append(["事项", f.item.name])
    if f.bundle is not None:
        rows.append(["一件事", f.bundle.name])
    if board.months_from is not None:
        rows.append(["按整月统计的部分", f"{board.months_from:%Y-%m-%d} 至 {board.months_to:%Y-%m-%d}"])
    return rows


def dashboard_workbook(board: Dashboard) -> bytes:
    wb = Workbook(write_only=True)
    figures = wb.create_sheet("指标")
    for row in _period(board):
        figures.append(row)
    figures.append([])
    figures.append(["类别", "指标", "数值", "单位", "口径"])
    for title, keys in CARD_GROUPS:
        for key in keys:
            f = FIGURE_BY_KEY[key]
            figures.append([title, f.label, cell(board.figures[key]), f.unit, f.definition])

    ranking = wb.create_sheet("部门排名")
    ranking.append(["排名", "部门", *ROW_HEADER, "问责"])
    for d in board.departments:
        ranking.append(
            [d["rank"], d["name"], *(cell(d[k]) for k in ROW_KEYS), "是" if d["accountable"] else ""]
        )

    regions = wb.create_sheet("区域")
    regions.append(["区划代码", "区划", *ROW_HEADER])
    for r in board.regions:
        regions.append([r["region_code"], r["name"], *(cell(r[k]) for k in ROW_KEYS)])

    items = wb.create_sheet("事项")
    items.append(["类型", "名称", *ROW_HEADER])
    for i in board.items:
        items.append(["一件事" if i["bundle_id"] else "事项", i["name"], *(cell(i[k]) for k in ROW_KEYS)])

    trend = wb.create_sheet("趋势")
    trend.append(
        [
            "日期" if board.trend_unit == "day" else "月份",
            "受理件数",
            "办结件数",
            "按时办结率%",
            "满意率%",
            "超期",
        ]
    )
    for t in board.trend:
        trend.append(
            [
                t["label"],
                t["accepted"],
                t["completed"],
                cell(t["on_time_rate"]),
                cell(t["satisfaction_rate"]),
                t["overdue"],
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
