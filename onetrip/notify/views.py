"""In-app inbox pages (/notices/): the list (keyset pages, unread count), mark read / all read, link through,
an unread badge fragment for the navigation, and the notification settings. Every page is the signed-in
person's own messages."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onetrip.core.errors import DomainError, NotFound
from onetrip.notify import selectors, services
from onetrip.notify.models import DispatchChannel


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@require_GET
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    page = selectors.inbox_page(
        user=request.user,  # type: ignore[arg-type]
        before=_int(request.GET.get("before")),
        unread_only=unread_only,
    )
    return render(request, "notify/inbox.html", {"page": page, "unread_only": unread_only})


@require_GET
def badge(request: HttpRequest) -> HttpResponse:
    """The unread count for the navigation (htmx); empty when signed out, never a redirect to the login."""
    if not request.user.is_authenticated:
        return HttpResponse("")
    count = selectors.unread_count(user=request.user)  # type: ignore[arg-type]
    return render(request, "notify/_badge.html", {"unread": count})


def _safe_link(request: HttpRequest, link: str) -> str:
    """Only site paths: an absolute URL to another host (or `//host`) goes back to the inbox instead."""
    if link.startswith("/") and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}):
        return link
    return reverse("notify:inbox")


@require_GET
@login_required
def go(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Link through: mark the message read and go to the page it is about."""
    try:
        notification = services.notification_mark_read(user=request.user, notification_id=notification_id)  # type: ignore[arg-type]
    except NotFound:
        return render(request, "notify/not_found.html", status=404)
    return HttpResponseRedirect(_safe_link(request, notification.link))


@require_POST
@login_required
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    try:
        notification = services.notification_mark_read(user=request.user, notification_id=notification_id)  # type: ignore[arg-type]
    except NotFound:
        return render(request, "notify/not_found.html", status=404)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "notify/_item.html", {"n": notification})
    return HttpResponseRedirect(reverse("notify:inbox"))


@require_POST
@login_required
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.notification_mark_all_read(user=request.user)  # type: ignore[arg-type]
    messages.success(request, f"已将 {count} 条消息标为已读。" if count else "没有未读消息。")
    return HttpResponseRedirect(reverse("notify:inbox"))


def _settings_context(
    request: HttpRequest, submitted: dict[str, services.PreferenceInput] | None = None
) -> dict[str, Any]:
    channels = selectors.channel_views(user=request.user)  # type: ignore[arg-type]
    if submitted:
        # Show what was typed, so a mistake in one field does not lose the rest.
        channels = [
            replace(
                c,
                enabled=submitted[c.channel].enabled,
                address=submitted[c.channel].address,
                muted_kinds=list(submitted[c.channel].muted_kinds),
            )
            for c in channels
        ]
    return {"channels": channels, "kinds": selectors.mutable_kinds(), "urgent": selectors.urgent_kinds()}


@require_http_methods(["GET", "POST"])
@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "notify/settings.html", _settings_context(request))
    rows = {
        channel: services.PreferenceInput(
            channel=channel,
            enabled=request.POST.get(f"{channel}-enabled") == "on",
            address=request.POST.get(f"{channel}-address", "")[:255],
            muted_kinds=tuple(request.POST.getlist(f"{channel}-muted")[:100]),
        )
        for channel in DispatchChannel.values
    }
    try:
        services.preferences_set(user=request.user, rows=list(rows.values()))  # type: ignore[arg-type]
    except DomainError as exc:
        context = _settings_context(request, rows)
        errors: dict[str, list[str]] = {}
        for e in exc.errors:
            errors.setdefault((e.field or "").partition(".")[0], []).append(e.message_zh)
        context["errors"] = errors
        return render(request, "notify/settings.html", context, status=400)
    messages.success(request, "通知设置已保存。")
    return HttpResponseRedirect(reverse("notify:settings"))
