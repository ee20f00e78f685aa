"""Public portal: home, catalogue search, item guide (page and PDF), and the staff home.

Views only parse input, call one selector or service, and render. Filters travel in the query string and
never carry personal data; bad values get a Chinese message and a 400, never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from onetrip.catalog.guide import guide_load
from onetrip.catalog.models import Item, Theme, ThemeAudience
from onetrip.catalog.pdf import guide_pdf
from onetrip.catalog.search import MAX_QUERY_LENGTH, SERVICE_OBJECT_FIELDS, search_items
from onetrip.core.errors import DomainError, NotFound
from onetrip.orgs.models import Department, DepartmentLevel, Role, RoleAssignment
from onetrip.orgs.permissions import STAFF_ROLES, roles_of

RESULTS_PER_PAGE = 20
POPULAR_COUNT = 8
SERVICE_OBJECT_LABELS = {"citizen": "个人", "company": "法人", "office": "机关单位"}


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    themes = list(Theme.objects.all())
    groups = [
        (label, [t for t in themes if t.audience == audience])
        for audience, label in (
            (ThemeAudience.CITIZEN, "个人办事"),
            (ThemeAudience.COMPANY, "企业办事"),
            (ThemeAudience.INTERNAL, "机关内部办事"),
        )
    ]
    # "Popular" without usage figures: published zero-trip, online items first — what the reform promotes.
    popular = list(
        Item.objects.filter(is_published=True, zero_trip=True, online=True)
        .select_related("department")
        .order_by("implementation_code")[:POPULAR_COUNT]
    )
    if len(popular) < POPULAR_COUNT:
        seen = [i.pk for i in popular]
        popular += list(
            Item.objects.filter(is_published=True)
            .exclude(pk__in=seen)
            .select_related("department")
            .order_by("implementation_code")[: POPULAR_COUNT - len(popular)]
        )
    return render(
        request,
        "portal/home.html",
        {"theme_groups": [g for g in groups if g[1]], "popular": popular, "max_query": MAX_QUERY_LENGTH},
    )


@dataclass
class SearchForm:
    """The search filters as typed values, plus the messages for any that could not be read."""

    query: str = ""
    department_id: int | None = None
    level: int | None = None
    theme: str | None = None
    service_object: str | None = None
    zero_trip: bool | None = None
    online: bool | None = None
    after: str | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def is_blank(self) -> bool:
        return not (
            self.query
            or self.department_id
            or self.level
            or self.theme
            or self.service_object
            or self.zero_trip
            or self.online
        )

    def querystring(self, *, after: str | None = None) -> str:
        from django.http import QueryDict

        qd = QueryDict(mutable=True)
        for key, value in (
            ("q", self.query),
            ("department", self.department_id),
            ("level", self.level),
            ("theme", self.theme),
            ("object", self.service_object),
            ("zero_trip", "1" if self.zero_trip else None),
            ("online", "1" if self.online else None),
            ("after", after),
        ):
            if value not in (None, ""):
                qd[key] = str(value)
        return qd.urlencode()


def _flag(raw: str, name_zh: str, errors: list[str]) -> bool | None:
    if raw in ("", "0"):
        return None
    if raw in ("1", "on", "true"):
        return True
    errors.append(f"“{name_zh}”筛选只能是 1（是）或不填")
    return None


def _parse_search(request: HttpRequest) -> SearchForm:
    get = request.GET
    form = SearchForm(query=get.get("q", "").strip())
    errors = form.errors
    department = get.get("department", "").strip()
    if department:
        if department.isdigit() and len(department) < 19:
            form.department_id = int(department)
        else:
            errors.append("所选部门无效，请从列表中选择")
    level = get.get("level", "").strip()
    if level:
        if level.isdigit() and 1 <= int(level) <= 6:
            form.level = int(level)
        else:
            errors.append("行使层级无效，请选择国家级至村（社区）级之一")
    form.theme = get.get("theme", "").strip() or None
    service_object = get.get("object", "").strip()
    if service_object:
        if service_object in SERVICE_OBJECT_FIELDS:
            form.service_object = service_object
        else:
            errors.append("服务对象无效，请选择个人、法人或机关单位")
    form.zero_trip = _flag(get.get("zero_trip", "").strip(), "零跑动", errors)
    form.online = _flag(get.get("online", "").strip(), "可网办", errors)
    form.after = get.get("after", "").strip() or None
    return form


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    form = _parse_search(request)
    page = None
    if not form.errors:
        try:
            page = search_items(
                query=form.query,
                department_id=form.department_id,
                level=form.level,
                theme=form.theme,
                service_object=form.service_object,
                zero_trip=form.zero_trip,
                online=form.online,
                after=form.after,
                limit=RESULTS_PER_PAGE,
            )
        except DomainError as exc:
            form.errors.extend(e.message_zh for e in exc.errors)
    if page is not None:
        # Promised limit and trips live on the version; one query for the page (department is joined).
        prefetch_related_objects(page.items, "current_version")
    context = {
        "form": form,
        "page": page,
        "next_query": form.querystring(after=page.next_cursor) if page and page.next_cursor else None,
        "first_query": form.querystring(),
        "is_later_page": bool(form.after),
        "object_labels": SERVICE_OBJECT_LABELS,
    }
    status = 400 if form.errors else 200
    if request.htmx:  # type: ignore[attr-defined]
        # Live search swaps only the results; htmx does not swap 4xx bodies, so the message comes as 200.
        return render(request, "portal/_search_results.html", context)
    context.update(
        {
            "departments": Department.objects.filter(is_active=True)
            .only("id", "name")
            .order_by("level", "name"),
            "levels": DepartmentLevel.choices,
            "themes": Theme.objects.all(),
            "max_query": MAX_QUERY_LENGTH,
        }
    )
    return render(request, "portal/search.html", context, status=status)


def _version_number(request: HttpRequest) -> tuple[int | None, str | None]:
    raw = request.GET.get("version", "").strip()
    if not raw:
        return None, None
    if raw.isdigit() and len(raw) < 9 and int(raw) > 0:
        return int(raw), None
    return None, "版本号应为正整数"


def _item_not_found(request: HttpRequest, code: str, message: str = "", status: int = 404) -> HttpResponse:
    return render(
        request,
        "portal/item_not_found.html",
        {"code": code[:40], "message": message or "未找到该事项，或该事项尚未发布。"},
        status=status,
    )


@require_GET
def item_guide(request: HttpRequest, code: str) -> HttpResponse:
    number, problem = _version_number(request)
    if problem:
        return _item_not_found(request, code, problem, status=400)
    try:
        guide = guide_load(implementation_code=code, version_number=number)
    except NotFound:
        return _item_not_found(request, code)
    return render(request, "catalog/guide.html", {"guide": guide, "v": guide.version, "item": guide.item})


@require_GET
def item_guide_pdf(request: HttpRequest, code: str) -> HttpResponse:
    number, problem = _version_number(request)
    if problem:
        return _item_not_found(request, code, problem, status=400)
    try:
        guide = guide_load(implementation_code=code, version_number=number)
    except NotFound:
        return _item_not_found(request, code)
    response = HttpResponse(guide_pdf(guide), content_type="application/pdf")
    filename = f"guide-{guide.item.implementation_code}-v{guide.version.version}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@login_required
@require_GET
def staff_home(request: HttpRequest) -> HttpResponse:
    user = request.user
    assignments = list(
        RoleAssignment.objects.filter(user=user)
        .select_related("department", "region", "window")
        .order_by("role")
    )
    roles = roles_of(user)
    return render(
        request,
        "portal/staff_home.html",
        {
            "assignments": assignments,
            "role_labels": [Role(r).label for r in sorted(roles) if r in Role.values],
            "is_staff_member": bool(roles & STAFF_ROLES) or user.is_superuser,
            "can_admin": user.is_staff,
            "maintains_catalog": bool(roles & {Role.CATALOG_ADMIN, Role.SYSTEM_ADMIN}),
        },
    )
