"""Reads for organisations: region tree, departments, halls with windows. Lists use keyset pagination."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from onetrip.core.errors import DomainError, ErrorDetail, not_found
from onetrip.orgs.models import (
    REGION_PREFIX_LENGTH,
    Department,
    Region,
    RoleAssignment,
    ServiceHall,
    User,
    Window,
)
from onetrip.orgs.permissions import clerk_windows_q

MAX_PAGE = 500
MAX_TREE_NODES = 5000


@dataclass
class RegionNode:
    region: Region
    children: list[RegionNode] = field(default_factory=list)


def _limit(limit: int) -> int:
    return max(1, min(limit, MAX_PAGE))


def region_get(*, code: str) -> Region:
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise not_found("区划", "Region", "code")
    return region


def region_children(*, parent_code: str | None, after: str | None = None, limit: int = 100) -> list[Region]:
    """Direct children of a region (the top regions when parent_code is None), ordered by code."""
    qs = Region.objects.all()
    if parent_code is None:
        qs = qs.filter(parent__isnull=True)
    else:
        qs = qs.filter(parent=region_get(code=parent_code))
    if after:
        qs = qs.filter(code__gt=after)
    return list(qs.order_by("code")[: _limit(limit)])


def region_ancestors(*, region: Region) -> list[Region]:
    """From the top region down to the parent of `region` (one query, derived from the code)."""
    codes = [
        region.code[:length].ljust(12, "0")
        for level, length in sorted(REGION_PREFIX_LENGTH.items())
        if level < region.level
    ]
    return list(Region.objects.filter(code__in=codes).order_by("level"))


def region_tree(*, root_code: str | None, depth: int) -> list[RegionNode]:
    """The regions down to `depth` levels below the root (or below the top regions), nested."""
    depth = max(0, min(depth, 4))
    if root_code is None:
        roots = list(Region.objects.filter(parent__isnull=True).order_by("code"))
        if not roots:
            return []
        conditions = Q()
        for root in roots:
            conditions |= Q(code__startswith=root.prefix, level__lte=root.level + depth)
    else:
        root = region_get(code=root_code)
        roots = [root]
        conditions = Q(code__startswith=root.prefix, level__lte=root.level + depth)
    qs = Region.objects.filter(conditions).order_by("code").only("id", "code", "name", "level", "parent_id")
    regions = list(qs[: MAX_TREE_NODES + 1])
    if len(regions) > MAX_TREE_NODES:
        raise DomainError(
            ErrorDetail(
                "tree_too_large",
                f"区划树超过{MAX_TREE_NODES}个节点，请减小深度或指定下级区划",
                "Region tree too large: lower the depth or choose a lower root",
                "depth",
            )
        )
    nodes = {r.pk: RegionNode(r) for r in regions}
    for node in nodes.values():
        parent = nodes.get(node.region.parent_id) if node.region.parent_id else None
        if parent is not None:
            parent.children.append(node)
    return [nodes[r.pk] for r in roots if r.pk in nodes]


def department_get(*, code: str) -> Department:
    department = Department.objects.select_related("region", "parent").filter(code=code).first()
    if department is None:
        raise not_found("部门", "Department", "code")
    return department


def department_list(
    *,
    region_code: str | None = None,
    include_descendants: bool = True,
    level: int | None = None,
    parent_code: str | None = None,
    query: str | None = None,
    active_only: bool = True,
    after: str | None = None,
    limit: int = 100,
) -> list[Department]:
    qs: QuerySet[Department] = Department.objects.select_related("region", "parent")
    if active_only:
        qs = qs.filter(is_active=True)
    if region_code:
        region = region_get(code=region_code)
        if include_descendants:
            qs = qs.filter(region__code__startswith=region.prefix)
        else:
            qs = qs.filter(region=region)
    if level is not None:
        qs = qs.filter(level=level)
    if parent_code:
        qs = qs.filter(parent=department_get(code=parent_code))
    if query:
        qs = qs.filter(Q(name__contains=query) | Q(short_name__contains=query) | Q(code=query))
    if after:
        qs = qs.filter(code__gt=after)
    return list(qs.order_by("code")[: _limit(limit)])


def _halls() -> QuerySet[ServiceHall]:
    return ServiceHall.objects.select_related("region").prefetch_related(
        Prefetch(
            "windows",
            queryset=Window.objects.filter(is_active=True).select_related("department").order_by("number"),
        ),
        Prefetch("departments", queryset=Department.objects.only("id", "code").order_by("code")),
    )


def hall_list(
    *,
    region_code: str | None = None,
    include_descendants: bool = True,
    after: int | None = None,
    limit: int = 50,
) -> list[ServiceHall]:
    qs = _halls()
    if region_code:
        region = region_get(code=region_code)
        qs = (
            qs.filter(region__code__startswith=region.prefix)
            if include_descendants
            else qs.filter(region=region)
        )
    if after is not None:
        qs = qs.filter(pk__gt=after)
    return list(qs.order_by("pk")[: _limit(limit)])


def hall_get(*, hall_id: int) -> ServiceHall:
    hall = _halls().filter(pk=hall_id).first()
    if hall is None:
        raise not_found("办事大厅", "Service hall", "id")
    return hall


def clerk_windows(*, clerk: User, limit: int = 200) -> list[Window]:
    """The active windows a clerk may work at (orgs.permissions.clerk_may_use_window), by hall and number."""
    condition = clerk_windows_q(clerk)
    if condition is None:
        return []
    qs = Window.objects.filter(condition, is_active=True).select_related("hall__region", "department")
    return list(qs.order_by("hall_id", "number")[: _limit(limit)])


def user_role_assignments(*, user: User) -> list[RoleAssignment]:
    return list(
        RoleAssignment.objects.filter(user=user)
        .select_related("department", "region", "window__hall")
        .order_by("role", "pk")
    )


def page_after(rows: list[Any], limit: int, key: str) -> Any:
    """The keyset cursor for the next page, or None on the last page."""
    return getattr(rows[-1], key) if rows and len(rows) >= _limit(limit) else None
