"""Public pages of the one-things (一件事): the list by theme and the bundle guide with the 点单 choice.

The guide page shows the mandatory members with the optional ones as checkboxes; ticking one asks the
server (htmx) for the merged materials, form and combined limit of that choice, and the same URL without
htmx renders the whole page for it, so the page works without JavaScript too.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from onetrip.bundles.guide import BundleGuide, Choice, bundle_guide, bundles_by_theme
from onetrip.catalog.models import DataType, MaterialKind
from onetrip.core.errors import DomainError, NotFound


def _not_found(request: HttpRequest, code: str, message: str = "", status: int = 404) -> HttpResponse:
    return render(
        request,
        "bundles/not_found.html",
        {"code": code[:64], "message": message or "未找到该一件事，或尚未发布。"},
        status=status,
    )


def _label(choices: type, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _context(guide: BundleGuide, choice: Choice) -> dict[str, object]:
    labels = {m.code: guide.member_label(m.code) for m in guide.members}
    taking = len(choice.taking)

    def needed_by(codes: list[str]) -> list[str]:
        # Every member needing it reads as “全部事项” (an empty list) rather than a long repetition.
        return [] if len(codes) == taking and taking > 1 else [labels[c] for c in codes]

    material_rows = [
        {"material": m, "kind": _label(MaterialKind, m.kind), "members": needed_by(m.members)}
        for m in choice.materials.materials
    ]
    sections = []
    for section in choice.form.sections:
        rows = [
            {"field": f, "type": _label(DataType, f.field_type), "members": needed_by(f.members)}
            for f in choice.form.fields
            if f.section == section
        ]
        if rows:
            sections.append((section, rows))
    return {
        "guide": guide,
        "v": guide.version,
        "choice": choice,
        "chosen": set(choice.chosen),
        "material_rows": material_rows,
        "sections": sections,
        "critical_path": [labels[c] for c in choice.limit.critical_path],
        "unknown_limits": [labels[c] for c in choice.limit.unknown],
        "chart_svg": guide.chart(choice).svg(title=f"{guide.version.name} 联办流程图"),
        "figures": guide.figures(),
    }


@require_GET
def bundle_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        guide = bundle_guide(code)
    except NotFound:
        return _not_found(request, code)
    try:
        chosen = guide.parse_members(request.GET.getlist("members"))
    except DomainError as exc:
        return _not_found(request, code, "；".join(e.message_zh for e in exc.errors), status=400)
    context = _context(guide, guide.choose(chosen))
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "bundles/_merged.html", context)
    return render(request, "bundles/guide.html", context)


@require_GET
def bundle_index(request: HttpRequest) -> HttpResponse:
    return render(request, "bundles/index.html", {"groups": bundles_by_theme()})
