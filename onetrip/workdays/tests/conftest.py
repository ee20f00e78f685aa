from pathlib import Path

import pytest

from onetrip.workdays.selectors import calendar_cache_clear

EXAMPLE_2027 = Path(__file__).resolve().parent.parent / "data" / "example-2027.toml"


@pytest.fixture
def example_2027() -> bytes:
    return EXAMPLE_2027.read_bytes()


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    calendar_cache_clear()
    yield
    calendar_cache_clear()
