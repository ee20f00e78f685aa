"""The demo history: real cases through the real services on the loaded demo data, rolled up; the dashboard
shows the figures for the demo's supervisor, and a second load changes nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.db import transaction
from django.test import Client

from onetrip.demo.loader import load_demo
from onetrip.intake.models import Case, CaseStatus
from onetrip.orgs.models import User
from onetrip.stats.demo import KEY_PREFIX, STORIES, StatsDemoSummary, stats_demo_load
from onetrip.stats.models import StatDelta

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def loaded(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[StatsDemoSummary]:
    with django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
        load_demo()
        yield stats_demo_load()
        transaction.set_rollback(True)


def kpi(html: str, key: str) -> str:
    m = re.search(rf'id="kpi-{key}">.*?<dd>(.*?)</dd>', html, re.S)
    assert m, key
    return re.sub(r"<[^>]+>", "", m.group(1)).strip()


def test_the_demo_history_is_made_through_the_services_and_rolled_up(loaded: StatsDemoSummary) -> None:
    assert loaded.created == len(STORIES) and loaded.rolled_up > len(STORIES)
    cases = Case.objects.filter(idempotency_key__startswith=KEY_PREFIX)
    assert cases.count() == len(STORIES)
    assert cases.filter(status=CaseStatus.COMPLETED).count() == 35
    assert cases.filter(status=CaseStatus.REFUSED).count() == 1
    assert cases.filter(bundle_version__isnull=False).count() == 3
    late = [c for c in cases.filter(status=CaseStatus.COMPLETED) if c.completed_at > c.promised_due_at]
    assert len(late) == sum(1 for s in STORIES if s.end == "late")
    assert not StatDelta.objects.exists()


def test_a_second_load_changes_nothing(loaded: StatsDemoSummary) -> None:
    again = stats_demo_load()
    assert (again.created, again.skipped, again.rolled_up) == (0, len(STORIES), 0)


def test_the_dashboard_shows_the_demo_figures_to_the_district_supervisor(loaded: StatsDemoSummary) -> None:
    c = Client()
    c.force_login(User.objects.get(username="paogaiban"))
    response = c.get("/stats/")
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        kpi(html, "accepted") == "40件" and kpi(html, "completed") == "35件" and kpi(html, "refused") == "1件"
    )
    assert kpi(html, "on_time_rate") == "88.57%"  # 31 of 35 within the promise
    assert kpi(html, "accepted_bundle") == "3件" and kpi(html, "accepted_deficient") == "1件"
    for key in ("mean_days", "speedup_rate", "one_trip_rate", "online_rate", "materials_avoided_per_case"):
        assert kpi(html, key) != "—", key
    ranking = html[html.index("部门排名") :]
    for name in ("区人力社保局", "区市场监管局", "区医保局", "区民政局", "莲都公安分局"):
        assert name in ranking, name
    leader = Client()
    leader.force_login(User.objects.get(username="scjg-fuze"))
    own = leader.get("/stats/").content.decode()
    assert kpi(own, "accepted") == "13件" and "区人力社保局" not in own[own.index("部门排名") :]


def test_the_one_thing_filter_narrows_the_figures_to_its_cases(loaded: StatsDemoSummary) -> None:
    from onetrip.bundles.models import Bundle

    bundle = Bundle.objects.get(code="restaurant-licence")
    c = Client()
    c.force_login(User.objects.get(username="paogaiban"))
    html = c.get("/stats/", {"bundle": bundle.pk}).content.decode()
    assert kpi(html, "accepted") == "3件" and kpi(html, "accepted_bundle") == "3件"
    assert f'<option value="{bundle.pk}" selected>' in html and "按事项或一件事筛选时按整月统计" in html
    assert kpi(html, "steps_avoided_per_case") == "2.00个"  # 8 steps before the merge, 6 after
