"""Applicant pages (apply/…) and the window workstation (window/…).

Views parse input, call one service or selector, and render. The application page is shared: the applicant
fills it online, a clerk fills it for the applicant at the window (channel window); every field saves on its
own through htmx with the draft's revision, so a stale page gets a 409 message instead of overwriting newer
work, and invalid input is kept and answered with the field's message. An applicant reaches only their own
applications and cases (others are 404); a clerk only those of their scope. ID numbers travel in POST bodies
and are shown masked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onetrip.bundles.guide import bundle_guide
from onetrip.bundles.merge import option_label
from onetrip.bundles.models import Bundle
from onetrip.catalog.models import DataType, Item
from onetrip.core import clock
from onetrip.core.errors import Conflict, DomainError, ErrorDetail, Forbidden, NotFound
from onetrip.core.masking import mask_id_number, mask_phone
from onetrip.intake import forms
from onetrip.intake.checklist import ChecklistEntry, checklist_for
from onetrip.intake.documents import notice_pdf, receipt_pdf, refusal_pdf
from onetrip.intake.formspec import FieldDef, field_errors, form_definition
from onetrip.intake.models import (
    Application,
    ApplicationStatus,
    Case,
    CaseStatus,
    Channel,
    MaterialState,
    QueueTicket,
    TicketStatus,
)
from onetrip.intake.services.acceptance import (
    case_accept,
    case_accept_with_deficiency,
    case_notice,
    case_refuse,
    clerk_may_handle,
)
from onetrip.intake.services.application import (
    StaleDraft,
    application_material_set_state,
    application_material_upload,
    application_precheck,
    application_save,
    application_start,
    application_submit,
    case_resubmit,
)
from onetrip.intake.services.files import stored_file_open
from onetrip.intake.services.notice import notice_known_problems
from onetrip.intake.services.queue import (
    ticket_call_next,
    ticket_finish,
    ticket_serve,
    ticket_skip,
    ticket_take,
    ticket_transfer,
)
from onetrip.intake.services.relatives import (
    application_relative_fill,
    relative_choices,
    relative_subjects,
)
from onetrip.orgs.models import Role, RoleAssignment, User, Window, WindowCategory
from onetrip.orgs.permissions import clerk_covers, clerk_filter, clerk_may_use_window, has_role
from onetrip.orgs.selectors import clerk_windows
from onetrip.workdays.core import SHANGHAI
from onetrip.workdays.selectors import calendar_current

CASES_PER_PAGE = 20
DRAFTS_SHOWN = 50
PENDING_SHOWN = 30
LIVE_CASE_STATUSES = (CaseStatus.ACCEPTED, CaseStatus.ACCEPTED_DEFICIENT, CaseStatus.IN_PROGRESS)
INPUT_TYPES = {
    DataType.DATE: "date",
    DataType.INTEGER: "text",
    DataType.DECIMAL: "text",
    DataType.PHONE: "tel",
}
INPUT_MODES = {DataType.INTEGER: "numeric", DataType.DECIMAL: "decimal", DataType.PHONE: "tel"}


def _zh(errors: list[ErrorDetail] | tuple[ErrorDetail, ...]) -> list[str]:
    return [e.message_zh for e in errors]


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


# ------------------------------------------------------------------------------------------ access


def clerk_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in (else the login page) and holding the clerk role (else 403)."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not has_role(request.user, Role.CLERK):
            return render(
                request,
                "intake/forbidden.html",
                {"message": "此页面仅供综合窗口人员使用。"},
                status=403,
            )
        return view(request, *args, **kwargs)

    return wrapper


def _lead_department_id(application: Application) -> int:
    if application.item_version_id is not None:
        return application.item_version.implementing_department_id
    return application.bundle_version.lead_department_id


def _application_for(request: HttpRequest, pk: int) -> tuple[Application, str]:
    """The application and the mode ("applicant" or "window") the user may work on it in; 404 otherwise,
    so nobody learns that somebody else's application exists."""
    application = (
        Application.objects.select_related("applicant", "item_version", "bundle_version", "entered_by")
        .filter(pk=pk)
        .first()
    )
    if application is None:
        raise Http404
    user = request.user
    if application.applicant_id == user.pk and application.channel != Channel.WINDOW:
        return application, "applicant"
    if application.channel == Channel.WINDOW and clerk_covers(user, _lead_department_id(application)):
        return application, "window"
    if application.applicant_id == user.pk:
        return application, "applicant"
    raise Http404


def _case_for_applicant(request: HttpRequest, pk: int) -> Case:
    case = (
        Case.objects.select_related("application", "item_version", "bundle_version", "lead_department")
        .filter(pk=pk, applicant=request.user)
        .first()
    )
    if case is None:
        raise Http404
    return case


