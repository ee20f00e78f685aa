"""The `onetrip workdays` command, the public API and the admin upload page."""

import datetime as dt
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from onetrip.core.clock import FixedClock, set_clock
from onetrip.workdays.models import CalendarYear, SpecialDay
from onetrip.workdays.tests.conftest import EXAMPLE_2027

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("workdays", *args, stdout=out)
    return out.getvalue().strip()


def test_cli_add_prints_the_resulting_date():
    assert run("add", "2025-09-30", "5") == "2025-10-14"
    assert run("add", "2026-02-13", "2") == "2026-02-24"
    assert run("add", "2025-09-25", "10", "--unit", "natural") == "2025-10-09"
    assert run("add", "2025-09-29", "1", "--same-day") == "2025-09-29"


def test_cli_add_with_an_instant_applies_the_cutoff_and_office_hours():
    assert run("add", "2025-09-30T18:00+08:00", "1") == "2025-10-10T17:30+08:00（视为 2025-10-09 受理）"
    assert run("add", "2025-09-30T02:00Z", "7", "--unit", "hours") == (
        "2025-10-09T10:00+08:00（视为 2025-09-30 受理）"
    )


def test_cli_flags_2027_until_the_example_file_is_loaded():
    assert run("add", "2027-02-04", "1") == "2027-02-05（临时结果：2027年日历未载入）"
    assert run("between", "2026-12-31", "2027-01-08") == "6（临时结果：2027年日历未载入）"
    assert "未载入" in run("show", "2027")
    assert "已载入 2027年日历" in run("load", str(EXAMPLE_2027))
    assert run("add", "2027-02-04", "1") == "2027-02-14"
    assert run("between", "2026-12-31", "2027-01-08") == "5"
    shown = run("show", "2027")
    assert "春节：2027-02-05 至 2027-02-13（9天）" in shown and "2027-02-14（日）春节" in shown


def test_cli_between_and_show():
    assert run("between", "2025-09-30", "2025-10-14") == "5"
    assert run("between", "2025-10-14", "2025-09-30") == "-5"
    shown = run("show", "2025")
    assert shown.startswith("2025年：已载入")
    assert "2025-09-28（日）" in shown and "2025-10-11（六）" in shown


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "2025-09-30", "-1"), "时限数不能为负数"),
        (("add", "2025-09-30", "1", "--unit", "weeks"), "未知的时限单位"),
        (("add", "2025-09-30T10:00", "1"), "日期时间必须带时区"),
        (("add", "2025-02-30", "1"), "无法识别的日期"),
        (("load", "/nonexistent/arrangement.toml"), "无法读取文件"),
    ],
)
def test_cli_errors_exit_non_zero_with_the_chinese_message(args, message):
    with pytest.raises(CommandError) as exc:
        run(*args)
    assert message in str(exc.value)


def test_cli_load_refuses_a_weekday_as_adjusted_working_day_and_stores_nothing(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        EXAMPLE_2027.read_text(encoding="utf-8").replace("date = 2027-02-20", "date = 2027-02-22"),
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as exc:
        run("load", str(bad))
    assert "2027-02-22 是周一至周五" in str(exc.value)
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not SpecialDay.objects.filter(date__year=2027).exists()


def test_api_add_and_between(client):
    body = client.get("/api/v1/workdays/add", {"start": "2025-09-30", "n": 5}).json()
    assert body == {
        "date": "2025-10-14",
        "deadline": "2025-10-14T17:30:00+08:00",
        "accepted_on": None,
        "provisional": False,
        "missing_years": [],
    }
    body = client.get("/api/v1/workdays/add", {"start": "2026-12-31T20:00:00+08:00", "n": 1}).json()
    assert body["date"] == "2027-01-04" and body["accepted_on"] == "2027-01-01"  # weekends only: provisional
    assert body["provisional"] is True and body["missing_years"] == [2027]
    body = client.get("/api/v1/workdays/between", {"start": "2025-09-30", "end": "2025-10-14"}).json()
    assert body == {"working_days": 5, "provisional": False, "missing_years": []}


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"start": "2025-09-30", "n": -1}, "negative_count", "n"),
        ({"start": "2025-09-30", "n": 1, "unit": "fortnights"}, "unknown_unit", "unit"),
        ({"start": "2025-09-30T10:00", "n": 1}, "naive_datetime", "start"),
    ],
)
def test_api_bad_input_is_a_400_with_code_and_both_languages(client, params, code, field):
    response = client.get("/api/v1/workdays/add", params)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["code"], error["field"]) == (code, field)
    assert error["message_zh"] and error["message_en"]


@pytest.fixture
def fixed_today():
    previous = set_clock(FixedClock(dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC)))
    yield
    set_clock(previous)


def test_admin_warns_that_next_year_is_missing_and_uploads_a_file(admin_client, fixed_today):
    page = admin_client.get("/admin/workdays/calendaryear/").content.decode()
    assert "2027年节假日安排尚未载入" in page
    assert "上传年度节假日安排" in page

    bad = EXAMPLE_2027.read_bytes().replace(b"date = 2027-02-20", b"date = 2027-02-22")
    response = admin_client.post(
        "/admin/workdays/calendaryear/upload/", {"file": SimpleUploadedFile("2027.toml", bad)}
    )
    assert response.status_code == 200 and "是周一至周五" in response.content.decode()
    assert not CalendarYear.objects.filter(year=2027).exists()

    response = admin_client.post(
        "/admin/workdays/calendaryear/upload/",
        {"file": SimpleUploadedFile("2027.toml", EXAMPLE_2027.read_bytes())},
    )
    assert response.status_code == 302
    assert CalendarYear.objects.get(year=2027).special_days.count() == 35
    page = admin_client.get("/admin/workdays/calendaryear/").content.decode()
    assert "2027年节假日安排尚未载入" not in page
    assert admin_client.get("/admin/workdays/specialday/?kind=adjusted_workday").status_code == 200
