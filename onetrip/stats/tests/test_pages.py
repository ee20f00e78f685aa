"""The dashboard page, the drill-down list, the xlsx export and the API: figures shown, scope (supervisor →
region, leader → department, others 403), bad input (400, nothing shown), keyset paging, masked names."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from django.test import Client
from openpyxl import load_workbook

from onetrip.catalog.tests import factories as f
from onetrip.core.clock import FixedClock, set_clock
from onetrip.orgs.models import Role, RoleAssignment, User
from onetrip.stats.services import stats_rollup
from onetrip.stats.tests.builders import KnownSet, known_set, record_facts
from onetrip.workdays.core import SHANGHAI

pytestmark = pytest.mark.django_db
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture(autouse=True)
def april_first():
    previous = set_clock(FixedClock(dt.datetime(2026, 4, 1, 9, tzinfo=SHANGHAI)))
    yield
    set_clock(previous)


@pytest.fixture
def s() -> KnownSet:
    s = known_set()
    record_facts(s)
    stats_rollup()
    return s


def user_with(role: str, **where) -> User:
    user = f.make_user()
    RoleAssignment.objects.create(user=user, role=role, **where)
    return user


def client_for(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def kpi(html: str, key: str) -> str:
    m = re.search(rf'id="kpi-{key}">.*?<dd>(.*?)</dd>', html, re.S)
    assert m, key
    return re.sub(r"<[^>]+>", "", m.group(1)).strip()


def test_the_supervisor_sees_every_figure_the_ranking_and_the_charts(s: KnownSet) -> None:
    boss = user_with(Role.SUPERVISOR, region=s.region)
    response = client_for(boss).get("/stats/", MARCH)
    assert response.status_code == 200
    html = response.content.decode()
    expected = {
        "accepted": "6件",
        "completed": "4件",
        "on_time_rate": "75.00%",
        "mean_days": "2.25工作日",
        "p90_days": "4工作日",
        "speedup_rate": "68.42%",
        "one_trip_rate": "75.00%",
        "trips_per_case": "0.75次",
        "online_rate": "83.33%",
        "materials_avoided_per_case": "0.50份",
        "satisfaction_rate": "100.00%",
        "overdue": "3次",
    }
    assert {k: kpi(html, k) for k in expected} == expected
    assert "问责提示" in html and f"{s.d1.name}（3次）" in html
    assert html.index(s.d2.name) < html.index(s.d1.name, html.index("部门排名"))  # D2 ranks first
    assert "vendor/echarts/echarts.min.js" in html and "stats/dashboard.js" in html
    charts = json.loads(re.search(r'id="stats-charts" type="application/json">(.*?)</script>', html, re.S)[1])
    trend = charts["trend"]
    assert trend["unit"] == "day" and len(trend["labels"]) == 31 and trend["labels"][1] == "2026-03-02"
    assert trend["accepted"][1:4] == [4, 1, 1] and sum(trend["accepted"]) == 6
    assert charts["departments"]["names"][0] == s.d2.name
    assert {r["name"]: r["value"] for r in charts["trips"]} == {"零跑动": 2, "跑一次": 1, "跑两次及以上": 1}
    assert "按时办结件数 ÷ 有承诺时限的办结件数" in html  # every figure has its definition


def test_the_supervisor_of_the_office_sees_the_office_region(s: KnownSet) -> None:
    office = f.make_department(name="跑改办", region=s.region)
    boss = user_with(Role.SUPERVISOR, department=office)
    html = client_for(boss).get("/stats/", MARCH).content.decode()
    assert kpi(html, "accepted") == "6件"


def test_a_leader_sees_only_their_department(s: KnownSet) -> None:
    leader = user_with(Role.LEADER, department=s.d2)
    c = client_for(leader)
    html = c.get("/stats/", MARCH).content.decode()
    assert kpi(html, "accepted") == "1件" and kpi(html, "rated") == "1次"
    assert s.d1.name not in html
    refused = c.get("/stats/", {**MARCH, "department": s.d1.pk})
    assert refused.status_code == 403
    cases = c.get("/api/v1/stats/cases", {**MARCH, "figure": "accepted"}).json()["cases"]
    assert [x["id"] for x in cases] == [s.cases["c6"].pk]


def test_others_are_refused_and_outsiders_see_nothing(s: KnownSet) -> None:
    handler = user_with(Role.HANDLER, department=s.d1)
    assert client_for(handler).get("/stats/").status_code == 403
    assert client_for(handler).get("/api/v1/stats/dashboard").status_code == 403
    assert client_for(handler).get("/stats/export.xlsx").status_code == 403
    assert Client().get("/stats/").status_code == 302
    assert Client().get("/api/v1/stats/dashboard").status_code == 401
    elsewhere = f.make_region(code="339902000000", name="别的县")
    outsider = user_with(Role.SUPERVISOR, region=elsewhere)
    body = client_for(outsider).get("/api/v1/stats/dashboard", MARCH).json()
    assert body["figures"]["accepted"] == 0 and body["departments"] == []


def test_bad_filters_get_a_400_with_the_field_and_no_figures(s: KnownSet) -> None:
    boss = client_for(user_with(Role.SUPERVISOR, region=s.region))
    response = boss.get("/stats/", {"from": "2026-03-31", "to": "2026-03-01"})
    assert response.status_code == 400 and "开始日期不能晚于结束日期" in response.content.decode()
    assert 'id="kpi-accepted"' not in response.content.decode()
    api = boss.get("/api/v1/stats/dashboard", {"from": "2026-13-01"})
    assert api.status_code == 400 and api.json()["errors"][0]["field"] == "from"
    assert boss.get("/api/v1/stats/dashboard", {"from": "2020-01-01", "to": "2026-03-01"}).status_code == 400
    assert boss.get("/api/v1/stats/dashboard", {"item": 1, "bundle": 1}).status_code == 400
    assert boss.get("/api/v1/stats/dashboard", {"department": 99_999_999}).status_code == 404
    assert boss.get("/api/v1/stats/cases", {**MARCH, "figure": "everything"}).status_code == 400
    assert boss.get("/api/v1/stats/cases", {**MARCH, "after": "yesterday~3"}).status_code == 400


def test_the_default_period_is_the_last_twelve_months(s: KnownSet) -> None:
    boss = client_for(user_with(Role.SUPERVISOR, region=s.region))
    body = boss.get("/api/v1/stats/dashboard").json()
    assert (body["filter"]["from"], body["filter"]["to"]) == ("2025-05-01", "2026-04-01")
    assert body["figures"]["accepted"] == 6 and body["figures"]["on_time_rate"] == "75.00"
    assert body["trend_unit"] == "month" and len(body["trend"]) == 12
    assert body["accountability"] == [s.d1.name]


def test_drill_down_pages_by_keyset_and_masks_names(s: KnownSet) -> None:
    boss = client_for(user_with(Role.SUPERVISOR, region=s.region))
    seen, after = [], None
    for _ in range(5):
        params = {**MARCH, "figure": "completed", "limit": 3, **({"after": after} if after else {})}
        page = boss.get("/api/v1/stats/cases", params).json()
        seen += [c["id"] for c in page["cases"]]
        after = page["next_after"]
        if after is None:
            break
    c = s.cases
    assert sorted(seen) == sorted(x.pk for x in (c["c1"], c["c2"], c["c3"], c["c6"]))
    assert len(seen) == len(set(seen))
    late = boss.get("/api/v1/stats/cases", {**MARCH, "figure": "late"}).json()["cases"]
    assert [x["id"] for x in late] == [c["c2"].pk] and late[0]["on_time"] is False
    name = c["c2"].applicant_name
    assert late[0]["applicant"] == name[0] + "*" * (len(name) - 1)
    refused = boss.get("/api/v1/stats/cases", {**MARCH, "figure": "refused"}).json()["cases"]
    assert refused == []  # c5's status is refused but it has no refusal decision in this set
    html = boss.get("/stats/cases/", {**MARCH, "figure": "late"}).content.decode()
    assert c["c2"].title in html and name not in html


def test_the_workbook_holds_the_figures_the_ranking_and_the_trend(s: KnownSet) -> None:
    boss = client_for(user_with(Role.SUPERVISOR, region=s.region))
    response = boss.get("/stats/export.xlsx", MARCH)
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["指标", "部门排名", "区域", "事项", "趋势"]
    figures = {row[1]: row[2] for row in wb["指标"].iter_rows(values_only=True) if len(row) > 2}
    assert figures["按时办结率"] == 75.0 and figures["受理件数"] == 6 and figures["提速率"] == 68.42
    assert figures["用时90分位"] == "4" and figures["满意率"] == 100.0
    ranking = list(wb["部门排名"].iter_rows(values_only=True))
    assert ranking[1][:2] == (1, s.d2.name) and ranking[2][:2] == (2, s.d1.name) and ranking[2][-1] == "是"
    trend = list(wb["趋势"].iter_rows(values_only=True))
    assert trend[0][0] == "日期" and len(trend) == 32 and trend[2][:3] == ("2026-03-02", 4, 1)
    api = boss.get("/api/v1/stats/export.xlsx", MARCH)
    assert api.status_code == 200 and load_workbook(io.BytesIO(api.content))["指标"]["A1"].value == "统计期"
