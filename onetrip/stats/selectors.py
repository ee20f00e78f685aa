"""Dashboard reads. Every figure comes from the rollups (StatDepartmentMonth, StatItemMonth, StatDay), never
from a scan of cases; the drill-down list reads cases one keyset page at a time.

Who sees what: a supervisor sees the departments of their region (their assignment's region, else their
office's region; everything when unscoped), a leader their own department(s); anyone else gets 403. Rows are
filtered by department in SQL.

Periods are days (from, to). Whole months of the period are read from StatDepartmentMonth; the partial months
at its ends from StatDay, so the figures are exact to the day. Only StatItemMonth has the item/bundle grain:
with an item or bundle filter, and for the item table, the period is widened to whole months and the page
says so (`months_from`, `months_to`).

Figure definitions are in FIGURES (shown as help on the page and in the workbook). Percentiles use the
nearest-rank method on the processing-time histogram: exact up to 20 working days, the bucket's upper bound
(shown as ≤ n) above that.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import F, Min, Model, Q, Sum

from onetrip.bundles.figures import percentage
from onetrip.core.errors import DomainError, ErrorDetail, Forbidden, not_found
from onetrip.core.masking import mask_text
from onetrip.orgs.models import ApplicantKind, Department, Region, RegionLevel, Role, RoleAssignment
from onetrip.orgs.permissions import has_role
from onetrip.stats.models import (
    COUNTERS,
    HISTOGRAM,
    HISTOGRAM_RANGES,
    StatDay,
    StatDepartmentMonth,
    StatItemMonth,
)
from onetrip.workdays.core import SHANGHAI

ACCOUNTABILITY_THRESHOLD = 3  # Dongyang: 3 or more overdue in the period → 问责
MAX_SPAN_DAYS = 3 * 366 + 1
DAILY_TREND_MAX_DAYS = 62
TOP_ITEMS = 20
HUNDREDTH = Decimal("0.01")
PAGE = 50
MAX_PAGE = 200


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    unit: str
    definition: str


FIGURES: tuple[Figure, ...] = (
    Figure("accepted", "受理件数", "件", "统计期内受理的办件数，含容缺受理和逾期视为受理。"),
    Figure("completed", "办结件数", "件", "统计期内办结的办件数（准予和不予许可）；撤回、终止的不计。"),
    Figure("refused", "不予受理", "件", "统计期内作出不予受理决定的申请数。"),
    Figure(
        "on_time_rate",
        "按时办结率",
        "%",
        "按时办结件数 ÷ 有承诺时限的办结件数；办结时间不晚于承诺办结时间即为按时。",
    ),
    Figure("late", "超期办结", "件", "有承诺时限、办结时间晚于承诺办结时间的办结件数。"),
    Figure(
        "mean_days",
        "平均办理用时",
        "工作日",
        "受理次日起至办结日的工作日数（按官方工作日历，含调休）的平均值；当日办结为0。",
    ),
    Figure(
        "p50_days",
        "用时中位数",
        "工作日",
        "办理用时的第50百分位（最近秩法）；20个工作日以内精确到日，以上为所在区间的上限。",
    ),
    Figure("p90_days", "用时90分位", "工作日", "办理用时的第90百分位（最近秩法），同上。"),
    Figure("mean_promised_days", "平均承诺时限", "工作日", "受理至承诺办结时间的工作日数的平均值。"),
    Figure(
        "mean_statutory_days",
        "平均法定时限",
        "工作日",
        "有法定时限的办结件，受理至法定办结时间的工作日数的平均值。",
    ),
    Figure(
        "speedup_rate",
        "提速率",
        "%",
        "（法定时限合计 − 实际用时合计）÷ 法定时限合计，只计有法定时限的办结件。",
    ),
    Figure(
        "limit_compression",
        "承诺时限压缩率",
        "%",
        "（法定时限合计 − 承诺时限合计）÷ 法定时限合计，只计有法定时限的办结件。",
    ),
    Figure("one_trip_rate", "最多跑一次率", "%", "跑动0次或1次的办结件 ÷ 办结件数。"),
    Figure("zero_trip_rate", "零跑动率", "%", "跑动0次的办结件 ÷ 办结件数。"),
    Figure(
        "trips_per_case",
        "件均跑动次数",
        "次",
        "跑动次数合计 ÷ 办结件数；窗口申请、申请人到场的窗口办理和窗口领取结果各计一次（同日只计一次）。",
    ),
    Figure("online_rate", "网上办理率", "%", "网上申请和掌上办受理的件数 ÷ 受理件数。"),
    Figure("mobile_rate", "掌上办理率", "%", "掌上办（浙里办等移动端）受理的件数 ÷ 受理件数。"),
    Figure("accepted_bundle", "一件事受理", "件", "以“一件事”申请并受理的办件数。"),
    Figure("accepted_deficient", "容缺受理", "件", "容缺受理的办件数。"),
    Figure(
        "materials_avoided_per_case",
        "件均免提交材料",
        "份",
        "（一件事合并减少的材料 + 由电子证照、共享数据获取而免提交的材料）÷ 受理件数。",
    ),
    Figure(
        "fields_avoided_per_case",
        "件均免填字段",
        "个",
        "（一件事合并减少的表单字段 + 平台预填的字段）÷ 受理件数。",
    ),
    Figure("steps_avoided_per_case", "件均减少环节", "个", "一件事合并减少的办理环节 ÷ 受理件数。"),
    Figure(
        "rated",
        "评价数",
        "次",
        "统计期内的好差评数（办件评价和现场评价）；跟评替换原评价、申诉成立的评价剔除，记在发生当期。",
    ),
    Figure("satisfaction_rate", "满意率", "%", "（非常满意 + 满意 + 基本满意）÷ 评价数。"),
    Figure("bad_rate", "差评率", "%", "（不满意 + 非常不满意）÷ 评价数。"),
    Figure("warned", "预警", "次", "办理环节到达预警点的次数，计入环节所在部门。"),
    Figure(
        "overdue",
        "超期",
        "次",
        f"办理环节超期的次数，计入环节所在部门；统计期内{ACCOUNTABILITY_THRESHOLD}次及以上的部门标记问责。",
    ),
)
FIGURE_BY_KEY = {f.key: f for f in FIGURES}
RATING_LEVELS = (
    (5, "非常满意"),
    (4, "满意"),
    (3, "基本满意"),
    (2, "不满意"),
    (1, "非常不满意"),
)


# ------------------------------------------------------------------------------------------------ access


@dataclass(frozen=True)
class StatsAccess:
    """What a user may see: every department (None) or these; the regions of their scope (filter choices)."""

    department_ids: frozenset[int] | None
    region_prefixes: frozenset[str]
    led_department_ids: frozenset[int] = frozenset()  # the leader's own departments (outside the regions)

    def allows(self, department_id: int) -> bool:
        return self.department_ids is None or department_id in self.department_ids


def stats_access(user: Any) -> StatsAccess:
    """Supervisors see their region — the region of their assignment, else the region of their office
    (跑改办), else everything — and leaders their departments; 403 for everyone else."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise Forbidden(ErrorDetail("forbidden", "请先登录", "Sign in first"))
    if not has_role(user, Role.SUPERVISOR, Role.LEADER):
        raise Forbidden(
            ErrorDetail(
                "stats_forbidden", "仅效能监管人员和部门负责人可查看统计", "Only supervisors and leaders"
            )
        )
    assignments = RoleAssignment.objects.filter(user=user, role__in=(Role.SUPERVISOR, Role.LEADER))
    prefixes: set[str] = set()
    departments: set[int] = set()
    for a in assignments.select_related("region", "department__region"):
        if a.role == Role.SUPERVISOR:
            region = a.region or (a.department.region if a.department is not None else None)
            if region is None:
                return StatsAccess(None, frozenset())
            prefixes.add(region.prefix)
        elif a.department_id is not None:
            departments.add(a.department_id)
    led = frozenset(departments)
    if prefixes:
        departments |= set(Department.objects.filter(_prefixes_q(prefixes)).values_list("pk", flat=True))
    return StatsAccess(frozenset(departments), frozenset(prefixes), led)