def _case_for_clerk(request: HttpRequest, pk: int) -> Case:
    case = (
        Case.objects.select_related(
            "application", "applicant", "item_version", "bundle_version", "lead_department", "region"
        )
        .filter(pk=pk)
        .first()
    )
    if case is None or not clerk_may_handle(request.user, case):
        raise Http404
    return case


# ---------------------------------------------------------------------------- the application page


@dataclass
class FieldRow:
    n: int
    spec: FieldDef
    value: Any
    source: str
    error: str

    @property
    def input_type(self) -> str:
        return INPUT_TYPES.get(self.spec.field_type, "text")

    @property
    def input_mode(self) -> str:
        return INPUT_MODES.get(self.spec.field_type, "")

    @property
    def widget(self) -> str:
        kind = self.spec.field_type
        if kind == DataType.TEXT:
            return "textarea"
        if kind in (DataType.CHOICE, DataType.BOOLEAN):
            return "select"
        if kind == DataType.MULTI_CHOICE:
            return "multi"
        return "input"

    @property
    def options(self) -> list[tuple[str, str, bool]]:
        if self.spec.field_type == DataType.BOOLEAN:
            pairs = [("true", "是"), ("false", "否")]
        else:
            pairs = [
                (
                    str(o.get("value") if isinstance(o, dict) else o),
                    option_label(self.spec.options, o.get("value") if isinstance(o, dict) else o),
                )
                for o in self.spec.options
            ]
        chosen = {str(v) for v in self.value} if isinstance(self.value, list) else {str(self.value)}
        return [(value, label, value in chosen) for value, label in pairs]

    @property
    def text_value(self) -> str:
        if self.value is None:
            return ""
        if isinstance(self.value, list):
            return "\n".join(str(v) for v in self.value)
        return str(self.value)


def _sections(application: Application, definition: Any) -> list[tuple[str, list[FieldRow]]]:
    data = application.form_data or {}
    errors = {e.field: e.message_zh for e in field_errors(definition, data, required=False)}
    sections: dict[str, list[FieldRow]] = {}
    for n, spec in enumerate(definition.fields, start=1):
        row = FieldRow(
            n=n,
            spec=spec,
            value=data.get(spec.key),
            source=(application.prefilled or {}).get(spec.key, ""),
            error=errors.get(f"form.{spec.key}", ""),
        )
        sections.setdefault(spec.section or "", []).append(row)
    return list(sections.items())


def _questions(application: Application, definition: Any) -> list[dict[str, Any]]:
    answers = application.answers or {}
    rows = []
    for n, q in enumerate(definition.questions, start=1):
        current = str(answers.get(q.key, ""))
        options = []
        for o in q.options:
            value = str(o.get("value") if isinstance(o, dict) else o)
            options.append((value, option_label(q.options, value), value == current))
        rows.append({"n": n, "q": q, "options": options})
    return rows


def _urls(application: Application, mode: str) -> dict[str, str]:
    pk = application.pk
    return {
        name: reverse(f"intake:application_{name}", args=[pk])
        for name in ("field", "answers", "members", "upload", "material", "precheck", "submit")
    } | {
        "page": reverse("intake:window_application" if mode == "window" else "intake:application", args=[pk])
    }


def _target(application: Application) -> tuple[str, str]:
    if application.item_version_id is not None:
        return application.item_version.name, reverse(
            "portal:item_guide", args=[application.item.implementation_code]
        )
    return application.bundle_version.name, reverse("bundles:detail", args=[application.bundle.code])


def _case_of(application: Application) -> Case | None:
    if application.status == ApplicationStatus.DRAFT:
        return None
    return Case.objects.filter(application=application).first()


def _application_context(
    request: HttpRequest,
    application: Application,
    mode: str,
    *,
    problems: list[str] | None = None,
    checklist: list[ChecklistEntry] | None = None,
) -> dict[str, Any]:
    definition = form_definition(application=application)
    name, guide_url = _target(application)
    chosen = set(application.chosen_members or ())
    case = _case_of(application)
    editable = application.status == ApplicationStatus.DRAFT or (
        case is not None and case.status == CaseStatus.CORRECTION
    )
    return {
        "app": application,
        "mode": mode,
        "u": _urls(application, mode),
        "target_name": name,
        "guide_url": guide_url,
        "members": [(code, label, code in chosen) for code, label in definition.optional_members],
        "questions": _questions(application, definition),
        "sections": _sections(application, definition),
        "checklist": checklist if checklist is not None else checklist_for(application=application),
        "problems": problems,
        "precheck_done": problems is not None,
        "case": case,
        "editable": editable,
        "idempotency_key": forms.new_idempotency_key(),
        "saved_at_ms": int(application.updated_at.timestamp() * 1000),
        "applicant_masked": mask_id_number(application.applicant.id_number or ""),
        "relatives": _relative_sections(application, definition),
    }


