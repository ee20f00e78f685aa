"""Other systems maintain the catalogue with per-application API keys carrying the `catalog:write` scope."""

import pytest

from onetrip.catalog.models import VersionStatus
from onetrip.catalog.tests import factories as f
from onetrip.core.models import AuditEvent
from onetrip.orgs.auth import api_key_create

pytestmark = pytest.mark.django_db

BASE = "/api/v1/catalog"


def _key(*scopes, department=None):
    owner = f.make_user()
    _, plaintext = api_key_create(name="事项同步系统", scopes=scopes, department=department, created_by=owner)
    return plaintext, owner


def test_a_write_scoped_key_submits_a_draft_and_the_issuer_is_recorded(client):
    version = f.make_complete_draft()
    key, owner = _key("catalog:write")
    response = client.post(f"{BASE}/versions/{version.pk}/submit", HTTP_X_API_KEY=key)
    assert response.status_code == 200, response.content
    version.refresh_from_db()
    assert version.status == VersionStatus.REVIEW
    assert AuditEvent.objects.filter(object_id=str(version.pk), actor_id=owner.pk).exists()


def test_a_read_only_key_cannot_write(client):
    version = f.make_complete_draft()
    key, _ = _key("catalog:read")
    response = client.post(f"{BASE}/versions/{version.pk}/submit", HTTP_X_API_KEY=key)
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "scope_missing"
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT


def test_a_department_key_cannot_touch_another_departments_item(client):
    version = f.make_complete_draft(department=f.make_department())
    key, _ = _key("catalog:write", department=f.make_department())
    response = client.post(f"{BASE}/versions/{version.pk}/submit", HTTP_X_API_KEY=key)
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "forbidden_department"


def test_a_wrong_key_is_refused_without_changing_anything(client):
    version = f.make_complete_draft()
    response = client.post(f"{BASE}/versions/{version.pk}/submit", HTTP_X_API_KEY="ot_nope_nope")
    assert response.status_code == 401
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT
