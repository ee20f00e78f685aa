"""The sweep with an injected `now`: untouched tasks turn yellow then red on the working-day calendar, item rules
override the global one, the step's own deadline counts, reminders escalate three times a working day, closed
tasks stop, pauses stop the clock, and re-runs never repeat anything."""

from __future__ import annotations

import datetime as dt

import pytest

from onetrip.flow import services as flow
from onetrip.flow.models import TaskRecord, TaskStatus
from onetrip.flow.tests.casebuilders import bundle_case, open_tasks, staff, version
from onetrip.intake.tests import factories as itf
from onetrip.notify.models import Notification
from onetrip.orgs.models import Role
from onetrip.stats.models import StatDelta, StatKind
from onetrip.supervision.models import AlertLevel, AlertRule, OverdueRecord
from onetrip.supervision.services import RuleInput, alert_rule_update, supervision_sweep
from onetrip.supervision.tests.builders import (
    APR29,
    MINUTE,
    admin_user,
    local,
    reload,
    rule_for,
    slow_item,
    team,
    untouched,
)

pytestmark = pytest.mark.django_db


def kinds(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).order_by("id").values_list("kind", flat=True))


def test_an_untouched_task_turns_yellow_after_5_and_red_after_7_working_days_across_labour_day():
    case, task = untouched()
    handler, leader = team(task.department)

    report = supervision_sweep(now=APR29 + MINUTE)
    task = reload(task)
    assert report.discovered == 1 and task.alert == AlertLevel.GREEN
    # 30 Apr is day 1; 1–5 May are holidays; 6, 7, 8 May and the adjusted Saturday 9 May are days 2–5.
    assert task.warn_at == local(2026, 5, 9, 17, 30)
    assert task.overdue_at == local(2026, 5, 12, 17, 30)
    assert task.watch_at == task.warn_at

    assert supervision_sweep(now=local(2026, 5, 9, 17, 29)).checked == 0  # nothing read before its point
    assert reload(task).alert == AlertLevel.GREEN

    report = supervision_sweep(now=local(2026, 5, 9, 17, 31))
    task = reload(task)
    assert (report.checked, report.warned, report.notifications) == (1, 1, 1)
    assert task.alert == AlertLevel.YELLOW and task.watch_at == task.overdue_at
    assert kinds(handler) == ["task_warning"] and kinds(leader) == []
    warning = Notification.objects.get(recipient=handler)
    assert warning.link == f"/work/tasks/{task.pk}/" and case.number in warning.title
    assert "5个工作日" in warning.body and "05月12日17:30" in warning.body

    supervision_sweep(now=local(2026, 5, 12, 17, 29))
    assert reload(task).alert == AlertLevel.YELLOW
    report = supervision_sweep(now=local(2026, 5, 12, 17, 31))
    task = reload(task)
    assert (report.overdue, report.notifications) == (1, 2)
    # The global rule has no daily reminders: nothing left to announce, looked at each working day morning.
    assert task.alert == AlertLevel.RED and task.watch_at == local(2026, 5, 13, 9, 0)
    assert kinds(handler) == ["task_warning", "task_overdue"] and kinds(leader) == ["task_overdue"]
    record = OverdueRecord.objects.get(task_id=task.pk)
    assert (record.department_id, record.person_id, record.overdue_at) == (
        task.department_id,
        None,
        task.overdue_at,
    )
    facts = list(StatDelta.objects.filter(case_id=case.pk).order_by("id").values_list("kind", "at", "data"))
    expected = {"task_id": task.pk, "department_id": task.department_id, "assignee_id": None}
    assert facts == [
        (StatKind.WARNED, task.warn_at, expected),
        (StatKind.OVERDUE, task.overdue_at, expected),
    ]

    # A re-run at the same instant reads nothing; the daily look a week later changes and sends nothing.
    before = Notification.objects.count()
    report = supervision_sweep(now=local(2026, 5, 12, 17, 31))
    assert (report.discovered, report.checked, report.notifications) == (0, 0, 0)
    report = supervision_sweep(now=local(2026, 5, 20, 9, 0))
    assert (report.checked, report.warned, report.overdue, report.notifications) == (1, 0, 0, 0)
    assert reload(task).alert == AlertLevel.RED and reload(task).watch_at == local(2026, 5, 21, 9, 0)
    assert Notification.objects.count() == before and OverdueRecord.objects.count() == 1
    assert StatDelta.objects.filter(case_id=case.pk).count() == 2


def test_a_task_first_seen_late_goes_straight_to_red_with_one_message_each():
    _, task = untouched()
    handler, leader = team(task.department)
    report = supervision_sweep(now=local(2026, 5, 13, 10, 0))
    assert (report.discovered, report.warned, report.overdue) == (1, 1, 1)
    assert reload(task).alert == AlertLevel.RED
    assert kinds(handler) == ["task_overdue"] and kinds(leader) == ["task_overdue"]
    assert set(StatDelta.objects.values_list("kind", flat=True)) == {StatKind.WARNED, StatKind.OVERDUE}


def test_the_assignee_is_warned_instead_of_the_whole_department():
    case, task = untouched()
    handler, _ = team(task.department)
    other = staff(task.department)
    flow.task_claim(task=task, actor=handler, now=APR29 + MINUTE, expected_version=version(case))
    supervision_sweep(now=local(2026, 5, 11, 9, 0))
    assert kinds(handler) == ["task_warning"] and kinds(other) == []
    assert reload(task).alert == AlertLevel.YELLOW


def test_an_item_rule_overrides_the_global_rule():
    item = slow_item()
    rule_for(item, warn_after_days=2, overdue_after_days=3)
    _, mine = untouched(item=item)
    _, other = untouched()
    supervision_sweep(now=APR29 + MINUTE)
    mine, other = reload(mine), reload(other)
    assert mine.rule_id == AlertRule.objects.get(item=item).pk
    assert other.rule_id == AlertRule.objects.get(item__isnull=True).pk
    assert (mine.warn_at, mine.overdue_at) == (local(2026, 5, 6, 17, 30), local(2026, 5, 7, 17, 30))
    assert other.warn_at == local(2026, 5, 9, 17, 30)
    supervision_sweep(now=local(2026, 5, 8, 9, 0))
    assert (reload(mine).alert, reload(other).alert) == (AlertLevel.RED, AlertLevel.GREEN)


def test_changing_a_rule_recomputes_its_open_tasks_at_the_next_sweep():
    item = slow_item()
    rule = rule_for(item, warn_after_days=5, overdue_after_days=7)
    _, task = untouched(item=item)
    supervision_sweep(now=APR29 + MINUTE)
    assert reload(task).warn_at == local(2026, 5, 9, 17, 30)
    alert_rule_update(
        actor=admin_user(),
        rule=rule,
        data=RuleInput(warn_after_days=1, overdue_after_days=9),
        now=APR29 + 2 * MINUTE,
    )
    assert reload(task).watch_at == APR29 + 2 * MINUTE
    report = supervision_sweep(now=APR29 + 3 * MINUTE)
    task = reload(task)
    assert report.checked == 1 and task.alert == AlertLevel.GREEN
    assert (task.warn_at, task.overdue_at) == (local(2026, 4, 30, 17, 30), local(2026, 5, 14, 17, 30))


def test_the_step_deadline_makes_the_task_overdue_when_it_comes_first():
    _, task = untouched(item=slow_item(limit=2))  # due at the close of 6 May (30 Apr, 6 May)
    assert task.due_at == local(2026, 5, 6, 17, 30)
    supervision_sweep(now=APR29 + MINUTE)
    task = reload(task)
    assert task.overdue_at == task.due_at
    # Yellow at 80 % of the step's time (the flow's warning share), earlier than the rule's 5 days.
    assert task.warn_at == APR29 + (task.due_at - APR29) * 0.8
    supervision_sweep(now=task.due_at + MINUTE)
    assert reload(task).alert == AlertLevel.RED


def test_a_longer_step_deadline_does_not_delay_the_rule():
    _, task = untouched(item=slow_item(limit=20))
    supervision_sweep(now=APR29 + MINUTE)
    task = reload(task)
    assert task.overdue_at == local(2026, 5, 12, 17, 30) < task.due_at


