"""Pages: “谁查看了我的数据” for the signed-in person, and the browsable catalogue tree (目录树)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from onetrip.core.masking import mask_id_number
from onetrip.sharing import selectors
from onetrip.sharing.excel import catalogue_tree_workbook


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@require_GET
@login_required
def my_access_log(request: HttpRequest) -> HttpResponse:
    user = request.user
    key = getattr(user, "id_number", "") or getattr(user, "organisation_code", "")
    page = selectors.access_log_for_subject(key, before=_int(request.GET.get("before"))) if key else None
    return render(
        request,
        "sharing/my_access_log.html",
        {
            "subject": mask_id_number(key) if key else "",
            "page": page,
            "licences": selectors.valid_licences(key) if key else [],
        },
    )


@require_GET
def catalogue_tree(request: HttpRequest) -> HttpResponse:
    page = selectors.catalogue_tree(
        after=request.GET.get("after") or None, limit=30, query=request.GET.get("q", "")[:50]
    )
    return render(
        request,
        "sharing/catalogue_tree.html",
        {"page": page, "coverage": selectors.bundles_coverage(), "q": request.GET.get("q", "")[:50]},
    )


@require_GET
def catalogue_tree_xlsx(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        catalogue_tree_workbook(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="catalogue-tree.xlsx"'
    return response
