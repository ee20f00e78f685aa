"""Rating an on-site visit (a served queue ticket): who answers for it, once per ticket, only by its holder and
only once served; the statistics fact says onsite and carries the department."""

from __future__ import annotations

import pytest

from onetrip.catalog.tests import factories as f
from onetrip.core.errors import Conflict, DomainError, Forbidden
from onetrip.flow.tests.casebuilders import NOW
from onetrip.intake.services.queue import ticket_take
from onetrip.intake.tests import factories as itf
from onetrip.ratings.models import Rating, Rectification
from onetrip.ratings.services import rating_policy_set, visit_rate
from onetrip.ratings.tests.builders import (
    RATED_AT,
    completed_case,
    hall_with_windows,
    served_ticket,
    supervisor,
)
from onetrip.stats.models import StatDelta

pytestmark = pytest.mark.django_db


def test_a_visit_to_a_department_window_is_rated_for_that_department():
    department = f.make_department()
    _, window = hall_with_windows(region=department.region, department=department)
    holder = itf.make_applicant()
    ticket = served_ticket(holder=holder, window=window)
    rating = visit_rate(ticket=ticket, rater=holder, level=1, comment="等了很久", now=RATED_AT)
    assert rating.onsite and rating.ticket_id == ticket.pk and rating.case_id is None
    assert rating.department_id == department.pk
    assert Rectification.objects.get(rating=rating).department_id == department.pk
    [fact] = StatDelta.objects.filter(kind="rated")
    assert fact.case_id == 0, "an on-site rating with no case counts under case 0"
    assert fact.data == {"level": 1, "previous_level": None, "department_id": department.pk, "onsite": True}


def test_a_visit_about_a_case_at_a_comprehensive_window_goes_to_the_cases_lead_department():
    case = completed_case()
    _, window = hall_with_windows(region=case.region)
    ticket = served_ticket(holder=case.applicant, window=window, case=case)
    rating = visit_rate(ticket=ticket, rater=case.applicant, level=4, now=RATED_AT)
    assert rating.department_id == case.lead_department_id
    assert StatDelta.objects.get(kind="rated").case_id == case.pk


def test_a_comprehensive_window_visit_goes_to_the_service_centre_named_in_the_policy():
    centre = f.make_department(name="行政服务中心管理办公室")
    hall, window = hall_with_windows(region=centre.region)
    holder = itf.make_applicant()
    ticket = served_ticket(holder=holder, window=window)
    with pytest.raises(DomainError) as err:
        visit_rate(ticket=ticket, rater=holder, level=5, now=RATED_AT)
    assert err.value.errors[0].code == "no_responsible_department"
    rating_policy_set(
        region=hall.region,
        callback_days=1,
        rectify_days=15,
        service_centre=centre,
        actor=supervisor(region=hall.region),
    )
    rating = visit_rate(ticket=ticket, rater=holder, level=5, now=RATED_AT)
    assert rating.department_id == centre.pk


def test_only_the_holder_rates_a_visit_and_only_once_it_was_served():
    department = f.make_department()
    hall, window = hall_with_windows(region=department.region, department=department)
    holder = itf.make_applicant()
    waiting = ticket_take(hall=hall, category=window.category, holder=holder, now=NOW)
    with pytest.raises(Conflict) as err:
        visit_rate(ticket=waiting, rater=holder, level=5, now=RATED_AT)
    assert err.value.errors[0].code == "visit_not_finished"
    ticket = served_ticket(holder=holder, window=window)
    with pytest.raises(Forbidden) as err:
        visit_rate(ticket=ticket, rater=itf.make_applicant(), level=5, now=RATED_AT)
    assert err.value.errors[0].code == "not_your_visit"
    visit_rate(ticket=ticket, rater=holder, level=5, now=RATED_AT)
    with pytest.raises(Conflict) as err:
        visit_rate(ticket=ticket, rater=holder, level=3, now=RATED_AT)
    assert err.value.errors[0].code == "already_rated"
    assert Rating.objects.count() == 1


def test_a_case_and_a_visit_about_it_are_rated_separately():
    case = completed_case()
    _, window = hall_with_windows(region=case.region)
    ticket = served_ticket(holder=case.applicant, window=window, case=case)
    from onetrip.ratings.services import case_rate

    case_rate(case=case, rater=case.applicant, level=5, now=RATED_AT)
    visit_rate(ticket=ticket, rater=case.applicant, level=4, now=RATED_AT)
    assert Rating.objects.count() == 2
