"""The rectification a bad rating opens: call-back, rectification, closure, lateness, the one follow-up rating
that replaces the first in the statistics, the overdue sweep, and the configurable limits."""

from __future__ import annotations

import datetime as dt

import pytest

from onetrip.catalog.tests import factories as f
from onetrip.core.errors import Conflict, DomainError, Forbidden
from onetrip.core.models import AuditEvent
from onetrip.notify.models import Notification
from onetrip.ratings.models import RatingPolicy, RatingStatus, Rectification, RectificationStatus
from onetrip.ratings.selectors import default_policy, policy_for
from onetrip.ratings.services import (
    case_rate,
    rating_follow_up,
    rating_policy_set,
    ratings_sweep,
    rectification_callback,
    rectification_close,
)
from onetrip.ratings.tests.builders import (
    RATED_AT,
    completed_case,
    handler,
    leader,
    load_calendar,
    outside_supervisor,
    supervisor,
)
from onetrip.stats.models import StatDelta
from onetrip.workdays.core import SHANGHAI

pytestmark = pytest.mark.django_db


def bad_rating(level: int = 1):
    case = completed_case()
    rating = case_rate(case=case, rater=case.applicant, level=level, comment="窗口推诿", now=RATED_AT)
    return case, rating, Rectification.objects.get(rating=rating)


def later(hours: float) -> dt.datetime:
    return RATED_AT + dt.timedelta(hours=hours)


def test_call_back_then_rectify_then_one_follow_up_that_replaces_the_bad_rating():
    case, rating, rect = bad_rating()
    staff = handler(case.lead_department)
    rect = rectification_callback(
        rectification=rect, actor=staff, note="已电话联系申请人，了解情况", now=later(1)
    )
    assert rect.status == RectificationStatus.RECTIFYING and rect.called_back_by == staff
    assert not rect.callback_overdue
    with pytest.raises(Conflict) as err:
        rating_follow_up(rating=rating, rater=case.applicant, level=5, now=later(2))
    assert err.value.errors[0].code == "rectification_not_closed"
    rect = rectification_close(
        rectification=rect, actor=staff, note="已规范一次性告知，加强培训", now=later(3)
    )
    assert rect.status == RectificationStatus.CLOSED and rect.closed_at == later(3)
    [told] = Notification.objects.filter(recipient=case.applicant, kind="rating.rectified")
    assert told.link == f"/ratings/case/{case.number}/"

    follow = rating_follow_up(rating=rating, rater=case.applicant, level=4, comment="整改到位", now=later(4))
    rating.refresh_from_db()
    assert (
        follow.previous_id == rating.pk and follow.kind == "follow_up" and follow.status == RatingStatus.VALID
    )
    assert rating.status == RatingStatus.REPLACED
    facts = list(
        StatDelta.objects.filter(kind="rated", case_id=case.pk).order_by("id").values_list("data", flat=True)
    )
    assert [(d["level"], d["previous_level"]) for d in facts] == [(1, None), (4, 1)]
    assert facts[1]["department_id"] == case.lead_department_id
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"rectification.callback", "rectification.close", "rating.follow_up"} <= actions


def test_only_one_follow_up_and_only_by_the_applicant():
    case, rating, rect = bad_rating()
    staff = leader(case.lead_department)
    rectification_callback(rectification=rect, actor=staff, note="已回访", now=later(1))
    rectification_close(rectification=rect, actor=staff, note="已整改", now=later(2))
    with pytest.raises(Forbidden) as err:
        rating_follow_up(rating=rating, rater=staff, level=5, now=later(3))
    assert err.value.errors[0].code == "not_your_rating"
    follow = rating_follow_up(rating=rating, rater=case.applicant, level=3, now=later(3))
    with pytest.raises(Conflict) as err:
        rating_follow_up(rating=rating, rater=case.applicant, level=5, now=later(4))
    assert err.value.errors[0].code == "follow_up_exists"
    with pytest.raises(Conflict):
        rating_follow_up(rating=follow, rater=case.applicant, level=5, now=later(4))
    assert StatDelta.objects.filter(kind="rated").count() == 2


def test_a_good_rating_has_nothing_to_follow_up():
    case = completed_case()
    rating = case_rate(case=case, rater=case.applicant, level=5, now=RATED_AT)
    with pytest.raises(Conflict) as err:
        rating_follow_up(rating=rating, rater=case.applicant, level=4, now=later(1))
    assert err.value.errors[0].code == "rectification_not_closed"


def test_the_order_of_steps_and_who_may_take_them():
    case, _, rect = bad_rating()
    outsider = handler(f.make_department())
    with pytest.raises(Forbidden) as err:
        rectification_callback(rectification=rect, actor=outsider, note="x", now=later(1))
    assert err.value.errors[0].code == "not_department_staff"
    staff = handler(case.lead_department)
    with pytest.raises(Conflict) as err:
        rectification_close(rectification=rect, actor=staff, note="直接整改", now=later(1))
    assert err.value.errors[0].code == "callback_first"
    with pytest.raises(DomainError) as err:
        rectification_callback(rectification=rect, actor=staff, note=" ", now=later(1))
    assert err.value.errors[0].field == "note"
    rect.refresh_from_db()
    assert rect.status == RectificationStatus.AWAITING_CALLBACK and rect.called_back_at is None
    rectification_callback(rectification=rect, actor=staff, note="已回访", now=later(1))
    with pytest.raises(Conflict) as err:
        rectification_callback(rectification=rect, actor=staff, note="再次回访", now=later(2))
    assert err.value.errors[0].code == "not_awaiting_callback"
    rectification_close(rectification=rect, actor=staff, note="已整改", now=later(2))
    with pytest.raises(Conflict) as err:
        rectification_close(rectification=rect, actor=staff, note="再整改", now=later(3))
    assert err.value.errors[0].code == "rectification_closed"


