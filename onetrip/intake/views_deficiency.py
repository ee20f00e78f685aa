"""容缺 pages: the applicant supplies a committed material on their case page (a phone-friendly upload, or
one of their e-licences); the clerk supplies it at the window and checks it (accept / reject with reason).

Thin adapters over services.deficiency: parse, call, and on success go back to the page (303); on an error
the page is shown again with the message at the commitment and what was typed kept (status 4xx).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from onetrip.core.errors import DomainError
from onetrip.intake import forms
from onetrip.intake import views as pages
from onetrip.intake.documents_deficiency import termination_event, termination_pdf
from onetrip.intake.models import Case
from onetrip.intake.selectors_deficiency import deficiency_file, deficiency_for
from onetrip.intake.services.deficiency import deficiency_check, deficiency_supply
from onetrip.intake.services.files import stored_file_open


def _supply(request: HttpRequest, case: Case, deficiency_id: int) -> None:
    deficiency = _deficiency(case, deficiency_id)
    upload = request.FILES.get("file")
    licence = forms.parse_int(request.POST.get("licence"), minimum=1)
    deficiency_supply(
        deficiency=deficiency,
        actor=request.user,  # type: ignore[arg-type]
        file=upload,
        file_name=upload.name if upload is not None else "",
        licence=licence,
    )


def _deficiency(case: Case, deficiency_id: int) -> Any:
    try:
        return deficiency_for(case=case, deficiency_id=deficiency_id)
    except DomainError:
        raise Http404 from None


def _error_context(request: HttpRequest, exc: DomainError, deficiency_id: int) -> dict[str, Any]:
    return {
        "deficiency_errors": [e.message_zh for e in exc.errors],
        "deficiency_error_id": deficiency_id,
        "deficiency_posted": request.POST,
    }


@login_required
@require_POST
def case_deficiency_supply(request: HttpRequest, pk: int, deficiency_id: int) -> HttpResponse:
    """The applicant supplies a committed material on their case page."""
    case = pages._case_for_applicant(request, pk)
    try:
        _supply(request, case, deficiency_id)
    except DomainError as exc:
        context = pages._case_context(case)
        context["application_url"] = reverse("intake:application", args=[case.application_id])
        context.update(_error_context(request, exc, deficiency_id))
        return render(request, "intake/case.html", context, status=exc.status_code)
    return HttpResponseRedirect(reverse("intake:case", args=[pk]) + "#deficiencies", status=303)


@pages.clerk_required
@require_POST
def window_deficiency(request: HttpRequest, pk: int, deficiency_id: int, action: str) -> HttpResponse:
    """The clerk supplies (`supply`) a committed material at the window, or checks it (`accept`, `reject`)."""
    case = pages._case_for_clerk(request, pk)
    try:
        if action == "supply":
            _supply(request, case, deficiency_id)
        elif action in ("accept", "reject"):
            deficiency_check(
                deficiency=_deficiency(case, deficiency_id),
                actor=request.user,  # type: ignore[arg-type]
                accepted=action == "accept",
                reason=request.POST.get("reason", ""),
            )
        else:
            raise Http404
    except DomainError as exc:
        fresh = pages._case_for_clerk(request, pk)
        context = pages._window_case_context(request, fresh)
        context.update(_error_context(request, exc, deficiency_id))
        return render(request, "intake/window_case.html", context, status=exc.status_code)
    return HttpResponseRedirect(reverse("intake:window_case", args=[pk]) + "#deficiencies", status=303)


def _file_response(case: Case, deficiency_id: int) -> HttpResponse:
    try:
        stored, _ = deficiency_file(_deficiency(case, deficiency_id))
    except DomainError:
        raise Http404 from None
    response = FileResponse(stored_file_open(stored), content_type=stored.content_type)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def case_deficiency_file(request: HttpRequest, pk: int, deficiency_id: int) -> HttpResponse:
    return _file_response(pages._case_for_applicant(request, pk), deficiency_id)


@pages.clerk_required
@require_GET
def window_deficiency_file(request: HttpRequest, pk: int, deficiency_id: int) -> HttpResponse:
    return _file_response(pages._case_for_clerk(request, pk), deficiency_id)


def _termination(case: Case) -> HttpResponse:
    event = termination_event(case)
    if event is None:
        raise Http404
    response = HttpResponse(termination_pdf(case, event), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="termination-{case.pk}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def case_termination(request: HttpRequest, pk: int) -> HttpResponse:
    """终止办理告知书 of the applicant's case ended for an overdue commitment."""
    return _termination(pages._case_for_applicant(request, pk))


@pages.clerk_required
@require_GET
def window_termination(request: HttpRequest, pk: int) -> HttpResponse:
    return _termination(pages._case_for_clerk(request, pk))
