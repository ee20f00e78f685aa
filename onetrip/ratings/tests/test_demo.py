"""The demo data of 好差评 and 督办 on the loaded demo: deputies daibiao1/daibiao2 paired with demo items and a
suggestion, an order from paogaiban to 区市场监管局, the district's limits, ratings on completed demo cases with
one bad rating called back. Loading twice changes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.hashers import check_password
from django.db import transaction

from onetrip.demo.loader import load_demo
from onetrip.demo.people import DEMO_PASSWORD
from onetrip.orders.demo import orders_demo_load
from onetrip.orders.models import DeputyPairing, DeputySuggestion, SupervisionOrder
from onetrip.orgs.models import Department, Role, User
from onetrip.orgs.permissions import has_role
from onetrip.ratings.demo import ratings_demo_load
from onetrip.ratings.models import Rating, RatingPolicy, Rectification, RectificationStatus
from onetrip.ratings.tests.builders import RATED_AT, completed_case

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker) -> Iterator[None]:
    """The demo, loaded once per module in a transaction rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_demo()
        yield
        transaction.set_rollback(True)


def test_orders_demo_pairs_two_deputies_submits_a_suggestion_and_issues_an_order(demo):
    summary = orders_demo_load(now=RATED_AT)
    assert summary.changed
    for username in ("daibiao1", "daibiao2"):
        user = User.objects.get(username=username)
        assert has_role(user, Role.DEPUTY) and check_password(DEMO_PASSWORD, user.password)
        assert DeputyPairing.objects.filter(deputy=user, is_active=True).count() == 2
    [suggestion] = DeputySuggestion.objects.all()
    assert (
        suggestion.deputy.username == "daibiao1" and suggestion.department_id == suggestion.item.department_id
    )
    [order] = SupervisionOrder.objects.all()
    assert order.issued_by.username == "paogaiban" and order.department.code == "ld-scjg"
    again = orders_demo_load(now=RATED_AT)
    assert not again.changed and SupervisionOrder.objects.count() == 1


def test_ratings_demo_rates_completed_cases_with_one_bad_rating_called_back(demo):
    district = Department.objects.get(code="ld-scjg")
    cases = [completed_case(department=district) for _ in range(3)]
    summary = ratings_demo_load(now=RATED_AT)
    assert summary.changed
    assert RatingPolicy.objects.get(region__code="331102000000").service_centre.code == "ld-zwfw"
    ratings = list(Rating.objects.filter(case__in=cases).order_by("case__completed_at", "case_id"))
    assert len(ratings) == 3 and all(r.rater_id == r.case.applicant_id for r in ratings)
    bad = [r for r in ratings if r.is_bad]
    assert len(bad) == 1
    rect = Rectification.objects.get(rating=bad[0])
    assert rect.status == RectificationStatus.RECTIFYING and rect.callback_note
    again = ratings_demo_load(now=RATED_AT)
    assert not again.changed and Rating.objects.count() == 3
