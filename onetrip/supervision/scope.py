"""Who sees which supervision rows: supervisors their region, leaders their departments, handlers their own
tasks, system admins everything. Built on orgs.permissions' `scope_for` and `Scope` (a supervisor posted in
the 跑改办 but granted a region supervises the region), so every list filters in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from onetrip.orgs.models import Role, RoleAssignment, User
from onetrip.orgs.permissions import Scope, roles_of, scope_for


def supervisor_scope(user: User) -> Scope:
    """The departments a supervisor watches (everything for a system admin; nothing without either role)."""
    if user is None or not user.is_authenticated:
        return Scope()
    if Role.SYSTEM_ADMIN in roles_of(user):
        return Scope(everything=True)
    return scope_for(user, Role.SUPERVISOR)


def _departments(user: User, role: str) -> frozenset[int]:
    return frozenset(
        RoleAssignment.objects.filter(user=user, role=role, department__isnull=False).values_list(
            "department_id", flat=True
        )
    )


@dataclass(frozen=True)
class Visibility:
    """Departments seen whole (supervisor/leader/admin), plus the handler's own tasks."""

    departments: Scope
    handler_departments: frozenset[int]
    user_id: int | None

    @property
    def any(self) -> bool:
        return self.departments.has_departments or bool(self.handler_departments) or self.user_id is not None

    def tasks_q(self, prefix: str = "") -> Q | None:
        """WHERE clause over flow.TaskRecord (through `prefix`, e.g. "task__"); None means every row."""
        if self.departments.everything:
            return None
        parts: list[Q] = []
        dq = self.departments.departments_q(f"{prefix}department")
        if dq is not None:
            parts.append(dq)
        if self.user_id is not None:
            # A handler's own work: tasks named to them, and the unclaimed tasks of their departments.
            parts.append(Q(**{f"{prefix}assignee_id": self.user_id}))
            if self.handler_departments:
                parts.append(
                    Q(
                        **{
                            f"{prefix}assignee__isnull": True,
                            f"{prefix}department_id__in": sorted(self.handler_departments),
                        }
                    )
                )
        q = parts[0]
        for part in parts[1:]:
            q |= part
        return q


def visibility(user: User) -> Visibility | None:
    """What `user` may see on the warning board; None when nothing (not a supervisor, leader or handler)."""
    if user is None or not user.is_authenticated:
        return None
    roles = roles_of(user)
    scope = supervisor_scope(user) if roles & {Role.SUPERVISOR, Role.SYSTEM_ADMIN} else Scope()
    leader = _departments(user, Role.LEADER) if Role.LEADER in roles else frozenset()
    if leader:
        scope = scope | Scope(department_ids=leader)
    handler = _departments(user, Role.HANDLER) if Role.HANDLER in roles else frozenset()
    result = Visibility(scope, handler, user.pk if Role.HANDLER in roles else None)
    return result if result.any else None


def oversight(user: User) -> Scope | None:
    """Departments whose accountability figures `user` may read: supervisors (their region), leaders (their
    departments), system admins; None for everybody else."""
    if user is None or not user.is_authenticated:
        return None
    roles = roles_of(user)
    scope = supervisor_scope(user) if roles & {Role.SUPERVISOR, Role.SYSTEM_ADMIN} else Scope()
    if Role.LEADER in roles:
        scope = scope | Scope(department_ids=_departments(user, Role.LEADER))
    return scope if scope.has_departments else None
