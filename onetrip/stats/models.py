"""Statistics fed by incremental rollups.

`StatDelta` is an outbox of facts: a service that changes a case writes one row in the same transaction
(`stats_record`); the rollup job takes pending rows (SKIP LOCKED on PostgreSQL), folds them into the rollup
tables and deletes them. Dashboards read only the rollups, never the cases.

Three rollup tables carry the same counters (`COUNTERS`), each fact is added to all three:

- `StatDepartmentMonth`: month × region × department — the dashboard's figures, ranking, regions and monthly
  trend (a few thousand rows a year for a city, so the default view reads almost nothing);
- `StatItemMonth`: month × region × department × item × bundle — the item/bundle filters and the item table;
- `StatDay`: day × region × department — the partial months at the ends of a period and the daily trend.

A row's region is the case's acceptance region; its department is the case's lead department, except for
ratings (the rated department) and warnings/overdue (the task's department). `item_id`/`bundle_id` are the
catalogue Item / Bundle (not the version), 0 when the case has none; counters are added with
INSERT … ON CONFLICT DO UPDATE SET c = c + EXCLUDED.c (services.py). Ratings are signed: a follow-up rating
takes its previous level away in the period it happens (see services.py).
"""

from __future__ import annotations

from django.db import models


class StatKind(models.TextChoices):
    ACCEPTED = "accepted", "受理"
    REFUSED = "refused", "不予受理"
    COMPLETED = "completed", "办结"
    RATED = "rated", "评价"
    WARNED = "warned", "预警"
    OVERDUE = "overdue", "超期"


class StatDelta(models.Model):
    case_id = models.BigIntegerField("办件")
    kind = models.CharField("事实", max_length=16, choices=StatKind.choices)
    at = models.DateTimeField("发生时间")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "待汇总统计事实"

    def __str__(self) -> str:
        return f"{self.kind} #{self.case_id}"


# Processing time histogram (working days from acceptance to 办结): one column per exact day 0…20, then
# wider buckets named by their upper bound; `h_more` holds everything above the last bound.
EXACT_DAYS = 20
WIDE_BOUNDS = (25, 30, 40, 60, 90)
HISTOGRAM: tuple[str, ...] = (
    *(f"h{d:02d}" for d in range(EXACT_DAYS + 1)),
    *(f"h{b:02d}" for b in WIDE_BOUNDS),
    "h_more",
)
# Each histogram column with the (lowest, highest) working days it holds; None = no upper bound.
HISTOGRAM_RANGES: dict[str, tuple[int, int | None]] = {
    **{f"h{d:02d}": (d, d) for d in range(EXACT_DAYS + 1)},
    **{f"h{b:02d}": (lo + 1, b) for lo, b in zip((EXACT_DAYS, *WIDE_BOUNDS[:-1]), WIDE_BOUNDS, strict=True)},
    "h_more": (WIDE_BOUNDS[-1] + 1, None),
}

# Counter columns, in storage order, with their Chinese labels (xlsx and admin).
COUNTER_LABELS: dict[str, str] = {
    # acceptance
    "accepted": "受理件数",
    "accepted_deficient": "容缺受理件数",
    "accepted_deemed": "逾期视为受理件数",
    "accepted_bundle": "一件事受理件数",
    "ch_online": "网上申请件数",
    "ch_mobile": "掌上办件数",
    "ch_window": "窗口申请件数",
    "ch_proxy": "代办件数",
    "ch_api": "系统接口件数",
    "materials_avoided": "免提交材料份数",
    "fields_avoided": "免填写字段数",
    "steps_avoided": "减少环节数",
    "refused": "不予受理件数",
    # completion
    "completed": "办结件数",
    "rejected": "不予许可件数",
    "ended": "终止或撤回件数",
    "with_promise": "有承诺时限的办结件数",
    "on_time": "按时办结件数",
    "days_n": "计入用时的办结件数",
    "days_sum": "办理用时合计（工作日）",
    "promised_days_sum": "承诺时限合计（工作日）",
    "statutory_n": "有法定时限的办结件数",
    "statutory_days_sum": "法定时限合计（工作日）",
    "statutory_actual_sum": "有法定时限件的实际用时合计（工作日）",
    "statutory_promised_sum": "有法定时限件的承诺时限合计（工作日）",
    "trips_sum": "跑动次数合计",
    "trips_zero": "零跑动办结件数",
    "trips_one": "跑一次办结件数",
    **{
        h: f"用时{lo}个工作日" if lo == hi else f"用时{lo}—{hi}个工作日"
        for h, (lo, hi) in HISTOGRAM_RANGES.items()
        if hi is not None
    },
    "h_more": f"用时{WIDE_BOUNDS[-1]}个工作日以上",
    # ratings (signed: a follow-up or an upheld appeal takes the previous level away)
    "rated_5": "非常满意",
    "rated_4": "满意",
    "rated_3": "基本满意",
    "rated_2": "不满意",
    "rated_1": "非常不满意",
    "rated_onsite": "现场评价数",
    # supervision
    "warned": "预警次数",
    "overdue": "超期次数",
}
COUNTERS: tuple[str, ...] = tuple(COUNTER_LABELS)


class StatCounters(models.Model):
    """The counters of one rollup row (abstract: the two grains share them)."""

    region_id = models.BigIntegerField("受理区划")
    department_id = models.BigIntegerField("部门")

    class Meta:
        abstract = True


# 32-bit counters: a row is one month of one item in one department, far below 2^31 even for days_sum, and
# PostgreSQL sums int4 into int8 (not into numeric, as it does int8), which keeps the dashboard's scans fast.
for _name in COUNTERS:
    models.IntegerField(COUNTER_LABELS[_name], default=0).contribute_to_class(StatCounters, _name)


class StatDepartmentMonth(StatCounters):
    month = models.DateField("月份", help_text="当月第一天")

    class Meta:
        verbose_name = verbose_name_plural = "部门月度统计汇总"
        constraints = [
            models.UniqueConstraint(
                fields=["month", "region_id", "department_id"], name="stat_dept_month_key"
            )
        ]
        indexes = [models.Index(fields=["department_id", "month"], name="stat_dept_month_dept")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} r{self.region_id} d{self.department_id}"


class StatItemMonth(StatCounters):
    month = models.DateField("月份", help_text="当月第一天")
    item_id = models.BigIntegerField("事项", default=0, help_text="0 表示一件事或无")
    bundle_id = models.BigIntegerField("一件事", default=0, help_text="0 表示单事项")

    class Meta:
        verbose_name = verbose_name_plural = "事项月度统计汇总"
        constraints = [
            models.UniqueConstraint(
                fields=["month", "region_id", "department_id", "item_id", "bundle_id"],
                name="stat_item_month_key",
            )
        ]
        indexes = [
            models.Index(fields=["department_id", "month"], name="stat_item_month_dept"),
            models.Index(fields=["item_id", "month"], name="stat_item_month_item"),
            models.Index(fields=["bundle_id", "month"], name="stat_item_month_bundle"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} r{self.region_id} d{self.department_id}"


class StatDay(StatCounters):
    day = models.DateField("日期")

    class Meta:
        verbose_name = verbose_name_plural = "每日统计汇总"
        constraints = [
            models.UniqueConstraint(fields=["day", "region_id", "department_id"], name="stat_day_key")
        ]
        indexes = [models.Index(fields=["department_id", "day"], name="stat_day_dept")]

    def __str__(self) -> str:
        return f"{self.day} r{self.region_id} d{self.department_id}"
