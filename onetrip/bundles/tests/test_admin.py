import pytest

from onetrip.bundles import services
from onetrip.bundles.models import Bundle, BundleVersion
from onetrip.bundles.tests import factories as bf
from onetrip.catalog.models import VersionStatus
from onetrip.catalog.tests import factories as f

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/bundles/bundleversion/"


@pytest.fixture
def admin_client(client):
    client.force_login(f.make_user(is_superuser=True, is_staff=True))
    return client


def run_action(client, action, *versions):
    return client.post(
        CHANGELIST, {"action": action, "_selected_action": [v.pk for v in versions]}, follow=True
    )


def test_bundle_admin_pages_render_in_chinese(admin_client):
    draft = bf.make_bundle(items=[f.make_published_item(), f.make_published_item()])
    published = bf.make_published_bundle(items=[f.make_published_item()])
    for url in [
        "/admin/bundles/bundle/",
        "/admin/bundles/bundle/add/",
        f"/admin/bundles/bundle/{draft.bundle_id}/change/",
        CHANGELIST,
        f"{CHANGELIST}{draft.pk}/change/",
        f"{CHANGELIST}{published.pk}/change/",
    ]:
        assert admin_client.get(url).status_code == 200, url
    text = admin_client.get(f"{CHANGELIST}{draft.pk}/change/").content.decode()
    assert "一件事成员" in text and "联办流程" in text and 'name="_save"' in text
    text = admin_client.get(f"{CHANGELIST}{published.pk}/change/").content.decode()
    assert "改革前" in text and 'name="_save"' not in text


def test_adding_a_bundle_goes_through_the_service(admin_client):
    dept = f.make_department()
    data = {
        "code": "retire",
        "version_name": "企业职工退休一件事",
        "kind": "many_depts_many_items",
        "lead_department": dept.pk,
    }
    response = admin_client.post("/admin/bundles/bundle/add/", data)
    assert response.status_code == 302, response.content.decode()
    bundle = Bundle.objects.get(code="retire")
    assert bundle.versions.get().name == "企业职工退休一件事"


def test_actions_submit_publish_and_report_errors(admin_client):
    good = bf.make_bundle(items=[f.make_published_item()])
    empty = bf.make_bundle(items=[])
    response = run_action(admin_client, "publish", good)
    assert "请先提交审核" in response.content.decode()
    run_action(admin_client, "submit_for_review", good)
    response = run_action(admin_client, "submit_for_review", empty)
    assert "一件事至少需要一个成员事项或阶段" in response.content.decode()
    run_action(admin_client, "publish", good)
    good = BundleVersion.objects.get(pk=good.pk)
    assert good.status == VersionStatus.PUBLISHED and good.computed["form"]["fields_after"] == 4
    run_action(admin_client, "new_draft", good)
    assert good.bundle.versions.filter(version=2, status=VersionStatus.DRAFT).exists()
    services.bundle_version_retire(version=good)
