"""The public one-thing pages: the list by theme and the guide with the 点单 choice, on the demo bundles.

The demo is loaded once per module inside a transaction rolled back at the end (as in the demo tests)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from onetrip.demo.bundles import BUNDLES, ENTERPRISE_RETIREMENT
from onetrip.demo.loader import load_demo

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    with django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
        load_demo()
        yield
        transaction.set_rollback(True)


def _material_names(html: str) -> list[str]:
    table = html.split('id="materials"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<strong class="material-name">([^<]+)</strong>', table)


def _fact(html: str, title: str) -> int:
    match = re.search(rf"<dt>{title}</dt><dd>(\d+)", html)
    assert match, title
    return int(match.group(1))


def test_index_lists_every_demo_bundle_under_its_theme(demo: None, client: Client) -> None:
    response = client.get(reverse("bundles:index"))
    assert response.status_code == 200
    html = response.content.decode()
    for spec in BUNDLES:
        assert reverse("bundles:detail", args=[spec.code]) in html, spec.code
    assert "退休养老" in html and "机关内部职业周期" in html and "开办" in html


def test_home_and_search_link_to_the_bundles(demo: None, client: Client) -> None:
    index = reverse("bundles:index")
    assert index in client.get(reverse("portal:home")).content.decode()
    assert index in client.get(reverse("portal:search")).content.decode()


def test_guide_page_shows_members_merged_materials_form_and_figures(demo: None, client: Client) -> None:
    response = client.get(reverse("bundles:detail", args=["enterprise-retirement"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="member-main"') == len(ENTERPRISE_RETIREMENT.members) == 14
    optional = [m.code for m in ENTERPRISE_RETIREMENT.members if m.optional]
    for code in optional:
        assert f'name="members" value="{code}"' in html
    names = _material_names(html)
    assert names and len(names) == len(set(names))  # each material once
    assert "无需提交" in html and "<svg" in html
    # Only mandatory members by default: the special-job record is not asked for.
    assert "从事特殊工种的原始记录" not in names
    # The counts in the summary match the list below them.
    submit_rows = html.split('id="materials"', 1)[1].split("</table>", 1)[0].count('<tr class="no-submit">')
    assert _fact(html, "需提交材料") == len(names) - submit_rows
    assert "43 → 13" in html  # the figures the document states (缙云)
    assert "69.77%" in html  # (43 − 13) / 43


def test_choosing_an_optional_member_updates_the_material_list(demo: None, client: Client) -> None:
    url = reverse("bundles:detail", args=["enterprise-retirement"])
    default = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    chosen = client.get(url, {"members": "special-job"}, HTTP_HX_REQUEST="true").content.decode()
    assert (
        default.startswith('\n<div id="merged">')
        or default.lstrip().startswith("{#")
        or 'id="merged"' in default
    )
    assert "<html" not in chosen  # a partial for htmx
    assert "从事特殊工种的原始记录" in _material_names(chosen)
    assert "从事特殊工种的原始记录" not in _material_names(default)
    assert _fact(chosen, "联办事项") == _fact(default, "联办事项") + 1
    assert _fact(chosen, "需提交材料") == _fact(default, "需提交材料") + 1
    # Without htmx the same query renders the whole page with the box ticked.
    page = client.get(url, {"members": "special-job"}).content.decode()
    assert 'value="special-job" id="member-special-job" checked' in page


def test_unknown_optional_member_and_unknown_bundle_get_clear_errors(demo: None, client: Client) -> None:
    url = reverse("bundles:detail", args=["enterprise-retirement"])
    bad = client.get(url, {"members": "approval"})  # mandatory, not a choice
    assert bad.status_code == 400 and "不是本一件事的可选成员" in bad.content.decode()
    missing = client.get(reverse("bundles:detail", args=["no-such-thing"]))
    assert missing.status_code == 404 and "未找到该一件事" in missing.content.decode()
