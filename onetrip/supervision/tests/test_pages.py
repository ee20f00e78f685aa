"""Pages and API, scoped: supervisors see their region, leaders their departments, handlers their own tasks,
applicants nothing; the board pages by keyset; rules are managed with field errors shown."""

from __future__ import annotations

import json

import pytest

from onetrip.catalog.tests import factories as f
from onetrip.core.clock import FixedClock, set_clock
from onetrip.flow import services as flow
from onetrip.flow.tests.casebuilders import item_case, open_tasks, version
from onetrip.intake.tests import factories as itf
from onetrip.orgs.models import Role, RoleAssignment
from onetrip.orgs.tests import factories as of
from onetrip.supervision.models import AlertRule
from onetrip.supervision.services import supervision_sweep
from onetrip.supervision.tests.builders import APR29, admin_user, local, slow_item, team

pytestmark = pytest.mark.django_db
API = "/api/v1/supervision"


@pytest.fixture
def world():
    """甲局 and 乙局 in 莲都区, 丙局 in 青田县; each with a red task (12 May) and a yellow one (created 5 May)."""
    regions = of.region_chain()
    out = {}
    for key, name, region in (("a", "甲局", "county"), ("b", "乙局", "county"), ("c", "丙局", "other")):
        department = f.make_department(name=name, region=regions[region])
        item = slow_item(department=department)
        handler, leader = team(department)
        red = item_case(item=item, now=APR29)
        yellow = item_case(item=item, now=local(2026, 5, 6, 10, 0))
        out[key] = {
            "department": department,
            "handler": handler,
            "leader": leader,
            "red": red,
            "yellow": yellow,
        }
    # 甲局's handler claims the red case's task: it is theirs; the yellow one stays unclaimed.
    red_a = out["a"]["red"]
    [task] = open_tasks(red_a)
    flow.task_claim(task=task, actor=out["a"]["handler"], now=APR29, expected_version=version(red_a))
    supervision_sweep(now=local(2026, 5, 13, 10, 0))
    supervisor = f.make_user(display_name="区跑改办")
    RoleAssignment.objects.create(user=supervisor, role=Role.SUPERVISOR, region=regions["county"])
    out["supervisor"] = supervisor
    return out


def titles(response) -> list[str]:
    return [t["case_number"] for t in response.json()["tasks"]]


def test_the_board_api_is_scoped_to_region_department_and_own_tasks(client, world):
    numbers = {k: (world[k]["red"].number, world[k]["yellow"].number) for k in "abc"}
    client.force_login(world["supervisor"])
    body = client.get(f"{API}/alerts").json()
    assert body["counts"] == {"yellow": 2, "red": 2}
    assert sorted(titles(client.get(f"{API}/alerts"))) == sorted([*numbers["a"], *numbers["b"]])
    assert [t["alert"] for t in body["tasks"]] == ["red", "red", "yellow", "yellow"]  # by overdue point
    red = body["tasks"][0]
    assert red["remaining_working_days"] < 0 and red["link"] == f"/work/tasks/{red['task_id']}/"
    assert titles(
        client.get(f"{API}/alerts", {"level": "yellow", "department": world["b"]["department"].pk})
    ) == [numbers["b"][1]]

    client.force_login(world["b"]["leader"])
    assert sorted(titles(client.get(f"{API}/alerts"))) == sorted(numbers["b"])

    client.force_login(world["a"]["handler"])  # their claimed red task and the department's unclaimed one
    assert sorted(titles(client.get(f"{API}/alerts"))) == sorted(numbers["a"])
    other = f.make_user()
    RoleAssignment.objects.create(user=other, role=Role.HANDLER, department=world["a"]["department"])
    client.force_login(other)  # a colleague does not see the task claimed by someone else
    assert titles(client.get(f"{API}/alerts")) == [numbers["a"][1]]

    client.force_login(itf.make_applicant())
    response = client.get(f"{API}/alerts")
    assert response.status_code == 403 and response.json()["errors"][0]["code"] == "forbidden"
    assert client.get(f"{API}/alerts", {"level": "blue"}).status_code in (400, 403)