def _prefixes_q(prefixes: Iterable[str], field: str = "region__code") -> Q:
    condition = Q()
    for prefix in sorted(prefixes):
        condition |= Q(**{f"{field}__startswith": prefix})
    return condition


# ------------------------------------------------------------------------------------------------ filter


@dataclass(frozen=True)
class StatsFilter:
    date_from: dt.date
    date_to: dt.date
    region: Region | None = None
    department: Department | None = None
    item: Any = None  # catalog Item
    bundle: Any = None  # bundles Bundle

    @property
    def by_months(self) -> bool:
        return self.item is not None or self.bundle is not None

    def query(self, **more: Any) -> dict[str, str]:
        """The filter as query parameters (for links to the drill-down, export and API)."""
        out = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()}
        if self.region is not None:
            out["region"] = self.region.code
        if self.department is not None:
            out["department"] = str(self.department.pk)
        if self.item is not None:
            out["item"] = str(self.item.pk)
        if self.bundle is not None:
            out["bundle"] = str(self.bundle.pk)
        out.update({k: str(v) for k, v in more.items() if v not in (None, "")})
        return out


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=_calendar.monthrange(day.year, day.month)[1])


def _add_months(day: dt.date, n: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last 12 months: from the first day of the month 11 months back up to today."""
    return _add_months(today, -11), today


def _date(value: str | dt.date | None, name: str, errors: list[ErrorDetail]) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors.append(ErrorDetail("invalid_date", "日期格式应为 YYYY-MM-DD", "Use YYYY-MM-DD", name))
        return None


def _id(value: Any, name: str, errors: list[ErrorDetail]) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number <= 0:
        errors.append(ErrorDetail("invalid", "编号无效", "Invalid id", name))
        return None
    return number


def stats_filter(
    *,
    access: StatsAccess,
    today: dt.date,
    date_from: str | dt.date | None = None,
    date_to: str | dt.date | None = None,
    region: str | None = None,
    department: str | int | None = None,
    item: str | int | None = None,
    bundle: str | int | None = None,
) -> StatsFilter:
    """Parse and check the dashboard filters (400 with the field for bad input, 403 outside the scope)."""
    from onetrip.bundles.models import Bundle
    from onetrip.catalog.models import Item

    errors: list[ErrorDetail] = []
    start, end = _date(date_from, "from", errors), _date(date_to, "to", errors)
    default_from, default_to = default_period(today)
    start, end = start or (default_from if end is None else _add_months(end, -11)), end or default_to
    if start > end:
        errors.append(ErrorDetail("invalid_range", "开始日期不能晚于结束日期", "from is after to", "from"))
    elif (end - start).days > MAX_SPAN_DAYS:
        errors.append(ErrorDetail("range_too_long", "统计期最长三年", "The period is at most 3 years", "to"))
    department_id, item_id, bundle_id = (
        _id(department, "department", errors),
        _id(item, "item", errors),
        _id(bundle, "bundle", errors),
    )
    if item_id and bundle_id:
        errors.append(
            ErrorDetail("one_target", "事项和一件事只能选一个", "Choose an item or a bundle", "item")
        )
    if errors:
        raise DomainError(*errors)
    the_region = the_department = the_item = the_bundle = None
    if region:
        the_region = Region.objects.filter(code=str(region)).first()
        if the_region is None:
            raise not_found("区划", "Region", "region")
    if department_id:
        the_department = Department.objects.filter(pk=department_id).first()
        if the_department is None:
            raise not_found("部门", "Department", "department")
        if not access.allows(department_id):
            raise Forbidden(
                ErrorDetail(
                    "department_forbidden", "无权查看该部门的统计", "Not your department", "department"
                )
            )
    if item_id:
        the_item = Item.objects.filter(pk=item_id).first()
        if the_item is None:
            raise not_found("事项", "Item", "item")
    if bundle_id:
        the_bundle = Bundle.objects.filter(pk=bundle_id).first()
        if the_bundle is None:
            raise not_found("一件事", "Bundle", "bundle")
    return StatsFilter(start, end, the_region, the_department, the_item, the_bundle)


# --------------------------------------------------------------------------------------------- figures


def _mean(total: int, n: int) -> Decimal | None:
    if not n:
        return None
    return (Decimal(total) / Decimal(n)).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Percentile:
    """A percentile of processing time: exact (value), at most `value` (a wide bucket), or above `value`."""

    value: int
    kind: str  # "exact" | "at_most" | "above"

    def __str__(self) -> str:
        return {"exact": f"{self.value}", "at_most": f"≤{self.value}", "above": f">{self.value}"}[self.kind]


def percentile(counts: Mapping[str, int], p: float) -> Percentile | None:
    """Nearest-rank percentile from the histogram columns of a counters row."""
    n = sum(max(counts.get(h, 0), 0) for h in HISTOGRAM)
    if n == 0:
        return None
    rank = max(1, math.ceil(p * n))
    seen = 0
    for h in HISTOGRAM:
        seen += max(counts.get(h, 0), 0)
        if seen >= rank:
            lo, hi = HISTOGRAM_RANGES[h]
            if hi is None:
                return Percentile(lo - 1, "above")
            return Percentile(hi, "exact" if lo == hi else "at_most")
    return None  # pragma: no cover - the loop always reaches n


def figures(c: Mapping[str, int]) -> dict[str, Any]:
    """Every figure of the dashboard from one summed counters row."""
    g = defaultdict(int, c)
    rated = sum(g[f"rated_{level}"] for level, _ in RATING_LEVELS)
    good = g["rated_5"] + g["rated_4"] + g["rated_3"]
    bad = g["rated_2"] + g["rated_1"]
    stat = g["statutory_days_sum"]
    return {
        "accepted": g["accepted"],
        "completed": g["completed"],
        "rejected": g["rejected"],
        "ended": g["ended"],
        "refused": g["refused"],
        "on_time": g["on_time"],
        "with_promise": g["with_promise"],
        "on_time_rate": percentage(g["on_time"], g["with_promise"]),
        "late": g["with_promise"] - g["on_time"],
        "mean_days": _mean(g["days_sum"], g["days_n"]),
        "p50_days": percentile(g, 0.5),
        "p90_days": percentile(g, 0.9),
        "mean_promised_days": _mean(g["promised_days_sum"], g["with_promise"]),
        "mean_statutory_days": _mean(stat, g["statutory_n"]),
        "speedup_rate": percentage(stat - g["statutory_actual_sum"], stat),
        "limit_compression": percentage(stat - g["statutory_promised_sum"], stat),
        "one_trip_rate": percentage(g["trips_zero"] + g["trips_one"], g["completed"]),
        "zero_trip_rate": percentage(g["trips_zero"], g["completed"]),
        "trips_per_case": _mean(g["trips_sum"], g["completed"]),
        "trips_zero": g["trips_zero"],
        "trips_one": g["trips_one"],
        "trips_more": g["completed"] - g["trips_zero"] - g["trips_one"],
        "online_rate": percentage(g["ch_online"] + g["ch_mobile"], g["accepted"]),
        "mobile_rate": percentage(g["ch_mobile"], g["accepted"]),
        "channels": {
            "online": g["ch_online"],
            "mobile": g["ch_mobile"],
            "window": g["ch_window"],
            "proxy": g["ch_proxy"],
            "api": g["ch_api"],
        },
        "accepted_bundle": g["accepted_bundle"],
        "accepted_deficient": g["accepted_deficient"],
        "accepted_deemed": g["accepted_deemed"],
        "materials_avoided": g["materials_avoided"],
        "fields_avoided": g["fields_avoided"],
        "steps_avoided": g["steps_avoided"],
        "materials_avoided_per_case": _mean(g["materials_avoided"], g["accepted"]),
        "fields_avoided_per_case": _mean(g["fields_avoided"], g["accepted"]),
        "steps_avoided_per_case": _mean(g["steps_avoided"], g["accepted"]),
        "rated": rated,
        "rating_levels": {level: g[f"rated_{level}"] for level, _ in RATING_LEVELS},
        "rated_onsite": g["rated_onsite"],
        "bad": bad,
        "satisfaction_rate": percentage(good, rated) if rated > 0 else None,
        "bad_rate": percentage(bad, rated) if rated > 0 else None,
        "warned": g["warned"],
        "overdue": g["overdue"],
        "histogram": {h: g[h] for h in HISTOGRAM},
    }


# -------------------------------------------------------------------------------------------- querying


@dataclass(frozen=True)
class Plan:
    """Where a period's figures come from: whole months (a month table) and partial-month days (StatDay)."""

    months: tuple[dt.date, dt.date] | None  # first days of the first and last whole month
    days: tuple[tuple[dt.date, dt.date], ...]  # at most two ranges of days

    @property
    def bounds(self) -> tuple[dt.date, dt.date]:
        starts = [d[0] for d in self.days] + ([self.months[0]] if self.months else [])
        ends = [d[1] for d in self.days] + ([_month_end(self.months[1])] if self.months else [])
        return min(starts), max(ends)


def plan(date_from: dt.date, date_to: dt.date, *, today: dt.date, whole_months: bool = False) -> Plan:
    """Split [date_from, date_to] into whole months and edge days. A month counts as whole when the period
    covers it up to its end or up to today (nothing happens after today). `whole_months` widens the period
    to the months it touches instead."""
    first, last = _month_start(date_from), _month_start(date_to)
    if whole_months:
        return Plan((first, last), ())
    whole: list[dt.date] = []
    days: list[tuple[dt.date, dt.date]] = []
    month = first
    while month <= last:
        lo, hi = max(date_from, month), min(date_to, _month_end(month))
        if lo == month and (hi == _month_end(month) or hi >= today):
            whole.append(month)
        else:
            days.append((lo, hi))
        month = _add_months(month, 1)
    return Plan((whole[0], whole[-1]) if whole else None, tuple(days))


def _where(access: StatsAccess, f: StatsFilter, *, items: bool) -> Q:
    q = Q()
    if access.department_ids is not None:
        q &= Q(department_id__in=sorted(access.department_ids))
    if f.department is not None:
        q &= Q(department_id=f.department.pk)
    if f.region is not None:
        q &= Q(region_id__in=Region.objects.filter(code__startswith=f.region.prefix).values("pk"))
    if items:
        if f.item is not None:
            q &= Q(item_id=f.item.pk)
        if f.bundle is not None:
            q &= Q(bundle_id=f.bundle.pk)
    return q


Key = tuple[Any, ...]


# The counters a breakdown row (department, region, item, trend point) needs; the totals read all of them.
ROW_COUNTERS = (
    "accepted",
    "completed",
    "with_promise",
    "on_time",
    "days_n",
    "days_sum",
    "statutory_days_sum",
    "statutory_actual_sum",
    "trips_zero",
    "trips_one",
    "ch_online",
    "ch_mobile",
    "rated_5",
    "rated_4",
    "rated_3",
    "rated_2",
    "rated_1",
    "warned",
    "overdue",
)


def _grouped(
    model: type[Model],
    where: Q,
    group: Sequence[str],
    columns: Sequence[str] = COUNTERS,
    *,
    top: int | None = None,
) -> dict[Key, dict[str, int]]:
    """SUM of `columns` grouped by `group` (one row when empty); `top` keeps the groups with the most
    acceptances (ordered and limited in SQL)."""
    qs = model.objects.filter(where).order_by()  # type: ignore[attr-defined]
    sums = {c: Sum(c) for c in columns}
    if not group:
        row = qs.aggregate(**sums)
        return {(): {c: row[c] or 0 for c in columns}}
    rows = qs.values(*group).annotate(**sums)
    if top is not None:
        rows = rows.order_by("-accepted", "-completed", *group)[:top]
    return {tuple(row[g] for g in group): {c: row[c] or 0 for c in columns} for row in rows}


def _merge(into: dict[Key, dict[str, int]], more: Mapping[Key, Mapping[str, int]]) -> None:
    for key, counts in more.items():
        target = into.setdefault(key, {})
        for c, n in counts.items():
            target[c] = target.get(c, 0) + n


def _query(
    access: StatsAccess,
    f: StatsFilter,
    p: Plan,
    group: Sequence[str],
    columns: Sequence[str] = ROW_COUNTERS,
    *,
    day_group: Sequence[str] | None = None,
    fold: Any = None,
) -> dict[Key, dict[str, int]]:
    """Counters grouped by `group` over the plan: the months from StatDepartmentMonth (StatItemMonth with an
    item or bundle filter), the edge days from StatDay (grouped by `day_group`, then mapped onto `group` keys
    by `fold`)."""
    out: dict[Key, dict[str, int]] = {}
    if p.months is not None:
        model = StatItemMonth if f.by_months else StatDepartmentMonth
        where = _where(access, f, items=f.by_months) & Q(month__gte=p.months[0], month__lte=p.months[1])
        _merge(out, _grouped(model, where, group, columns))
    if p.days:
        span = Q()
        for lo, hi in p.days:
            span |= Q(day__gte=lo, day__lte=hi)
        rows = _grouped(StatDay, _where(access, f, items=False) & span, day_group or group, columns)
        if fold is not None:
            rows = _fold_keys(rows, fold)
        _merge(out, rows)
    return {k: v for k, v in out.items() if any(v.values())}


def _fold_keys(rows: Mapping[Key, Mapping[str, int]], fold: Any) -> dict[Key, dict[str, int]]:
    out: dict[Key, dict[str, int]] = {}
    for key, counts in rows.items():
        _merge(out, {fold(key): counts})
    return out


# ------------------------------------------------------------------------------------------- dashboard


@dataclass
class Dashboard:
    filter: StatsFilter
    totals: dict[str, int]
    figures: dict[str, Any]
    trend_unit: str  # "day" | "month"
    trend: list[dict[str, Any]]
    departments: list[dict[str, Any]]
    regions: list[dict[str, Any]]
    items: list[dict[str, Any]]
    months_from: dt.date | None  # set when part of the page is widened to whole months
    months_to: dt.date | None
    accountability: list[dict[str, Any]] = field(default_factory=list)


def _row(name: str, counts: Mapping[str, int], **more: Any) -> dict[str, Any]:
    fig = figures(counts)
    return {
        "name": name,
        "accepted": fig["accepted"],
        "completed": fig["completed"],
        "on_time_rate": fig["on_time_rate"],
        "late": fig["late"],
        "mean_days": fig["mean_days"],
        "speedup_rate": fig["speedup_rate"],
        "one_trip_rate": fig["one_trip_rate"],
        "online_rate": fig["online_rate"],
        "rated": fig["rated"],
        "satisfaction_rate": fig["satisfaction_rate"],
        "bad": fig["bad"],
        "bad_rate": fig["bad_rate"],
        "warned": fig["warned"],
        "overdue": fig["overdue"],
        **more,
    }


def _desc(value: Decimal | None) -> tuple[int, Decimal]:
    return (0, -value) if value is not None else (1, Decimal(0))


def _ranking(rows: Mapping[Key, Mapping[str, int]]) -> list[dict[str, Any]]:
    """Departments ranked by 按时办结率, then 满意率, then 办结量; ≥ 3 overdue marks 问责."""
    names = {
        pk: short or name
        for pk, short, name in Department.objects.filter(pk__in=[k[0] for k in rows]).values_list(
            "pk", "short_name", "name"
        )
    }
    out = [
        _row(
            names.get(key[0], f"部门{key[0]}"),
            counts,
            department_id=key[0],
            accountable=counts.get("overdue", 0) >= ACCOUNTABILITY_THRESHOLD,
        )
        for key, counts in rows.items()
    ]
    out.sort(
        key=lambda r: (_desc(r["on_time_rate"]), _desc(r["satisfaction_rate"]), -r["completed"], r["name"])
    )
    for rank, r in enumerate(out, 1):
        r["rank"] = rank
    return out


def _regions(rows: Mapping[Key, Mapping[str, int]]) -> list[dict[str, Any]]:
    regions = {r.pk: r for r in Region.objects.filter(pk__in=[k[0] for k in rows]).only("code", "name")}
    out = [
        _row(
            regions[key[0]].name if key[0] in regions else f"区划{key[0]}",
            counts,
            region_code=regions[key[0]].code if key[0] in regions else "",
        )
        for key, counts in rows.items()
    ]
    out.sort(key=lambda r: (-r["accepted"], r["region_code"]))
    return out


def _items(rows: Mapping[Key, Mapping[str, int]]) -> list[dict[str, Any]]:
    from onetrip.bundles.models import Bundle
    from onetrip.catalog.models import Item

    top = sorted(rows.items(), key=lambda kv: (-kv[1].get("accepted", 0), -kv[1].get("completed", 0), kv[0]))
    items = dict(Item.objects.filter(pk__in=[k[0] for k, _ in top if k[0]]).values_list("pk", "name"))
    bundles = dict(Bundle.objects.filter(pk__in=[k[1] for k, _ in top if k[1]]).values_list("pk", "name"))
    out = []
    for (item_id, bundle_id), counts in top:
        if bundle_id:
            out.append(
                _row(bundles.get(bundle_id, f"一件事{bundle_id}"), counts, bundle_id=bundle_id, item_id=0)
            )
        else:
            out.append(_row(items.get(item_id, f"事项{item_id}"), counts, item_id=item_id, bundle_id=0))
    return out


def _trend(access: StatsAccess, f: StatsFilter, p: Plan) -> tuple[str, list[dict[str, Any]]]:
    daily = not f.by_months and (f.date_to - f.date_from).days < DAILY_TREND_MAX_DAYS
    if daily:
        where = _where(access, f, items=False) & Q(day__gte=f.date_from, day__lte=f.date_to)
        rows = _grouped(StatDay, where, ["day"], ROW_COUNTERS)
        keys = [f.date_from + dt.timedelta(days=n) for n in range((f.date_to - f.date_from).days + 1)]
        unit = "day"
    else:
        rows = _query(access, f, p, ["month"], day_group=["day"], fold=lambda k: (_month_start(k[0]),))
        lo, hi = p.bounds
        keys, month = [], _month_start(lo)
        while month <= hi:
            keys.append(month)
            month = _add_months(month, 1)
        unit = "month"
    out = []
    for key in keys:
        fig = figures(rows.get((key,), {}))
        out.append(
            {
                "label": key.isoformat() if unit == "day" else key.strftime("%Y-%m"),
                "accepted": fig["accepted"],
                "completed": fig["completed"],
                "on_time_rate": fig["on_time_rate"],
                "satisfaction_rate": fig["satisfaction_rate"],
                "overdue": fig["overdue"],
            }
        )
    return unit, out


def _top_items(access: StatsAccess, f: StatsFilter, p: Plan) -> dict[Key, dict[str, int]]:
    """The items and one-things with the most acceptances over the plan's whole months."""
    if p.months is None:
        return {}
    where = _where(access, f, items=True) & Q(month__gte=p.months[0], month__lte=p.months[1])
    # Rank on two sums over every item row, then read the breakdown columns of the top ones only.
    ranked = _grouped(
        StatItemMonth, where, ["item_id", "bundle_id"], ("accepted", "completed"), top=TOP_ITEMS
    )
    keys = [k for k, v in ranked.items() if any(v.values())]
    if not keys:
        return {}
    chosen = Q()
    for item_id, bundle_id in keys:
        chosen |= Q(item_id=item_id, bundle_id=bundle_id)
    return _grouped(StatItemMonth, where & chosen, ["item_id", "bundle_id"], ROW_COUNTERS)


def dashboard(*, access: StatsAccess, f: StatsFilter, today: dt.date) -> Dashboard:
    """All figures, the trend, the department ranking (with 问责 marks), regions and top items: five
    aggregate queries over the rollups (plus one more per breakdown for edge days), none over cases."""
    p = plan(f.date_from, f.date_to, today=today, whole_months=f.by_months)
    totals = dict.fromkeys(COUNTERS, 0)
    for counts in _query(access, f, p, [], COUNTERS).values():
        for c in COUNTERS:
            totals[c] += counts.get(c, 0)
    by_department = _query(access, f, p, ["department_id"])
    by_region = _query(access, f, p, ["region_id"])
    item_plan = p if f.by_months else plan(f.date_from, f.date_to, today=today, whole_months=True)
    unit, trend = _trend(access, f, p)
    departments = _ranking(by_department)
    widened = f.by_months or bool(p.days)
    lo, hi = item_plan.bounds if item_plan.months else (None, None)
    return Dashboard(
        filter=f,
        totals=totals,
        figures=figures(totals),
        trend_unit=unit,
        trend=trend,
        departments=departments,
        regions=_regions(by_region),
        items=_items(_top_items(access, f, item_plan)),
        months_from=lo if widened else None,
        months_to=min(hi, today) if widened and hi else None,
        accountability=[d for d in departments if d["accountable"]],
    )


def region_choices(access: StatsAccess) -> list[Region]:
    """The regions of the user's scope and those one level below (filter choices)."""
    if access.department_ids is None and not access.region_prefixes:
        return list(Region.objects.filter(level__lte=RegionLevel.COUNTY).order_by("level", "code")[:200])
    if not access.region_prefixes:
        return []
    regions = Region.objects.filter(_prefixes_q(access.region_prefixes, "code"))
    top = regions.aggregate(top=Min("level"))["top"]
    if top is None:
        return []
    return list(regions.filter(level__lte=top + 1).order_by("level", "code")[:200])


def bundle_choices() -> list[Any]:
    """The published one-things (filter choices; few, so a plain list)."""
    from onetrip.bundles.models import Bundle

    return list(Bundle.objects.filter(is_published=True).order_by("name").only("pk", "name")[:200])


def department_choices(access: StatsAccess) -> list[Department]:
    qs = Department.objects.filter(is_active=True)
    if access.department_ids is not None:
        qs = qs.filter(pk__in=sorted(access.department_ids))
    return list(qs.order_by("code").only("pk", "name", "short_name")[:500])


# ------------------------------------------------------------------------------------------ drill-down

CASE_FIGURES = {
    "accepted": "受理",
    "completed": "办结",
    "on_time": "按时办结",
    "late": "超期办结",
    "rejected": "不予许可",
    "refused": "不予受理",
}


@dataclass
class CaseRow:
    pk: int
    number: str
    title: str
    applicant: str
    department: str
    channel: str
    status: str
    submitted_at: dt.datetime
    accepted_at: dt.datetime | None
    promised_due_at: dt.datetime | None
    completed_at: dt.datetime | None
    trips: int
    on_time: bool | None


@dataclass
class CasePage:
    rows: list[CaseRow]
    next_after: str | None


def _instant(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), SHANGHAI)


