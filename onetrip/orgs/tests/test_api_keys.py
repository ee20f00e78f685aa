import datetime as dt
import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from onetrip.core import clock
from onetrip.core.errors import DomainError
from onetrip.orgs.auth import LAST_USED_RESOLUTION, api_key_create, api_key_revoke, api_key_verify
from onetrip.orgs.models import ApiKey, Role
from onetrip.orgs.services import role_assign
from onetrip.orgs.tests import factories as f

pytestmark = pytest.mark.django_db
URL = "/api/v1/orgs/departments"
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def fixed_clock():
    c = clock.FixedClock(T0)
    previous = clock.set_clock(c)
    yield c
    clock.set_clock(previous)


def error_codes(response):
    body = response.json()
    for error in body["errors"]:
        assert error["message_zh"] and error["message_en"]
    return [e["code"] for e in body["errors"]]


def test_key_is_shown_once_and_only_its_sha256_is_stored():
    key, plaintext = api_key_create(name="不动产系统", scopes=["orgs:read", "catalog:read"], created_by=None)
    assert plaintext.startswith(f"ot_{key.prefix}_")
    secret = plaintext.split("_", 2)[2]
    assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiKey.objects.values().get(pk=key.pk))
    assert api_key_verify(plaintext) == key


def test_key_creation_validates_scopes_name_and_expiry(fixed_clock):
    with pytest.raises(DomainError) as exc:
        api_key_create(name="", scopes=["orgs:delete"], created_by=None, expires_at=T0 - dt.timedelta(days=1))
    assert {(e.code, e.field) for e in exc.value.errors} == {
        ("required", "name"),
        ("invalid_scope", "scopes"),
        ("expiry_in_past", "expires_at"),
    }
    assert not ApiKey.objects.exists()


def test_missing_key_and_no_session_is_401(client):
    response = client.get(URL)
    assert response.status_code == 401
    assert error_codes(response) == ["unauthenticated"]


@pytest.mark.parametrize(
    "header",
    ["nonsense", "ot_abcdefgh_wrongsecret", "ot_short_x", ""],
    ids=["garbage", "unknown", "bad", "empty"],
)
def test_wrong_key_is_401(client, header):
    api_key_create(name="k", scopes=["orgs:read"], created_by=None)
    response = client.get(URL, headers={"X-API-Key": header})
    assert response.status_code == 401
    assert error_codes(response)[0] in {"invalid_api_key", "unauthenticated"}


def test_right_prefix_with_wrong_secret_is_401(client):
    key, plaintext = api_key_create(name="k", scopes=["orgs:read"], created_by=None)
    response = client.get(URL, headers={"X-API-Key": plaintext[:-2] + "zz"})
    assert response.status_code == 401
    assert error_codes(response) == ["invalid_api_key"]


def test_revoked_key_is_401(client):
    key, plaintext = api_key_create(name="k", scopes=["orgs:read"], created_by=None)
    api_key_revoke(key=key)
    response = client.get(URL, headers={"X-API-Key": plaintext})
    assert response.status_code == 401
    assert error_codes(response) == ["api_key_revoked"]


def test_expired_key_is_401(client, fixed_clock):
    key, plaintext = api_key_create(
        name="k", scopes=["orgs:read"], created_by=None, expires_at=T0 + dt.timedelta(hours=1)
    )
    assert client.get(URL, headers={"X-API-Key": plaintext}).status_code == 200
    fixed_clock.advance(dt.timedelta(hours=1))
    response = client.get(URL, headers={"X-API-Key": plaintext})
    assert response.status_code == 401
    assert error_codes(response) == ["api_key_expired"]


def test_key_without_the_scope_is_403(client):
    _, plaintext = api_key_create(name="k", scopes=["catalog:read"], created_by=None)
    response = client.get(URL, headers={"X-API-Key": plaintext})
    assert response.status_code == 403
    assert error_codes(response) == ["scope_missing"]


def test_key_with_the_scope_is_200(client):
    _, plaintext = api_key_create(name="k", scopes=["orgs:read"], created_by=None)
    response = client.get(URL, headers={"X-API-Key": plaintext})
    assert response.status_code == 200
    assert response.json() == {"items": [], "next_after": None}


def test_a_bad_key_is_not_rescued_by_a_session(client):
    user = f.user()
    client.force_login(user)
    assert client.get(URL).status_code == 200
    response = client.get(URL, headers={"X-API-Key": "ot_abcdefgh_nope"})
    assert response.status_code == 401


def test_last_used_is_written_at_most_once_a_minute(client, fixed_clock, django_assert_num_queries):
    key, plaintext = api_key_create(name="k", scopes=["orgs:read"], created_by=None)
    api_key_verify(plaintext)
    key.refresh_from_db()
    assert key.last_used_at == T0
    fixed_clock.advance(LAST_USED_RESOLUTION - dt.timedelta(seconds=1))
    with django_assert_num_queries(1):  # the lookup only, no UPDATE
        api_key_verify(plaintext)
    key.refresh_from_db()
    assert key.last_used_at == T0
    fixed_clock.advance(dt.timedelta(seconds=1))
    api_key_verify(plaintext)
    key.refresh_from_db()
    assert key.last_used_at == T0 + LAST_USED_RESOLUTION


def test_session_write_scope_needs_a_role():
    from onetrip.orgs.auth import session_scopes

    user = f.user()
    assert "orgs:write" not in session_scopes(user)
    assert "orgs:read" in session_scopes(user)
    role_assign(user=user, role=Role.SYSTEM_ADMIN)
    assert {"orgs:write", "catalog:write"} <= session_scopes(user)


def test_cli_creates_a_key_printed_once_and_revokes_it():
    out = StringIO()
    call_command(
        "apikey", "create", "税务系统", "--scope", "catalog:read", "--scope", "orgs:read", stdout=out
    )
    plaintext = out.getvalue().strip().splitlines()[-1]
    key = api_key_verify(plaintext)
    assert key.scopes == ["catalog:read", "orgs:read"]
    call_command("apikey", "revoke", key.prefix, stdout=StringIO())
    key.refresh_from_db()
    assert not key.is_active
    listing = StringIO()
    call_command("apikey", "list", stdout=listing)
    assert key.prefix in listing.getvalue() and plaintext not in listing.getvalue()
    with pytest.raises(CommandError):
        call_command("apikey", "revoke", "zzzzzzzz", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command(
            "apikey", "create", "x", "--scope", "orgs:read", "--department", "nope", stdout=StringIO()
        )
