"""Who may do what: roles and their department/region scope. Every list filters in SQL with these.

A `Scope` says whose work a principal (a signed-in user, or an API key) may see:

- a system admin (or a Django superuser) sees everything;
- a handler or leader sees the work of the department(s) they are assigned to;
- a clerk sees (and accepts) the work of the departments their window serves (一窗受理): at a comprehensive
  window (综合窗口) every department stationed in the hall (进驻部门, of any level); at a department
  immediate-service window (部门即办窗口) that department; a clerk of a region without a window, the
  departments stationed in the halls of that region. `clerk_covers` / `require_clerk_covers` are the one rule
  the acceptance services, the window's lists and its look-ups use;
- a supervisor or catalogue admin sees a region's departments, including those of every region below it
  (matched by the region-code prefix, see orgs.services), or one department, or everything when unscoped;
- everybody signed in sees the rows they own (an applicant sees nothing else);
- an API key bound to a department sees that department's work; an unbound key sees everything its API
  scopes allow.

`scope_queryset(qs, principal, department_field=..., owner_field=...)` turns that into one WHERE clause:
`department_id IN (ids) OR department_id IN (SELECT … region code LIKE 'prefix%')
OR department_id IN (SELECT department_id FROM hall stations WHERE hall_id IN (halls)) OR owner_id = me`
(the last subquery reads the (hall, department) unique index).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import reduce
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet

from onetrip.core.errors import ErrorDetail, Forbidden
from onetrip.orgs.models import (
    ApiKey,
    Department,
    HallDepartment,
    Role,
    RoleAssignment,
    ServiceHall,
    Window,
    WindowCategory,
)

STAFF_ROLES = frozenset(
    {Role.CLERK, Role.HANDLER, Role.LEADER, Role.SUPERVISOR, Role.CATALOG_ADMIN, Role.SYSTEM_ADMIN}
)

M = TypeVar("M", bound=Model)


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


@dataclass(frozen=True)
class Scope:
    """The departments whose work a principal may see, and whose own rows it may see."""

    everything: bool = False
    department_ids: frozenset[int] = frozenset()
    region_prefixes: frozenset[str] = frozenset()
    hall_ids: frozenset[int] = frozenset()  # the departments stationed in these halls (进驻部门)
    owner_id: int | None = None

    @classmethod
    def nothing(cls) -> Scope:
        return cls()

    def __or__(self, other: Scope) -> Scope:
        return Scope(
            everything=self.everything or other.everything,
            department_ids=self.department_ids | other.department_ids,
            region_prefixes=self.region_prefixes | other.region_prefixes,
            hall_ids=self.hall_ids | other.hall_ids,
            owner_id=self.owner_id if self.owner_id is not None else other.owner_id,
        )

    @property
    def has_departments(self) -> bool:
        return self.everything or bool(self.department_ids or self.region_prefixes or self.hall_ids)

    def departments_q(self, department_field: str = "department") -> Q | None:
        """A Q restricting `department_field` to the scope's departments; None when there are none.
        Use department_field="pk" to filter Department itself."""
        parts: list[Q] = []
        if self.department_ids:
            parts.append(Q(**{f"{department_field}__in": sorted(self.department_ids)}))
        if self.region_prefixes:
            in_regions = reduce(
                operator.or_, (Q(region__code__startswith=p) for p in sorted(self.region_prefixes))
            )
            parts.append(Q(**{f"{department_field}__in": Department.objects.filter(in_regions).values("pk")}))
        if self.hall_ids:
            stationed = HallDepartment.objects.filter(hall_id__in=sorted(self.hall_ids))
            parts.append(Q(**{f"{department_field}__in": stationed.values("department_id")}))
        return reduce(operator.or_, parts) if parts else None

    def q(self, *, department_field: str | None = "department", owner_field: str | None = None) -> Q | None:
        """The WHERE clause for this scope; None means "no rows" (check `everything` first)."""
        parts: list[Q] = []
        if department_field is not None:
            departments = self.departments_q(department_field)
            if departments is not None:
                parts.append(departments)
        if owner_field is not None and self.owner_id is not None:
            parts.append(Q(**{owner_field: self.owner_id}))
        return reduce(operator.or_, parts) if parts else None

    def filter(
        self, qs: QuerySet[M], *, department_field: str | None = "department", owner_field: str | None = None
    ) -> QuerySet[M]:
        if self.everything:
            return qs
        condition = self.q(department_field=department_field, owner_field=owner_field)
        return qs.filter(condition) if condition is not None else qs.none()

    def department_ids_resolved(self) -> frozenset[int] | None:
        """The department ids in scope (one query when regions are involved); None means every department."""
        if self.everything:
            return None
        condition = self.departments_q("pk")
        if condition is None:
            return frozenset()
        if not (self.region_prefixes or self.hall_ids):
            return self.department_ids
        return frozenset(Department.objects.filter(condition).values_list("pk", flat=True))

    def allows_department(self, department_id: int | None) -> bool:
        if self.everything:
            return True
        if department_id is None:
            return False
        if department_id in self.department_ids:
            return True
        if not (self.region_prefixes or self.hall_ids):
            return False
        condition = self.departments_q("pk")
        return condition is not None and Department.objects.filter(condition, pk=department_id).exists()


def _assignment_scope(assignment: RoleAssignment) -> Scope:
    role = assignment.role
    if role == Role.SYSTEM_ADMIN:
        return Scope(everything=True)
    if role in (Role.APPLICANT, Role.DEPUTY):  # deputies see only their own pairings (onetrip.orders)
        return Scope()
    # A supervisor posted in a department (跑改办) but granted a region supervises the whole region.
    if assignment.department_id is not None and not (role == Role.SUPERVISOR and assignment.region_id):
        return Scope(department_ids=frozenset({assignment.department_id}))
    if role == Role.CLERK:
        return _clerk_scope(assignment)
    region = assignment.region
    if region is not None:
        return Scope(region_prefixes=frozenset({region.prefix}))
    # An unscoped supervisor or catalogue admin works across the whole deployment; an unscoped handler is
    # not valid (services refuse it), so it sees nothing rather than everything.
    return Scope(everything=role in (Role.SUPERVISOR, Role.CATALOG_ADMIN))


def window_scope(window: Window) -> Scope:
    """What a window accepts: a comprehensive window every department stationed in its hall, a department
    immediate-service window its own department."""
    if window.category == WindowCategory.DEPARTMENT and window.department_id is not None:
        return Scope(department_ids=frozenset({window.department_id}))
    return Scope(hall_ids=frozenset({window.hall_id}))


def _clerk_scope(assignment: RoleAssignment) -> Scope:
    # The window the clerk is posted at decides (per window category); a clerk of a region without a window
    # works for the halls of that region and below.
    if assignment.window is not None:
        return window_scope(assignment.window)
    if assignment.region is None:
        return Scope()  # an unscoped clerk is not valid (services refuse it): nothing
    halls = ServiceHall.objects.filter(region__code__startswith=assignment.region.prefix)
    return Scope(hall_ids=frozenset(halls.values_list("pk", flat=True)))


def scope_for(principal: Any, role: str | None = None) -> Scope:
    """The scope of a user (optionally only in one role) or of an API key."""
    if isinstance(principal, ApiKey):
        if not principal.is_active:
            return Scope()
        if principal.department_id is None:
            return Scope(everything=True)
        return Scope(department_ids=frozenset({principal.department_id}))
    if principal is None or not getattr(principal, "is_authenticated", False):
        return Scope()
    if role is None:
        cached = getattr(principal, "_onetrip_scope", None)
        if cached is not None:
            return cached
    assignments = RoleAssignment.objects.filter(user=principal).select_related(
        "region", "window__hall__region"
    )
    if role is not None:
        assignments = assignments.filter(role=role)
    scope = Scope(owner_id=principal.pk if role in (None, Role.APPLICANT) else None)
    if principal.is_superuser and role in (None, Role.SYSTEM_ADMIN):
        scope = scope | Scope(everything=True)
    for assignment in assignments:
        scope = scope | _assignment_scope(assignment)
    if role is None:
        principal._onetrip_scope = scope
    return scope


# The roles that work on cases (applications, cases, tasks, their documents). A catalogue admin maintains the
# catalogue and a deputy follows their pairings: neither sees a case through their role (least privilege).
CASE_ROLES = frozenset({Role.CLERK, Role.HANDLER, Role.LEADER, Role.SUPERVISOR, Role.SYSTEM_ADMIN})


def case_scope_for(principal: Any) -> Scope:
    """The scope for reading cases and applications: `scope_for` over the case-working roles only (plus the
    rows the person owns). An API key's scope is its department (or everything when unbound)."""
    if isinstance(principal, ApiKey):
        return scope_for(principal)
    if principal is None or not getattr(principal, "is_authenticated", False):
        return Scope()
    cached = getattr(principal, "_onetrip_case_scope", None)
    if cached is not None:
        return cached
    scope = Scope(owner_id=principal.pk)
    if principal.is_superuser:
        scope = scope | Scope(everything=True)
    assignments = RoleAssignment.objects.filter(user=principal, role__in=sorted(CASE_ROLES)).select_related(
        "region", "window__hall__region"
    )
    for assignment in assignments:
        scope = scope | _assignment_scope(assignment)
    principal._onetrip_case_scope = scope
    return scope


