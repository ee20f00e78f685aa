"""The bundle API on the demo bundles: list with filters and keyset pages, detail, merged form and materials
with the 点单 choice, projections (data and PDF), and errors in the standard shape."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from onetrip.demo.bundles import BUNDLES, ENTERPRISE_RETIREMENT, PUBLIC_RECRUITMENT
from onetrip.demo.loader import load_demo

pytestmark = pytest.mark.django_db
BASE = "/api/v1/bundles"


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    with django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
        load_demo()
        yield
        transaction.set_rollback(True)


def _errors(response: Any) -> list[str]:
    body = response.json()
    for e in body["errors"]:
        assert e["message_zh"] and e["message_en"]
    return [e["code"] for e in body["errors"]]


def test_list_pages_through_every_bundle_by_name_without_repeats(demo: None, client: Client) -> None:
    seen: list[str] = []
    after = None
    while True:
        params = {"limit": 4, **({"after": after} if after else {})}
        body = client.get(BASE, params).json()
        assert len(body["items"]) <= 4
        seen += [i["code"] for i in body["items"]]
        after = body["next_cursor"]
        if after is None:
            break
    assert sorted(seen) == sorted(b.code for b in BUNDLES)
    assert len(seen) == len(set(seen))


def test_list_filters_by_theme_and_audience(demo: None, client: Client) -> None:
    retirement = {i["code"] for i in client.get(BASE, {"theme": "retirement", "limit": 100}).json()["items"]}
    assert retirement == {b.code for b in BUNDLES if "retirement" in b.themes}
    internal = client.get(BASE, {"audience": "internal", "limit": 100}).json()["items"]
    assert {i["code"] for i in internal} == {
        b.code for b in BUNDLES if any(t.startswith("career-") for t in b.themes)
    }
    assert all(any(t["audience"] == "internal" for t in i["themes"]) for i in internal)


def test_list_rejects_bad_filters_in_the_standard_shape(demo: None, client: Client) -> None:
    bad = client.get(BASE, {"audience": "martians", "limit": 0})
    assert bad.status_code == 400
    assert set(_errors(bad)) == {"invalid_audience", "invalid_limit"}
    cursor = client.get(BASE, {"after": "not-a-cursor"})
    assert cursor.status_code == 400 and _errors(cursor) == ["invalid_cursor"]


def test_detail_has_members_limit_and_stated_figures(demo: None, client: Client) -> None:
    body = client.get(f"{BASE}/enterprise-retirement").json()
    assert len(body["members"]) == 14
    assert len({m["department"] for m in body["members"]}) == 3
    assert body["optional_members"] == [m.code for m in ENTERPRISE_RETIREMENT.members if m.optional]
    stated = {f["measure"]: f for f in body["figures"]["stated"]}
    assert (stated["materials"]["before"], stated["materials"]["after"], stated["materials"]["rate"]) == (
        43,
        13,
        "69.77",
    )
    limit = body["combined_limit"]
    assert float(limit["all_members"]["critical_days"]) <= float(limit["all_members"]["sum_days"])
    assert float(limit["mandatory_only"]["critical_days"]) <= float(limit["all_members"]["critical_days"])


def test_fields_of_an_optional_member_appear_only_when_chosen(demo: None, client: Client) -> None:
    optional = [m.code for m in PUBLIC_RECRUITMENT.members if m.optional]
    everything = client.get(f"{BASE}/public-recruitment/form", {"members": ",".join(optional)}).json()
    only_optional = {f["key"] for f in everything["fields"] if set(f["members"]) <= set(optional)}
    assert only_optional, "the optional members bring fields of their own"
    default = client.get(f"{BASE}/public-recruitment/form").json()
    assert default["chosen"] == [] and not only_optional & {f["key"] for f in default["fields"]}
    assert default["fields_after"] < everything["fields_after"]
    assert everything["fields_after"] == len(everything["fields"]) < everything["fields_before"]


def test_materials_are_listed_once_with_the_no_submit_ones_marked(demo: None, client: Client) -> None:
    body = client.get(f"{BASE}/enterprise-retirement/materials").json()
    names = [m["name"] for m in body["materials"]]
    assert len(names) == len(set(names))
    assert body["before"] == body["distinct"] + body["duplicates"]
    assert body["after"] == sum(1 for m in body["materials"] if not m["not_submitted"])
    id_card = next(m for m in body["materials"] if m["licence_type"] == "居民身份证")
    assert id_card["not_submitted"] and len(id_card["members"]) > 1


def test_choice_errors_and_unknown_bundles(demo: None, client: Client) -> None:
    bad = client.get(f"{BASE}/enterprise-retirement/materials", {"members": "approval,nonsense"})
    assert bad.status_code == 400 and _errors(bad) == ["unknown_optional_member"] * 2
    missing = client.get(f"{BASE}/no-such-thing/form")
    assert missing.status_code == 404 and _errors(missing) == ["not_found"]


def test_one_submission_projects_into_each_departments_forms(demo: None, client: Client) -> None:
    detail = client.get(f"{BASE}/staff-transfer").json()
    payload = {"values": {"person.name": "张三", "staff.unit_name": "丽水市莲都区某中学"}}
    response = client.post(f"{BASE}/staff-transfer/projections", payload, content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    departments = {d["department_name"] for d in body["departments"]}
    assert departments == {m["department"] for m in detail["members"] if not m["optional"]}
    forms = [f for d in body["departments"] for f in d["forms"]]
    assert len(forms) == len(detail["members"])
    for form in forms:
        for field in form["fields"]:
            if field["label"] == "姓名" or field["code"] == "person.name":
                assert field["value"] == "张三"
    assert body["missing"]  # required fields left empty are reported per form


def test_projection_errors_and_pdf(demo: None, client: Client) -> None:
    url = f"{BASE}/public-recruitment/projections"
    bad = client.post(url, {"values": {}, "chosen": ["establishment-in"]}, content_type="application/json")
    assert bad.status_code == 400 and _errors(bad) == ["unknown_optional_member"]
    invalid = client.post(url, {"values": "text"}, content_type="application/json")
    assert invalid.status_code == 422 and _errors(invalid) == ["invalid"]
    pdf = client.post(
        f"{url}.pdf", {"values": {"person.name": "李四"}, "chosen": ["ssc"]}, content_type="application/json"
    )
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and pdf["Cache-Control"] == "no-store"