def _relative_sections(application: Application, definition: Any) -> list[tuple[str, str]]:
    """(subject, section title) of each other person the household register could fill (nothing read)."""
    out = []
    for subject in relative_subjects(application):
        fields = definition.subject_fields(subject)
        out.append((subject, fields[0].section))
    return out


@login_required
@require_POST
def application_relatives(request: HttpRequest, pk: int, subject: str) -> HttpResponse:
    """The applicant's relatives of the subject's kind in the household register (a logged read), as choices."""
    app, _ = _application_for(request, pk)
    choices = relative_choices(application=app, subject=subject, actor=request.user)
    return render(
        request, "intake/_relatives_list.html", {"app": app, "subject": subject, "choices": choices}
    )


@login_required
@require_POST
def application_relative_fill_view(request: HttpRequest, pk: int, subject: str) -> HttpResponse:
    """Fill the subject's fields with the chosen relative, then show the form again."""
    app, mode = _application_for(request, pk)
    page = "intake:window_application" if mode == "window" else "intake:application"
    try:
        application_relative_fill(
            application=app,
            subject=subject,
            number=forms.parse_int(request.POST.get("number"), minimum=1) or 0,
            revision=_revision(request),
            actor=request.user,
        )
    except StaleDraft:
        pass  # the form changed meanwhile: show it as it is now, nothing filled
    except (DomainError, Conflict) as exc:
        return HttpResponse("；".join(_zh(exc.errors)), status=exc.status_code)
    return HttpResponseRedirect(reverse(page, args=[pk]) + "#form", status=303)


@login_required
@require_GET
def application(request: HttpRequest, pk: int) -> HttpResponse:
    app, mode = _application_for(request, pk)
    if mode == "window":
        return HttpResponseRedirect(reverse("intake:window_application", args=[pk]))
    return render(request, "intake/application.html", _application_context(request, app, mode))


@clerk_required
@require_GET
def window_application(request: HttpRequest, pk: int) -> HttpResponse:
    app, mode = _application_for(request, pk)
    if mode != "window":
        raise Http404
    return render(request, "intake/application.html", _application_context(request, app, mode))


def _revision(request: HttpRequest) -> int:
    value = forms.parse_int(request.POST.get("revision"))
    return -1 if value is None else value


def _revision_oob(application: Application) -> str:
    return f'<input type="hidden" id="revision" name="revision" value="{application.revision}" hx-swap-oob="true">'


def _stale(request: HttpRequest, exc: StaleDraft) -> HttpResponse:
    response = render(request, "intake/_stale.html", {"current_revision": exc.current_revision}, status=409)
    response["HX-Retarget"] = "#save-banner"
    response["HX-Reswap"] = "innerHTML"
    return response


@login_required
@require_POST
def application_field(request: HttpRequest, pk: int) -> HttpResponse:
    """Autosave one field: the draft keeps exactly what was typed; the answer is the field's message."""
    app, _ = _application_for(request, pk)
    key = request.POST.get("key", "")
    values = request.POST.getlist("value")
    spec = form_definition(application=app).field(key)
    value: Any = (
        values if spec is not None and spec.field_type == DataType.MULTI_CHOICE else (values or [""])[0]
    )
    try:
        result = application_save(
            application=app, revision=_revision(request), form_data={key: value}, actor=request.user
        )
    except StaleDraft as exc:
        return _stale(request, exc)
    except (DomainError, Conflict) as exc:
        # Not stored (unknown field, absurd value, no longer editable): say why beside the field.
        return HttpResponse("；".join(_zh(exc.errors)), status=400 if isinstance(exc, Conflict) else 200)
    message = "；".join(e.message_zh for e in result.field_errors if e.field == f"form.{key}")
    return render(
        request,
        "intake/_field_saved.html",
        {"message": message, "revision_oob": _revision_oob(result.application)},
    )


@login_required
@require_POST
def application_answers(request: HttpRequest, pk: int) -> HttpResponse:
    """The situation answers decide the materials: save them and answer with the new checklist."""
    app, mode = _application_for(request, pk)
    answers = {k.removeprefix("answer:"): v for k, v in request.POST.items() if k.startswith("answer:")}
    try:
        result = application_save(
            application=app, revision=_revision(request), answers=answers, actor=request.user
        )
    except StaleDraft as exc:
        return _stale(request, exc)
    except (DomainError, Conflict) as exc:
        return _checklist_response(request, app, mode, errors=_zh(exc.errors))
    return _checklist_response(request, result.application, mode, checklist=result.checklist, oob=True)


