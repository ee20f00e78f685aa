"""/api/v1/orgs: regions, departments, halls with windows (scope orgs:read), and /me."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Query, Router, Schema

from onetrip.core.masking import mask_id_number, mask_phone
from onetrip.orgs import selectors
from onetrip.orgs.auth import request_user, session_or_key, session_scopes
from onetrip.orgs.models import ApiKey, Department, DepartmentLevel, Region, RegionLevel, ServiceHall

router = Router(tags=["组织机构"], auth=session_or_key(["orgs:read"]))


class ErrorItem(Schema):
    code: str
    message_zh: str
    message_en: str
    field: str | None = None


class ErrorsOut(Schema):
    errors: list[ErrorItem]


ERRORS = {400: ErrorsOut, 401: ErrorsOut, 403: ErrorsOut, 404: ErrorsOut}


class RegionOut(Schema):
    code: str
    name: str
    level: int
    level_label: str
    parent_code: str | None


class RegionTreeOut(Schema):
    code: str
    name: str
    level: int
    children: list[RegionTreeOut]


class RegionDetailOut(RegionOut):
    ancestors: list[RegionOut]
    children: list[RegionOut]


class RegionPage(Schema):
    items: list[RegionOut]
    next_after: str | None


class DepartmentOut(Schema):
    code: str
    name: str
    short_name: str
    uscc: str
    level: int
    level_label: str
    region_code: str
    region_name: str
    parent_code: str | None
    responsibilities: str
    is_active: bool


class DepartmentPage(Schema):
    items: list[DepartmentOut]
    next_after: str | None


class WindowOut(Schema):
    number: str
    name: str
    category: str
    category_label: str
    department_code: str | None


class HallOut(Schema):
    id: int
    name: str
    region_code: str
    region_name: str
    address: str
    opening_hours: str
    phone: str
    windows: list[WindowOut]
    department_codes: list[str]  # the departments stationed in the hall (进驻部门)


class HallPage(Schema):
    items: list[HallOut]
    next_after: int | None


class RoleOut(Schema):
    role: str
    role_label: str
    department_code: str | None
    region_code: str | None
    window: str | None


class MeOut(Schema):
    kind: str  # "user" or "api_key"
    username: str | None = None
    display_name: str | None = None
    phone_masked: str | None = None
    id_number_masked: str | None = None
    applicant_kind: str | None = None
    roles: list[RoleOut] = []
    api_key_name: str | None = None
    api_key_prefix: str | None = None
    department_code: str | None = None
    expires_at: dt.datetime | None = None
    scopes: list[str]


def _region(region: Region, parent_code: str | None = None) -> RegionOut:
    return RegionOut(
        code=region.code,
        name=region.name,
        level=region.level,
        level_label=RegionLevel(region.level).label,
        parent_code=parent_code,
    )


def _tree(node: selectors.RegionNode) -> RegionTreeOut:
    r = node.region
    return RegionTreeOut(code=r.code, name=r.name, level=r.level, children=[_tree(c) for c in node.children])


def _department(d: Department) -> DepartmentOut:
    return DepartmentOut(
        code=d.code,
        name=d.name,
        short_name=d.short_name,
        uscc=d.uscc,
        level=d.level,
        level_label=DepartmentLevel(d.level).label,
        region_code=d.region.code,
        region_name=d.region.name,
        parent_code=d.parent.code if d.parent else None,
        responsibilities=d.responsibilities,
        is_active=d.is_active,
    )


def _hall(h: ServiceHall) -> HallOut:
    return HallOut(
        id=h.pk,
        name=h.name,
        region_code=h.region.code,
        region_name=h.region.name,
        address=h.address,
        opening_hours=h.opening_hours,
        phone=h.phone,
        department_codes=[d.code for d in h.departments.all()],
        windows=[
            WindowOut(
                number=w.number,
                name=w.name,
                category=w.category,
                category_label=w.get_category_display(),
                department_code=w.department.code if w.department else None,
            )
            for w in h.windows.all()
        ],
    )


class RegionFilter(Schema):
    parent: str | None = None
    after: str | None = None
    limit: int = 100


@router.get(
    "/regions", response={200: RegionPage, **ERRORS}, summary="下级区划列表（不指定 parent 时为顶级区划）"
)
def regions(request: HttpRequest, filters: Query[RegionFilter]) -> RegionPage:
    rows = selectors.region_children(parent_code=filters.parent, after=filters.after, limit=filters.limit)
    return RegionPage(
        items=[_region(r, filters.parent) for r in rows],
        next_after=selectors.page_after(rows, filters.limit, "code"),
    )


@router.get("/regions/tree", response={200: list[RegionTreeOut], **ERRORS}, summary="区划树")
def region_tree(request: HttpRequest, root: str | None = None, depth: int = 2) -> list[RegionTreeOut]:
    return [_tree(n) for n in selectors.region_tree(root_code=root, depth=depth)]


@router.get(
    "/regions/{code}", response={200: RegionDetailOut, **ERRORS}, summary="区划详情（含上级路径与下级）"
)
def region_detail(request: HttpRequest, code: str) -> RegionDetailOut:
    region = selectors.region_get(code=code)
    ancestors = selectors.region_ancestors(region=region)
    parent_code = ancestors[-1].code if ancestors and region.parent_id else None
    children = selectors.region_children(parent_code=region.code, limit=selectors.MAX_PAGE)
    base = _region(region, parent_code)
    return RegionDetailOut(
        **base.dict(),
        ancestors=[_region(a) for a in ancestors],
        children=[_region(c, region.code) for c in children],
    )


class DepartmentFilter(Schema):
    region: str | None = None
    include_descendants: bool = True
    level: int | None = None
    parent: str | None = None
    q: str | None = None
    after: str | None = None
    limit: int = 100


@router.get("/departments", response={200: DepartmentPage, **ERRORS}, summary="部门列表")
def departments(request: HttpRequest, filters: Query[DepartmentFilter]) -> DepartmentPage:
    rows = selectors.department_list(
        region_code=filters.region,
        include_descendants=filters.include_descendants,
        level=filters.level,
        parent_code=filters.parent,
        query=filters.q,
        after=filters.after,
        limit=filters.limit,
    )
    return DepartmentPage(
        items=[_department(d) for d in rows], next_after=selectors.page_after(rows, filters.limit, "code")
    )


@router.get("/departments/{code}", response={200: DepartmentOut, **ERRORS}, summary="部门详情")
def department_detail(request: HttpRequest, code: str) -> DepartmentOut:
    return _department(selectors.department_get(code=code))


class HallFilter(Schema):
    region: str | None = None
    include_descendants: bool = True
    after: int | None = None
    limit: int = 50


@router.get("/halls", response={200: HallPage, **ERRORS}, summary="办事大厅及其窗口")
def halls(request: HttpRequest, filters: Query[HallFilter]) -> HallPage:
    rows = selectors.hall_list(
        region_code=filters.region,
        include_descendants=filters.include_descendants,
        after=filters.after,
        limit=filters.limit,
    )
    return HallPage(
        items=[_hall(h) for h in rows], next_after=selectors.page_after(rows, filters.limit, "pk")
    )


@router.get("/halls/{hall_id}", response={200: HallOut, **ERRORS}, summary="办事大厅详情")
def hall_detail(request: HttpRequest, hall_id: int) -> HallOut:
    return _hall(selectors.hall_get(hall_id=hall_id))


@router.get("/me", response={200: MeOut, **ERRORS}, auth=session_or_key([]), summary="当前用户或 API 密钥")
def me(request: HttpRequest) -> MeOut:
    user = request_user(request)
    if user is None:
        key: ApiKey = request.auth  # type: ignore[attr-defined]
        return MeOut(
            kind="api_key",
            api_key_name=key.name,
            api_key_prefix=key.prefix,
            department_code=key.department.code if key.department else None,
            expires_at=key.expires_at,
            scopes=sorted(key.scopes),
        )
    roles = [
        RoleOut(
            role=a.role,
            role_label=a.get_role_display(),
            department_code=a.department.code if a.department else None,
            region_code=a.region.code if a.region else None,
            window=f"{a.window.hall.name} {a.window.number}" if a.window else None,
        )
        for a in selectors.user_role_assignments(user=user)
    ]
    return MeOut(
        kind="user",
        username=user.username,
        display_name=user.display_name,
        phone_masked=mask_phone(user.phone),
        id_number_masked=mask_id_number(user.id_number),
        applicant_kind=user.applicant_kind,
        roles=roles,
        scopes=sorted(session_scopes(user)),
    )
