"""Catalogue search: Chinese, pinyin and initials; ranking; filters; keyset pagination; bad input."""

from __future__ import annotations

import base64
import json

import pytest

from onetrip.catalog.models import Item, ItemType
from onetrip.catalog.search import decode_cursor, encode_cursor, search_index_replace, search_items
from onetrip.catalog.tests import factories as f
from onetrip.core.errors import DomainError
from onetrip.core.searchtext import search_text

pytestmark = pytest.mark.django_db


def published(name: str, *, department=None, level: int = 4, published: bool = True, **fields) -> Item:
    """An item row as search sees it: the denormalised columns the publish service fills."""
    department = department or f.make_department()
    basic = f.make_basic_code()
    item = Item.objects.create(
        basic_code=basic,
        implementation_code=f"{department.uscc}{level}{basic}",
        department=department,
        name=name,
        item_type=ItemType.LICENSING,
        level=level,
        search_text=search_text(name, department.name),
        is_published=published,
        **fields,
    )
    search_index_replace(items=[item])
    return item


def names(page) -> list[str]:
    return [i.name for i in page.items]


def test_chinese_full_pinyin_and_initials_find_a_published_item():
    item = f.make_published_item(name="企业职工退休")
    for query in ("退休", "tuixiu", "tx", "TuiXiu", "  退休  ", "企业 退休"):
        page = search_items(query=query)
        assert item in page.items, query


def test_unpublished_items_are_not_found():
    published("企业职工退休", published=False)
    assert search_items(query="退休").items == []


def test_exact_name_first_then_prefix_then_contains_then_other_matches():
    dept = f.make_department(name="退休服务中心")
    published("机关退休人员登记", department=dept)
    published("企业职工退休", department=dept)
    published("退休金申领", department=dept)
    published("退休", department=dept)
    published("养老金领取资格认证", department=dept)  # matches only through its department's name
    published("出生医学证明", department=f.make_department())
    page = search_items(query="退休")
    assert names(page) == ["退休", "退休金申领", "企业职工退休", "机关退休人员登记", "养老金领取资格认证"]


def test_filters_narrow_the_results():
    dept = f.make_department()
    other = f.make_department()
    a = published("退休审批甲", department=dept, level=4, for_citizen=True, zero_trip=True, online=True,
                  theme_codes="retire,birth")  # fmt: skip
    b = published("退休审批乙", department=other, level=3, for_company=True, theme_codes="retire-x")
    f.make_theme(code="retire")
    f.make_theme(code="retire-x")
    assert search_items(query="退休", department_id=dept.pk).items == [a]
    assert search_items(query="退休", level=3).items == [b]
    assert search_items(query="退休", service_object="citizen").items == [a]
    assert search_items(query="退休", service_object="company").items == [b]
    assert search_items(query="退休", service_object="office").items == []
    assert search_items(query="退休", zero_trip=True).items == [a]
    assert search_items(query="退休", zero_trip=False).items == [b]
    assert search_items(query="退休", online=False).items == [b]
    # A whole theme code: "retire" is not found inside "retire-x".
    assert search_items(theme="retire").items == [a]
    assert search_items(theme="retire-x").items == [b]


def test_a_theme_filter_matches_whole_codes_only():
    f.make_theme(code="jy")
    a = published("甲事项", theme_codes="sx,jy")
    b = published("乙事项", theme_codes="jy,sx")
    c = published("丙事项", theme_codes="ab,jy,sx")
    d = published("丁事项", theme_codes="jy")
    published("戊事项", theme_codes="jyx,xjy,ajy-b")
    expected = {a.pk, b.pk, c.pk, d.pk}
    assert {i.pk for i in search_items(theme="jy").items} == expected
    assert {i.pk for i in search_items(query="事项", theme="jy").items} == expected


def test_pages_cover_every_match_exactly_once_in_rank_order():
    dept = f.make_department()
    for i in range(7):
        published(f"退休{i:02d}号", department=dept)  # prefix
        published(f"企业退休{i:02d}号", department=dept)  # contains
    published("退休", department=dept)  # exact
    published("退休", department=dept)  # a second exact match: ties broken by id
    published("无关事项", department=dept)
    full = search_items(query="退休", limit=100)
    assert len(full.items) == 16 and full.next_cursor is None
    seen, cursor = [], None
    while True:
        page = search_items(query="退休", limit=3, after=cursor)
        seen += page.items
        cursor = page.next_cursor
        if cursor is None:
            break
    assert [i.pk for i in seen] == [i.pk for i in full.items]
    assert len({i.pk for i in seen}) == 16


def test_empty_query_lists_all_published_items_by_name_with_total():
    published("乙")
    published("甲")
    published("丙", published=False)
    page = search_items(limit=1, with_total=True)
    assert page.total == 2 and len(page.items) == 1 and page.next_cursor
    rest = search_items(limit=1, after=page.next_cursor)
    assert rest.next_cursor is None and {page.items[0].name, rest.items[0].name} == {"甲", "乙"}


@pytest.mark.parametrize("limit", [0, -1, 101, 10**9])
def test_limit_out_of_range_is_refused(limit):
    with pytest.raises(DomainError) as exc:
        search_items(limit=limit)
    assert [(e.code, e.field) for e in exc.value.errors] == [("invalid_limit", "limit")]


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "!!!",
        "a" * 2000,
        base64.urlsafe_b64encode(b"not json").decode(),
        base64.urlsafe_b64encode(json.dumps([1, "x"]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps(["1", "x", 3]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps([9, "x", 3]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps([1, "x", -3]).encode()).decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_bad_cursor_is_refused(cursor):
    with pytest.raises(DomainError) as exc:
        search_items(after=cursor)
    assert [(e.code, e.field) for e in exc.value.errors] == [("invalid_cursor", "after")]


def test_cursor_round_trips():
    assert decode_cursor(encode_cursor(2, "企业职工退休", 17)) == (2, "企业职工退休", 17)


def test_unknown_service_object_theme_level_and_long_query_are_refused_together():
    with pytest.raises(DomainError) as exc:
        search_items(query="x" * 101, service_object="alien", theme="nope", level=9)
    assert {(e.code, e.field) for e in exc.value.errors} == {
        ("query_too_long", "query"),
        ("unknown_service_object", "service_object"),
        ("unknown_theme", "theme"),
        ("invalid_level", "level"),
    }
    assert all(e.message_zh and e.message_en for e in exc.value.errors)


def test_like_wildcards_in_the_query_are_literal():
    published("企业职工退休")
    assert search_items(query="%").items == []
    assert search_items(query="_").items == []
