"""Navigation shown in the base layout, by role."""

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, object]:
    from onetrip.orgs.permissions import roles_of

    user = getattr(request, "user", None)
    roles = roles_of(user) if user is not None and user.is_authenticated else frozenset()
    return {"nav_roles": roles}
