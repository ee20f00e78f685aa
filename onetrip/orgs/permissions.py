"""Who may do what: roles and their department/region scope. Every list filters in SQL with these.

A `Scope` says whose work a principal (a signed-in user, or an API key) may see:

- a system admin (or a Django superuser) sees everything;
- a handler or leader sees the work of the department(s) they are assigned to;
- a clerk sees the work of every department in the region of their hall (一窗受理 serves them all);
- a supervisor or catalogue admin sees a region's departments, including those of every region below it
  (matched by the region-code prefix, see orgs.services), or one department, or everything when unscoped;
- everybody signed in sees the rows they own (an applicant sees nothing else);
- an API key bound to a department sees that department's work; an unbound key sees everything its API
  scopes allow.

`scope_queryset(qs, principal, department_field=..., owner_field=...)` turns that into one WHERE clause:
`department_id IN (ids) OR department_id IN (SELECT … region code LIKE 'prefix%') OR owner_id = me`.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import reduce
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet

from onetrip.orgs.models import ApiKey, Department, Role, RoleAssignment

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
    owner_id: int | None = None

    @classmethod
    def nothing(cls) -> Scope:
        return cls()

    def __or__(self, other: Scope) -> Scope:
        return Scope(
            everything=self.everything or other.everything,
            department_ids=self.department_ids | other.department_ids,
            region_prefixes=self.region_prefixes | other.region_prefixes,
            owner_id=self.owner_id if self.owner_id is not None else other.owner_id,
        )

    @property
    def has_departments(self) -> bool:
        return self.everything or bool(self.department_ids or self.region_prefixes)

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
        if not self.region_prefixes:
            return self.department_ids
        return frozenset(Department.objects.filter(condition).values_list("pk", flat=True))

    def allows_department(self, department_id: int | None) -> bool:
        if self.everything:
            return True
        if department_id is None:
            return False
        if department_id in self.department_ids:
            return True
        if not self.region_prefixes:
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
    region = assignment.region
    if region is None and assignment.window is not None:
        region = assignment.window.hall.region
    if region is not None:
        return Scope(region_prefixes=frozenset({region.prefix}))
    # An unscoped supervisor or catalogue admin works across the whole deployment; an unscoped clerk or
    # handler is not valid (services refuse it), so it sees nothing rather than everything.
    return Scope(everything=role in (Role.SUPERVISOR, Role.CATALOG_ADMIN))


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