@login_required
@require_POST
def application_members(request: HttpRequest, pk: int) -> HttpResponse:
    """点单: the chosen optional members decide questions, fields and materials; answer with all three."""
    app, mode = _application_for(request, pk)
    try:
        result = application_save(
            application=app,
            revision=_revision(request),
            chosen_members=request.POST.getlist("members"),
            actor=request.user,
        )
    except StaleDraft as exc:
        return _stale(request, exc)
    except (DomainError, Conflict) as exc:
        context = _application_context(request, app, mode, problems=_zh(exc.errors))
        return render(request, "intake/_app_body.html", context)
    context = _application_context(request, result.application, mode, checklist=result.checklist)
    context["revision_oob"] = _revision_oob(result.application)
    return render(request, "intake/_app_body.html", context)


def _checklist_response(
    request: HttpRequest,
    app: Application,
    mode: str,
    *,
    checklist: list[ChecklistEntry] | None = None,
    errors: list[str] | None = None,
    error_key: str = "",
    oob: bool = False,
) -> HttpResponse:
    if not _is_htmx(request):
        return HttpResponseRedirect(_urls(app, mode)["page"] + "#materials")
    return render(
        request,
        "intake/_checklist.html",
        {
            "app": app,
            "mode": mode,
            "u": _urls(app, mode),
            "checklist": checklist if checklist is not None else checklist_for(application=app),
            "checklist_errors": errors or [],
            "error_key": error_key,
            "editable": True,
            "revision_oob": _revision_oob(app) if oob else "",
        },
    )


@login_required
@require_POST
def application_upload(request: HttpRequest, pk: int) -> HttpResponse:
    app, mode = _application_for(request, pk)
    key = request.POST.get("key", "")
    upload = request.FILES.get("file")
    if upload is None:
        return _checklist_response(request, app, mode, errors=["请选择要上传的文件"], error_key=key)
    try:
        application_material_upload(
            application=app, key=key, data=upload, declared_name=upload.name or "", actor=request.user
        )
    except (DomainError, Conflict) as exc:
        return _checklist_response(request, app, mode, errors=_zh(exc.errors), error_key=key)
    return _checklist_response(request, app, mode)