def mask_name(name: str, kind: str) -> str:
    """A person's name keeps its first character (张三 → 张*); an organisation's name is not personal."""
    if kind != ApplicantKind.CITIZEN:
        return mask_text(name)
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def parse_after(value: str | None) -> tuple[dt.datetime, int] | None:
    if not value:
        return None
    at, _, last = value.rpartition("~")
    try:
        when = dt.datetime.fromisoformat(at)
        pk = int(last)
    except ValueError:
        raise DomainError(
            ErrorDetail("invalid_cursor", "分页参数无效", "Invalid page cursor", "after")
        ) from None
    if when.tzinfo is None:
        raise DomainError(ErrorDetail("invalid_cursor", "分页参数无效", "Invalid page cursor", "after"))
    return when, pk


def case_page(
    *,
    access: StatsAccess,
    f: StatsFilter,
    figure: str = "accepted",
    after: tuple[dt.datetime, int] | None = None,
    limit: int = PAGE,
) -> CasePage:
    """The cases behind a figure, newest submission first, one keyset page at a time. The order
    (submitted_at, id) follows the Case indexes (lead department or region, status, -submitted_at, -id)."""
    from onetrip.intake.models import Case, CaseStatus

    if figure not in CASE_FIGURES:
        raise DomainError(ErrorDetail("invalid_figure", "不支持的统计项", "Unknown figure", "figure"))
    limit = max(1, min(int(limit), MAX_PAGE))
    start, end = _instant(f.date_from), _instant(f.date_to + dt.timedelta(days=1))
    qs = Case.objects.all()
    if access.department_ids is not None:
        # A case's region is its lead department's region: a supervisor's scope is read through the
        # (region, status, -submitted_at, -id) index, a leader's through (lead_department, status, …).
        scope = Q(lead_department_id__in=sorted(access.led_department_ids))
        if access.region_prefixes:
            regions = Region.objects.filter(_prefixes_q(access.region_prefixes, "code"))
            scope |= Q(region_id__in=sorted(regions.values_list("pk", flat=True)))
        qs = qs.filter(scope)
    if f.department is not None:
        qs = qs.filter(lead_department_id=f.department.pk)
    if f.region is not None:
        qs = qs.filter(region__code__startswith=f.region.prefix)
    if f.item is not None:
        qs = qs.filter(item_version__item_id=f.item.pk)
    if f.bundle is not None:
        qs = qs.filter(bundle_version__bundle_id=f.bundle.pk)
    if figure == "accepted":
        qs = qs.filter(accepted_at__gte=start, accepted_at__lt=end)
    elif figure == "refused":
        qs = qs.filter(status=CaseStatus.REFUSED, refusal__issued_at__gte=start, refusal__issued_at__lt=end)
    else:
        qs = qs.filter(status=CaseStatus.COMPLETED, completed_at__gte=start, completed_at__lt=end)
        if figure == "on_time":
            qs = qs.filter(promised_due_at__isnull=False, completed_at__lte=F("promised_due_at"))
        elif figure == "late":
            qs = qs.filter(promised_due_at__isnull=False, completed_at__gt=F("promised_due_at"))
        elif figure == "rejected":
            qs = qs.filter(flow__status="rejected")
    if after is not None:
        qs = qs.filter(Q(submitted_at__lt=after[0]) | Q(submitted_at=after[0], pk__lt=after[1]))
    rows = list(
        qs.order_by("-submitted_at", "-pk").values_list(
            "pk",
            "number",
            "title",
            "applicant_name",
            "applicant__applicant_kind",
            "lead_department__name",
            "channel",
            "status",
            "submitted_at",
            "accepted_at",
            "promised_due_at",
            "completed_at",
            "trips",
        )[:limit]
    )
    channels = dict(Case._meta.get_field("channel").choices)
    statuses = dict(CaseStatus.choices)
    out = [
        CaseRow(
            pk=r[0],
            number=r[1] or "",
            title=r[2],
            applicant=mask_name(r[3], r[4]),
            department=r[5],
            channel=str(channels.get(r[6], r[6])),
            status=str(statuses.get(r[7], r[7])),
            submitted_at=r[8],
            accepted_at=r[9],
            promised_due_at=r[10],
            completed_at=r[11],
            trips=r[12],
            on_time=None if r[11] is None or r[10] is None else r[11] <= r[10],
        )
        for r in rows
    ]
    next_after = f"{out[-1].submitted_at.isoformat()}~{out[-1].pk}" if len(out) == limit else None
    return CasePage(out, next_after)
