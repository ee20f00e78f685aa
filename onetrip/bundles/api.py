"""One-thing (一件事) API, mounted at /api/v1/bundles. Reads are public (bundles are public guides).

- GET  /bundles                       published bundles by name, filter by theme / audience, keyset pages
- GET  /bundles/{code}                the published version: members, process, combined limit, figures
- GET  /bundles/{code}/form           the merged form (一表申请); `?members=a,b` adds chosen optional members
- GET  /bundles/{code}/materials      the merged materials (一套材料), same `?members=`
- POST /bundles/{code}/projections    one merged submission → each department's own forms (一源多用)
- POST /bundles/{code}/projections.pdf  the same as a printable PDF

A submission carries personal data, so it travels in a POST body, never in a URL, and nothing of it is
stored, cached or logged here.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from onetrip.bundles import selectors
from onetrip.bundles.guide import BundleGuide, Choice, bundle_guide, bundle_list
from onetrip.bundles.models import BundleVersion
from onetrip.bundles.pdf import projection_pdf
from onetrip.core.errors import DomainError, ErrorDetail

router = Router(tags=["bundles"])
MAX_SUBMISSION_KEYS = 2000


class ListFilters(Schema):
    theme: str | None = Field(None, description="主题编码，如 retirement")
    audience: str | None = Field(None, description="citizen / company / internal")
    after: str | None = Field(None, description="上一页返回的 next_cursor")
    limit: int = 20


class ChoiceQuery(Schema):
    members: str = Field("", description="选择的可选成员编码，逗号分隔")


class SubmissionIn(Schema):
    values: dict[str, Any] = Field(
        default_factory=dict, description="合并表单的键（数据元编码或 成员.字段）→ 值"
    )
    chosen: list[str] = Field(default_factory=list, description="选择的可选成员编码")
    answers: dict[str, Any] = Field(default_factory=dict, description="情形问题键 → 选项值")


def _summary(v: BundleVersion) -> dict[str, Any]:
    return {
        "code": v.bundle.code,
        "name": v.name,
        "kind": v.kind,
        "kind_label": v.get_kind_display(),
        "version": v.version,
        "lead_department": {"code": v.lead_department.code, "name": v.lead_department.name},
        "themes": [{"code": t.code, "name": t.name, "audience": t.audience} for t in v.themes.all()],
        "service_objects": v.service_objects,
        "members": getattr(v, "member_count", None),
        "optional_members": getattr(v, "optional_count", None),
    }


def _choice(guide: BundleGuide, members: str) -> Choice:
    return guide.choose(guide.parse_members([members]))


@router.get("", summary="已发布的一件事列表（按名称，游标分页）")
def list_bundles(request: HttpRequest, filters: Query[ListFilters]) -> dict[str, Any]:
    rows, cursor = bundle_list(
        theme=filters.theme, audience=filters.audience, after=filters.after, limit=filters.limit
    )
    return {"items": [_summary(v) for v in rows], "next_cursor": cursor}


@router.get("/{code}", summary="一件事详情：成员、联办流程、联办时限、改革成效")
def get_bundle(request: HttpRequest, code: str) -> dict[str, Any]:
    guide = bundle_guide(code)
    v, snapshot = guide.version, guide.snapshot
    out = _summary(v)
    out.update(
        {
            "description": v.description,
            "published_at": v.published_at,
            "effective_from": v.effective_from,
            "members": [
                {
                    "code": m.code,
                    "item_code": m.item_code,
                    "item_name": m.item_name,
                    "situation_code": m.situation_code,
                    "situation_name": m.situation_name,
                    "department": m.department_name,
                    "optional": m.optional,
                    "depends_on": list(m.depends_on),
                }
                for m in guide.members
            ],
            "optional_members": [m.code for m in guide.optional],
            "edges": [list(e) for e in guide.edges],
            "combined_limit": {
                "unit": "working",
                "all_members": snapshot.get("limit"),
                "mandatory_only": snapshot.get("limit_mandatory"),
            },
            "steps": snapshot.get("steps"),
            "figures": {
                "computed": snapshot.get("figures", {}).get("computed", []),
                "stated": snapshot.get("figures", {}).get("stated", []),
                "stated_limit_unit": v.stated_limit_unit,
                "stated_note": v.stated_note,
                "members": snapshot.get("figures", {}).get("members", []),
            },
        }
    )
    return out


@router.get("/{code}/form", summary="合并表单（一表申请）")
def get_form(request: HttpRequest, code: str, query: Query[ChoiceQuery]) -> dict[str, Any]:
    guide = bundle_guide(code)
    choice = _choice(guide, query.members)
    form = choice.form.as_dict()
    form.pop("question_keys", None)
    return {"code": code, "version": guide.version.version, "chosen": choice.chosen, **form}


@router.get("/{code}/materials", summary="合并材料（一套材料）")
def get_materials(request: HttpRequest, code: str, query: Query[ChoiceQuery]) -> dict[str, Any]:
    guide = bundle_guide(code)
    choice = _choice(guide, query.members)
    return {
        "code": code,
        "version": guide.version.version,
        "chosen": choice.chosen,
        **choice.materials.as_dict(),
    }


def _projected(code: str, payload: SubmissionIn) -> tuple[BundleGuide, list[Any]]:
    if len(payload.values) > MAX_SUBMISSION_KEYS:
        raise DomainError(
            ErrorDetail("too_many_values", "提交的字段过多", "Too many submitted values", "values")
        )
    guide = bundle_guide(code)
    departments = selectors.projections(
        guide.version, values=payload.values, chosen=payload.chosen, answers=payload.answers
    )
    return guide, departments


@router.post("/{code}/projections", summary="一源多用：由一份合并申请生成各部门表单（数据）")
def post_projections(request: HttpRequest, code: str, payload: SubmissionIn) -> dict[str, Any]:
    guide, departments = _projected(code, payload)
    return {
        "code": code,
        "version": guide.version.version,
        "departments": [d.as_dict() for d in departments],
        "missing": [
            {"department": d.department_name, "member": f.member, "fields": f.missing}
            for d in departments
            for f in d.forms
            if f.missing
        ],
    }


@router.post("/{code}/projections.pdf", summary="一源多用：各部门表单（可打印 PDF）")
def post_projections_pdf(request: HttpRequest, code: str, payload: SubmissionIn) -> HttpResponse:
    guide, departments = _projected(code, payload)
    pdf = projection_pdf(bundle_name=guide.version.name, departments=departments)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="projections-{code}-v{guide.version.version}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
