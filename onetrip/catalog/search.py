"""Catalogue search: Chinese words, full pinyin and pinyin initials (退休 / tuixiu / tx), with filters.

One query on the denormalised `Item` columns. Every whitespace-separated query term must be a prefix of one
of the item's search tokens (`ItemSearchToken`: every suffix of the name, of its pinyin and of its initials,
and the words of its department and themes — see onetrip.core.searchtext.search_tokens), so a term found
anywhere in the name matches. Each term is an index range scan on the token column (LIKE 'term%' with the
varchar_pattern_ops index Django adds on PostgreSQL; a binary range on SQLite), so the cost follows the
number of matches, not the size of the catalogue.

Ranking: exact name match (0), name starts with the query (1), name contains it (2), other matches (3);
then name, then id. Pagination is keyset on that same (rank, name, id) triple, carried in an opaque cursor,
so every matching item appears exactly once across pages however deep the reader goes.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Concat, Replace

from onetrip.catalog.models import Item, ItemSearchToken, Theme
from onetrip.core.errors import DomainError, ErrorDetail
from onetrip.core.searchtext import MAX_TOKEN_LENGTH, normalise_query, search_tokens

MAX_LIMIT = 100
MAX_QUERY_LENGTH = 100
RANK_EXACT, RANK_PREFIX, RANK_CONTAINS, RANK_OTHER = 0, 1, 2, 3

SERVICE_OBJECT_FIELDS = {"citizen": "for_citizen", "company": "for_company", "office": "for_office"}
_THEME_CODE_RE = re.compile(r"^[-a-zA-Z0-9_]{1,32}$")


@dataclass(frozen=True)
class SearchPage:
    items: list[Item]
    next_cursor: str | None
    # Number of matches, counted only when asked for (it costs a second query).
    total: int | None = None


def encode_cursor(rank: int, name: str, item_id: int) -> str:
    raw = json.dumps([rank, name, item_id], ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, str, int]:
    error = DomainError(
        ErrorDetail(
            "invalid_cursor", "翻页游标无效，请从第一页重新查询", "Invalid pagination cursor", "after"
        )
    )
    if not cursor or len(cursor) > 1000:
        raise error
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        rank, name, item_id = json.loads(raw.decode())
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        raise error from None
    valid = (
        type(rank) is int
        and RANK_EXACT <= rank <= RANK_OTHER
        and isinstance(name, str)
        and type(item_id) is int
        and item_id > 0
    )
    if not valid:
        raise error
    return rank, name, item_id


def _validate(
    *, query: str, level: int | None, theme: str | None, service_object: str | None, limit: int
) -> list[ErrorDetail]:
    errors: list[ErrorDetail] = []
    if len(query) > MAX_QUERY_LENGTH:
        errors.append(
            ErrorDetail(
                "query_too_long",
                f"搜索词不能超过{MAX_QUERY_LENGTH}个字符",
                f"The query may not exceed {MAX_QUERY_LENGTH} characters",
                "query",
            )
        )
    if type(limit) is not int or not 1 <= limit <= MAX_LIMIT:
        errors.append(
            ErrorDetail(
                "invalid_limit",
                f"每页条数应为1至{MAX_LIMIT}",
                f"limit must be between 1 and {MAX_LIMIT}",
                "limit",
            )
        )
    if level is not None and (type(level) is not int or not 1 <= level <= 6):
        errors.append(
            ErrorDetail("invalid_level", "行使层级应为1至6", "level must be between 1 and 6", "level")
        )
    if service_object is not None and service_object not in SERVICE_OBJECT_FIELDS:
        errors.append(
            ErrorDetail(
                "unknown_service_object",
                "服务对象应为 citizen（自然人）、company（法人）或 office（机关单位）",
                "service_object must be citizen, company or office",
                "service_object",
            )
        )
    if theme is not None and (
        not _THEME_CODE_RE.match(theme) or not Theme.objects.filter(code=theme).exists()
    ):
        errors.append(ErrorDetail("unknown_theme", "主题不存在", "Unknown theme", "theme"))
    return errors


def _filtered(
    *,
    terms: list[str],
    department_id: int | None,
    level: int | None,
    theme: str | None,
    service_object: str | None,
    zero_trip: bool | None,
    online: bool | None,
) -> QuerySet[Item]:
    qs = Item.objects.filter(is_published=True).select_related("department")
    for term in terms:
        qs = qs.filter(id__in=_token_matches(term))
    if department_id is not None:
        qs = qs.filter(department_id=department_id)
    if level is not None:
        qs = qs.filter(level=level)
    if service_object is not None:
        qs = qs.filter(**{SERVICE_OBJECT_FIELDS[service_object]: True})
    if zero_trip is not None:
        qs = qs.filter(zero_trip=zero_trip)
    if online is not None:
        qs = qs.filter(online=online)
    if theme is not None:
        # Whole-code match: " a b c " contains " b ", never a code that merely starts or ends with "b".
        qs = qs.annotate(
            _themes=Concat(Value(" "), Replace("theme_codes", Value(","), Value(" ")), Value(" "))
        ).filter(_themes__contains=f" {theme} ")
    return qs


def _token_matches(term: str) -> QuerySet[ItemSearchToken]:
    """Item ids with a token starting with `term` (tokens are lower-case, at most MAX_TOKEN_LENGTH long)."""
    term = term[:MAX_TOKEN_LENGTH]
    tokens = ItemSearchToken.objects.all()
    if connection.vendor == "postgresql":
        tokens = tokens.filter(token__startswith=term)
    else:
        # SQLite compares BINARY (UTF-8 bytes): every string starting with `term` sorts inside this range.
        tokens = tokens.filter(token__gte=term, token__lt=term + "\U0010ffff")
    return tokens.values("item_id")


def search_index_replace(*, items: Iterable[Item]) -> None:
    """Rebuild the search tokens of these items from their denormalised fields: published items get tokens,
    others none. Call inside the transaction that changed the items."""
    items = list(items)
    ItemSearchToken.objects.filter(item_id__in=[i.pk for i in items]).delete()
    rows = [
        ItemSearchToken(item_id=item.pk, token=token)
        for item in items
        if item.is_published
        for token in sorted(search_tokens(item.name, item.search_text))
    ]
    ItemSearchToken.objects.bulk_create(rows, batch_size=5000)


def search_items(
    *,
    query: str = "",
    department_id: int | None = None,
    level: int | None = None,
    theme: str | None = None,
    service_object: str | None = None,
    zero_trip: bool | None = None,
    online: bool | None = None,
    after: str | None = None,
    limit: int = 20,
    with_total: bool = False,
) -> SearchPage:
    """Published items matching the query and filters, best matches first, one keyset page at a time."""
    query = normalise_query(query or "")
    errors = _validate(query=query, level=level, theme=theme, service_object=service_object, limit=limit)
    cursor = None
    if after is not None:
        try:
            cursor = decode_cursor(after)
        except DomainError as exc:
            errors.extend(exc.errors)
    if errors:
        raise DomainError(*errors)

    qs = _filtered(
        terms=query.split(),
        department_id=department_id,
        level=level,
        theme=theme,
        service_object=service_object,
        zero_trip=zero_trip,
        online=online,
    )
    total = qs.count() if with_total and cursor is None else None
    if query:
        rank = Case(
            When(name__iexact=query, then=Value(RANK_EXACT)),
            When(name__istartswith=query, then=Value(RANK_PREFIX)),
            When(name__icontains=query, then=Value(RANK_CONTAINS)),
            default=Value(RANK_OTHER),
            output_field=IntegerField(),
        )
    else:
        rank = Value(RANK_EXACT, output_field=IntegerField())
    qs = qs.annotate(rank=rank)
    if cursor is not None:
        c_rank, c_name, c_id = cursor
        qs = qs.filter(
            Q(rank__gt=c_rank) | Q(rank=c_rank, name__gt=c_name) | Q(rank=c_rank, name=c_name, id__gt=c_id)
        )
    rows = list(qs.order_by("rank", "name", "id")[: limit + 1])
    items, more = rows[:limit], len(rows) > limit
    next_cursor = None
    if more:
        last = items[-1]
        next_cursor = encode_cursor(last.rank, last.name, last.id)  # type: ignore[attr-defined]
    return SearchPage(items=items, next_cursor=next_cursor, total=total)
