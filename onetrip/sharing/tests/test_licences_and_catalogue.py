"""E-licences (issue, verify, revoke, materials satisfied), the catalogue tree, coverage, the demo, pages."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from onetrip.catalog.tests import factories as cf
from onetrip.core.errors import DomainError
from onetrip.sharing import selectors, services
from onetrip.sharing.models import Licence, LicenceType
from onetrip.sharing.tests import factories as f

pytestmark = pytest.mark.django_db


def id_card_type() -> LicenceType:
    return LicenceType.objects.create(
        code="id-card",
        name="居民身份证",
        issuer=cf.make_department(),
        satisfies="居民身份证",
        holder_kind="person",
    )


def test_issue_verify_and_revoke_a_licence():
    kind = id_card_type()
    holder = f.id_number()
    licence = services.licence_issue(
        licence_type=kind,
        holder=holder,
        holder_name="王五",
        valid_from=dt.date(2020, 1, 1),
        valid_to=dt.date(2040, 1, 1),
        actor=None,
    )
    assert licence.number.startswith("ID-CARD-")
    assert (
        services.licence_verify(licence_type_code="id-card", number=licence.number, holder=holder).reason
        == "valid"
    )
    assert (
        services.licence_verify(
            licence_type_code="id-card", number=licence.number, holder=f.id_number()
        ).reason
        == "holder_mismatch"
    )
    assert services.licence_verify(licence_type_code="id-card", number="nope").reason == "not_found"
    services.licence_revoke(licence=licence, reason="遗失补办", actor=None)
    check = services.licence_verify(licence_type_code="id-card", number=licence.number, holder=holder)
    assert (check.valid, check.reason) == (False, "revoked")
    with pytest.raises(DomainError):
        services.licence_revoke(licence=licence, reason="再次注销", actor=None)


def test_an_expired_licence_does_not_verify_nor_satisfy_a_material():
    kind = id_card_type()
    holder = f.id_number()
    services.licence_issue(
        licence_type=kind,
        holder=holder,
        holder_name="王五",
        valid_from=dt.date(2000, 1, 1),
        valid_to=dt.date(2010, 1, 1),
        actor=None,
        number="OLD-1",
    )
    assert services.licence_verify(licence_type_code="id-card", number="OLD-1").reason == "expired"
    assert (
        selectors.materials_satisfied_by_licences(
            holder=holder, materials=[{"key": "m.id", "licence_type": "居民身份证"}]
        )
        == {}
    )


def test_issue_refuses_bad_input():
    kind = id_card_type()
    with pytest.raises(DomainError) as exc:
        services.licence_issue(
            licence_type=kind,
            holder="123",
            holder_name=" ",
            valid_from=dt.date(2020, 1, 2),
            valid_to=dt.date(2020, 1, 1),
            file_sha256="xyz",
            actor=None,
        )
    assert {e.code for e in exc.value.errors} == {
        "invalid_holder",
        "required",
        "invalid_validity",
        "invalid_sha256",
    }
    assert not Licence.objects.exists()


def test_materials_with_a_held_licence_are_satisfied_and_the_applicant_sees_from_where():
    kind = id_card_type()
    holder = f.id_number()
    licence = services.licence_issue(
        licence_type=kind, holder=holder, holder_name="王五", valid_from=dt.date(2020, 1, 1), actor=None
    )
    materials = [
        {"key": "a.id-card", "licence_type": "居民身份证", "data_elements": []},
        {"key": "b.photo", "licence_type": "", "data_elements": []},
        {"key": "c.marriage", "licence_type": "结婚证", "data_elements": []},
    ]
    assert selectors.materials_satisfied_by_licences(holder=holder, materials=materials) == {
        "a.id-card": licence
    }
    provided = selectors.materials_provided(holder=holder, materials=materials)
    assert list(provided) == ["a.id-card"]
    assert provided["a.id-card"].state == "e_licence" and "居民身份证" in provided["a.id-card"].note


def test_catalogue_tree_links_items_materials_elements_and_sources_and_exports():
    f.population_source()
    item = cf.make_published_item()
    page = selectors.catalogue_tree()
    node = next(i for i in page.items if i.code == item.implementation_code)
    id_material = next(m for m in node.materials if m.elements)
    sources = {s.name for e in id_material.elements for s in e.sources}
    assert "人口综合库" in sources
    assert any(e.code == "person.name" and e.sources for e in node.fields)
    from onetrip.sharing.excel import catalogue_tree_workbook

    wb = load_workbook(io.BytesIO(catalogue_tree_workbook()), read_only=True)
    rows = list(wb["目录树"].iter_rows(values_only=True))
    assert rows[0][0] == "实施编码"
    assert any(r[0] == item.implementation_code and r[10] == "人口综合库" for r in rows[1:])


def test_demo_loads_idempotently_and_prefills_the_retirement_bundle_from_name_and_id_number():
    from django.core.management import call_command

    from onetrip.bundles.selectors import merged_form, published_version
    from onetrip.orgs.models import User
    from onetrip.sharing.demo import RETIREE_ID, sharing_demo_load
    from onetrip.sharing.models import PersonRecord

    call_command("demo", verbosity=0)  # loads the sharing demo too
    assert PersonRecord.objects.filter(id_number=RETIREE_ID).exists()
    assert not sharing_demo_load().changed
    version = published_version("public-retirement")
    codes = [fld["data_element"] for fld in merged_form(version)["fields"]]
    clerk = User.objects.get(username="chuangkou")
    result = services.prefill(
        subject_id_number=RETIREE_ID,
        element_codes=codes,
        purpose="acceptance",
        actor=clerk,
        case=f.window_case(clerk, RETIREE_ID, ref="demo"),
    )
    asked = [c for c in codes if c not in result.values]
    assert asked == ["housing_fund.withdrawal_reason"]  # a choice the applicant makes, not a fact on record
    assert result.values["staff.retirement_date"] == "2026-06-30"
    coverage = selectors.bundle_coverage(version)
    assert (coverage.fields_covered, coverage.fields) == (10, 11)
    assert coverage.rate is not None and coverage.rate > 80


def test_my_data_page_lists_who_read_my_data(client):
    f.population_source()
    record = f.person()
    services.prefill(
        subject_id_number=record.id_number,
        element_codes=["person.name"],
        purpose="acceptance",
        actor=(reader_ := f.clerk()),
        case=f.window_case(reader_, record.id_number, ref="t-1"),
    )
    user = f.applicant(number=record.id_number)
    client.force_login(user)
    response = client.get("/sharing/my-data/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "谁查看了我的数据" in text and "人口综合库" in text and "受理核验" in text
    assert record.id_number not in text  # masked
    api = client.get("/api/v1/sharing/access-log/mine")
    assert api.status_code == 200 and api.json()["entries"][0]["elements"] == ["person.name"]


def test_someone_elses_reads_do_not_show_on_my_page(client):
    f.population_source()
    other = f.person()
    services.prefill(
        subject_id_number=other.id_number,
        element_codes=["person.name"],
        purpose="acceptance",
        actor=(reader_ := f.clerk()),
        case=f.window_case(reader_, other.id_number, ref="t"),
    )
    client.force_login(f.applicant(number=f.id_number()))
    assert client.get("/api/v1/sharing/access-log/mine").json()["entries"] == []


def test_prefill_api_requires_a_session_and_reports_errors(client):
    f.population_source()
    record = f.person()
    clerk = f.clerk()
    body = {
        "subject_id_number": record.id_number,
        "element_codes": ["person.name"],
        "purpose": "acceptance",
        "case_id": f.window_case(clerk, record.id_number).pk,
    }
    assert client.post("/api/v1/sharing/prefill", body, content_type="application/json").status_code == 401
    client.force_login(clerk)
    ok = client.post("/api/v1/sharing/prefill", body, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["values"] == {"person.name": "王五"}
    bad = client.post(
        "/api/v1/sharing/prefill", {**body, "element_codes": ["nope"]}, content_type="application/json"
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == "unknown_element"


def test_catalogue_page_and_export_render(client):
    f.population_source()
    cf.make_published_item()
    assert client.get("/sharing/catalogue/").status_code == 200
    response = client.get("/sharing/catalogue.xlsx")
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
