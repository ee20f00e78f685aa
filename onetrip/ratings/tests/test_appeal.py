"""Appeals: the rated department appeals a bad rating as mistaken or malicious; a supervisor of its region
upholds it (the rating is voided, removed from the statistics, its rectification withdrawn) or rejects it."""

from __future__ import annotations

import pytest

from onetrip.core.errors import Conflict, DomainError, Forbidden
from onetrip.core.models import AuditEvent
from onetrip.notify.models import Notification
from onetrip.ratings.models import AppealStatus, RatingStatus, Rectification, RectificationStatus
from onetrip.ratings.services import (
    appeal_decide,
    case_rate,
    rating_appeal,
    rating_follow_up,
    rectification_callback,
    rectification_close,
)
from onetrip.ratings.tests.builders import (
    RATED_AT,
    completed_case,
    handler,
    leader,
    outside_supervisor,
    supervisor,
)
from onetrip.stats.models import StatDelta

pytestmark = pytest.mark.django_db


def rated(level: int = 1):
    case = completed_case()
    rating = case_rate(case=case, rater=case.applicant, level=level, comment="乱评一通", now=RATED_AT)
    return case, rating


def test_an_upheld_appeal_voids_the_rating_and_removes_it_from_the_statistics():
    case, rating = rated()
    staff = leader(case.lead_department)
    boss = supervisor(department=case.lead_department)
    appeal = rating_appeal(
        rating=rating, actor=staff, reason="malicious", reasons="申请人当场承认误操作", now=RATED_AT
    )
    assert appeal.status == AppealStatus.PENDING and appeal.department_id == case.lead_department_id
    assert Notification.objects.filter(recipient=boss, kind="rating.appeal").count() == 1
    decided = appeal_decide(appeal=appeal, actor=boss, uphold=True, note="经核实为误操作", now=RATED_AT)
    rating.refresh_from_db()
    assert decided.status == AppealStatus.UPHELD and decided.decided_by == boss
    assert rating.status == RatingStatus.VOIDED and rating.voided_at == RATED_AT
    assert Rectification.objects.get(rating=rating).status == RectificationStatus.VOIDED
    facts = [d for d in StatDelta.objects.filter(kind="rated").order_by("id").values_list("data", flat=True)]
    assert [(d["level"], d["previous_level"]) for d in facts] == [(1, None), (None, 1)]
    assert Notification.objects.filter(recipient=case.applicant, kind="rating.voided").exists()
    assert AuditEvent.objects.filter(action="rating.appeal_upheld", object_id=str(appeal.pk)).exists()
    with pytest.raises(Conflict) as err:
        rating_follow_up(rating=rating, rater=case.applicant, level=5, now=RATED_AT)
    assert err.value.errors[0].code in {"rating_voided", "rectification_not_closed"}


def test_a_rejected_appeal_changes_nothing_but_its_own_state():
    case, rating = rated(level=2)
    staff = handler(case.lead_department)
    appeal = rating_appeal(
        rating=rating, actor=staff, reason="mistaken", reasons="办件已按时办结", now=RATED_AT
    )
    appeal = appeal_decide(
        appeal=appeal,
        actor=supervisor(department=case.lead_department),
        uphold=False,
        note="证据不足",
        now=RATED_AT,
    )
    rating.refresh_from_db()
    assert appeal.status == AppealStatus.REJECTED and rating.status == RatingStatus.VALID
    assert Rectification.objects.get(rating=rating).status == RectificationStatus.AWAITING_CALLBACK
    assert StatDelta.objects.filter(kind="rated").count() == 1
    with pytest.raises(Conflict) as err:
        appeal_decide(
            appeal=appeal, actor=supervisor(department=case.lead_department), uphold=True, note="改判"
        )
    assert err.value.errors[0].code == "appeal_decided"


def test_bad_appeals_are_refused():
    case, rating = rated()
    staff = handler(case.lead_department)
    with pytest.raises(Forbidden):
        rating_appeal(rating=rating, actor=case.applicant, reason="mistaken", reasons="x", now=RATED_AT)
    with pytest.raises(DomainError) as err:
        rating_appeal(rating=rating, actor=staff, reason="unhappy", reasons="x", now=RATED_AT)
    assert err.value.errors[0].field == "reason"
    with pytest.raises(DomainError) as err:
        rating_appeal(rating=rating, actor=staff, reason="mistaken", reasons="", now=RATED_AT)
    assert err.value.errors[0].field == "reasons"
    rating_appeal(rating=rating, actor=staff, reason="mistaken", reasons="误评", now=RATED_AT)
    with pytest.raises(Conflict) as err:
        rating_appeal(rating=rating, actor=staff, reason="malicious", reasons="再次申诉", now=RATED_AT)
    assert err.value.errors[0].code == "already_appealed"

    good_case = completed_case()
    good = case_rate(case=good_case, rater=good_case.applicant, level=4, now=RATED_AT)
    with pytest.raises(Conflict) as err:
        rating_appeal(
            rating=good,
            actor=handler(good_case.lead_department),
            reason="mistaken",
            reasons="x",
            now=RATED_AT,
        )
    assert err.value.errors[0].code == "appeal_not_allowed"


def test_only_a_supervisor_of_the_departments_region_decides():
    case, rating = rated()
    appeal = rating_appeal(
        rating=rating, actor=handler(case.lead_department), reason="mistaken", reasons="误评", now=RATED_AT
    )
    for outsider in (outside_supervisor(), leader(case.lead_department)):
        with pytest.raises(Forbidden) as err:
            appeal_decide(appeal=appeal, actor=outsider, uphold=True, note="成立", now=RATED_AT)
        assert err.value.errors[0].code == "out_of_scope"
    with pytest.raises(DomainError) as err:
        appeal_decide(appeal=appeal, actor=supervisor(department=case.lead_department), uphold=True, note="")
    assert err.value.errors[0].field == "note"
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.PENDING


def test_no_follow_up_while_an_appeal_is_pending():
    case, rating = rated()
    staff = handler(case.lead_department)
    rect = Rectification.objects.get(rating=rating)
    rectification_callback(rectification=rect, actor=staff, note="回访", now=RATED_AT)
    rectification_close(rectification=rect, actor=staff, note="整改", now=RATED_AT)
    rating_appeal(rating=rating, actor=staff, reason="malicious", reasons="恶意", now=RATED_AT)
    with pytest.raises(Conflict) as err:
        rating_follow_up(rating=rating, rater=case.applicant, level=5, now=RATED_AT)
    assert err.value.errors[0].code == "appeal_pending"
