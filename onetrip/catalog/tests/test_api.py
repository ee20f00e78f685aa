import pytest

from onetrip.catalog.models import Item, ItemVersion, VersionStatus
from onetrip.catalog.tests import factories as f
from onetrip.orgs.models import Role, RoleAssignment

pytestmark = pytest.mark.django_db

BASE = "/api/v1/catalog"


def assert_error(response, status, code, field=None):
    assert response.status_code == status, response.content
    errors = response.json()["errors"]
    matching = [e for e in errors if e["code"] == code]
    assert matching, errors
    for e in matching:
        assert e["message_zh"] and e["message_en"]
    if field is not None:
        assert field in {e.get("field") for e in matching}
    return errors


@pytest.fixture
def dept():
    return f.make_department(name="东阳市市场监督管理局")


@pytest.fixture
def admin_client(client, dept):
    client.force_login(f.make_catalog_admin(department=dept))
    return client


# ------------------------------------------------------------------------------------------ reads


def test_search_lists_published_items_only(client, dept):
    published = f.make_published_item(department=dept, name="食品经营许可")
    f.make_complete_draft(department=dept, name="食品生产许可")
    response = client.get(f"{BASE}/items", {"q": "shipin"})
    assert response.status_code == 200
    body = response.json()
    assert [i["implementation_code"] for i in body["items"]] == [published.implementation_code]
    assert body["items"][0]["department"]["name"] == "东阳市市场监督管理局"
    assert body["items"][0]["item_type_label"] == "行政许可"
    assert body["next_cursor"] is None


