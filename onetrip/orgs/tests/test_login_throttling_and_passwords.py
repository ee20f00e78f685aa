"""Accounts: wrong passwords lock a username for a while (django-axes), and passwords that hold the
username, the ID number or the phone number, common passwords and short ones are refused."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from onetrip.core.errors import DomainError
from onetrip.orgs import services

pytestmark = pytest.mark.django_db

ID_NUMBER = "11010519491231002X"
PHONE = "13812345678"
PASSWORD = "Qingshan-river-7"


def _user():
    return services.user_create(
        username="zhangsan", password=PASSWORD, display_name="张三", id_number=ID_NUMBER, phone=PHONE
    )


def _login(client, password):
    return client.post(reverse("portal:login"), {"username": "zhangsan", "password": password})


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_five_wrong_passwords_lock_the_username_even_for_the_right_password(client):
    _user()
    for _ in range(4):
        assert _login(client, "wrong-password-1").status_code == 200
    assert not _signed_in(client)
    locked = _login(client, "wrong-password-1")
    assert locked.status_code == 429
    assert "账号已暂时锁定" in locked.content.decode() and "15 分钟" in locked.content.decode()
    right = _login(client, PASSWORD)
    assert right.status_code == 429 and not _signed_in(client)
    # Another browser (another address) is locked out too: the username is what is locked.
    other = client.__class__(REMOTE_ADDR="10.9.8.7")
    assert _login(other, PASSWORD).status_code == 429 and not _signed_in(other)


def test_the_lock_ends_after_the_cool_off(client):
    _user()
    for _ in range(5):
        _login(client, "wrong-password-1")
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))
    response = _login(client, PASSWORD)
    assert response.status_code == 302 and _signed_in(client)


def test_a_successful_login_clears_the_count_of_failures(client):
    _user()
    for _ in range(4):
        _login(client, "wrong-password-1")
    assert _login(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert _login(client, "wrong-password-1").status_code == 200
    assert _login(client, PASSWORD).status_code == 302


def test_a_wrong_password_says_so_in_chinese_and_names_the_limit(client):
    _user()
    page = _login(client, "wrong-password-1").content.decode()
    assert "用户名或密码不正确" in page and "连续输错 5 次" in page


@pytest.mark.parametrize(
    "password",
    [
        "zhangsan2024!",  # the username
        "zs-" + ID_NUMBER.lower(),  # the whole ID number
        "Zs@19491231",  # the birth date inside the ID number
        "ab" + PHONE,  # the phone number
        "my-phone-345678",  # the phone's last six digits
    ],
)
def test_a_password_holding_the_username_id_number_or_phone_is_refused(password):
    with pytest.raises(DomainError) as exc:
        services.user_create(username="zhangsan", password=password, id_number=ID_NUMBER, phone=PHONE)
    errors = exc.value.errors
    assert all(e.code == "weak_password" and e.field == "password" for e in errors)
    assert any("密码不能包含" in e.message_zh for e in errors)
    assert ID_NUMBER not in str(exc.value) and PHONE not in str(exc.value)


@pytest.mark.parametrize(
    ("password", "expected"),
    [("password123", "太常见"), ("Kx7#q", "太短"), ("7415963208", "只包含数字")],
)
def test_common_short_and_numeric_passwords_are_refused_in_chinese(password, expected):
    with pytest.raises(DomainError) as exc:
        services.user_create(username="lisi", password=password)
    assert any(expected in e.message_zh for e in exc.value.errors), exc.value.errors


def test_a_good_password_is_accepted_and_signs_in(client):
    _user()
    assert _login(client, PASSWORD).status_code == 302 and _signed_in(client)


def test_the_demo_password_satisfies_the_rules_for_every_demo_user():
    from django.contrib.auth.password_validation import validate_password

    from onetrip.demo.people import DEMO_PASSWORD, USERS
    from onetrip.orgs.models import User

    for spec in USERS:
        user = User(username=spec.username, display_name=spec.display_name, id_number=spec.id_number)
        user.phone = spec.phone
        validate_password(DEMO_PASSWORD, user)
