"""Applying API, mounted at /api/v1/intake (the window workstation's endpoints are under /intake/window).

Authentication: a browser session (any signed-in user applies for themselves; a clerk may enter an
application for somebody else, naming them by `applicant_id` or by ID number in the body), or an API key
with scope `intake:write` (writes) / `intake:read` (reads). Another system applies with channel `api` and
names the applicant by resident ID number in the body (never in the URL) together with the applicant's signed
authorisation (`proxy_authorisation`); the platform finds that person or creates their account (see
services.application.applicant_for_id_number). A key never gets prefilled data back, and a key bound to a
department applies only for that department's items. The applicant lists (my
drafts, my cases) are for signed-in people only.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import File, Router, Schema, Status, UploadedFile
from ninja.security.session import SessionAuth
from pydantic import Field

from onetrip.bundles.models import Bundle
from onetrip.catalog.models import Item
from onetrip.core.errors import DomainError, ErrorDetail, Forbidden, not_found
from onetrip.intake import selectors
from onetrip.intake.api_deficiency import router as deficiency_router
from onetrip.intake.api_window import router as window_router
from onetrip.intake.checklist import ChecklistEntry, checklist_for
from onetrip.intake.formspec import answer_errors, field_errors, form_definition
from onetrip.intake.models import Application, Case, Channel
from onetrip.intake.services import application as services
from onetrip.orgs.auth import ApiKeyAuth, ScopedSessionAuth
from onetrip.orgs.models import ApiKey, Role, User
from onetrip.orgs.permissions import has_role

router = Router(tags=["intake"])
WRITE_AUTH = [ApiKeyAuth(["intake:write"]), ScopedSessionAuth()]
READ_AUTH = [ApiKeyAuth(["intake:read"]), ScopedSessionAuth()]
SESSION_ONLY = [SessionAuth()]
router.add_router("/window", window_router)  # the window workstation (intake/api_window.py)
router.add_router("/deficiencies", deficiency_router)  # 容缺 supply and check (intake/api_deficiency.py)


# ------------------------------------------------------------------------------------------- schemas


class ErrorOut(Schema):
    code: str
    message_zh: str
    message_en: str
    field: str | None = None


class ProxyIn(Schema):
    agent_name: str = ""
    agent_id_number: str = ""
    scope: str = ""
    valid_until: str = ""
    file_sha256: str = ""
    reference: str = ""


class StartIn(Schema):
    item_code: str | None = Field(None, description="事项实施编码")
    bundle_code: str | None = Field(None, description="一件事编码")
    channel: str = Field(Channel.ONLINE, description="online / mobile / window / proxy / api")
    applicant_id: int | None = Field(None, description="窗口人员代录：申请人用户 ID")
    applicant_id_number: str | None = Field(None, description="窗口人员或系统接口：申请人身份证号")
    applicant_name: str = ""
    applicant_phone: str = ""
    proxy_authorisation: ProxyIn | None = None


class SaveIn(Schema):
    revision: int
    form_data: dict[str, Any] | None = None
    answers: dict[str, Any] | None = None
    chosen_members: list[str] | None = None


class MaterialStateIn(Schema):
    state: str = Field(description="commitment 告知承诺 / paper 纸质材料（窗口） / missing 撤回")


class FieldOut(Schema):
    key: str
    label: str
    field_type: str
    required: bool
    max_length: int | None
    options: list[Any]
    section: str
    help_text: str
    value: Any = None
    prefilled_from: str = ""


class QuestionOut(Schema):
    key: str
    text: str
    options: list[Any]
    answer: Any = None


class ChecklistOut(Schema):
    id: int | None = None
    key: str
    name: str
    kind: str
    necessity: str
    deficiency_allowed: bool
    commitment_allowed: bool
    paper_copies: int
    asked: bool
    state: str
    state_label: str
    source_note: str
    file_name: str
    has_file: bool


class ApplicationOut(Schema):
    id: int
    status: str
    channel: str
    revision: int
    title: str
    item_code: str | None
    bundle_code: str | None
    chosen_members: list[str]
    optional_members: list[list[str]]
    fields: list[FieldOut]
    questions: list[QuestionOut]
    checklist: list[ChecklistOut]
    field_errors: list[ErrorOut]
    case_id: int | None = None


class ApplicationSummary(Schema):
    id: int
    status: str
    channel: str
    title: str
    updated_at: Any


class ApplicationPage(Schema):
    items: list[ApplicationSummary]
    next_cursor: str | None


class PrecheckOut(Schema):
    ready: bool = Field(description="没有阻止提交的问题")
    problems: list[ErrorOut]
    blocking: list[ErrorOut]


class EventOut(Schema):
    at: Any
    kind: str
    title: str


class DeadlineOut(Schema):
    kind: str
    label: str
    due_at: Any
    remaining_working_days: int
    provisional: bool


class CaseOut(Schema):
    id: int
    number: str | None
    status: str
    status_label: str
    title: str
    applicant_name: str
    channel: str
    trips: int
    submission: int
    submitted_at: Any
    accept_due_at: Any
    accepted_at: Any = None
    promised_due_at: Any = None
    application_id: int


class CaseDetailOut(CaseOut):
    events: list[EventOut]
    deadline: DeadlineOut | None


class CasePage(Schema):
    items: list[CaseOut]
    next_cursor: str | None


# ------------------------------------------------------------------------------------------- helpers


def _auth(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _actor(request: HttpRequest) -> User | None:
    auth = _auth(request)
    return None if isinstance(auth, ApiKey) else auth


def _title(application: Application) -> str:
    version = application.item_version or application.bundle_version
    return version.name if version is not None else ""


def _checklist_out(application: Application, entries: list[ChecklistEntry]) -> list[dict[str, Any]]:
    ids = dict(application.materials.values_list("key", "id"))
    return [{**e.as_dict(), "id": ids.get(e.key)} for e in entries]


def _application_out(
    application: Application, checklist: list[ChecklistEntry] | None = None
) -> dict[str, Any]:
    definition = form_definition(application=application)
    data = application.form_data or {}
    answers = application.answers or {}
    errors = field_errors(definition, data, required=False) + answer_errors(
        definition, answers, required=False
    )
    entries = checklist if checklist is not None else checklist_for(application=application)
    case_id = Case.objects.filter(application=application).values_list("pk", flat=True).first()
    return {
        "id": application.pk,
        "status": application.status,
        "channel": application.channel,
        "revision": application.revision,
        "title": _title(application),
        "item_code": application.item.implementation_code if application.item_id else None,
        "bundle_code": application.bundle.code if application.bundle_id else None,
        "chosen_members": list(application.chosen_members or ()),
        "optional_members": [list(m) for m in definition.optional_members],
        "fields": [
            {
                "key": f.key,
                "label": f.label,
                "field_type": f.field_type,
                "required": f.required,
                "max_length": f.max_length,
                "options": list(f.options),
                "section": f.section,
                "help_text": f.help_text,
                "value": data.get(f.key),
                "prefilled_from": (application.prefilled or {}).get(f.key, ""),
            }
            for f in definition.fields
        ],
        "questions": [
            {"key": q.key, "text": q.text, "options": list(q.options), "answer": answers.get(q.key)}
            for q in definition.questions
        ],
        "checklist": _checklist_out(application, entries),
        "field_errors": [e.as_dict() for e in errors],
        "case_id": case_id,
    }


def _case_out(case: Case) -> dict[str, Any]:
    return {
        "id": case.pk,
        "number": case.number,
        "status": case.status,
        "status_label": case.get_status_display(),
        "title": case.title,
        "applicant_name": case.applicant_name,
        "channel": case.channel,
        "trips": case.trips,
        "submission": case.submission,
        "submitted_at": case.submitted_at,
        "accept_due_at": case.accept_due_at,
        "accepted_at": case.accepted_at,
        "promised_due_at": case.promised_due_at,
        "application_id": case.application_id,
    }


def _idempotency_key(request: HttpRequest) -> str:
    key = request.headers.get("Idempotency-Key", "")
    if not key:
        raise DomainError(
            ErrorDetail(
                "idempotency_key_required",
                "提交须带请求头 Idempotency-Key",
                "The Idempotency-Key header is required",
                "Idempotency-Key",
            )
        )
    return key


def _resolve_applicant(request: HttpRequest, payload: StartIn) -> tuple[User, str, User | None]:
    """(applicant, channel, entered_by) for a start request, by who is asking."""
    auth = _auth(request)
    if isinstance(auth, ApiKey):
        if payload.channel != Channel.API:
            raise DomainError(
                ErrorDetail(
                    "invalid_channel",
                    "系统接口申请的渠道应为 api",
                    "API keys apply with channel api",
                    "channel",
                )
            )
        # The applicant's signed authorisation comes first: without it nobody is looked up or created.
        services.proxy_authorisation_clean(
            payload.proxy_authorisation.dict() if payload.proxy_authorisation else None
        )
        applicant = services.applicant_for_id_number(
            id_number=payload.applicant_id_number or "",
            name=payload.applicant_name,
            phone=payload.applicant_phone,
        )
        return applicant, Channel.API, None
    user: User = auth
    if payload.channel == Channel.API:
        raise DomainError(
            ErrorDetail(
                "invalid_channel", "api 渠道仅供系统接口使用", "Channel api is for API keys", "channel"
            )
        )
    names_other = payload.applicant_id is not None or bool(payload.applicant_id_number)
    if not names_other:
        if payload.channel in (Channel.WINDOW, Channel.PROXY):
            raise DomainError(
                ErrorDetail(
                    "applicant_required",
                    "窗口或代办申请须指明申请人",
                    "A window or proxy application names its applicant",
                    "applicant_id",
                )
            )
        return user, payload.channel, None
    if not has_role(user, Role.CLERK):
        raise Forbidden(
            ErrorDetail(
                "clerk_required",
                "只有窗口人员可以为他人录入申请",
                "Only clerks enter applications for others",
            )
        )
    if payload.applicant_id is not None:
        applicant = User.objects.filter(pk=payload.applicant_id, is_active=True).first()
        if applicant is None:
            raise not_found("申请人", "Applicant", "applicant_id")
    else:
        applicant = services.applicant_for_id_number(
            id_number=payload.applicant_id_number or "",
            name=payload.applicant_name,
            phone=payload.applicant_phone,
            actor=user,
        )
    channel = payload.channel if payload.channel in (Channel.WINDOW, Channel.PROXY) else Channel.WINDOW
    return applicant, channel, user


def _writable(request: HttpRequest, application_id: int) -> Application:
    return selectors.application_for(actor=_auth(request), application_id=application_id, write=True)


# ------------------------------------------------------------------------------------------- endpoints


@router.post("/applications", response={201: ApplicationOut}, auth=WRITE_AUTH, summary="开始申请（草稿）")
def start(request: HttpRequest, payload: StartIn) -> Any:
    item = bundle = None
    if payload.item_code:
        item = Item.objects.filter(implementation_code=payload.item_code).first()
        if item is None:
            raise not_found("事项", "Item", "item_code")
    if payload.bundle_code:
        bundle = Bundle.objects.filter(code=payload.bundle_code).first()
        if bundle is None:
            raise not_found("一件事", "Bundle", "bundle_code")
    auth = _auth(request)
    with transaction.atomic():  # a refused start leaves no account behind
        applicant, channel, entered_by = _resolve_applicant(request, payload)
        application = services.application_start(
            applicant=applicant,
            item=item,
            bundle=bundle,
            channel=channel,
            entered_by=entered_by,
            proxy_authorisation=payload.proxy_authorisation.dict() if payload.proxy_authorisation else None,
            api_key=auth if isinstance(auth, ApiKey) else None,
        )
    return Status(201, _application_out(application))


@router.get("/applications", response=ApplicationPage, auth=SESSION_ONLY, summary="我的草稿")
def my_applications(request: HttpRequest, after: str | None = None, limit: int = 20) -> Any:
    page = selectors.my_applications(applicant=request.user, after=after, limit=limit)
    return {
        "items": [
            {
                "id": a.pk,
                "status": a.status,
                "channel": a.channel,
                "title": _title(a),
                "updated_at": a.updated_at,
            }
            for a in page.rows
        ],
        "next_cursor": page.next_cursor,
    }


@router.get("/applications/{application_id}", response=ApplicationOut, auth=READ_AUTH, summary="申请详情")
def get_application(request: HttpRequest, application_id: int) -> Any:
    return _application_out(selectors.application_for(actor=_auth(request), application_id=application_id))


@router.patch(
    "/applications/{application_id}",
    response={200: ApplicationOut},
    auth=WRITE_AUTH,
    summary="保存草稿（部分保存，带 revision；过期返回 409 stale_draft 与 current_revision）",
)
def save(request: HttpRequest, application_id: int, payload: SaveIn) -> Any:
    application = _writable(request, application_id)
    result = services.application_save(
        application=application,
        revision=payload.revision,
        form_data=payload.form_data,
        answers=payload.answers,
        chosen_members=payload.chosen_members,
        actor=_actor(request),
    )
    return _application_out(result.application, result.checklist)


@router.post(
    "/applications/{application_id}/materials/{key}",
    response={200: ChecklistOut},
    auth=WRITE_AUTH,
    summary="上传材料（multipart，字段 file；按内容判断类型）",
)
def upload(request: HttpRequest, application_id: int, key: str, file: File[UploadedFile]) -> Any:
    application = _writable(request, application_id)
    services.application_material_upload(
        application=application, key=key, data=file, declared_name=file.name or "", actor=_actor(request)
    )
    return _entry_out(application, key)


@router.put(
    "/applications/{application_id}/materials/{key}/state",
    response={200: ChecklistOut},
    auth=WRITE_AUTH,
    summary="材料改为告知承诺、纸质收取或撤回",
)
def material_state(request: HttpRequest, application_id: int, key: str, payload: MaterialStateIn) -> Any:
    application = _writable(request, application_id)
    services.application_material_set_state(
        application=application, key=key, state=payload.state, actor=_actor(request)
    )
    return _entry_out(application, key)


def _entry_out(application: Application, key: str) -> dict[str, Any]:
    for entry in _checklist_out(application, checklist_for(application=application)):
        if entry["key"] == key:
            return entry
    raise not_found("材料", "Material", "key")


@router.get(
    "/applications/{application_id}/precheck", response=PrecheckOut, auth=READ_AUTH, summary="网上预审"
)
def precheck(request: HttpRequest, application_id: int) -> Any:
    application = selectors.application_for(actor=_auth(request), application_id=application_id)
    problems = services.application_precheck(application=application)
    blocking = services.blocking_problems(application)
    return {
        "ready": not blocking,
        "problems": [p.as_dict() for p in problems],
        "blocking": [p.as_dict() for p in blocking],
    }


@router.post(
    "/applications/{application_id}/submit",
    response={200: CaseOut, 201: CaseOut},
    auth=WRITE_AUTH,
    summary="提交申请（请求头 Idempotency-Key 必填；重试返回同一办件，200）",
)
def submit(request: HttpRequest, application_id: int) -> Any:
    key = _idempotency_key(request)
    # The service locks the draft and checks on that row that the caller may change it (NotFound otherwise),
    # so the draft is read once.
    result = services.application_submit_result(
        application_id=application_id, idempotency_key=key, actor=_actor(request), principal=_auth(request)
    )
    return Status(201 if result.created else 200, _case_out(result.case))


@router.get("/cases", response=CasePage, auth=SESSION_ONLY, summary="我的办件（最新在前）")
def my_cases(request: HttpRequest, after: str | None = None, limit: int = 20) -> Any:
    page = selectors.my_cases(applicant=request.user, after=after, limit=limit)
    return {"items": [_case_out(c) for c in page.rows], "next_cursor": page.next_cursor}


@router.get("/cases/{case_id}", response=CaseDetailOut, auth=READ_AUTH, summary="办件详情：进度与剩余工作日")
def case_detail(request: HttpRequest, case_id: int) -> Any:
    detail = selectors.case_detail(actor=_auth(request), case_id=case_id)
    deadline = detail.deadline
    return {
        **_case_out(detail.case),
        "events": [{"at": e.at, "kind": e.kind, "title": e.title} for e in detail.events],
        "deadline": None
        if deadline is None
        else {
            "kind": deadline.kind,
            "label": deadline.label,
            "due_at": deadline.due_at,
            "remaining_working_days": deadline.remaining_working_days,
            "provisional": deadline.provisional,
        },
    }


@router.post(
    "/cases/{case_id}/resubmit",
    response=CaseOut,
    auth=WRITE_AUTH,
    summary="补正后重新提交（请求头 Idempotency-Key 必填）",
)
def resubmit(request: HttpRequest, case_id: int) -> Any:
    key = _idempotency_key(request)
    case = selectors.case_for(actor=_auth(request), case_id=case_id)
    return _case_out(services.case_resubmit(case=case, actor=_actor(request), idempotency_key=key))
