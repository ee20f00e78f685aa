"""Sign-in through a unified identity provider (OIDC), active only when OIDC_RP_CLIENT_ID is set.

Users are matched by the provider's stable `sub` claim (stored as User.oidc_subject), never by e-mail or
name. A first sign-in creates an applicant account; later sign-ins refresh the name and phone. Staff roles
are still granted by a system admin in OneTrip.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from onetrip.orgs.models import Role, User
from onetrip.orgs.services import role_assign, user_create

_USERNAME_RE = re.compile(r"^[\w.@+-]{1,150}$")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def _subject_tag(sub: str) -> str:
    return hashlib.sha256(sub.encode()).hexdigest()[:16]


def claims_phone(claims: dict[str, Any]) -> str:
    """The mainland mobile number from `phone_number` (standard) or `phone`; '' if absent or malformed."""
    raw = str(claims.get("phone_number") or claims.get("phone") or "")
    digits = re.sub(r"[\s-]", "", raw).removeprefix("+86")
    return digits if _MOBILE_RE.match(digits) else ""


def claims_username(claims: dict[str, Any]) -> str:
    """`preferred_username` when it is a valid, free username; otherwise one derived from `sub`."""
    preferred = str(claims.get("preferred_username") or "").strip()
    if preferred and _USERNAME_RE.match(preferred) and not User.objects.filter(username=preferred).exists():
        return preferred
    return "oidc-" + _subject_tag(str(claims["sub"]))


class OneTripOIDCBackend(OIDCAuthenticationBackend):  # type: ignore[misc]
    def describe_user_by_claims(self, claims: dict[str, Any]) -> str:
        # Used in log lines: name the subject by a digest, never by personal data.
        return "subject " + _subject_tag(str(claims.get("sub", "")))

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(str(claims.get("sub") or "").strip())

    def filter_users_by_claims(self, claims: dict[str, Any]) -> QuerySet[User]:
        sub = str(claims.get("sub") or "").strip()
        if not sub:
            return User.objects.none()
        return User.objects.filter(oidc_subject=sub, is_active=True)

    @transaction.atomic
    def create_user(self, claims: dict[str, Any]) -> User:
        user = user_create(
            username=claims_username(claims),
            password=None,
            display_name=str(claims.get("name") or "").strip()[:64],
            email=str(claims.get("email") or "").strip() if claims.get("email_verified") else "",
            phone=claims_phone(claims),
            oidc_subject=str(claims["sub"]).strip(),
        )
        role_assign(user=user, role=Role.APPLICANT)
        return user

    def update_user(self, user: User, claims: dict[str, Any]) -> User:
        changed: list[str] = []
        name = str(claims.get("name") or "").strip()[:64]
        phone = claims_phone(claims)
        if name and name != user.display_name:
            user.display_name = name
            changed.append("display_name")
        if phone and phone != user.phone:
            user.phone = phone
            changed.append("phone")
        if changed:
            user.save(update_fields=changed)
        return user
