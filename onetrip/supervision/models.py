"""Supervision (效能监管): alert rules, and the record of every task that went overdue.

* `AlertRule`: when a task turns yellow (预警) and red (超期), counted in working days from the task's creation,
  and when daily reminders (催办) start, at which local times, and whether the department's leaders get them
  too. One global default (item NULL, seeded with Dongyang's 5/7 by the data migration) and at most one
  rule per item, which overrides it. The accountability threshold (3 overdue in a period → 问责) is a
  property of the whole deployment and lives on the global rule only.
* `TaskWatch`: the watch state of one open task — its colour, its warning and overdue points, the next
  instant the sweep must look at it, its rule and how often it was reminded. A narrow table of its own (three
  indexes) rather than columns of `flow.TaskRecord` (a dozen indexes, so every sweep write there would be an
  expensive non-HOT update); a row exists while the task is open and is deleted when the sweep sees it closed.
  `flow.TaskRecord.watched` marks the tasks the sweep has seen, so new ones are found by a partial index.
* `OverdueRecord`: one row per task that went red (unique per task), with the department and person it
  belonged to at that moment, so counts per department and person over a period are an indexed range
  query.

See onetrip/supervision/services.py for how the sweep uses them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce

from onetrip.catalog.models import Item
from onetrip.flow.models import TaskRecord
from onetrip.intake.models import Case
from onetrip.orgs.models import Department

DEFAULT_REMINDER_TIMES = "09:00,12:00,17:00"  # 早、中、晚


class AlertLevel(models.TextChoices):
    GREEN = "green", "正常"
    YELLOW = "yellow", "预警"
    RED = "red", "超期"


class AlertRule(models.Model):
    item = models.ForeignKey(
        Item,
        verbose_name="事项",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="为空时为全局默认规则",
    )
    warn_after_days = models.PositiveSmallIntegerField(
        "预警（工作日）", default=5, help_text="任务生成后超过该工作日数未办结即预警（黄色）"
    )
    overdue_after_days = models.PositiveSmallIntegerField(
        "超期（工作日）", default=7, help_text="超过该工作日数未办结即超期（红色），计入问责统计"
    )
    remind_from_days = models.PositiveSmallIntegerField(
        "逐日催办起点（工作日）",
        null=True,
        blank=True,
        help_text="超过该工作日数未办结后，每个工作日按催办时刻提醒；为空则不逐日催办",
    )
    reminder_times = models.CharField(
        "每日催办时刻",
        max_length=64,
        default=DEFAULT_REMINDER_TIMES,
        blank=True,
        help_text="本地时间，逗号分隔，如 09:00,12:00,17:00（早中晚三次）",
    )
    remind_leader = models.BooleanField("同时提醒部门负责人", default=True)
    accountability_threshold = models.PositiveSmallIntegerField(
        "问责阈值",
        null=True,
        blank=True,
        help_text="统计期内部门超期达到该次数即标记问责；仅全局规则设置",
    )
    note = models.CharField("说明", max_length=255, blank=True)
    updated_at = models.DateTimeField("更新时间")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "预警规则"
        constraints = [
            # One global rule (item NULL) and one rule per item: COALESCE makes NULL compare equal everywhere.
            models.UniqueConstraint(Coalesce("item", Value(0)), name="supervision_rule_one_per_item"),
            models.CheckConstraint(
                condition=Q(warn_after_days__gte=1) & Q(overdue_after_days__gt=models.F("warn_after_days")),
                name="supervision_rule_warn_before_overdue",
            ),
            models.CheckConstraint(
                condition=Q(remind_from_days__isnull=True)
                | Q(remind_from_days__gte=models.F("warn_after_days")),
                name="supervision_rule_remind_after_warn",
            ),
            models.CheckConstraint(
                condition=Q(item__isnull=True) | Q(accountability_threshold__isnull=True),
                name="supervision_rule_threshold_global_only",
            ),
        ]

    def __str__(self) -> str:
        scope = self.item.name if self.item_id and self.item else "全局默认"
        return f"{scope}：{self.warn_after_days}日预警，{self.overdue_after_days}日超期"

    @property
    def is_global(self) -> bool:
        return self.item_id is None

    @property
    def reminders_per_day(self) -> int:
        return len([t for t in self.reminder_times.split(",") if t.strip()]) if self.remind_from_days else 0


class TaskWatch(models.Model):
    task = models.OneToOneField(
        TaskRecord, primary_key=True, on_delete=models.CASCADE, related_name="watch", verbose_name="任务"
    )
    alert = models.CharField("监管状态", max_length=8, choices=AlertLevel.choices)
    warn_at = models.DateTimeField("预警时点")
    overdue_at = models.DateTimeField("超期时点")
    watch_at = models.DateTimeField("下次检查", help_text="监管扫描下次须查看本任务的时刻")
    rule = models.ForeignKey(
        AlertRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    reminders = models.PositiveIntegerField("催办次数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "任务监管状态"
        indexes = [
            models.Index(fields=["watch_at", "task"], name="supervision_watch_due"),
            models.Index(
                fields=["overdue_at", "task"],
                condition=Q(alert__in=["yellow", "red"]),
                name="supervision_watch_alerting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} · {self.get_alert_display()}"


class OverdueRecord(models.Model):
    # No database foreign keys: a sweep records tens of thousands at once and PostgreSQL would check five
    # keys per row at commit (~12 µs each). Every id comes from the task row read in the same transaction;
    # Django still applies on_delete (tasks, cases, departments and people are not deleted in practice).
    task = models.OneToOneField(
        TaskRecord, on_delete=models.CASCADE, related_name="+", verbose_name="任务", db_constraint=False
    )
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="责任人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
        help_text="超期时的办理人；未签收的任务为空（计入部门）",
    )
    rule = models.ForeignKey(
        AlertRule,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    overdue_at = models.DateTimeField("超期时点")
    recorded_at = models.DateTimeField("记录时间")

    class Meta:
        verbose_name = verbose_name_plural = "超期记录"
        indexes = [
            models.Index(fields=["department", "overdue_at"], name="supervision_overdue_dept"),
            models.Index(
                fields=["person", "overdue_at"],
                condition=Q(person__isnull=False),
                name="supervision_overdue_person",
            ),
            models.Index(fields=["overdue_at", "id"], name="supervision_overdue_period"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} · {self.overdue_at:%Y-%m-%d}"