def test_the_board_pages_by_keyset(client, world):
    client.force_login(admin_user())
    seen = []
    after = None
    for _ in range(5):
        params = {"limit": 4} | ({"after": after} if after else {})
        body = client.get(f"{API}/alerts", params).json()
        seen += [t["task_id"] for t in body["tasks"]]
        after = body["next_after"]
        if not after:
            break
    assert len(seen) == len(set(seen)) == 6


def test_the_case_alert_is_the_worst_of_its_open_tasks(client, world):
    case = world["a"]["red"]
    client.force_login(world["supervisor"])
    body = client.get(f"{API}/cases/{case.pk}/alert").json()
    assert body["alert"] == "red" and [t["alert"] for t in body["tasks"]] == ["red"]
    client.force_login(world["c"]["leader"])
    assert client.get(f"{API}/cases/{case.pk}/alert").status_code == 403
    assert client.get(f"{API}/cases/999999/alert").status_code == 404


@pytest.fixture
def may13():
    previous = set_clock(FixedClock(local(2026, 5, 13, 10, 0)))
    yield
    set_clock(previous)


def test_the_board_page_renders_for_the_supervisor_and_refuses_applicants(client, world, may13):
    client.force_login(world["supervisor"])
    page = client.get("/supervision/").content.decode()
    assert world["a"]["red"].number in page and world["c"]["red"].number not in page
    assert "alert-chip alert-red" in page and "已超期" in page and "剩余" in page
    assert f"/work/tasks/{open_tasks(world['b']['red'])[0].pk}/" in page
    filtered = client.get("/supervision/", {"level": "red", "department": world["a"]["department"].pk})
    assert world["a"]["red"].number in filtered.content.decode()
    assert world["a"]["yellow"].number not in filtered.content.decode()
    client.force_login(itf.make_applicant())
    response = client.get("/supervision/")
    assert response.status_code == 403 and "无权查看" in response.content.decode()