@login_required
@require_POST
def application_material(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a material: 告知承诺 (commitment), paper received at the window (clerk), or back to missing."""
    app, mode = _application_for(request, pk)
    key = request.POST.get("key", "")
    state = request.POST.get("state", "")
    if mode != "window" and state == MaterialState.PAPER:
        state = ""  # only the window receives paper; the service refuses an unknown state with a message
    try:
        application_material_set_state(application=app, key=key, state=state, actor=request.user)
    except (DomainError, Conflict, Forbidden) as exc:
        return _checklist_response(request, app, mode, errors=_zh(exc.errors), error_key=key)
    return _checklist_response(request, app, mode)


@login_required
@require_GET
def application_file(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    """An uploaded material, to the applicant and the clerks entitled to the application only."""
    app, _ = _application_for(request, pk)
    row = app.materials.select_related("file").filter(key=key, file__isnull=False).first()
    if row is None or row.file is None:
        raise Http404
    response = FileResponse(stored_file_open(row.file), content_type=row.file.content_type)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def application_precheck_view(request: HttpRequest, pk: int) -> HttpResponse:
    app, mode = _application_for(request, pk)
    problems = _zh(application_precheck(application=app))
    if not _is_htmx(request):
        context = _application_context(request, app, mode, problems=problems)
        return render(request, "intake/application.html", context)
    return render(request, "intake/_precheck.html", {"problems": problems, "checked": True, "app": app})


@login_required
@require_POST
def application_submit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Submit (or resubmit after a one-time notice) with the key rendered into the form: a double click or a
    retried POST returns the same case."""
    app, mode = _application_for(request, pk)
    key = request.POST.get("idempotency_key", "")
    try:
        existing = _case_of(app)
        if existing is not None and existing.status == CaseStatus.CORRECTION:
            case = case_resubmit(case=existing, actor=request.user, idempotency_key=key)
        else:  # a retry of a submission that already went through returns its case
            case = application_submit(application=app, idempotency_key=key, actor=request.user)
    except (DomainError, Conflict) as exc:
        app.refresh_from_db()
        context = _application_context(request, app, mode, problems=_zh(exc.errors))
        return render(request, "intake/application.html", context, status=exc.status_code)
    if mode == "window":
        return HttpResponseRedirect(reverse("intake:window_case", args=[case.pk]), status=303)
    return HttpResponseRedirect(reverse("intake:case", args=[case.pk]), status=303)


# ------------------------------------------------------------------------------------ start a draft


def _drafts_of(user: User, **target: Any) -> list[Application]:
    return list(
        Application.objects.filter(applicant=user, status=ApplicationStatus.DRAFT, **target)
        .exclude(channel=Channel.WINDOW)
        .order_by("-updated_at")[:5]
    )


def _channel_for(request: HttpRequest) -> str:
    agent = request.headers.get("User-Agent", "")
    return Channel.MOBILE if "Mobile" in agent or "Android" in agent else Channel.ONLINE


@login_required
@require_http_methods(["GET", "POST"])
def apply_item(request: HttpRequest, code: str) -> HttpResponse:
    item = (
        Item.objects.filter(implementation_code=code, is_published=True).select_related("department").first()
    )
    if item is None:
        return render(
            request, "intake/not_found.html", {"message": "未找到该事项，或该事项尚未发布。"}, status=404
        )
    errors: list[str] = []
    if request.method == "POST":
        try:
            app = application_start(applicant=request.user, item=item, channel=_channel_for(request))
        except (DomainError, Forbidden) as exc:
            errors = _zh(exc.errors)
        else:
            return HttpResponseRedirect(reverse("intake:application", args=[app.pk]), status=303)
    return render(
        request,
        "intake/start.html",
        {
            "name": item.name,
            "department": item.department.name,
            "guide_url": reverse("portal:item_guide", args=[code]),
            "drafts": _drafts_of(request.user, item=item),
            "errors": errors,
            "members": [],
        },
        status=400 if errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def apply_bundle(request: HttpRequest, code: str) -> HttpResponse:
    try:
        guide = bundle_guide(code)
    except NotFound:
        return render(
            request, "intake/not_found.html", {"message": "未找到该一件事，或尚未发布。"}, status=404
        )
    data = request.POST if request.method == "POST" else request.GET
    errors: list[str] = []
    try:
        chosen = guide.parse_members(data.getlist("members"))
    except DomainError as exc:
        chosen, errors = [], _zh(exc.errors)
    if request.method == "POST" and not errors:
        try:
            with transaction.atomic():
                app = application_start(
                    applicant=request.user,
                    bundle=Bundle.objects.get(code=code),
                    channel=_channel_for(request),
                )
                if chosen:
                    app = application_save(
                        application=app, revision=app.revision, chosen_members=chosen, actor=request.user
                    ).application
        except (DomainError, Forbidden) as exc:
            errors = _zh(exc.errors)
        else:
            return HttpResponseRedirect(reverse("intake:application", args=[app.pk]), status=303)
    version = guide.version
    return render(
        request,
        "intake/start.html",
        {
            "name": version.name,
            "department": version.lead_department.name,
            "guide_url": reverse("bundles:detail", args=[code]),
            "drafts": _drafts_of(request.user, bundle=version.bundle),
            "errors": errors,
            "members": [
                (m.code, guide.member_label(m.code), m.optional, m.code in chosen) for m in guide.members
            ],
        },
        status=400 if errors else 200,
    )


# ------------------------------------------------------------------------------- my applications


def _cursor(case: Case) -> str:
    return f"{int(case.submitted_at.timestamp() * 1_000_000)}-{case.pk}"


def _after(raw: str | None) -> tuple[dt.datetime, int] | None:
    parts = (raw or "").split("-")
    if len(parts) != 2 or not all(p.isdigit() and len(p) < 20 for p in parts):
        return None
    return dt.datetime.fromtimestamp(int(parts[0]) / 1_000_000, tz=dt.UTC), int(parts[1])


def _remaining(case: Case) -> dict[str, Any] | None:
    """Working days left to the promised date (negative: overdue), on the official calendar."""
    if case.promised_due_at is None or case.status not in LIVE_CASE_STATUSES:
        return None
    try:
        count = calendar_current().remaining_working_days(clock.now(), case.promised_due_at)
    except Exception:  # a year without a loaded calendar: show the date only, never guess
        return {"days": None, "provisional": True}
    return {
        "days": count.value,
        "late": max(0, -count.value),
        "provisional": count.provisional or case.due_provisional,
    }


@login_required
@require_GET
def my(request: HttpRequest) -> HttpResponse:
    drafts = list(
        Application.objects.filter(applicant=request.user, status=ApplicationStatus.DRAFT)
        .exclude(channel=Channel.WINDOW)
        .select_related("item_version", "bundle_version")
        .order_by("-updated_at")[:DRAFTS_SHOWN]
    )
    cases_qs = Case.objects.filter(applicant=request.user).order_by("-submitted_at", "-id")
    after = _after(request.GET.get("after"))
    if after is not None:
        cases_qs = cases_qs.filter(Q(submitted_at__lt=after[0]) | Q(submitted_at=after[0], pk__lt=after[1]))
    cases = list(cases_qs[: CASES_PER_PAGE + 1])
    more = len(cases) > CASES_PER_PAGE
    cases = cases[:CASES_PER_PAGE]
    return render(
        request,
        "intake/my.html",
        {
            "drafts": drafts,
            "cases": [(c, _remaining(c)) for c in cases],
            "next_after": _cursor(cases[-1]) if more else None,
            "is_later_page": after is not None,
        },
    )


def _case_context(case: Case) -> dict[str, Any]:
    return {
        "case": case,
        "events": list(case.events.order_by("at", "id")),
        "deficiencies": list(case.deficiencies.order_by("due_date", "id")),
        "notices": list(case.notices.order_by("submission")),
        "refusal": getattr(case, "refusal", None) if case.status == CaseStatus.REFUSED else None,
        "remaining": _remaining(case),
        "has_receipt": case.number is not None,
    }


@login_required
@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_for_applicant(request, pk)
    context = _case_context(case)
    context["application_url"] = reverse("intake:application", args=[case.application_id])
    return render(request, "intake/case.html", context)


def _document(case: Case, kind: str, submission: int | None) -> HttpResponse:
    if kind == "receipt":
        if case.number is None:
            raise Http404
        pdf, name = receipt_pdf(case), f"receipt-{case.number}.pdf"
    elif kind == "notice":
        notice = case.notices.filter(submission=submission or case.submission).first()
        if notice is None:
            raise Http404
        pdf, name = notice_pdf(notice), f"notice-{case.pk}-{notice.submission}.pdf"
    elif kind == "refusal":
        refusal = getattr(case, "refusal", None) if case.status == CaseStatus.REFUSED else None
        if refusal is None:
            raise Http404
        pdf, name = refusal_pdf(refusal), f"refusal-{case.pk}.pdf"
    else:
        raise Http404
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def case_document(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    case = _case_for_applicant(request, pk)
    return _document(case, kind, forms.parse_int(request.GET.get("submission"), minimum=1))


# ------------------------------------------------------------------------------ window workstation


def _clerk_window(request: HttpRequest) -> Window | None:
    """The window the clerk works at: the one of their assignment, else the one chosen for this session."""
    assigned = (
        RoleAssignment.objects.filter(user=request.user, role=Role.CLERK, window__isnull=False)
        .select_related("window__hall__region")
        .first()
    )
    if assigned is not None and assigned.window is not None and assigned.window.is_active:
        return assigned.window
    chosen = request.session.get("intake_window")
    if chosen:
        window = Window.objects.select_related("hall__region").filter(pk=chosen, is_active=True).first()
        if window is not None and clerk_may_use_window(request.user, window):
            return window
    return None


def _queue_context(request: HttpRequest, *, message: str = "", error: str = "") -> dict[str, Any]:
    window = _clerk_window(request)
    context: dict[str, Any] = {"window": window, "message": message, "error": error, "now": clock.now()}
    if window is None:
        context["windows"] = clerk_windows(clerk=request.user)
        return context
    today = clock.now().astimezone(SHANGHAI).date()
    current = (
        QueueTicket.objects.filter(
            window=window, day=today, status__in=(TicketStatus.CALLED, TicketStatus.SERVING)
        )
        .order_by("-called_at")
        .first()
    )
    waiting = list(
        QueueTicket.objects.filter(
            hall_id=window.hall_id, category=window.category, day=today, status=TicketStatus.WAITING
        ).order_by("sequence")[:10]
    )
    now = clock.now()
    context.update(
        {
            "current": current,
            "current_wait_min": (current.waiting_seconds or 0) // 60 if current else None,
            "waiting": [(t, int((now - t.taken_at).total_seconds()) // 60) for t in waiting],
            "waiting_count": QueueTicket.objects.filter(
                hall_id=window.hall_id, category=window.category, day=today, status=TicketStatus.WAITING
            ).count(),
            "other_windows": Window.objects.filter(hall_id=window.hall_id, is_active=True)
            .exclude(pk=window.pk)
            .order_by("number"),
            "categories": WindowCategory.choices,
        }
    )
    return context


def _pending_cases(request: HttpRequest) -> list[Case]:
    """What this window can accept: the hall's stationed departments (a department window: its own)."""
    qs = Case.objects.filter(status__in=(CaseStatus.SUBMITTED, CaseStatus.CORRECTION)).select_related(
        "lead_department"
    )
    qs = clerk_filter(qs, request.user, window=_clerk_window(request), department_field="lead_department")
    return list(qs.order_by("-submitted_at", "-id")[:PENDING_SHOWN])


@clerk_required
@require_GET
def window(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "intake/window.html",
        {"queue": _queue_context(request), "pending": _pending_cases(request), "lookup": forms.Lookup()},
    )


@clerk_required
@require_http_methods(["GET", "POST"])
def window_queue(request: HttpRequest, action: str = "") -> HttpResponse:
    """The queue panel; POST actions: choose (window), call, serve, skip, transfer, finish, take."""
    message = error = ""
    if request.method == "POST":
        try:
            message = _queue_action(request, action)
        except (DomainError, Conflict, Forbidden, NotFound) as exc:
            error = "；".join(_zh(exc.errors))
    context = _queue_context(request, message=message, error=error)
    if not _is_htmx(request):
        return HttpResponseRedirect(reverse("intake:window"))
    return render(request, "intake/_queue.html", {"queue": context})


def _ticket(request: HttpRequest) -> QueueTicket:
    pk = forms.parse_int(request.POST.get("ticket"), minimum=1)
    ticket = QueueTicket.objects.select_related("window__hall__region").filter(pk=pk).first() if pk else None
    if ticket is None:
        raise DomainError(ErrorDetail("not_found", "未找到该号", "No such ticket", "ticket"))
    return ticket


def _queue_action(request: HttpRequest, action: str) -> str:
    user = request.user
    if action == "choose":
        pk = forms.parse_int(request.POST.get("window"), minimum=1)
        window = (
            Window.objects.select_related("hall__region").filter(pk=pk, is_active=True).first()
            if pk
            else None
        )
        if window is None or not clerk_may_use_window(user, window):
            raise DomainError(ErrorDetail("window", "请选择您所在的窗口", "Choose your window", "window"))
        request.session["intake_window"] = window.pk
        return f"已选择窗口 {window}"
    window = _clerk_window(request)
    if window is None:
        raise DomainError(ErrorDetail("window", "请先选择您所在的窗口", "Choose your window first", "window"))
    if action == "call":
        ticket = ticket_call_next(window=window, clerk=user)
        return f"请 {ticket.number} 号到 {window.number} 窗口办理" if ticket else "当前没有等候的号"
    if action == "take":
        category = request.POST.get("category") or window.category
        ticket = ticket_take(hall=window.hall, category=category)
        return f"已取号 {ticket.number}"
    ticket = _ticket(request)
    if action == "serve":
        ticket_serve(ticket=ticket, clerk=user)
        return f"{ticket.number} 号办理中"
    if action == "skip":
        ticket_skip(ticket=ticket, clerk=user)
        return f"{ticket.number} 号已过号"
    if action == "finish":
        ticket_finish(ticket=ticket, clerk=user)
        return f"{ticket.number} 号办理完成"
    if action == "transfer":
        pk = forms.parse_int(request.POST.get("to_window"), minimum=1)
        target = Window.objects.filter(pk=pk).first() if pk else None
        if target is None:
            raise DomainError(ErrorDetail("to_window", "请选择转入的窗口", "Choose a window", "to_window"))
        ticket_transfer(ticket=ticket, to_window=target, clerk=user)
        return f"{ticket.number} 号已转到 {target}"
    raise Http404


@clerk_required
@require_POST
def window_lookup(request: HttpRequest) -> HttpResponse:
    """Find an applicant by ID number (POST only: it never appears in a URL or a log); shown masked."""
    lookup = forms.parse_lookup(request.POST)
    person = None
    if not lookup.error:
        person = User.objects.filter(id_number=lookup.id_number, is_active=True).first()
    context: dict[str, Any] = {"lookup": lookup, "person": person, "searched": not lookup.error}
    if person is not None:
        context.update(
            {
                "masked_id": mask_id_number(person.id_number),
                "masked_phone": mask_phone(person.phone or ""),
                "person_cases": list(
                    Case.objects.filter(applicant=person).order_by("-submitted_at", "-id")[:10]
                ),
                "person_drafts": list(
                    Application.objects.filter(
                        applicant=person, status=ApplicationStatus.DRAFT, channel=Channel.WINDOW
                    )
                    .select_related("item_version", "bundle_version")
                    .order_by("-updated_at")[:5]
                ),
            }
        )
    lookup_form = {"lookup": lookup}
    status = 400 if lookup.error and not _is_htmx(request) else 200
    if _is_htmx(request):
        return render(request, "intake/_lookup.html", context | lookup_form, status=status)
    return render(
        request,
        "intake/window.html",
        {"queue": _queue_context(request), "pending": _pending_cases(request)} | context,
        status=status,
    )


@clerk_required
@require_POST
def window_start(request: HttpRequest) -> HttpResponse:
    """Enter an application for the person found (channel window): an item code or a bundle code."""
    person_pk = forms.parse_int(request.POST.get("applicant"), minimum=1)
    person = User.objects.filter(pk=person_pk, is_active=True).first() if person_pk else None
    target = (request.POST.get("target") or "").strip()
    item = Item.objects.filter(implementation_code=target, is_published=True).first() if target else None
    bundle = Bundle.objects.filter(code=target).first() if target and item is None else None
    errors: list[str] = []
    if person is None:
        errors.append("请先按身份证号查找申请人")
    if item is None and bundle is None:
        errors.append("请输入已发布事项的实施编码，或一件事编码")
    if not errors:
        try:
            app = application_start(
                applicant=person, item=item, bundle=bundle, channel=Channel.WINDOW, entered_by=request.user
            )
        except (DomainError, Forbidden) as exc:
            errors = _zh(exc.errors)
        else:
            return HttpResponseRedirect(reverse("intake:window_application", args=[app.pk]), status=303)
    return render(
        request,
        "intake/window.html",
        {
            "queue": _queue_context(request),
            "pending": _pending_cases(request),
            "start_errors": errors,
            "lookup": forms.Lookup(),
        },
        status=400,
    )


def _window_case_context(
    request: HttpRequest, case: Case, *, errors: list[str] | None = None, open_panel: str = ""
) -> dict[str, Any]:
    context = _case_context(case)
    checklist = checklist_for(application=case.application)
    definition = form_definition(application=case.application)
    context.update(
        {
            "checklist": checklist,
            "missing": [e for e in checklist if e.missing],
            "deficiency_choices": [e for e in checklist if e.missing and e.requirement.deficiency_allowed],
            "key_missing": [e for e in checklist if e.missing and e.requirement.is_key],
            "field_problems": [
                (f.key, f.label, e.message_zh)
                for f in definition.fields
                for e in field_errors(definition, case.application.form_data or {}, required=True)
                if e.field == f"form.{f.key}"
            ],
            "fields": definition.fields,
            "known_problems": notice_known_problems(application=case.application),
            "form_data": case.application.form_data or {},
            "masked_id": mask_id_number(case.applicant.id_number or ""),
            "errors": errors or [],
            "open_panel": open_panel,
            "today": clock.now().astimezone(SHANGHAI).date(),
            "default_due": clock.now().astimezone(SHANGHAI).date() + dt.timedelta(days=10),
            "can_decide": case.status == CaseStatus.SUBMITTED,
            "can_refuse": case.status in (CaseStatus.SUBMITTED, CaseStatus.CORRECTION),
            "window": _clerk_window(request),
            "application_url": reverse("intake:window_application", args=[case.application_id])
            if case.application.channel == Channel.WINDOW
            else "",
        }
    )
    return context


@clerk_required
@require_GET
def window_case(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_for_clerk(request, pk)
    return render(request, "intake/window_case.html", _window_case_context(request, case))


@clerk_required
@require_POST
def window_case_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """accept / deficiency / notice / refuse, with the row version the clerk saw (a stale page gets 409)."""
    case = _case_for_clerk(request, pk)
    row_version = forms.parse_int(request.POST.get("row_version"))
    if row_version is not None:
        case.row_version = row_version
    window = _clerk_window(request)
    present = request.POST.get("applicant_present") == "1"
    today = clock.now().astimezone(SHANGHAI).date()
    errors: list[str] = []
    try:
        if decision == "accept":
            case_accept(case=case, clerk=request.user, window=window, applicant_present=present)
        elif decision == "deficiency":
            allowed = {
                e.key
                for e in checklist_for(application=case.application)
                if e.missing and e.requirement.deficiency_allowed
            }
            parsed = forms.parse_deficiency(request.POST, allowed_keys=allowed, today=today)
            errors = parsed.errors
            if not errors:
                case_accept_with_deficiency(
                    case=case,
                    clerk=request.user,
                    commitments=parsed.commitments,
                    window=window,
                    applicant_present=present,
                )
        elif decision == "notice":
            parsed = forms.parse_notice(request.POST)
            errors = parsed.errors
            if not errors:
                case_notice(
                    case=case,
                    clerk=request.user,
                    problems=parsed.problems,
                    window=window,
                    applicant_present=present,
                )
        elif decision == "refuse":
            parsed = forms.parse_refusal(request.POST)
            case_refuse(
                case=case,
                clerk=request.user,
                reasons=parsed.reasons,
                legal_basis=parsed.legal_basis,
                window=window,
                applicant_present=present,
            )
        else:
            raise Http404
    except (DomainError, Conflict, Forbidden) as exc:
        status = exc.status_code
        fresh = _case_for_clerk(request, pk)
        context = _window_case_context(request, fresh, errors=_zh(exc.errors), open_panel=decision)
        context["posted"] = request.POST
        return render(request, "intake/window_case.html", context, status=status)
    if errors:
        context = _window_case_context(request, case, errors=errors, open_panel=decision)
        context["posted"] = request.POST
        return render(request, "intake/window_case.html", context, status=400)
    return HttpResponseRedirect(reverse("intake:window_case", args=[pk]) + "#done", status=303)


@clerk_required
@require_GET
def window_case_document(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    case = _case_for_clerk(request, pk)
    return _document(case, kind, forms.parse_int(request.GET.get("submission"), minimum=1))
