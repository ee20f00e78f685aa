"""schemathesis over the whole OpenAPI document: no request, valid or not, answers 5xx.

Every operation is fuzzed as an API key (every scope, bound to no department) and as each session role of
the demo city (clerk, handler, supervisor, catalogue admin, applicant), with schema-valid and schema-breaking
inputs. The budget is bounded and fixed: `derandomize` makes every run draw the same examples, so a failure
reproduces and the run takes the same time on every machine. Requests go through Django's test client in
this process, on the demo loaded once for the module (rolled back at the end).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import schemathesis
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable

from onetrip.api import api
from onetrip.demo.loader import load_demo, load_demo_activity
from onetrip.orgs.auth import API_SCOPES, KEY_HEADER, api_key_create
from onetrip.orgs.models import User

# Examples per operation and generation mode, each sent as all six identities: 118 operations × (5 + 3)
# examples × 6 is about 5,700 requests, a minute or two per database besides loading the demo.
POSITIVE_EXAMPLES = 5
NEGATIVE_EXAMPLES = 3
ROLES = {
    "clerk": "chuangkou",
    "handler": "scjg-jingban",
    "supervisor": "paogaiban",
    "catalogue admin": "shixiang",
    "applicant": "zhangsan",
}


@pytest.fixture(scope="module")
def demo_city(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """The demo, and the plaintext of an unbound key with every scope."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_demo_activity(load_demo())
        _, plaintext = api_key_create(name="fuzz", scopes=list(API_SCOPES), created_by=None)
        yield plaintext
        transaction.set_rollback(True)


def _send(client: Client, case: schemathesis.Case, extra: dict[str, str]) -> Any:
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    url = urlsplit(kwargs["url"])
    headers = {
        k: v for k, v in kwargs.get("headers", {}).items() if k.lower() not in {"content-length", "host"}
    }
    headers.update(extra)
    content_type = headers.pop("Content-Type", None) or headers.pop("content-type", None)
    if "json" in kwargs:
        data: Any = json.dumps(kwargs["json"])
        content_type = content_type or "application/json"
    elif "data" in kwargs:
        data = kwargs["data"]
        if isinstance(data, dict):
            data = urlencode(data, doseq=True)
            content_type = content_type or "application/x-www-form-urlencoded"
    else:
        data = ""
    query = dict(kwargs.get("params") or {})
    query_string = urlencode(query, doseq=True)
    if url.query:
        query_string = f"{url.query}&{query_string}" if query_string else url.query
    return client.generic(
        kwargs["method"],
        url.path,
        data=data,
        content_type=content_type or "application/octet-stream",
        QUERY_STRING=query_string,
        headers=headers,
    )


def _fuzz(operation: Any, identities: dict[str, tuple[Client, dict[str, str]]]) -> list[str]:
    """Draws the examples of one operation once and sends each as every identity."""
    found: list[str] = []
    for mode, examples in (
        (schemathesis.GenerationMode.POSITIVE, POSITIVE_EXAMPLES),
        (schemathesis.GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES),
    ):

        @settings(
            max_examples=examples,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: schemathesis.Case) -> None:
            for label, (client, extra) in identities.items():
                response = _send(client, case, extra)
                if response.status_code >= 500 and len(found) < 3:
                    exc = getattr(response, "exc_info", None)
                    why = repr(exc[1]) if exc else response.content[:200]
                    found.append(
                        f"[{label}] {case.method} {case.formatted_path} {response.status_code}: {why}"
                    )

        # Unsatisfiable: no schema-breaking input exists for this operation (it takes no parameters).
        with contextlib.suppress(Unsatisfiable):
            run()
    return found


@pytest.mark.django_db
def test_no_operation_answers_5xx_as_a_key_or_any_role(demo_city: str) -> None:
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1/"))
    operations = [result.ok() for result in schema.get_all_operations()]
    identities: dict[str, tuple[Client, dict[str, str]]] = {
        "API key": (Client(raise_request_exception=False), {KEY_HEADER: demo_city})
    }
    for label, username in ROLES.items():
        client = Client(raise_request_exception=False)
        client.force_login(User.objects.get(username=username))
        identities[label] = (client, {})
    failures: list[str] = []
    for operation in operations:
        failures += _fuzz(operation, identities)
    assert not failures, "\n".join(failures)