def test_search_pages_with_a_cursor(client, dept):
    for i in range(3):
        f.make_published_item(department=dept, name=f"退休审批{i}")
    first = client.get(f"{BASE}/items", {"q": "tx", "limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = client.get(f"{BASE}/items", {"q": "tx", "limit": 2, "after": first["next_cursor"]}).json()
    assert len(second["items"]) == 1 and second["next_cursor"] is None


def test_search_rejects_bad_filters_with_field_errors(client):
    assert_error(
        client.get(f"{BASE}/items", {"service_object": "alien"}),
        400,
        "unknown_service_object",
        "service_object",
    )
    assert_error(client.get(f"{BASE}/items", {"level": "high"}), 422, "invalid", "level")


def test_guide_shows_every_element_of_the_published_version(client, dept):
    item = f.make_published_item(department=dept, name="食品经营许可")
    response = client.get(f"{BASE}/items/{item.implementation_code}")
    assert response.status_code == 200
    guide = response.json()
    assert guide["name"] == "食品经营许可" and guide["status"] == "published" and guide["version"] == 1
    assert guide["promised_limit"] == {"value": 5, "unit": "working", "note": ""}
    assert [m["code"] for m in guide["materials"]] == ["application", "id_card", "power_of_attorney"]
    assert guide["materials"][2]["situations"] == ["agent"]
    assert [s["code"] for s in guide["situations"]] == ["self", "agent"]
    assert guide["form"][1]["data_element"] == "person.id_number"
    assert [s["kind"] for s in guide["process"]["steps"]] == ["start", "task", "task", "task", "end"]
    assert guide["process"]["transitions"][0] == {"source": "start", "target": "accept", "condition": ""}
    assert guide["legal_basis"][0]["article"] == "第十二条"


def test_guide_query_count_is_fixed(client, dept, django_assert_max_num_queries):
    item = f.make_published_item(department=dept)
    with django_assert_max_num_queries(16):
        assert client.get(f"{BASE}/items/{item.implementation_code}").status_code == 200


def test_unknown_or_unpublished_item_is_404(client, dept):
    assert_error(client.get(f"{BASE}/items/nope"), 404, "not_found")
    draft = f.make_complete_draft(department=dept)
    assert_error(client.get(f"{BASE}/items/{draft.item.implementation_code}"), 404, "not_found")


def test_public_version_history_hides_drafts(client, admin_client, dept):
    item = f.make_published_item(department=dept)
    f.make_catalog_admin()  # unrelated
    from onetrip.catalog.services import item_version_new_draft

    item_version_new_draft(item=item, user=None)
    url = f"{BASE}/items/{item.implementation_code}/versions"
    assert [v["status"] for v in admin_client.get(url).json()] == ["draft", "published"]
    client.logout()
    assert [v["status"] for v in client.get(url).json()] == ["published"]


# ----------------------------------------------------------------------------------------- writes


def test_create_item(admin_client, dept):
    body = {"department_id": dept.pk, "basic_code": "010012300000", "item_type": "01", "name": "食品经营许可"}
    response = admin_client.post(f"{BASE}/items", body, content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["implementation_code"] == f"{dept.uscc}4010012300000"
    assert data["draft"]["status"] == "draft" and data["draft"]["version"] == 1


def test_create_item_duplicate_is_409_in_chinese_and_english(admin_client, dept):
    body = {"department_id": dept.pk, "basic_code": "010012300000", "item_type": "01", "name": "食品经营许可"}
    admin_client.post(f"{BASE}/items", body, content_type="application/json")
    response = admin_client.post(f"{BASE}/items", body, content_type="application/json")
    errors = assert_error(response, 409, "duplicate_code", "basic_code")
    assert "已存在" in errors[0]["message_zh"] and "already exists" in errors[0]["message_en"]
    assert Item.objects.count() == 1


def test_create_item_invalid_code_is_400_with_field(admin_client, dept):
    body = {"department_id": dept.pk, "basic_code": "0100", "item_type": "01", "name": "x"}
    assert_error(
        admin_client.post(f"{BASE}/items", body, content_type="application/json"),
        400,
        "invalid_basic_code",
        "basic_code",
    )
    assert not Item.objects.exists()


def test_create_item_rejects_unknown_fields_and_missing_ones(admin_client, dept):
    body = {"department_id": dept.pk, "item_type": "01", "name": "x", "colour": "red"}
    errors = assert_error(
        admin_client.post(f"{BASE}/items", body, content_type="application/json"), 422, "invalid"
    )
    assert {"basic_code", "colour"} <= {e["field"] for e in errors}


def test_writes_need_a_login(client, dept):
    body = {"department_id": dept.pk, "basic_code": "010012300000", "item_type": "01", "name": "x"}
    assert_error(client.post(f"{BASE}/items", body, content_type="application/json"), 401, "unauthenticated")


def test_writes_need_the_catalogue_admin_role(client, dept):
    user = f.make_user()
    RoleAssignment.objects.create(user=user, role=Role.HANDLER, department=dept)
    client.force_login(user)
    body = {"department_id": dept.pk, "basic_code": "010012300000", "item_type": "01", "name": "x"}
    assert_error(client.post(f"{BASE}/items", body, content_type="application/json"), 403, "scope_missing")


def test_department_admin_cannot_edit_another_departments_item(admin_client, dept):
    other = f.make_department()
    version = f.make_complete_draft(department=other)
    url = f"{BASE}/versions/{version.pk}"
    assert_error(
        admin_client.patch(url, {"name": "改"}, content_type="application/json"), 403, "forbidden_department"
    )
    assert_error(admin_client.post(f"{url}/submit"), 403, "forbidden_department")
    body = {"department_id": other.pk, "basic_code": "010012300000", "item_type": "01", "name": "x"}
    assert_error(
        admin_client.post(f"{BASE}/items", body, content_type="application/json"), 403, "forbidden_department"
    )
    version.refresh_from_db()
    assert version.name != "改" and version.status == VersionStatus.DRAFT


def test_department_admin_cannot_move_an_item_to_another_department(admin_client, dept):
    version = f.make_complete_draft(department=dept)
    other = f.make_department()
    response = admin_client.patch(
        f"{BASE}/versions/{version.pk}",
        {"implementing_department": other.pk},
        content_type="application/json",
    )
    assert_error(response, 403, "forbidden_department")


def test_system_admin_edits_any_department(client):
    user = f.make_user()
    RoleAssignment.objects.create(user=user, role=Role.SYSTEM_ADMIN)
    client.force_login(user)
    version = f.make_complete_draft()
    response = client.patch(
        f"{BASE}/versions/{version.pk}", {"place": "二楼"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["place"] == "二楼"


def test_patch_draft_validates_fields(admin_client, dept):
    version = f.make_complete_draft(department=dept)
    url = f"{BASE}/versions/{version.pk}"
    response = admin_client.patch(
        url, {"handling_kind": "whenever", "trips": 9}, content_type="application/json"
    )
    errors = assert_error(response, 400, "invalid_choice", "handling_kind")
    assert {e["field"] for e in errors} == {"handling_kind", "trips"}
    response = admin_client.patch(
        url, {"form_fields": [{"code": "x", "data_element": "no.such"}]}, content_type="application/json"
    )
    assert_error(response, 400, "unknown_data_element", "form_fields[0].data_element")
    response = admin_client.patch(url, {"promised_limit": 3, "themes": []}, content_type="application/json")
    assert response.status_code == 200 and response.json()["promised_limit"]["value"] == 3


def test_workflow_submit_publish_new_draft_retire(admin_client, dept):
    version = f.make_complete_draft(department=dept)
    url = f"{BASE}/versions/{version.pk}"
    assert_error(admin_client.post(f"{url}/publish"), 409, "version_not_in_review")
    response = admin_client.post(f"{url}/submit")
    assert response.status_code == 200 and response.json()["status"] == "review"
    response = admin_client.post(f"{url}/publish")
    assert response.status_code == 200 and response.json()["status"] == "published"
    assert_error(
        admin_client.patch(url, {"name": "改"}, content_type="application/json"), 409, "version_not_editable"
    )

    response = admin_client.post(f"{url}/new-draft")
    assert response.status_code == 201 and response.json()["version"] == 2
    assert_error(admin_client.post(f"{url}/new-draft"), 409, "draft_exists")

    response = admin_client.post(f"{url}/retire")
    assert response.status_code == 200 and response.json()["status"] == "retired"
    assert not Item.objects.get(pk=version.item_id).is_published


def test_submit_reports_all_lint_errors(admin_client, dept):
    version = f.make_complete_draft(department=dept)
    admin_client.patch(
        f"{BASE}/versions/{version.pk}",
        {"acceptance_conditions": "提交相关材料", "promised_limit": 30},
        content_type="application/json",
    )
    response = admin_client.post(f"{BASE}/versions/{version.pk}/submit")
    errors = assert_error(response, 400, "vague_term", "acceptance_conditions")
    assert {e["code"] for e in errors} == {"vague_term", "promised_exceeds_statutory"}
    assert ItemVersion.objects.get(pk=version.pk).status == VersionStatus.DRAFT


def test_editor_can_read_a_draft_version(admin_client, client, dept):
    version = f.make_complete_draft(department=dept)
    response = admin_client.get(f"{BASE}/versions/{version.pk}")
    assert response.status_code == 200 and response.json()["status"] == "draft"
    assert_error(admin_client.get(f"{BASE}/versions/999999"), 404, "not_found")


def test_openapi_lists_the_catalogue_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/catalog/items/{implementation_code}" in paths
    assert "/api/v1/catalog/versions/{version_id}/new-draft" in paths