def test_the_sweep_flags_overdue_call_backs_and_rectifications_once_and_tells_leaders_and_supervisors():
    load_calendar()
    case, _, rect = bad_rating()
    boss = leader(case.lead_department)
    watcher = supervisor(department=case.lead_department)
    far = outside_supervisor()
    # Tuesday 03-03 at 17:30 the call-back is due: not yet overdue at 17:00, overdue the next morning.
    assert ratings_sweep(now=dt.datetime(2026, 3, 3, 17, 0, tzinfo=SHANGHAI)).callbacks_overdue == 0
    report = ratings_sweep(now=dt.datetime(2026, 3, 4, 9, 0, tzinfo=SHANGHAI))
    assert (report.callbacks_overdue, report.rectifications_overdue) == (1, 0)
    rect.refresh_from_db()
    assert rect.callback_overdue and not rect.rectify_overdue
    assert Notification.objects.filter(kind="rectification.callback-overdue", recipient=boss).count() == 1
    assert Notification.objects.filter(kind="rectification.callback-overdue", recipient=watcher).count() == 1
    assert not Notification.objects.filter(recipient=far).exists()
    again = ratings_sweep(now=dt.datetime(2026, 3, 4, 10, 0, tzinfo=SHANGHAI))
    assert again.as_dict() == {"callbacks_overdue": 0, "rectifications_overdue": 0, "notifications": 0}

    # A late call-back keeps the flag; the rectification runs to its own limit (Monday 03-23).
    rectification_callback(
        rectification=rect, actor=boss, note="回访", now=dt.datetime(2026, 3, 4, 11, 0, tzinfo=SHANGHAI)
    )
    assert ratings_sweep(now=dt.datetime(2026, 3, 23, 17, 0, tzinfo=SHANGHAI)).rectifications_overdue == 0
    assert ratings_sweep(now=dt.datetime(2026, 3, 24, 9, 0, tzinfo=SHANGHAI)).rectifications_overdue == 1
    rect.refresh_from_db()
    assert rect.callback_overdue and rect.rectify_overdue and rect.status == RectificationStatus.RECTIFYING
    assert AuditEvent.objects.filter(action="rectification.rectify_overdue", object_id=str(rect.pk)).exists()


def test_late_actions_are_flagged_even_without_a_sweep():
    load_calendar()
    case, _, rect = bad_rating()
    staff = handler(case.lead_department)
    rect = rectification_callback(
        rectification=rect, actor=staff, note="回访", now=dt.datetime(2026, 3, 5, 9, 0, tzinfo=SHANGHAI)
    )
    assert rect.callback_overdue
    rect = rectification_close(
        rectification=rect, actor=staff, note="整改", now=dt.datetime(2026, 3, 6, 9, 0, tzinfo=SHANGHAI)
    )
    assert not rect.rectify_overdue


def test_limits_come_from_the_nearest_regions_policy_and_are_validated():
    load_calendar()
    case = completed_case()
    region = case.lead_department.region
    assert policy_for(region) == default_policy()
    boss = supervisor(region=region)
    with pytest.raises(DomainError) as err:
        rating_policy_set(region=region, callback_days=0, rectify_days=15, actor=boss)
    assert err.value.errors[0].field == "callback_days"
    with pytest.raises(DomainError) as err:
        rating_policy_set(region=region, callback_days=3, rectify_days=2, actor=boss)
    assert err.value.errors[0].code == "rectify_before_callback"
    with pytest.raises(DomainError) as err:
        rating_policy_set(region=region, callback_days=1, rectify_days=61, actor=boss)
    assert err.value.errors[0].field == "rectify_days"
    with pytest.raises(Forbidden):
        rating_policy_set(region=region, callback_days=2, rectify_days=10, actor=outside_supervisor())
    assert not RatingPolicy.objects.exists()
    rating_policy_set(region=region, callback_days=2, rectify_days=10, actor=boss)
    rating = case_rate(case=case, rater=case.applicant, level=2, comment="慢", now=RATED_AT)
    rect = Rectification.objects.get(rating=rating)
    assert (rect.callback_days, rect.rectify_days) == (2, 10)
    assert rect.callback_due_at.astimezone(SHANGHAI).date() == dt.date(2026, 3, 4)
    assert rect.rectify_due_at.astimezone(SHANGHAI).date() == dt.date(2026, 3, 16)


def test_settings_give_the_defaults(settings):
    settings.RATINGS_CALLBACK_WORKDAYS = 2
    settings.RATINGS_RECTIFY_WORKDAYS = 20
    assert (default_policy().callback_days, default_policy().rectify_days) == (2, 20)


def test_invalid_default_limits_in_settings_fail_the_system_check(settings):
    from onetrip.ratings.checks import rating_limits_check

    assert rating_limits_check() == []
    settings.RATINGS_CALLBACK_WORKDAYS = 0
    settings.RATINGS_RECTIFY_WORKDAYS = 15
    [error] = rating_limits_check()
    assert error.id == "ratings.E001" and "RATINGS_CALLBACK_WORKDAYS" in error.msg


def test_the_scheduled_task_runs_the_sweep_at_the_clocks_time():
    from onetrip.core import clock
    from onetrip.ratings.tasks import ratings_sweep_task

    load_calendar()
    bad_rating()
    previous = clock.set_clock(clock.FixedClock(dt.datetime(2026, 3, 4, 9, 0, tzinfo=SHANGHAI)))
    try:
        assert ratings_sweep_task.call()["callbacks_overdue"] == 1
        assert ratings_sweep_task.call()["callbacks_overdue"] == 0
    finally:
        clock.set_clock(previous)
