"""Catalogue API, mounted at /api/v1/catalog.

Reads are public (the catalogue is public information). Writes need a signed-in catalogue admin or system
admin, or an API key with the scope `catalog:write`; a catalogue admin (or a key) scoped to departments may
only touch those departments' items. Writes made with a key are recorded against the person who issued it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from onetrip.catalog import selectors, services
from onetrip.catalog.models import Item, ItemType, ItemVersion
from onetrip.catalog.schemas import (
    GuideOut,
    ItemCreatedOut,
    ItemCreateIn,
    ItemPage,
    PublishIn,
    VersionOut,
    VersionUpdateIn,
)
from onetrip.catalog.search import search_items
from onetrip.core.errors import ErrorDetail, Forbidden, not_found
from onetrip.orgs.auth import session_or_key
from onetrip.orgs.models import ApiKey, Department

router = Router(tags=["catalog"])
WRITE_AUTH = session_or_key(["catalog:write"])


class ItemFilters(Schema):
    q: str = ""
    department_id: int | None = None
    level: int | None = None
    theme: str | None = None
    service_object: str | None = None
    zero_trip: bool | None = None
    online: bool | None = None
    after: str | None = None
    limit: int = 20


def _forbidden_department() -> Forbidden:
    return Forbidden(
        ErrorDetail(
            "forbidden_department",
            "您只能维护本部门的事项",
            "You may only maintain the items of your own department",
        )
    )


def _require_editor(request: HttpRequest, department_id: int) -> Any:
    auth = request.auth  # type: ignore[attr-defined]
    if isinstance(auth, ApiKey):
        if auth.department_id is not None and auth.department_id != department_id:
            raise _forbidden_department()
        return auth.created_by
    user = auth
    scope = selectors.edit_scope(user)
    if not scope.any:
        raise Forbidden(
            ErrorDetail(
                "forbidden", "需要事项管理员或系统管理员权限", "Catalogue admin or system admin role required"
            )
        )
    if not scope.allows(department_id):
        raise _forbidden_department()
    return user


def _editable_version(request: HttpRequest, version_id: int) -> tuple[ItemVersion, Any]:
    version = selectors.version_by_id(version_id)
    user = _require_editor(request, version.item.department_id)
    return version, user


def _summary(item: Item, department: Department) -> dict[str, Any]:
    return {
        "implementation_code": item.implementation_code,
        "basic_code": item.basic_code,
        "name": item.name,
        "item_type": item.item_type,
        "item_type_label": ItemType(item.item_type).label if item.item_type in ItemType.values else "",
        "level": item.level,
        "department": {"id": department.pk, "code": department.code, "name": department.name},
        "for_citizen": item.for_citizen,
        "for_company": item.for_company,
        "for_office": item.for_office,
        "zero_trip": item.zero_trip,
        "online": item.online,
        "themes": [c for c in item.theme_codes.split(",") if c],
    }


# -------------------------------------------------------------------------------------------- reads


@router.get("/items", response=ItemPage, summary="搜索已发布事项（中文、全拼、拼音首字母）")
def list_items(request: HttpRequest, filters: Query[ItemFilters]) -> dict[str, Any]:
    page = search_items(
        query=filters.q,
        department_id=filters.department_id,
        level=filters.level,
        theme=filters.theme,
        service_object=filters.service_object,
        zero_trip=filters.zero_trip,
        online=filters.online,
        after=filters.after,
        limit=filters.limit,
    )
    departments = selectors.departments_by_id({i.department_id for i in page.items})
    items: list[dict[str, Any]] = [_summary(i, departments[i.department_id]) for i in page.items]
    return {"items": items, "next_cursor": page.next_cursor}


@router.get("/items/{implementation_code}", response=GuideOut, summary="事项办事指南（现行发布版本）")
def get_item(request: HttpRequest, implementation_code: str) -> dict[str, Any]:
    return selectors.guide(selectors.published_version(implementation_code))


@router.get("/items/{implementation_code}/versions", response=list[VersionOut], summary="事项版本历史")
def list_versions(request: HttpRequest, implementation_code: str) -> list[ItemVersion]:
    item = selectors.item_by_code(implementation_code)
    editor = selectors.edit_scope(request.user).allows(item.department_id)
    versions = selectors.item_versions(item, include_unpublished=editor)
    if not versions and not editor:
        raise not_found("已发布的事项", "Published item", "implementation_code")
    return versions


@router.get("/versions/{version_id}", response=GuideOut, auth=WRITE_AUTH, summary="查看任一版本（含草稿）")
def get_version(request: HttpRequest, version_id: int) -> dict[str, Any]:
    version = selectors.version_by_id(version_id)
    _require_editor(request, version.item.department_id)
    return selectors.guide(selectors.version_for_guide(version_id))


# ------------------------------------------------------------------------------------------- writes


@router.post("/items", response={201: ItemCreatedOut}, auth=WRITE_AUTH, summary="新建事项（生成第1版草稿）")
def create_item(request: HttpRequest, payload: ItemCreateIn) -> Status[dict[str, Any]]:
    department = Department.objects.filter(pk=payload.department_id).first()
    if department is None:
        raise not_found("部门", "Department", "department_id")
    user = _require_editor(request, department.pk)
    parent = None
    if payload.parent_code:
        parent = Item.objects.filter(implementation_code=payload.parent_code).first()
        if parent is None:
            raise not_found("主项", "Parent item", "parent_code")
    item = services.item_create(
        department=department,
        basic_code=payload.basic_code,
        item_type=payload.item_type,
        name=payload.name,
        level=payload.level,
        parent=parent,
        local_code=payload.local_code,
        user=user,
    )
    return Status(
        201, {"implementation_code": item.implementation_code, "draft": item.versions.get(version=1)}
    )


@router.patch("/versions/{version_id}", response=GuideOut, auth=WRITE_AUTH, summary="修改草稿")
def update_version(request: HttpRequest, version_id: int, payload: VersionUpdateIn) -> dict[str, Any]:
    version, user = _editable_version(request, version_id)
    data = payload.model_dump(exclude_unset=True)
    new_department = data.get("implementing_department")
    if isinstance(new_department, int) and new_department != version.item.department_id:
        _require_editor(request, new_department)
    services.item_version_update(version=version, data=data, user=user)
    return selectors.guide(selectors.version_for_guide(version_id))


@router.post("/versions/{version_id}/submit", response=VersionOut, auth=WRITE_AUTH, summary="提交审核")
def submit_version(request: HttpRequest, version_id: int) -> ItemVersion:
    version, user = _editable_version(request, version_id)
    return services.item_version_submit(version=version, user=user)


@router.post("/versions/{version_id}/return", response=VersionOut, auth=WRITE_AUTH, summary="退回修改")
def return_version(request: HttpRequest, version_id: int) -> ItemVersion:
    version, user = _editable_version(request, version_id)
    return services.item_version_return(version=version, user=user)


@router.post("/versions/{version_id}/publish", response=VersionOut, auth=WRITE_AUTH, summary="发布")
def publish_version(request: HttpRequest, version_id: int, options: Query[PublishIn]) -> ItemVersion:
    version, user = _editable_version(request, version_id)
    return services.item_version_publish(
        version=version, user=user, effective_from=options.effective_from, require_review=True
    )


@router.post("/versions/{version_id}/retire", response=VersionOut, auth=WRITE_AUTH, summary="废止")
def retire_version(request: HttpRequest, version_id: int) -> ItemVersion:
    version, user = _editable_version(request, version_id)
    return services.item_version_retire(version=version, user=user)


@router.post(
    "/versions/{version_id}/new-draft",
    response={201: VersionOut},
    auth=WRITE_AUTH,
    summary="新建修订版本（复制最新版本）",
)
def new_draft(request: HttpRequest, version_id: int) -> Status[ItemVersion]:
    version, user = _editable_version(request, version_id)
    return Status(201, services.item_version_new_draft(item=version.item, user=user))
