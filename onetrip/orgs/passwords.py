"""Password rules beyond Django's validators: no username, ID number or phone number inside a password.

Django's UserAttributeSimilarityValidator judges similarity, which misses a password that merely contains
the ID number (`zs332801199003071234`) or is a piece of it (the birth date `19900307`, the last six digits).
This validator refuses both, for the username, the ID number and the phone number. Its messages name the
kind of data, never the data itself.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

# A piece this long of an ID or phone number is guessable from it (a birth date is 8, a phone's tail 4–6).
_MIN_PIECE = 6
_ATTRIBUTES = (
    ("username", "用户名", "username"),
    ("id_number", "身份证号码", "ID number"),
    ("phone", "手机号码", "phone number"),
)


def _plain(value: str) -> str:
    return re.sub(r"[^0-9a-z]", "", value.lower())


def _shares_piece(plain: str, value: str) -> bool:
    """The password holds six characters in a row of the value (`Zs@19900307` holds the ID's birth date)."""
    return any(value[i : i + _MIN_PIECE] in plain for i in range(len(value) - _MIN_PIECE + 1))


class PersonalDataPasswordValidator:
    """Refuses a password that contains the user's username, ID number or phone number, six characters in a
    row of one of them, or that is such a piece."""

    def validate(self, password: str, user: Any = None) -> None:
        if user is None:
            return
        plain = _plain(password)
        for attribute, name_zh, _ in _ATTRIBUTES:
            value = _plain(str(getattr(user, attribute, "") or ""))
            if len(value) < 3:
                continue
            if value in plain or (len(plain) >= _MIN_PIECE and plain in value) or _shares_piece(plain, value):
                raise ValidationError(
                    f"密码不能包含{name_zh}或其中的一段，请换一个别人猜不到的密码。",
                    code="password_contains_personal_data",
                )

    def get_help_text(self) -> str:
        return "密码不能包含您的用户名、身份证号码或手机号码。"


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's length rule with its message in Chinese (Django's own zh-hans catalogue lacks this text)."""

    def get_error_message(self) -> str:
        return f"密码太短，至少需要 {self.min_length} 个字符。"

    def get_help_text(self) -> str:
        return f"密码至少需要 {self.min_length} 个字符。"
