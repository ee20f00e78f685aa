"""Seed the official arrangements 2004–2026 from the chinese-calendar package, so a fresh database is ready."""

import datetime as dt

from django.db import migrations


def seed(apps, schema_editor):
    from onetrip.workdays.package import PACKAGE_NOTICE, package_arrangements

    CalendarYear = apps.get_model("workdays", "CalendarYear")
    SpecialDay = apps.get_model("workdays", "SpecialDay")
    now = dt.datetime.now(dt.UTC)
    arrangements = [a for a in package_arrangements() if not CalendarYear.objects.filter(year=a.year).exists()]
    years = CalendarYear.objects.bulk_create(
        [CalendarYear(year=a.year, source="package", notice=PACKAGE_NOTICE, loaded_at=now) for a in arrangements]
    )
    ids = {y.year: y.pk for y in CalendarYear.objects.filter(year__in=[y.year for y in years])}
    days = []
    for a in arrangements:
        days += [
            SpecialDay(calendar_year_id=ids[a.year], date=d, kind="holiday", name=n) for d, n in a.holidays.items()
        ]
        days += [
            SpecialDay(calendar_year_id=ids[a.year], date=d, kind="adjusted_workday", name=n)
            for d, n in a.adjusted_workdays.items()
        ]
    SpecialDay.objects.bulk_create(days, batch_size=500)


def unseed(apps, schema_editor):
    apps.get_model("workdays", "CalendarYear").objects.filter(source="package").delete()


class Migration(migrations.Migration):
    dependencies = [("workdays", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