def department_ids_for(principal: Any, role: str | None = None) -> frozenset[int] | None:
    """Ids of the departments whose work the principal may see (in `role`, if given); None means all."""
    return scope_for(principal, role).department_ids_resolved()


def scope_queryset(
    qs: QuerySet[M],
    principal: Any,
    *,
    department_field: str | None = "department",
    owner_field: str | None = None,
    role: str | None = None,
) -> QuerySet[M]:
    """Filter `qs` in SQL to what `principal` may see.

    department_field: the lookup path from the model to its Department ("department", "case__department",
    "pk" for Department itself); None when the model has no department. owner_field: the lookup path to the
    owning User ("applicant", "created_by"); rows it names are visible to their owner.
    """
    return scope_for(principal, role).filter(qs, department_field=department_field, owner_field=owner_field)


# --------------------------------------------------------------------------- window entitlement (一窗受理)


def clerk_may_use_window(clerk: Any, window: Window) -> bool:
    """Whether a clerk may work at `window`: a window of a hall they serve, or a window of their own
    department (a department window clerk)."""
    scope = scope_for(clerk, Role.CLERK)
    if scope.everything or window.hall_id in scope.hall_ids:
        return True
    return window.department_id is not None and window.department_id in scope.department_ids


def clerk_covers(clerk: Any, department_id: int | None, *, window: Window | None = None) -> bool:
    """Whether a clerk may accept (and read at the window) the items and bundles led by the department; at
    `window`, also whether that window's category serves it (a department window serves only its own)."""
    if not has_role(clerk, Role.CLERK) or not scope_for(clerk, Role.CLERK).allows_department(department_id):
        return False
    return window is None or window_scope(window).allows_department(department_id)


