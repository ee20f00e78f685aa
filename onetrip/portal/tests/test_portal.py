"""The public portal: home, search, item guide pages, 404s and the staff home."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from onetrip.catalog.models import ItemVersion, ThemeAudience, VersionStatus
from onetrip.catalog.services import item_version_new_draft, item_version_publish
from onetrip.catalog.tests import factories as f
from onetrip.orgs.models import Role, RoleAssignment

pytestmark = pytest.mark.django_db


def guide_url(item, **params):
    url = reverse("portal:item_guide", args=[item.implementation_code])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def test_every_page_declares_a_phone_viewport(client):
    html = client.get("/").content.decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert '<html lang="zh-Hans">' in html


def test_home_shows_theme_tiles_for_citizens_and_companies(client):
    f.make_theme(code="retire", name="退休养老", audience=ThemeAudience.CITIZEN)
    f.make_theme(code="start-up", name="开办", audience=ThemeAudience.COMPANY)
    html = client.get("/").content.decode()
    assert "个人办事" in html and "企业办事" in html
    assert "退休养老" in html and "?theme=retire" in html
    assert "开办" in html and "?theme=start-up" in html
    assert "?zero_trip=1" in html and "?online=1" in html and "?object=company" in html


def test_home_lists_published_items_but_not_drafts(client):
    published = f.make_published_item(name="食品经营许可")
    draft = f.make_item(name="尚在起草的事项")
    html = client.get("/").content.decode()
    assert published.name in html
    assert guide_url(published) in html
    assert draft.name not in html


def test_home_search_box_searches_live_with_htmx(client):
    html = client.get("/").content.decode()
    assert 'hx-get="/search/"' in html
    assert "delay:300ms" in html
    assert "htmx-2.min.js" in html and "://" not in re.sub(r'https?://www\.w3\.org[^"]*', "", html)


@pytest.mark.parametrize("query", ["退休", "tuixiu", "tx"])
def test_search_finds_an_item_by_chinese_pinyin_and_initials(client, query):
    item = f.make_published_item(name="企业职工退休审批")
    f.make_published_item(name="食品经营许可")
    response = client.get("/search/", {"q": query})
    html = response.content.decode()
    assert response.status_code == 200
    assert item.name in html
    assert "食品经营许可" not in html


def test_search_results_show_department_type_limit_and_badges(client):
    item = f.make_published_item(name="出生医学证明办理")
    html = client.get("/search/", {"q": "出生"}).content.decode()
    assert item.department.name in html
    assert "行政许可" in html
    assert "承诺时限：5 个工作日" in html
    assert "零跑动" in html and "可网办" in html


def test_live_search_returns_only_the_results_fragment(client):
    f.make_published_item(name="残疾人证办理")
    response = client.get("/search/", {"q": "残疾"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "残疾人证办理" in html
    assert "<html" not in html and 'id="search-results"' in html


def test_search_pages_with_a_next_cursor_and_never_repeats(client, monkeypatch):
    from onetrip.portal import views

    monkeypatch.setattr(views, "RESULTS_PER_PAGE", 2)
    names = [f"户口登记{n}" for n in range(5)]
    for name in names:
        f.make_published_item(name=name)
    seen: list[str] = []
    url = "/search/?q=hukou"
    for _ in range(5):
        html = client.get(url).content.decode()
        seen += re.findall(r'class="result-name"[^>]*>([^<]+)<', html)
        match = re.search(r'href="(/search/\?[^"]*after=[^"]+)"', html)
        if not match:
            break
        url = match.group(1).replace("&amp;", "&")
        assert "下一页" in html
    assert sorted(seen) == sorted(names)
    assert "已经到底了" in html


def test_search_with_no_match_explains_what_to_try(client):
    html = client.get("/search/", {"q": "不存在的事项名称"}).content.decode()
    assert "没有找到与“不存在的事项名称”相符的事项" in html
    assert "12345" in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"level": "9"}, "行使层级无效"),
        ({"department": "abc"}, "所选部门无效"),
        ({"object": "alien"}, "服务对象无效"),
        ({"zero_trip": "maybe"}, "“零跑动”筛选只能是"),
        ({"theme": "no-such-theme"}, "主题不存在"),
        ({"after": "!!!"}, "翻页游标无效"),
    ],
)
def test_bad_filter_values_get_a_chinese_message_not_a_server_error(client, params, message):
    response = client.get("/search/", params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_filters_narrow_the_results(client):
    theme = f.make_theme(code="birth", name="出生")
    version = f.make_complete_draft(name="新生儿落户")
    version.themes.set([theme])
    item_version_publish(version=version)
    f.make_published_item(name="新设企业登记")
    html = client.get("/search/", {"theme": "birth"}).content.decode()
    assert "新生儿落户" in html and "新设企业登记" not in html
    html = client.get("/search/", {"object": "company", "q": "xin"}).content.decode()
    assert "没有找到" in html


def test_guide_page_shows_the_guide_elements_and_materials(client):
    item = f.make_published_item(name="民办学校设立审批")
    response = client.get(guide_url(item))
    html = response.content.decode()
    assert response.status_code == 200
    for text in (
        "民办学校设立审批",
        "申请表",
        "居民身份证",
        "授权委托书",
        "受理条件",
        "设定依据",
        "第十二条",
    ):
        assert text in html
    assert "无需提交" in html  # the ID card comes from the e-licence library
    assert "可容缺" in html
    assert "适用情形：委托代理人办理" in html
    assert "承诺办结时限" in html and "5 个工作日" in html and "20 个工作日" in html
    assert "零跑动" in html
    assert "申请事由" in html  # the form fields
    assert reverse("portal:item_guide_pdf", args=[item.implementation_code]) in html


def test_guide_page_draws_the_process_as_inline_svg_with_step_names(client):
    item = f.make_published_item()
    html = client.get(guide_url(item)).content.decode()
    svg = re.search(r"<svg class=\"flow-svg\".*?</svg>", html, re.S)
    assert svg is not None
    for name in ("开始", "受理", "审核", "审批", "办结"):
        assert f">{name}</text>" in svg.group(0)
    assert svg.group(0).count("<polygon") == 4  # one arrowhead per transition


def test_guide_page_runs_a_bounded_number_of_queries(client, django_assert_max_num_queries):
    item = f.make_published_item()
    with django_assert_max_num_queries(13):
        assert client.get(guide_url(item)).status_code == 200
    # A public version never changes, so the built guide is reused: one lookup of the version.
    with django_assert_max_num_queries(1):
        assert client.get(guide_url(item)).status_code == 200


def test_a_retired_guide_is_not_served_from_the_cache_as_current(client):
    from onetrip.catalog.services import item_version_retire

    item = f.make_published_item(name="城市维护建设税征收")
    assert client.get(guide_url(item)).status_code == 200
    item_version_retire(version=item.current_version, user=None)
    assert client.get(guide_url(item)).status_code == 404
    assert client.get(guide_url(item, version=1)).status_code == 200


def test_an_older_version_stays_readable_with_the_history_list(client):
    item = f.make_published_item(name="住房公积金提取")
    v1 = item.current_version
    v2 = item_version_new_draft(item=item, user=None)
    ItemVersion.objects.filter(pk=v2.pk).update(place="新办理地点：市民中心二楼")
    item_version_publish(version=v2)
    current = client.get(guide_url(item)).content.decode()
    assert "新办理地点：市民中心二楼" in current
    assert "版本历史" in current and f"?version={v1.version}" in current
    old = client.get(guide_url(item, version=v1.version)).content.decode()
    assert "历史版本" in old and "已废止" in old
    assert "新办理地点" not in old
    assert "县行政服务中心一楼综合窗口" in old


def test_drafts_are_never_public(client):
    item = f.make_published_item()
    draft = item_version_new_draft(item=item, user=None)
    assert draft.status == VersionStatus.DRAFT
    response = client.get(guide_url(item, version=draft.version))
    assert response.status_code == 404
    unpublished = f.make_item()
    assert client.get(guide_url(unpublished)).status_code == 404


def test_unknown_item_code_gets_a_chinese_404_page(client):
    response = client.get("/items/330000000000000000/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "未找到事项" in html and 'name="q"' in html


def test_malformed_version_parameter_is_a_400_with_a_message(client):
    item = f.make_published_item()
    response = client.get(guide_url(item, version="abc"))
    assert response.status_code == 400
    assert "版本号应为正整数" in response.content.decode()


def test_unknown_page_uses_the_chinese_404_template(client, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_staff_home_requires_login_and_shows_roles(client):
    response = client.get("/staff/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    dept = f.make_department(name="县市场监督管理局")
    user = f.make_user(is_staff=True)
    RoleAssignment.objects.create(user=user, role=Role.CATALOG_ADMIN, department=dept)
    client.force_login(user)
    html = client.get("/staff/").content.decode()
    assert "事项管理员" in html and "县市场监督管理局" in html
    assert "事项维护" in html and reverse("admin:index") in html


def test_login_page_signs_in_and_reports_bad_passwords_in_chinese(client):
    f.make_user(username="clerk1", password="pass-for-tests-1")
    page = client.get("/login/").content.decode()
    assert 'autocomplete="current-password"' in page
    bad = client.post("/login/", {"username": "clerk1", "password": "wrong-password"})
    assert "用户名或密码不正确" in bad.content.decode()
    good = client.post("/login/", {"username": "clerk1", "password": "pass-for-tests-1"})
    assert good.status_code == 302
