"""The HTTP JSON adapter against a real server on loopback: normal, slow, dead, malformed, retries, breaker."""

from __future__ import annotations

import time

import pytest

from onetrip.sharing.adapters import (
    CircuitBreaker,
    HttpConfig,
    HttpJsonAdapter,
    SourceDataError,
    SourceUnavailable,
    Subject,
    breakers_reset,
)
from onetrip.sharing.tests.loopback import dead_url, loopback_server, url

SUBJECT = Subject(id_number="332801199003071234")


@pytest.fixture(autouse=True)
def _fresh_breakers():
    breakers_reset()
    yield
    breakers_reset()


def adapter(address: str, **config) -> HttpJsonAdapter:
    return HttpJsonAdapter("test-source", HttpConfig.from_dict({"url": address, "backoff": 0.01, **config}))


def test_normal_answer_returns_the_requested_fields_and_sends_the_subject_in_the_body():
    with loopback_server({"account": "331100000001", "other": "x"}) as server:
        data = adapter(url(server, "/ok")).fetch(SUBJECT, ["account"], 1.0)
    assert data == {"account": "331100000001"}
    call = server.calls[0]
    assert call["body"] == {"subject": {"person": SUBJECT.id_number}, "fields": ["account"]}
    assert SUBJECT.id_number not in call["path"]


def test_credentials_come_from_the_named_environment_variable(monkeypatch):
    monkeypatch.setenv("ONETRIP_TEST_SOURCE_TOKEN", "s3cret")
    with loopback_server({"account": "1"}) as server:
        adapter(url(server, "/ok"), credentials_ref="ONETRIP_TEST_SOURCE_TOKEN").fetch(
            SUBJECT, ["account"], 1.0
        )
    assert server.calls[0]["auth"] == "Bearer s3cret"


def test_missing_credentials_are_reported_without_the_secret(monkeypatch):
    monkeypatch.delenv("ONETRIP_TEST_SOURCE_TOKEN", raising=False)
    with loopback_server() as server, pytest.raises(SourceUnavailable) as exc:
        adapter(url(server, "/ok"), credentials_ref="ONETRIP_TEST_SOURCE_TOKEN").fetch(
            SUBJECT, ["account"], 1.0
        )
    assert exc.value.reason == "credentials_missing"
    assert server.calls == []


def test_not_found_is_an_empty_answer():
    with loopback_server() as server:
        assert adapter(url(server, "/notfound")).fetch(SUBJECT, ["account"], 1.0) == {}


def test_slow_source_times_out_within_its_timeout():
    with loopback_server() as server:
        started = time.monotonic()
        with pytest.raises(SourceUnavailable) as exc:
            adapter(url(server, "/slow"), timeout=0.3).fetch(SUBJECT, ["account"], 0.3)
        elapsed = time.monotonic() - started
    assert exc.value.reason == "timeout"
    assert elapsed < 1.5  # well before the server's 2 s answer


def test_dead_source_is_unreachable_after_its_retries():
    with pytest.raises(SourceUnavailable) as exc:
        adapter(dead_url(), retries=2).fetch(SUBJECT, ["account"], 1.0)
    assert exc.value.reason == "unreachable"


def test_malformed_json_is_a_data_error():
    with loopback_server() as server, pytest.raises(SourceDataError):
        adapter(url(server, "/malformed")).fetch(SUBJECT, ["account"], 1.0)


def test_wrong_shape_is_a_data_error():
    with loopback_server() as server, pytest.raises(SourceDataError):
        adapter(url(server, "/wrong-shape")).fetch(SUBJECT, ["account"], 1.0)


def test_a_server_error_is_retried_with_backoff():
    with loopback_server({"account": "7"}) as server:
        data = adapter(url(server, "/flaky"), retries=1).fetch(SUBJECT, ["account"], 1.0)
    assert data == {"account": "7"}
    assert len(server.calls) == 2


def test_server_error_without_retries_fails():
    with loopback_server() as server, pytest.raises(SourceUnavailable) as exc:
        adapter(url(server, "/error"), retries=0).fetch(SUBJECT, ["account"], 1.0)
    assert exc.value.reason == "http_error"


def test_breaker_opens_after_n_failures_and_then_calls_nothing():
    with loopback_server() as server:
        a = adapter(url(server, "/error"), retries=0, breaker_failures=3, breaker_open_seconds=60)
        for _ in range(3):
            with pytest.raises(SourceUnavailable):
                a.fetch(SUBJECT, ["account"], 1.0)
        with pytest.raises(SourceUnavailable) as exc:
            a.fetch(SUBJECT, ["account"], 1.0)
    assert exc.value.reason == "circuit_open"
    assert len(server.calls) == 3


def test_breaker_half_opens_after_its_open_time_and_closes_on_success():
    now = [0.0]
    breaker = CircuitBreaker(2, 10.0, clock=lambda: now[0])
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state == "open" and not breaker.allow()
    now[0] = 10.5
    assert breaker.state == "half_open"
    assert breaker.allow()  # one trial call
    assert not breaker.allow()  # and only one
    breaker.record_success()
    assert breaker.state == "closed" and breaker.allow()


def test_breaker_reopens_when_the_trial_call_fails():
    now = [0.0]
    breaker = CircuitBreaker(1, 5.0, clock=lambda: now[0])
    breaker.record_failure()
    now[0] = 6.0
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open"


def test_configuration_must_be_an_http_url():
    with pytest.raises(ValueError):
        HttpConfig.from_dict({"url": "file:///etc/passwd"})
