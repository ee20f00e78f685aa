import pytest
from django.contrib.auth.models import Permission

from onetrip.catalog.models import Item, ItemVersion, VersionStatus
from onetrip.catalog.services import item_version_submit
from onetrip.catalog.tests import factories as f

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/catalog/itemversion/"


@pytest.fixture
def admin_client(client):
    """A signed-in superuser (no password hashing: force_login)."""
    client.force_login(f.make_user(is_superuser=True, is_staff=True))
    return client


def run_action(client, action, *versions):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [v.pk for v in versions]},
        follow=True,
    )


def page_text(response) -> str:
    return response.content.decode()


def test_catalogue_admin_pages_render_in_chinese(admin_client):
    version = f.make_complete_draft()
    for url in [
        "/admin/catalog/item/",
        "/admin/catalog/item/add/",
        f"/admin/catalog/item/{version.item_id}/change/",
        CHANGELIST,
        f"{CHANGELIST}{version.pk}/change/",
        "/admin/catalog/theme/",
        "/admin/catalog/dataelement/",
        "/admin/catalog/law/",
    ]:
        response = admin_client.get(url)
        assert response.status_code == 200, url
    text = page_text(admin_client.get(f"{CHANGELIST}{version.pk}/change/"))
    assert "申请材料" in text and "流程环节" in text and "办事情形" in text and 'name="_save"' in text


def test_adding_an_item_goes_through_the_service(admin_client):
    dept = f.make_department(level=4)
    data = {
        "department": dept.pk,
        "basic_code": "010012300000",
        "item_type": "01",
        "name": "食品经营许可",
        "level": "",
    }
    response = admin_client.post("/admin/catalog/item/add/", data)
    assert response.status_code == 302, page_text(response)
    item = Item.objects.get()
    assert item.implementation_code == f"{dept.uscc}4010012300000"
    assert item.versions.get().status == VersionStatus.DRAFT

    response = admin_client.post("/admin/catalog/item/add/", data)
    assert response.status_code == 200 and "已存在" in page_text(response)
    data["basic_code"] = "07001"
    response = admin_client.post("/admin/catalog/item/add/", data)
    assert "基本编码应为12位数字" in page_text(response)
    assert Item.objects.count() == 1


def test_published_version_page_is_read_only(admin_client):
    item = f.make_published_item()
    url = f"{CHANGELIST}{item.current_version_id}/change/"
    response = admin_client.get(url)
    assert response.status_code == 200
    assert 'name="_save"' not in page_text(response)
    response = admin_client.post(url, {"name": "改名"})
    assert response.status_code == 403
    assert ItemVersion.objects.get(pk=item.current_version_id).name == item.name


def test_submit_action_shows_lint_errors(admin_client):
    version = f.make_item().versions.get()
    response = run_action(admin_client, "submit_for_review", version)
    text = page_text(response)
    assert "缺少必备要素：服务对象" in text and "［materials］" in text
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT


def test_actions_submit_publish_new_draft_retire(admin_client):
    version = f.make_complete_draft()
    assert "请先提交审核" in page_text(run_action(admin_client, "publish", version))
    assert "提交审核：1 个版本已完成" in page_text(run_action(admin_client, "submit_for_review", version))
    assert "发布：1 个版本已完成" in page_text(run_action(admin_client, "publish", version))
    version.refresh_from_db()
    assert version.status == VersionStatus.PUBLISHED

    run_action(admin_client, "new_draft", version)
    assert version.item.versions.filter(version=2, status="draft").exists()
    run_action(admin_client, "retire", version)
    version.refresh_from_db()
    assert version.status == VersionStatus.RETIRED
    assert not Item.objects.get(pk=version.item_id).is_published


def test_editing_a_draft_in_the_admin(admin_client):
    version = f.make_complete_draft()
    item_version_submit(version=version, user=None)
    # A version in review is read-only too.
    assert 'name="_save"' not in page_text(admin_client.get(f"{CHANGELIST}{version.pk}/change/"))


def test_department_scoped_admin_sees_only_their_items(client):
    mine, theirs = f.make_department(), f.make_department()
    user = f.make_catalog_admin(department=mine)
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="catalog"))
    client.force_login(user)
    own = f.make_complete_draft(department=mine, name="本部门事项")
    other = f.make_complete_draft(department=theirs, name="他部门事项")
    text = page_text(client.get("/admin/catalog/item/"))
    assert "本部门事项" in text and "他部门事项" not in text
    assert client.get(f"{CHANGELIST}{other.pk}/change/").status_code == 302  # not found → redirect
    assert client.get(f"{CHANGELIST}{own.pk}/change/").status_code == 200
