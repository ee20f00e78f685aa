"""Rating a completed case: the five levels, who may rate and when, one initial rating, the statistics fact,
and a bad rating opening a rectification for the lead department with its working-day limits."""

from __future__ import annotations

import datetime as dt

import pytest

from onetrip.core.errors import Conflict, DomainError, Forbidden
from onetrip.core.models import AuditEvent
from onetrip.flow.tests.casebuilders import item_case
from onetrip.intake.models import CaseStatus
from onetrip.intake.tests import factories as itf
from onetrip.notify.models import Notification
from onetrip.ratings.models import Rating, RatingLevel, RatingStatus, Rectification, RectificationStatus
from onetrip.ratings.services import case_rate
from onetrip.ratings.tests.builders import RATED_AT, completed_case, leader, load_calendar
from onetrip.stats.models import StatDelta
from onetrip.workdays.core import SHANGHAI

pytestmark = pytest.mark.django_db


def test_the_five_levels_and_which_are_bad():
    assert [(level.value, level.label) for level in RatingLevel] == [
        (5, "非常满意"),
        (4, "满意"),
        (3, "基本满意"),
        (2, "不满意"),
        (1, "非常不满意"),
    ]


def test_the_applicant_rates_a_completed_case_and_a_statistics_fact_is_recorded():
    case = completed_case()
    rating = case_rate(case=case, rater=case.applicant, level=5, comment="办事很快", now=RATED_AT)
    assert rating.level == 5 and rating.department_id == case.lead_department_id
    assert rating.status == RatingStatus.VALID and not rating.onsite and rating.created_at == RATED_AT
    assert not Rectification.objects.filter(rating=rating).exists(), "a good rating opens nothing"
    [fact] = StatDelta.objects.filter(kind="rated", case_id=case.pk)
    assert fact.at == RATED_AT
    assert fact.data == {
        "level": 5,
        "previous_level": None,
        "department_id": case.lead_department_id,
        "onsite": False,
    }
    assert AuditEvent.objects.filter(action="rating.create", object_id=str(rating.pk)).exists()


def test_a_bad_rating_opens_a_rectification_with_callback_in_1_and_rectification_in_15_working_days():
    load_calendar()
    case = completed_case()
    boss = leader(case.lead_department)
    rating = case_rate(case=case, rater=case.applicant, level=1, comment="材料反复要求补交", now=RATED_AT)
    rect = Rectification.objects.get(rating=rating)
    assert (
        rect.department_id == case.lead_department_id and rect.status == RectificationStatus.AWAITING_CALLBACK
    )
    assert (rect.callback_days, rect.rectify_days) == (1, 15)
    # Rated Monday 2026-03-02: call back by Tuesday 03-03, rectify by Monday 03-23, at the close of office.
    assert rect.callback_due_at == dt.datetime(2026, 3, 3, 17, 30, tzinfo=SHANGHAI)
    assert rect.rectify_due_at == dt.datetime(2026, 3, 23, 17, 30, tzinfo=SHANGHAI)
    assert not rect.due_provisional
    [note] = Notification.objects.filter(recipient=boss, kind="rating.bad")
    assert note.link == f"/ratings/rectifications/{rect.pk}/" and "1个工作日" in note.title
    assert AuditEvent.objects.filter(action="rectification.open", object_id=str(rect.pk)).exists()


def test_working_day_limits_skip_the_national_day_holiday():
    load_calendar()
    case = completed_case()
    eve = dt.datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)
    rating = case_rate(case=case, rater=case.applicant, level=2, comment="态度不好", now=eve)
    rect = Rectification.objects.get(rating=rating)
    # 10-01 … 10-07 are the holiday: the next working day is 10-08.
    assert rect.callback_due_at.astimezone(SHANGHAI).date() == dt.date(2026, 10, 8)


def test_a_case_not_completed_cannot_be_rated():
    case = item_case()  # accepted and in progress
    with pytest.raises(Conflict) as err:
        case_rate(case=case, rater=case.applicant, level=5, now=RATED_AT)
    assert err.value.errors[0].code == "case_not_completed" and err.value.errors[0].field == "case"
    assert not Rating.objects.exists() and not StatDelta.objects.filter(kind="rated").exists()


def test_a_submitted_case_marked_completed_without_a_completion_time_cannot_be_rated():
    case = itf.make_submitted_case()
    case.status = CaseStatus.COMPLETED  # in memory only: no completed_at
    with pytest.raises(Conflict):
        case_rate(case=case, rater=case.applicant, level=5, now=RATED_AT)


def test_someone_elses_case_cannot_be_rated():
    case = completed_case()
    stranger = itf.make_applicant()
    with pytest.raises(Forbidden) as err:
        case_rate(case=case, rater=stranger, level=1, comment="差", now=RATED_AT)
    assert err.value.errors[0].code == "not_your_case"
    assert not Rating.objects.exists()


def test_a_case_has_one_initial_rating():
    case = completed_case()
    case_rate(case=case, rater=case.applicant, level=4, now=RATED_AT)
    with pytest.raises(Conflict) as err:
        case_rate(case=case, rater=case.applicant, level=1, comment="改主意了", now=RATED_AT)
    assert err.value.errors[0].code == "already_rated"
    assert Rating.objects.filter(case=case).count() == 1
    assert StatDelta.objects.filter(kind="rated", case_id=case.pk).count() == 1


@pytest.mark.parametrize("level", [0, 6, -1, "5", 4.0, None, True])
def test_a_bad_level_is_refused_with_the_field(level):
    case = completed_case()
    with pytest.raises(DomainError) as err:
        case_rate(case=case, rater=case.applicant, level=level, now=RATED_AT)
    assert err.value.errors[0].code == "invalid_level" and err.value.errors[0].field == "level"
    assert not Rating.objects.exists()


def test_a_bad_rating_needs_a_reason_and_comments_have_a_limit():
    case = completed_case()
    with pytest.raises(DomainError) as err:
        case_rate(case=case, rater=case.applicant, level=2, comment="  ", now=RATED_AT)
    assert err.value.errors[0].code == "reason_required" and err.value.errors[0].field == "comment"
    with pytest.raises(DomainError) as err:
        case_rate(case=case, rater=case.applicant, level=5, comment="好" * 1001, now=RATED_AT)
    assert err.value.errors[0].code == "too_long"
    assert not Rating.objects.exists() and not Rectification.objects.exists()
