"""Bad input is refused at the edge, in one place, before any view, form or schema sees it.

- Text that no field can hold: a NUL character (PostgreSQL refuses it in text, so it used to surface as a
  500) or a lone UTF-16 surrogate (not encodable as UTF-8: it broke searches, logs and the database driver).
  Checked in the path, the query string, form fields, uploaded file names and every string (and key) of a
  JSON body.
- JSON integers outside the signed 64-bit range that database ids and counts use.
- A JSON body that is not valid UTF-8.

The answer is 400 with the standard error body of onetrip.core.errors (code, message_zh, message_en, field)
for the API and JSON requests, and a short Chinese page for the HTML pages. Nothing is changed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from onetrip.core.errors import DomainError, ErrorDetail

# A NUL, or a code point in the surrogate block (only reachable through a JSON escape or a broken decoder).
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
# Cheap filters: a JSON body is parsed here only if it may hold an escape or a long run of digits.
_JSON_SUSPECT = re.compile(rb"\\u|\d{19,}")
INT_MIN, INT_MAX = -(2**63), 2**63 - 1


def bad_text(value: str) -> bool:
    return _BAD_TEXT.search(value) is not None


def _safe_name(name: str) -> str:
    return _BAD_TEXT.sub("", name)[:100] or "?"


def _invalid_text(field: str | None) -> ErrorDetail:
    return ErrorDetail(
        "invalid_characters",
        "输入中含有无法保存的字符（如空字符），请删除后重新提交",
        "The input contains characters that cannot be stored (such as NUL)",
        field,
    )


def _out_of_range(field: str | None) -> ErrorDetail:
    return ErrorDetail("out_of_range", "数值超出允许范围", "Number out of range", field)


def _walk(value: Any, path: str) -> Iterator[ErrorDetail]:
    if isinstance(value, str):
        if bad_text(value):
            yield _invalid_text(path or None)
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if not INT_MIN <= value <= INT_MAX:
            yield _out_of_range(path or None)
    elif isinstance(value, dict):
        for key, item in value.items():
            key_path = f"{path}.{_safe_name(key)}" if path else _safe_name(key)
            if bad_text(key):
                yield _invalid_text(key_path)
            else:
                yield from _walk(item, key_path)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, f"{path}[{i}]" if path else f"[{i}]")


def request_errors(request: HttpRequest) -> list[ErrorDetail]:
    """What is wrong with the request's text or numbers; empty when it may go on."""
    if bad_text(request.path):
        return [_invalid_text(None)]
    for key, values in request.GET.lists():
        for value in (key, *values):
            if bad_text(value):
                return [_invalid_text(_safe_name(key))]
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return []
    content_type = request.content_type or ""
    if content_type == "application/json" or content_type.endswith("+json"):
        return _json_errors(request.body)
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, values in request.POST.lists():
            for value in (key, *values):
                if bad_text(value):
                    return [_invalid_text(_safe_name(key))]
        for key, files in request.FILES.lists():
            if any(bad_text(f.name or "") for f in files):
                return [_invalid_text(_safe_name(key))]
    return []


def _json_errors(body: bytes) -> list[ErrorDetail]:
    if b"\x00" in body:
        return [_invalid_text(None)]
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return [
            ErrorDetail("invalid_encoding", "请求内容须为 UTF-8 编码", "The request body must be UTF-8", None)
        ]
    if not _JSON_SUSPECT.search(body):
        return []
    try:
        data = json.loads(text)
    except ValueError:
        return []  # not JSON: the API's own parser answers that
    return list(_walk(data, ""))[:20]


def _wants_json(request: HttpRequest) -> bool:
    return (
        request.path.startswith("/api/")
        or "json" in (request.content_type or "")
        or "application/json" in request.headers.get("Accept", "")
    )


class BadInputMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        errors = request_errors(request)
        if not errors:
            return self.get_response(request)
        if _wants_json(request):
            return JsonResponse(DomainError(*errors).as_dict(), status=400)
        # Rendered without the request: the session and user are not loaded yet at this point.
        page = render_to_string("core/bad_input.html", {"errors": errors})
        return HttpResponse(page, status=400)