def test_the_accountability_page_and_api(client, world):
    client.force_login(world["supervisor"])
    body = client.get(f"{API}/accountability", {"start": "2026-05-01", "end": "2026-05-31"}).json()
    assert body["threshold"] == 3
    assert {d["department"]: (d["overdue"], d["accountability"]) for d in body["departments"]} == {
        "甲局": (1, False),
        "乙局": (1, False),
    }
    page = client.get("/supervision/accountability/", {"start": "2026-05-01", "end": "2026-05-31"})
    assert "甲局" in page.content.decode() and "丙局" not in page.content.decode()
    drill = client.get(
        "/supervision/accountability/overdue/",
        {"start": "2026-05-01", "end": "2026-05-31", "department": world["a"]["department"].pk},
    )
    assert world["a"]["red"].number in drill.content.decode()
    records = client.get(f"{API}/overdue", {"start": "2026-05-01", "end": "2026-05-31"}).json()["records"]
    assert {r["case_number"] for r in records} == {world["a"]["red"].number, world["b"]["red"].number}
    bad = client.get(f"{API}/accountability", {"start": "2026-05-31", "end": "2026-05-01"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "end"
    client.force_login(world["a"]["handler"])
    assert client.get(f"{API}/accountability").status_code == 403
    assert client.get("/supervision/accountability/").status_code == 403


def test_rules_through_the_api_with_clear_errors(client, world):
    item = slow_item(department=world["a"]["department"])
    client.force_login(world["supervisor"])
    payload = {"item": item.implementation_code, "warn_after_days": 7, "overdue_after_days": 7}
    response = client.post(f"{API}/rules", json.dumps(payload), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "warning_not_before_overdue"
    payload |= {"warn_after_days": 10, "overdue_after_days": 15, "remind_from_days": 10}
    response = client.post(f"{API}/rules", json.dumps(payload), content_type="application/json")
    assert response.status_code == 201
    rule = response.json()
    assert rule["reminders_per_day"] == 3 and rule["reminder_times"] == "09:00,12:00,17:00"
    again = client.post(f"{API}/rules", json.dumps(payload), content_type="application/json")
    assert again.status_code == 409
    changed = client.put(
        f"{API}/rules/{rule['id']}",
        json.dumps({"warn_after_days": 3, "overdue_after_days": 5}),
        content_type="application/json",
    )
    assert changed.status_code == 200 and changed.json()["overdue_after_days"] == 5
    assert {r["id"] for r in client.get(f"{API}/rules").json()} >= {rule["id"]}
    outside = slow_item(department=world["c"]["department"])
    foreign = client.post(
        f"{API}/rules",
        json.dumps(payload | {"item": outside.implementation_code}),
        content_type="application/json",
    )
    assert foreign.status_code == 403
    assert client.delete(f"{API}/rules/{rule['id']}").status_code == 204
    global_id = AlertRule.objects.get(item__isnull=True).pk
    assert client.delete(f"{API}/rules/{global_id}").status_code == 403  # a county supervisor: not theirs
    client.force_login(admin_user())
    assert client.delete(f"{API}/rules/{global_id}").status_code == 409
    client.force_login(itf.make_applicant())
    assert client.get(f"{API}/rules").status_code == 403


def test_the_rules_page_creates_edits_and_shows_errors_with_what_was_typed(client, world):
    item = slow_item(department=world["a"]["department"])
    client.force_login(world["supervisor"])
    assert "全局默认" in client.get("/supervision/rules/").content.decode()
    form = {
        "item": item.implementation_code,
        "warn_after_days": "8",
        "overdue_after_days": "6",
        "remind_from_days": "",
        "reminder_times": "09:00,12:00,17:00",
        "remind_leader": "on",
        "note": "试行规则",
    }
    response = client.post("/supervision/rules/", form)
    page = response.content.decode()
    assert response.status_code == 400 and "预警（8个工作日）必须早于超期（6个工作日）" in page
    assert 'value="试行规则"' in page
    response = client.post("/supervision/rules/", form | {"warn_after_days": "3"})
    assert response.status_code == 302
    rule = AlertRule.objects.get(item=item)
    assert (rule.warn_after_days, rule.overdue_after_days, rule.note) == (3, 6, "试行规则")
    response = client.post(
        f"/supervision/rules/{rule.pk}/", form | {"warn_after_days": "2", "overdue_after_days": "4"}
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.warn_after_days, rule.overdue_after_days) == (2, 4)
    assert client.post(f"/supervision/rules/{rule.pk}/delete/").status_code == 302
    assert not AlertRule.objects.filter(item=item).exists()


def test_the_admin_validates_rules_through_the_service_and_keeps_the_global_rule(client):
    admin = f.make_user(is_staff=True, is_superuser=True)
    client.force_login(admin)
    item = slow_item()
    assert client.get("/admin/supervision/alertrule/").status_code == 200
    form = {
        "item": item.pk,
        "warn_after_days": "7",
        "overdue_after_days": "5",
        "reminder_times": "09:00,12:00,17:00",
        "remind_leader": "on",
        "note": "",
    }
    page = client.post("/admin/supervision/alertrule/add/", form).content.decode()
    assert "预警（7个工作日）必须早于超期（5个工作日）" in page
    assert not AlertRule.objects.filter(item=item).exists()
    response = client.post("/admin/supervision/alertrule/add/", form | {"warn_after_days": "3"})
    assert response.status_code == 302
    assert AlertRule.objects.get(item=item).updated_by == admin
    global_rule = AlertRule.objects.get(item__isnull=True)
    assert client.get(f"/admin/supervision/alertrule/{global_rule.pk}/delete/").status_code == 403
    assert client.get("/admin/supervision/taskwatch/").status_code == 200
    assert client.get("/admin/supervision/overduerecord/").status_code == 200
