"""The access holes of issue 14, each through its real HTTP endpoint: shared data read by another
department's staff, an API key used as a personal-data lookup, a task delegated or copied to the case's own
applicant, a catalogue admin reading cases, an unbound read key reading ratings and orders, a supervisor
seeing full ID numbers."""

from __future__ import annotations

import pytest

from onetrip.catalog.tests import factories as cf
from onetrip.flow.models import ProcessInstanceRecord, TaskRecord
from onetrip.flow.tests import casebuilders as cb
from onetrip.intake.models import Application
from onetrip.intake.tests import factories as itf
from onetrip.orgs.auth import api_key_create
from onetrip.orgs.models import Role, RoleAssignment, User
from onetrip.sharing.models import AccessLogEntry, SourceEntitlement
from onetrip.sharing.tests import factories as sf

pytestmark = pytest.mark.django_db

REFUSED = {400, 403, 404}
PERSON = ["person.name", "person.phone", "person.address"]


def _codes(response) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


# 1 ------------------------------------------------------------------------------------ shared data


def test_another_departments_handler_cannot_read_a_citizens_shared_data(client):
    source = sf.population_source()
    SourceEntitlement.objects.create(source=source, role=Role.HANDLER)  # staff may read, for their cases
    case = cb.item_case()
    task = cb.open_tasks(case)[0]
    record = sf.person(number=case.applicant.id_number, name="孙八", phone="13912345678")
    market = cb.staff(cf.make_department(name="市场监督管理局"))
    client.force_login(market)
    logged = AccessLogEntry.objects.count()
    body = {"subject_id_number": record.id_number, "element_codes": PERSON, "purpose": "approval"}
    for extra in ({"task_id": task.pk}, {}, {"task_ref": "随便写的编号"}):
        r = client.post("/api/v1/sharing/prefill", {**body, **extra}, content_type="application/json")
        assert r.status_code in REFUSED, (extra, r.content)
        text = r.content.decode()
        assert "孙八" not in text and "13912345678" not in text and "中山街" not in text
    assert AccessLogEntry.objects.count() == logged
    # The task's own department may read it (so the refusal above is about scope, not setup).
    client.force_login(cb.staff(task.department))
    r = client.post("/api/v1/sharing/prefill", {**body, "task_id": task.pk}, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["values"]["person.name"] == "孙八"


# 2 ------------------------------------------------------------------------------------ API keys


def _authorisation() -> dict[str, str]:
    return {
        "agent_name": "市民服务系统经办人",
        "agent_id_number": itf.make_id_number(birth="19850101"),
        "scope": "代为提交本事项申请",
        "valid_until": "2099-12-31",
        "reference": "授权委托书 2026-001",
    }


def _start_by_key(client, key, item, number, **extra):
    return client.post(
        "/api/v1/intake/applications",
        {
            "item_code": item.implementation_code,
            "channel": "api",
            "applicant_id_number": number,
            "applicant_name": "钱七",
            **extra,
        },
        content_type="application/json",
        HTTP_X_API_KEY=key,
    )


def test_an_api_key_is_not_a_personal_data_lookup(client):
    sf.population_source()
    item = itf.make_intake_item()
    number = itf.make_id_number()
    sf.person(number=number, name="孙八", phone="13912345678")
    _, key = api_key_create(name="某市民服务系统", scopes=["intake:write", "intake:read"], created_by=None)
    logged = AccessLogEntry.objects.count()
    r = _start_by_key(client, key, item, number)
    assert r.status_code in REFUSED, r.content
    assert "孙八" not in r.content.decode() and "13912345678" not in r.content.decode()
    assert not User.objects.filter(id_number=number).exists()
    assert not Application.objects.exists()
    # With the applicant's authorisation it may apply, but the form comes back without their data.
    r = _start_by_key(client, key, item, number, proxy_authorisation=_authorisation())
    assert r.status_code == 201, r.content
    text = r.content.decode()
    assert "孙八" not in text and "13912345678" not in text and "1990-03-07" not in text
    assert AccessLogEntry.objects.count() == logged


def test_a_department_bound_key_cannot_apply_for_another_departments_item(client):
    own = cf.make_department(name="自然资源局")
    _, key = api_key_create(
        name="不动产系统", scopes=["intake:write", "intake:read"], department=own, created_by=None
    )
    other_item = itf.make_intake_item()
    number = itf.make_id_number()
    r = _start_by_key(client, key, other_item, number, proxy_authorisation=_authorisation())
    assert r.status_code == 403, r.content
    assert not Application.objects.exists()
    own_item = itf.make_intake_item(department=own)
    r = _start_by_key(client, key, own_item, number, proxy_authorisation=_authorisation())
    assert r.status_code == 201, r.content


# 3 ------------------------------------------------------------------------------------ delegation


def _snapshot(case):
    return (
        ProcessInstanceRecord.objects.get(case=case).version,
        list(TaskRecord.objects.filter(case=case).order_by("pk").values()),
    )


@pytest.fixture
def own_case_task():
    """An open task whose case's applicant is also a handler of the task's department, so only the
    "never to the applicant" rule stands between them and their own case."""
    case = cb.item_case()
    task = cb.open_tasks(case)[0]
    RoleAssignment.objects.create(user=case.applicant, role=Role.HANDLER, department=task.department)
    return case, task, cb.staff(task.department)


def test_a_task_is_never_delegated_or_copied_to_its_applicant_through_the_api(client, own_case_task):
    case, task, handler = own_case_task
    client.force_login(handler)
    before = _snapshot(case)
    base = f"/api/v1/flow/tasks/{task.pk}"
    r = client.post(
        f"{base}/delegate",
        {"expected_version": before[0], "user_id": case.applicant.pk},
        content_type="application/json",
    )
    assert r.status_code == 400, r.content
    assert _codes(r) == ["recipient_is_party"]
    r = client.post(f"{base}/copy", {"to_user_ids": [case.applicant.pk]}, content_type="application/json")
    assert r.status_code == 400, r.content
    assert _codes(r) == ["recipient_is_party"]
    assert _snapshot(case) == before


def test_a_task_is_never_delegated_or_copied_to_its_applicant_from_the_page(client, own_case_task):
    case, task, handler = own_case_task
    client.force_login(handler)
    before = _snapshot(case)
    base = f"/work/tasks/{task.pk}"
    r = client.post(f"{base}/delegate/", {"expected_version": before[0], "to_user": case.applicant.pk})
    assert r.status_code == 400
    assert "不能交给本件的申请人或代办人" in r.content.decode()
    r = client.post(f"{base}/copy/", {"to_user_ids": case.applicant.pk})
    assert r.status_code == 400
    assert "不能交给本件的申请人或代办人" in r.content.decode()
    assert _snapshot(case) == before


# 4 ------------------------------------------------------------------------------------ catalogue admins


def test_a_catalogue_admin_reads_no_case(client):
    case = cb.item_case()
    department = case.lead_department
    client.force_login(cf.make_catalog_admin(department=department))
    r = client.get(f"/api/v1/intake/applications/{case.application_id}")
    assert r.status_code in {403, 404}, r.content
    assert case.applicant.id_number not in r.content.decode()
    r = client.get(f"/api/v1/intake/window/cases/{case.pk}/receipt.pdf")
    assert r.status_code in {403, 404}
    assert r["Content-Type"] != "application/pdf"
    # A handler of the department reads both (so the refusal is the role's, not a missing route).
    client.force_login(cb.staff(department))
    assert client.get(f"/api/v1/intake/applications/{case.application_id}").status_code == 200
    assert client.get(f"/api/v1/intake/window/cases/{case.pk}/receipt.pdf").status_code == 200


# 5 ------------------------------------------------------------------------------------ read keys


@pytest.mark.parametrize("path", ["/api/v1/ratings/", "/api/v1/orders/", "/api/v1/orders/pairings"])
def test_an_unbound_intake_read_key_reads_no_ratings_orders_or_pairings(client, path):
    _, key = api_key_create(name="只读", scopes=["intake:read"], created_by=None)
    r = client.get(path, HTTP_X_API_KEY=key)
    assert r.status_code == 403, r.content
    assert _codes(r) == ["scope_missing"]
    scope = "ratings:read" if "ratings" in path else "orders:read"
    _, named = api_key_create(name="评价系统", scopes=[scope], created_by=None)
    assert client.get(path, HTTP_X_API_KEY=named).status_code == 200


# 6 ------------------------------------------------------------------------------------ supervisors


def test_a_supervisor_sees_the_id_number_masked_in_a_task(client):
    case = cb.item_case()
    task = cb.open_tasks(case)[0]
    number = case.applicant.id_number
    url = f"/api/v1/flow/tasks/{task.pk}"
    client.force_login(cb.staff(task.department))
    r = client.get(url)
    assert r.status_code == 200 and number in r.content.decode()  # the handler needs it in full
    supervisor = cf.make_user(display_name="效能监管")
    RoleAssignment.objects.create(user=supervisor, role=Role.SUPERVISOR)
    client.force_login(supervisor)
    r = client.get(url)
    assert r.status_code == 200, r.content
    text = r.content.decode()
    assert number not in text
    assert number[:3] in text and "*" in text
