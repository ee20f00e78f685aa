from collections.abc import Iterator

import pytest
from django.db import transaction

from onetrip.demo.loader import DemoSummary, load_demo, load_demo_activity


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[DemoSummary]:
    """The whole demo (catalogue and its activity), loaded once per module in a transaction rolled back at
    the end."""
    with django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
        summary = load_demo_activity(load_demo())
        yield summary
        transaction.set_rollback(True)