def test_reminders_three_times_a_working_day_after_the_escalation_point_to_handler_and_leader():
    item = slow_item()
    rule_for(item, warn_after_days=10, overdue_after_days=15, remind_from_days=10)
    at = local(2026, 3, 2, 10, 0)  # Monday; the 10th working day after it is Monday 16 March
    _, task = untouched(item=item, at=at)
    handler, leader = team(task.department)
    supervision_sweep(now=at + MINUTE)
    task = reload(task)
    assert task.warn_at == local(2026, 3, 16, 17, 30) and task.overdue_at == local(2026, 3, 23, 17, 30)

    supervision_sweep(now=local(2026, 3, 16, 17, 31))  # yellow; the day's slots were all before the point
    assert kinds(handler) == ["task_warning"] and kinds(leader) == []
    assert reload(task).watch_at == local(2026, 3, 17, 9, 0)

    for hh, mm in ((9, 0), (9, 5), (12, 1), (12, 30), (17, 0)):
        supervision_sweep(now=local(2026, 3, 17, hh, mm))
    assert kinds(handler) == ["task_warning"] + ["task_reminder"] * 3
    assert kinds(leader) == ["task_reminder"] * 3
    assert reload(task).watch_reminders == 3
    keys = sorted(Notification.objects.filter(recipient=leader).values_list("dedup_key", flat=True))
    assert keys == [f"task-remind:{task.pk}:2026-03-17:{n}:u{leader.pk}" for n in range(3)]
    body = Notification.objects.filter(recipient=handler, kind="task_reminder").last().body
    assert "今日第3次提醒，共3次" in body

    # A sweep that was down over a slot sends only the latest one, not a burst.
    supervision_sweep(now=local(2026, 3, 18, 17, 10))
    assert kinds(leader).count("task_reminder") == 4
    assert (
        Notification.objects.filter(dedup_key__startswith=f"task-remind:{task.pk}:2026-03-18:2").count() == 2
    )
    # No reminders on the weekend; the next is Monday morning.
    supervision_sweep(now=local(2026, 3, 20, 17, 5))  # Friday evening
    assert reload(task).watch_at == local(2026, 3, 23, 9, 0)
    supervision_sweep(now=local(2026, 3, 21, 12, 0))
    assert kinds(leader).count("task_reminder") == 5


def test_no_reminders_to_leaders_when_the_rule_says_so():
    item = slow_item()
    rule_for(item, warn_after_days=1, overdue_after_days=9, remind_from_days=1, remind_leader=False)
    _, task = untouched(item=item)
    handler, leader = team(task.department)
    supervision_sweep(now=local(2026, 5, 6, 9, 1))
    assert kinds(handler) == ["task_warning", "task_reminder"] and kinds(leader) == []


def test_a_task_closed_in_time_is_seen_once_more_and_then_never_again():
    case, task = untouched()
    handler, _ = team(task.department)
    supervision_sweep(now=APR29 + MINUTE)
    flow.task_approve(task=task, actor=handler, now=local(2026, 5, 6, 10, 0), expected_version=version(case))
    assert reload(task).status == TaskStatus.APPROVED
    report = supervision_sweep(now=local(2026, 5, 9, 17, 31))
    task = reload(task)
    assert (report.checked, report.finished, report.warned) == (1, 1, 0)
    assert task.watched and task.alert == "" and task.watch_at is None  # its watch row is gone
    assert not Notification.objects.filter(data__task_id=task.pk).exists()


def test_a_task_closed_late_between_sweeps_still_counts_as_overdue_without_messages():
    case, task = untouched()
    handler, leader = team(task.department)
    flow.task_approve(task=task, actor=handler, now=local(2026, 5, 13, 9, 0), expected_version=version(case))
    report = supervision_sweep(now=local(2026, 5, 13, 9, 1))  # first seen after it was closed
    task = reload(task)
    assert (report.discovered, report.overdue) == (2, 1)  # with the next step's new task
    assert task.watched and task.alert == ""  # closed: recorded, not watched
    assert OverdueRecord.objects.filter(task_id=task.pk).exists()
    assert kinds(handler) == [] and kinds(leader) == []


def test_tasks_closed_before_the_first_sweep_are_not_warned():
    case, task = untouched()
    handler, _ = team(task.department)
    flow.task_approve(task=task, actor=handler, now=APR29 + MINUTE, expected_version=version(case))
    report = supervision_sweep(now=APR29 + 2 * MINUTE)
    # The approved task and the next step's task (now open) are discovered; only the new one is watched.
    assert report.discovered == 2 and report.finished == 1
    assert reload(task).watched and reload(task).alert == ""
    [next_task] = open_tasks(case)
    assert reload(next_task).watch_at == local(2026, 5, 9, 17, 30)  # 5 working days after 29 Apr 10:01


