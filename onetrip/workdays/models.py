"""Calendar years and their special days (holidays and adjusted working days, 调休).

A year is either loaded completely (it has a CalendarYear row and all its special days) or not at all;
computations reaching into a year without a row are marked provisional.
"""

from django.db import models


class CalendarSource(models.TextChoices):
    PACKAGE = "package", "chinese-calendar 软件包"
    FILE = "file", "安排文件"


class SpecialDayKind(models.TextChoices):
    HOLIDAY = "holiday", "放假"
    ADJUSTED_WORKDAY = "adjusted_workday", "调休上班"


class CalendarYear(models.Model):
    year = models.PositiveSmallIntegerField("年份", unique=True)
    source = models.CharField("来源", max_length=16, choices=CalendarSource.choices)
    notice = models.CharField("通知文号", max_length=200, blank=True)
    loaded_at = models.DateTimeField("载入时间")

    class Meta:
        ordering = ["-year"]
        verbose_name = "日历年度"
        verbose_name_plural = "日历年度"

    def __str__(self) -> str:
        return f"{self.year}年"


class SpecialDay(models.Model):
    calendar_year = models.ForeignKey(
        CalendarYear, on_delete=models.CASCADE, related_name="special_days", verbose_name="年度"
    )
    date = models.DateField("日期", unique=True)
    kind = models.CharField("类型", max_length=20, choices=SpecialDayKind.choices)
    name = models.CharField("节日", max_length=100)

    class Meta:
        ordering = ["date"]
        verbose_name = "节假日与调休"
        verbose_name_plural = "节假日与调休"

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.name}（{self.get_kind_display()}）"
