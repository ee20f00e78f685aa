"""Who may do what: roles and their department/region scope. Every list filters in SQL with these."""

from __future__ import annotations

from typing import Any

from onetrip.orgs.models import Role, RoleAssignment

STAFF_ROLES = frozenset(
    {Role.CLERK, Role.HANDLER, Role.LEADER, Role.SUPERVISOR, Role.CATALOG_ADMIN, Role.SYSTEM_ADMIN}
)


def roles_of(user: Any) -> frozenset[str]:
    """The set of role names a signed-in user holds (cached on the user object for the request)."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_onetrip_roles", None)
    if cached is None:
        cached = frozenset(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))
        if user.is_superuser:
            cached = cached | {Role.SYSTEM_ADMIN}
        user._onetrip_roles = cached
    return cached


def has_role(user: Any, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))