def test_a_suspension_stops_the_clock_and_moves_the_points_on_by_the_days_it_covered():
    case, task = untouched()
    leader = staff(task.department, Role.LEADER)
    supervision_sweep(now=APR29 + MINUTE)
    flow.case_suspend(
        case=case,
        actor=leader,
        now=local(2026, 5, 6, 10, 0),
        expected_version=version(case),
        reason="等待鉴定",
    )
    # At the original warning point the case is suspended: no warning, looked at again later.
    report = supervision_sweep(now=local(2026, 5, 9, 17, 31))
    task = reload(task)
    assert report.checked == 1 and task.alert == AlertLevel.GREEN
    assert task.watch_at == local(2026, 5, 9, 17, 31) + dt.timedelta(minutes=30)
    flow.case_resume(case=case, actor=leader, now=local(2026, 5, 12, 10, 0), expected_version=version(case))
    supervision_sweep(now=local(2026, 5, 12, 10, 1))
    task = reload(task)
    # The pause covered 7, 8, 9 (adjusted Saturday), 11 and 12 May: five working days given back, as the
    # engine gives them back to the step: the 10th and 12th working days after 29 April.
    assert task.alert == AlertLevel.GREEN
    assert (task.warn_at, task.overdue_at) == (local(2026, 5, 15, 17, 30), local(2026, 5, 19, 17, 30))
    assert task.watch_at == task.warn_at


def test_bundle_tasks_take_the_rule_of_their_member_item():
    bundle = itf.make_intake_bundle(members=2)
    from onetrip.bundles.selectors import version_members

    members = [m.item_version.item for m in version_members(bundle)]
    rule = rule_for(members[0], warn_after_days=2, overdue_after_days=4)
    case = bundle_case(bundle=bundle, now=APR29)
    supervision_sweep(now=APR29 + MINUTE)
    by_department = {t.department_id: reload(t) for t in open_tasks(case)}
    first = by_department[members[0].department_id]
    second = by_department[members[1].department_id]
    global_rule = AlertRule.objects.get(item__isnull=True)
    assert first.rule_id == rule.pk and second.rule_id == global_rule.pk
    # The window's acceptance step of the bundle was closed at dispatch and is not watched.
    accept = reload(case.flow_tasks.get(status=TaskStatus.APPROVED))
    assert accept.watched and accept.alert == ""


def test_a_batch_smaller_than_the_work_still_sees_every_task_once():
    tasks = [untouched()[1] for _ in range(5)]
    for t in tasks:
        team(t.department)
    report = supervision_sweep(now=APR29 + MINUTE, batch=2)
    assert report.discovered == 5
    report = supervision_sweep(now=local(2026, 5, 9, 17, 31), batch=2)
    assert (report.checked, report.warned, report.notifications) == (5, 5, 5)
    assert {reload(t).alert for t in tasks} == {AlertLevel.YELLOW}


def test_a_withdrawn_approval_reopens_a_red_task_without_counting_it_twice():
    case, task = untouched()
    handler, _ = team(task.department)
    supervision_sweep(now=local(2026, 5, 13, 9, 0))  # red
    flow.task_approve(task=task, actor=handler, now=local(2026, 5, 13, 10, 0), expected_version=version(case))
    supervision_sweep(now=local(2026, 5, 14, 9, 1))  # its daily look: closed, no longer watched
    assert reload(task).alert == ""
    flow.task_withdraw(
        task=task, actor=handler, now=local(2026, 5, 14, 10, 0), expected_version=version(case)
    )
    assert reload(task).status == TaskStatus.OPEN
    # What the proposed one-line flow hook does on reopening (see the report): the sweep sees it again.
    TaskRecord.objects.filter(pk=task.pk).update(watched=False)
    facts = StatDelta.objects.count()
    report = supervision_sweep(now=local(2026, 5, 14, 10, 1))
    assert report.discovered >= 1 and report.overdue == 0 and report.warned == 0
    assert reload(task).alert == AlertLevel.RED
    assert OverdueRecord.objects.filter(task_id=task.pk).count() == 1 and StatDelta.objects.count() == facts


def test_a_sweep_inside_a_transaction_stays_in_its_thread(monkeypatch):
    # Other connections could not see the caller's uncommitted rows, so `threads` is ignored there.
    import threading

    from onetrip.supervision import services

    names: list[str] = []
    work = services._sweep_pass

    def recording(*args, **kwargs):
        names.append(threading.current_thread().name)
        return work(*args, **kwargs)

    monkeypatch.setattr(services, "_sweep_pass", recording)
    supervision_sweep(now=dt.datetime(2026, 5, 7, 4, 5, tzinfo=dt.UTC), threads=4)
    assert names == [threading.current_thread().name]


def test_threads_must_be_positive():
    with pytest.raises(ValueError):
        supervision_sweep(now=dt.datetime(2026, 5, 7, 4, 5, tzinfo=dt.UTC), threads=0)
