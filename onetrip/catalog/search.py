"""Catalogue search: Chinese words, full pinyin and pinyin initials (退休 / tuixiu / tx), with filters.

One query on the denormalised `Item` columns. Every whitespace-separated query term must be a prefix of one
of the item's search tokens (`ItemSearchToken`: every suffix of the name, of its pinyin and of its initials,
and the words of its department and themes — see onetrip.core.searchtext.search_tokens), so a term found
anywhere in the name matches. The token table is a covering index (token, kind, name, item): matches are
found by an index range scan (LIKE 'term%' on PostgreSQL's varchar_pattern_ops index, a binary range on
SQLite), ranked and ordered from the index alone, and only one page of items is then fetched, so the cost
follows the number of matches, not the size of the catalogue. Without a query, browsing reads `Item` in
name order.

Ranking: exact name match (0), name starts with the query (1), name contains it (2), other matches (3)
— read from the kinds of the matching tokens; a query of several terms ranks all its matches as "other" —
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
from django.db.models import Case, IntegerField, Min, Q, QuerySet, Value, When

from onetrip.catalog.models import Item, ItemSearchToken, Theme, TokenKind
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


def _filter_q(
    prefix: str,
    *,
    department_id: int | None,
    level: int | None,
    theme: str | None,
    service_object: str | None,
    zero_trip: bool | None,
    online: bool | None,
) -> Q:
    """The filters as a Q on Item columns, reached through `prefix` ("" from Item, "item__" from a token)."""
    conditions: dict[str, object] = {}
    if department_id is not None:
        conditions["department_id"] = department_id
    if level is not None:
        conditions["level"] = level
    if service_object is not None:
        conditions[SERVICE_OBJECT_FIELDS[service_object]] = True
    if zero_trip is not None:
        conditions["zero_trip"] = zero_trip
    if online is not None:
        conditions["online"] = online
    q = Q(**{prefix + key: value for key, value in conditions.items()})
    if theme is not None:
        # theme_codes is "a,b,c": match a whole code, never one that merely starts or ends with `theme`.
        field = prefix + "theme_codes"
        q &= (
            Q(**{field: theme})
            | Q(**{field + "__startswith": theme + ","})
            | Q(**{field + "__endswith": "," + theme})
            | Q(**{field + "__contains": "," + theme + ","})
        )
    return q


def _token_matches(term: str) -> QuerySet[ItemSearchToken]:
    """Token rows starting with `term` (tokens are lower-case, at most MAX_TOKEN_LENGTH long)."""
    term = term[:MAX_TOKEN_LENGTH]
    tokens = ItemSearchToken.objects.all()
    if connection.vendor == "postgresql":
        tokens = tokens.filter(token__startswith=term)
    else:
        # SQLite compares BINARY (UTF-8 bytes): every string starting with `term` sorts inside this range.
        tokens = tokens.filter(token__gte=term, token__lt=term + "\U0010ffff")
    return tokens


def search_index_replace(*, items: Iterable[Item]) -> None:
    """Rebuild the search tokens of these items from their denormalised fields: published items get tokens,
    others none. Call inside the transaction that changed the items."""
    items = list(items)
    ItemSearchToken.objects.filter(item_id__in=[i.pk for i in items]).delete()
    rows = [
        ItemSearchToken(item_id=item.pk, token=token, kind=kind, name=item.name)
        for item in items
        if item.is_published
        for token, kind in sorted(search_tokens(item.name, item.search_text).items())
    ]
    ItemSearchToken.objects.bulk_create(rows, batch_size=5000)


def _ranked_matches(
    query: str,
    filters: dict[str, object],
    cursor: tuple[int, str, int] | None,
    limit: int,
    with_total: bool,
) -> tuple[list[tuple[int, str, int]], int | None]:
    """(rank, name, item id) of one page of matches, best first, read from the token index alone."""
    terms = query.split()
    matches = _token_matches(terms[0])
    for term in terms[1:]:
        matches = matches.filter(item_id__in=_token_matches(term).values("item_id"))
    if any(value is not None for value in filters.values()):
        # A join on the item's primary key per match: cheaper than scanning every item for the filter.
        matches = matches.filter(_filter_q("item__", **filters))  # type: ignore[arg-type]
    # The rank comes from the kinds of the first term's matching tokens (see TokenKind): the whole-name token
    # equal to the term is an exact match, the whole-name token starting with it a prefix match, another name
    # suffix a match inside the name, anything else (pinyin, department, theme) the rest. Integer work on
    # the covering index; no per-row string functions.
    rank = Case(
        When(kind=TokenKind.NAME, token=terms[0], then=Value(RANK_EXACT)),
        When(kind=TokenKind.NAME, then=Value(RANK_PREFIX)),
        When(kind=TokenKind.NAME_PART, then=Value(RANK_CONTAINS)),
        default=Value(RANK_OTHER),
        output_field=IntegerField(),
    )
    if len(terms) > 1:
        rank = Value(RANK_OTHER, output_field=IntegerField())
    grouped = matches.values("item_id", "name").annotate(rank=Min(rank))
    total = grouped.count() if with_total and cursor is None else None
    if cursor is not None:
        c_rank, c_name, c_id = cursor
        grouped = grouped.filter(
            Q(rank__gt=c_rank)
            | Q(rank=c_rank, name__gt=c_name)
            | Q(rank=c_rank, name=c_name, item_id__gt=c_id)
        )
    page = grouped.order_by("rank", "name", "item_id")[: limit + 1]
    return [(row["rank"], row["name"], row["item_id"]) for row in page], total


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

    filters = {
        "department_id": department_id,
        "level": level,
        "theme": theme,
        "service_object": service_object,
        "zero_trip": zero_trip,
        "online": online,
    }
    if query:
        rows, total = _ranked_matches(query, filters, cursor, limit, with_total)
        by_id = Item.objects.select_related("department").in_bulk([item_id for _, _, item_id in rows])
        ranked = [(rank, by_id[item_id]) for rank, _, item_id in rows if item_id in by_id]
    else:
        rows_qs = Item.objects.filter(_filter_q("", **filters), is_published=True)  # type: ignore[arg-type]
        total = rows_qs.count() if with_total and cursor is None else None
        if cursor is not None:
            _, c_name, c_id = cursor
            rows_qs = rows_qs.filter(Q(name__gt=c_name) | Q(name=c_name, id__gt=c_id))
        page = rows_qs.select_related("department").order_by("name", "id")[: limit + 1]
        ranked = [(RANK_EXACT, item) for item in page]
    more = len(ranked) > limit
    ranked = ranked[:limit]
    items = [item for _, item in ranked]
    next_cursor = None
    if more:
        last_rank, last = ranked[-1]
        next_cursor = encode_cursor(last_rank, last.name, last.id)
    return SearchPage(items=items, next_cursor=next_cursor, total=total)
