"""How the dashboard's figures are shown: KPI card groups, display strings, chart data and the JSON of the
API (plain numbers and strings; rates as strings with two decimals, so no binary fraction sneaks in)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from onetrip.stats.models import HISTOGRAM, HISTOGRAM_RANGES
from onetrip.stats.selectors import (
    CASE_FIGURES,
    FIGURE_BY_KEY,
    FIGURES,
    RATING_LEVELS,
    Dashboard,
    Percentile,
    StatsFilter,
)

# KPI cards, grouped as the reports publish them; a card with a drill-down figure links to its cases.
CARD_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("办件量", ("accepted", "completed", "refused", "accepted_bundle", "accepted_deficient")),
    (
        "办理时效",
        (
            "on_time_rate",
            "late",
            "mean_days",
            "p50_days",
            "p90_days",
            "mean_promised_days",
            "mean_statutory_days",
            "speedup_rate",
            "limit_compression",
        ),
    ),
    ("跑动与渠道", ("one_trip_rate", "zero_trip_rate", "trips_per_case", "online_rate", "mobile_rate")),
    ("减材料 减环节", ("materials_avoided_per_case", "fields_avoided_per_case", "steps_avoided_per_case")),
    ("好差评与监督", ("rated", "satisfaction_rate", "bad_rate", "warned", "overdue")),
)
DRILL = {
    "accepted": "accepted",
    "completed": "completed",
    "refused": "refused",
    "on_time_rate": "on_time",
    "late": "late",
}
CHANNEL_LABELS = {
    "online": "网上申请",
    "mobile": "掌上办",
    "window": "窗口",
    "proxy": "代办",
    "api": "系统接口",
}


def display(key: str, value: Any) -> str:
    """A figure as the page shows it: — when undefined; rates with %, others with their unit."""
    if value is None:
        return "—"
    unit = FIGURE_BY_KEY[key].unit if key in FIGURE_BY_KEY else ""
    if unit == "%":
        return f"{value}%"
    return f"{value}"


def plain(value: Any) -> Any:
    """JSON-safe: Decimal and Percentile as strings, containers recursively."""
    if isinstance(value, Decimal | Percentile):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def cards(board: Dashboard) -> list[dict[str, Any]]:
    groups = []
    for title, keys in CARD_GROUPS:
        items = []
        for key in keys:
            figure = FIGURE_BY_KEY[key]
            items.append(
                {
                    "key": key,
                    "label": figure.label,
                    "value": display(key, board.figures[key]),
                    "unit": "" if figure.unit == "%" else figure.unit,
                    "definition": figure.definition,
                    "drill": DRILL.get(key, ""),
                }
            )
        groups.append({"title": title, "cards": items})
    return groups


def histogram_labels() -> list[str]:
    out = []
    for h in HISTOGRAM:
        lo, hi = HISTOGRAM_RANGES[h]
        out.append(str(lo) if lo == hi else f"{lo}–{hi}" if hi is not None else f">{lo - 1}")
    return out


def chart_data(board: Dashboard) -> dict[str, Any]:
    g = board.figures
    top = board.departments[:15]
    return {
        "trend": {
            "unit": board.trend_unit,
            "labels": [t["label"] for t in board.trend],
            "accepted": [t["accepted"] for t in board.trend],
            "completed": [t["completed"] for t in board.trend],
            "on_time_rate": [_number(t["on_time_rate"]) for t in board.trend],
            "satisfaction_rate": [_number(t["satisfaction_rate"]) for t in board.trend],
        },
        "departments": {
            "names": [d["name"] for d in top],
            "on_time_rate": [_number(d["on_time_rate"]) for d in top],
            "completed": [d["completed"] for d in top],
            "overdue": [d["overdue"] for d in top],
        },
        "ratings": [{"name": label, "value": g["rating_levels"][level]} for level, label in RATING_LEVELS],
        "trips": [
            {"name": "零跑动", "value": g["trips_zero"]},
            {"name": "跑一次", "value": g["trips_one"]},
            {"name": "跑两次及以上", "value": g["trips_more"]},
        ],
        "channels": [{"name": CHANNEL_LABELS[k], "value": v} for k, v in g["channels"].items()],
        "histogram": {"labels": histogram_labels(), "values": [g["histogram"][h] for h in HISTOGRAM]},
    }


def filter_json(f: StatsFilter) -> dict[str, Any]:
    return {
        "from": f.date_from.isoformat(),
        "to": f.date_to.isoformat(),
        "region": None if f.region is None else {"code": f.region.code, "name": f.region.name},
        "department": None if f.department is None else {"id": f.department.pk, "name": f.department.name},
        "item": None if f.item is None else {"id": f.item.pk, "name": f.item.name},
        "bundle": None if f.bundle is None else {"id": f.bundle.pk, "name": f.bundle.name},
    }


def dashboard_json(board: Dashboard) -> dict[str, Any]:
    return {
        "filter": filter_json(board.filter),
        "months_from": board.months_from.isoformat() if board.months_from else None,
        "months_to": board.months_to.isoformat() if board.months_to else None,
        "figures": plain(board.figures),
        "trend_unit": board.trend_unit,
        "trend": plain(board.trend),
        "departments": plain(board.departments),
        "accountability": [d["name"] for d in board.accountability],
        "regions": plain(board.regions),
        "items": plain(board.items),
        "definitions": [
            {"key": f.key, "label": f.label, "unit": f.unit, "definition": f.definition} for f in FIGURES
        ],
        "drill_figures": CASE_FIGURES,
    }
