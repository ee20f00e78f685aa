import pytest
from django.contrib.messages import get_messages

from onetrip.orgs import services
from onetrip.orgs.auth import api_key_verify
from onetrip.orgs.models import ApiKey, Region, Role, RoleAssignment
from onetrip.orgs.tests import factories as f

pytestmark = pytest.mark.django_db
PHONE = "13812345678"
ID_NUMBER = "11010519491231002X"


@pytest.fixture
def admin_client(client):
    root = services.user_create(username="root", password="a-long-enough-pass", is_staff=True)
    root.is_superuser = True
    root.save()
    client.force_login(root)
    return client


def test_user_list_masks_phone_and_id_number(admin_client):
    f.user(username="citizen", display_name="赵六", phone=PHONE, id_number=ID_NUMBER)
    html = admin_client.get("/admin/orgs/user/").content.decode()
    assert "138****5678" in html
    assert "110105********002X" in html
    assert PHONE not in html and ID_NUMBER not in html


def test_admin_pages_load_in_chinese(admin_client):
    chain = f.region_chain()
    dept = f.department(region=chain["county"])
    f.hall(region=chain["county"])
    for url in [
        "/admin/orgs/region/",
        "/admin/orgs/department/",
        "/admin/orgs/servicehall/",
        "/admin/orgs/window/",
        "/admin/orgs/apikey/",
        "/admin/orgs/apikey/add/",
        "/admin/orgs/user/add/",
        f"/admin/orgs/department/{dept.pk}/change/",
    ]:
        response = admin_client.get(url)
        assert response.status_code == 200, url
    assert "选择" in admin_client.get("/admin/orgs/region/").content.decode()


def test_region_admin_refuses_an_invalid_code(admin_client):
    response = admin_client.post("/admin/orgs/region/add/", {"code": "12345", "name": "某地", "level": "2"})
    assert response.status_code == 200
    assert "区划代码应为12位数字" in response.content.decode()
    assert not Region.objects.exists()


def test_role_inline_applies_the_role_rules(admin_client):
    user = f.user(username="clerk1")
    data = {
        "username": "clerk1",
        "applicant_kind": "citizen",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "roles-TOTAL_FORMS": "1",
        "roles-INITIAL_FORMS": "0",
        "roles-MIN_NUM_FORMS": "0",
        "roles-MAX_NUM_FORMS": "1000",
        "roles-0-role": Role.HANDLER,
    }
    response = admin_client.post(f"/admin/orgs/user/{user.pk}/change/", data)
    assert response.status_code == 200
    assert "部门经办人须指定部门" in response.content.decode()
    assert not RoleAssignment.objects.filter(user=user).exists()


def test_api_key_add_shows_the_secret_once_and_never_the_hash(admin_client):
    response = admin_client.post(
        "/admin/orgs/apikey/add/", {"name": "审批系统", "scopes": ["catalog:read", "orgs:read"]}, follow=True
    )
    key = ApiKey.objects.get()
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    plaintext = next(t.split("：")[-1] for t in texts if "只显示这一次" in t)
    assert api_key_verify(plaintext) == key
    assert key.created_by.username == "root"
    change = admin_client.get(f"/admin/orgs/apikey/{key.pk}/change/").content.decode()
    assert key.secret_hash not in change and plaintext not in change
    assert plaintext.split("_", 2)[2] not in admin_client.get("/admin/orgs/apikey/").content.decode()


def test_api_key_admin_action_revokes(admin_client):
    admin_client.post("/admin/orgs/apikey/add/", {"name": "k", "scopes": ["orgs:read"]})
    key = ApiKey.objects.get()
    admin_client.post(
        "/admin/orgs/apikey/", {"action": "revoke_keys", "_selected_action": [key.pk]}, follow=True
    )
    key.refresh_from_db()
    assert not key.is_active
