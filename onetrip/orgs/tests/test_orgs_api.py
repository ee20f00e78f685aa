import pytest

from onetrip.orgs import services
from onetrip.orgs.auth import api_key_create
from onetrip.orgs.models import Role, WindowCategory
from onetrip.orgs.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def key_client(client):
    _, plaintext = api_key_create(name="k", scopes=["orgs:read"], created_by=None)
    client.defaults["HTTP_X_API_KEY"] = plaintext
    return client


@pytest.fixture
def chain():
    return f.region_chain()


def test_regions_lists_children_with_keyset_pages(key_client, chain):
    top = key_client.get("/api/v1/orgs/regions").json()
    assert [r["code"] for r in top["items"]] == ["330000000000"]
    page = key_client.get("/api/v1/orgs/regions", {"parent": "331100000000", "limit": 1}).json()
    assert [r["code"] for r in page["items"]] == ["331102000000"]
    assert page["items"][0]["level_label"] == "县（市、区）"
    page2 = key_client.get(
        "/api/v1/orgs/regions", {"parent": "331100000000", "limit": 1, "after": page["next_after"]}
    ).json()
    assert [r["code"] for r in page2["items"]] == ["331121000000"]


def test_region_detail_has_ancestors_and_children(key_client, chain):
    body = key_client.get("/api/v1/orgs/regions/331102000000").json()
    assert [a["name"] for a in body["ancestors"]] == ["浙江省", "丽水市"]
    assert [c["name"] for c in body["children"]] == ["紫金街道"]
    assert body["parent_code"] == "331100000000"


def test_region_tree_nests_to_the_requested_depth(key_client, chain):
    tree = key_client.get("/api/v1/orgs/regions/tree", {"root": "331100000000", "depth": 1}).json()
    assert tree[0]["name"] == "丽水市"
    assert [c["name"] for c in tree[0]["children"]] == ["莲都区", "青田县"]
    assert all(c["children"] == [] for c in tree[0]["children"])
    deep = key_client.get("/api/v1/orgs/regions/tree", {"depth": 3}).json()
    assert deep[0]["children"][0]["children"][0]["children"][0]["name"] == "紫金街道"


def test_unknown_region_is_404_in_the_standard_shape(key_client, chain):
    response = key_client.get("/api/v1/orgs/regions/339999000000")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


def test_departments_filter_by_region_including_descendants(key_client, chain):
    county = f.department(region=chain["county"], name="区市场监管局")
    township = f.department(region=chain["township"], name="紫金街道办事处")
    f.department(region=chain["other"], name="青田县民政局")
    body = key_client.get("/api/v1/orgs/departments", {"region": "331102000000"}).json()
    assert {d["code"] for d in body["items"]} == {county.code, township.code}
    only = key_client.get(
        "/api/v1/orgs/departments", {"region": "331102000000", "include_descendants": "false"}
    ).json()
    assert [d["code"] for d in only["items"]] == [county.code]
    search = key_client.get("/api/v1/orgs/departments", {"q": "市场监管"}).json()
    assert [d["name"] for d in search["items"]] == ["区市场监管局"]
    detail = key_client.get(f"/api/v1/orgs/departments/{county.code}").json()
    assert detail["uscc"] == county.uscc and detail["region_name"] == "莲都区"


def test_halls_come_with_their_active_windows(key_client, chain):
    hall = f.hall(region=chain["county"])
    dept = f.department(region=chain["county"])
    services.window_create(
        hall=hall, number="B01", name="商事登记综合受理", category=WindowCategory.COMMERCIAL
    )
    services.window_create(
        hall=hall, number="G01", name="税务即办", category=WindowCategory.DEPARTMENT, department=dept
    )
    closed = services.window_create(hall=hall, number="Z01", name="停用", category=WindowCategory.GENERAL)
    services.window_update(window=closed, is_active=False)
    body = key_client.get("/api/v1/orgs/halls", {"region": "331100000000"}).json()
    windows = body["items"][0]["windows"]
    assert [(w["number"], w["category_label"], w["department_code"]) for w in windows] == [
        ("B01", "商事登记", None),
        ("G01", "部门即办窗口", dept.code),
    ]
    assert key_client.get(f"/api/v1/orgs/halls/{hall.pk}").json()["name"] == hall.name
    assert key_client.get("/api/v1/orgs/halls/999999").status_code == 404


def test_session_user_may_read_orgs(client, chain):
    client.force_login(f.user())
    assert client.get("/api/v1/orgs/regions").status_code == 200


def test_me_for_a_user_masks_personal_data_and_lists_roles(client, chain):
    dept = f.department(region=chain["county"])
    user = f.user(display_name="王五", phone="13812345678", id_number="11010519491231002X")
    services.role_assign(user=user, role=Role.HANDLER, department=dept)
    client.force_login(user)
    response = client.get("/api/v1/orgs/me")
    body = response.json()
    assert body["kind"] == "user"
    assert body["phone_masked"] == "138****5678"
    assert body["id_number_masked"] == "110105********002X"
    assert "13812345678" not in response.content.decode()
    assert body["roles"] == [
        {
            "role": "handler",
            "role_label": "部门经办人",
            "department_code": dept.code,
            "region_code": None,
            "window": None,
        }
    ]
    assert "orgs:read" in body["scopes"] and "orgs:write" not in body["scopes"]


def test_me_for_an_api_key_needs_no_particular_scope(client):
    key, plaintext = api_key_create(name="统计系统", scopes=["workdays:read"], created_by=None)
    body = client.get("/api/v1/orgs/me", headers={"X-API-Key": plaintext}).json()
    assert body == {
        **body,
        "kind": "api_key",
        "api_key_name": "统计系统",
        "api_key_prefix": key.prefix,
        "scopes": ["workdays:read"],
    }
    assert client.get("/api/v1/orgs/me").status_code == 401