def clerk_filter(
    qs: QuerySet[M], clerk: Any, *, window: Window | None = None, department_field: str = "department"
) -> QuerySet[M]:
    """`clerk_covers` as SQL: the rows whose department the clerk (at `window`, when given) accepts for."""
    if not has_role(clerk, Role.CLERK):
        return qs.none()
    qs = scope_for(clerk, Role.CLERK).filter(qs, department_field=department_field)
    return qs if window is None else window_scope(window).filter(qs, department_field=department_field)


def clerk_windows_q(clerk: Any) -> Q | None:
    """`clerk_may_use_window` as SQL on Window (None: no window)."""
    if not has_role(clerk, Role.CLERK):
        return None
    scope = scope_for(clerk, Role.CLERK)
    if scope.everything:
        return Q()
    parts = [Q(hall_id__in=sorted(scope.hall_ids))] if scope.hall_ids else []
    if scope.department_ids:
        parts.append(Q(department_id__in=sorted(scope.department_ids)))
    return reduce(operator.or_, parts) if parts else None


def require_clerk_covers(clerk: Any, department: Department, *, window: Window | None = None) -> None:
    """403 `clerk_not_entitled`, naming the department, unless `clerk_covers` holds."""
    if clerk_covers(clerk, department.pk, window=window):
        return
    name = department.name
    if window is not None and window.category == WindowCategory.DEPARTMENT:
        zh = f"{window.number}窗口为{window.department}即办窗口，不受理{name}的事项，请到综合窗口办理"
        en = f"Window {window.number} serves only its own department, not {department.code}"
    else:
        zh = f"{name}未进驻本大厅，本窗口不能受理其事项和一件事"
        en = f"Department {department.code} is not stationed in this hall; its items cannot be accepted here"
    raise Forbidden(ErrorDetail("clerk_not_entitled", zh, en, "department"))
