"""The submission hot path (issue 5): hand-written reads, one write statement on PostgreSQL, the pinned
version from the per-process cache — the same rows, answers and guarantees as the ORM path, in fewer round
trips."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
from typing import Any

import pytest
from django.db import connection, connections

from onetrip.bundles.models import BundleVersion
from onetrip.catalog.models import VersionStatus
from onetrip.catalog.tests import factories as f
from onetrip.core import clock
from onetrip.core.errors import Conflict, NotFound
from onetrip.core.models import AuditEvent
from onetrip.intake import checklist
from onetrip.intake.formspec import form_definition
from onetrip.intake.models import Application, ApplicationMaterial, Case, CaseEvent, Channel
from onetrip.intake.selectors import bundle_version_pinned
from onetrip.intake.services import application as services
from onetrip.intake.tests import factories as itf
from onetrip.orgs.auth import _key_by_prefix, api_key_create
from onetrip.orgs.models import ApiKey, Department

pytestmark = pytest.mark.django_db
BASE = "/api/v1/intake"
ON_POSTGRES = pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement write")
AT = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)  # a Wednesday, 10:00 in Shanghai


@pytest.fixture
def fixed_clock():
    previous = clock.set_clock(clock.FixedClock(AT))
    yield
    clock.set_clock(previous)


@pytest.fixture
def bundle():
    return itf.make_intake_bundle(members=2)


def _row(instance: Any, *, leave_out: set[str]) -> dict[str, Any]:
    return {
        f.attname: getattr(instance, f.attname)
        for f in type(instance)._meta.concrete_fields
        if f.attname not in leave_out
    }


def _stored(case: Case) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The case, its event and its audit record as stored, without what differs between two submissions."""
    event = CaseEvent.objects.get(case=case)
    audit = AuditEvent.objects.get(action="case.submit", object_id=str(case.pk))
    assert audit.data["application"] == case.application_id
    audit.data = {k: v for k, v in audit.data.items() if k != "application"}
    return (
        _row(Case.objects.get(pk=case.pk), leave_out={"id", "application_id", "idempotency_key"}),
        _row(event, leave_out={"id", "case_id"}),
        _row(audit, leave_out={"id", "object_id"}),
    )


@ON_POSTGRES
def test_the_one_statement_write_stores_what_the_orm_writes(bundle, fixed_clock, monkeypatch):
    applicant = itf.make_applicant()
    first, second = (itf.make_draft_application(applicant=applicant, bundle=bundle) for _ in range(2))
    fast = services.application_submit(application=first, idempotency_key="fast-path-01", actor=applicant)
    monkeypatch.setattr(services, "_submit_write_postgres", services._submit_write_orm)
    orm = services.application_submit(application=second, idempotency_key="orm-path-01", actor=applicant)
    assert _stored(fast) == _stored(orm)
    assert _stored(fast)[0]["region_id"] == bundle.lead_department.region_id
    for app in (first, second):
        app.refresh_from_db()
        assert app.status == "submitted" and app.updated_at is not None


def test_the_returned_case_is_the_stored_row_with_the_lead_departments_region_now(bundle, fixed_clock):
    app = itf.make_draft_application(bundle=bundle)
    moved_to = f.make_region()
    Department.objects.filter(pk=bundle.lead_department_id).update(region=moved_to)  # after the draft began
    case = services.application_submit(application=app, idempotency_key="returned-01", actor=app.applicant)
    stored = Case.objects.get(pk=case.pk)
    assert _row(case, leave_out=set()) == _row(stored, leave_out=set())
    assert stored.region_id == moved_to.pk and stored.lead_department_id == bundle.lead_department_id
    assert stored.title == bundle.name and stored.submitted_at == AT
    assert case.application.pk == app.pk and case.applicant.pk == app.applicant_id


def test_item_applications_take_the_same_path(fixed_clock):
    item = itf.make_intake_item()
    app = itf.make_draft_application(item=item)
    case = services.application_submit(application=app, idempotency_key="item-path-01", actor=app.applicant)
    stored = Case.objects.get(pk=case.pk)
    assert stored.item_version_id == app.item_version_id and stored.bundle_version_id is None
    assert stored.lead_department_id == item.department_id and stored.region_id == item.department.region_id
    assert CaseEvent.objects.filter(case=case, kind="submitted").count() == 1


def test_a_missing_draft_or_one_the_caller_may_not_change_is_not_found_and_nothing_changes(bundle):
    app = itf.make_draft_application(bundle=bundle)
    stranger = itf.make_applicant()
    for application_id, principal in ((app.pk, stranger), (10**9, app.applicant)):
        with pytest.raises(NotFound):  # before the (invalid) key is even looked at
            services.application_submit_result(
                application_id=application_id, idempotency_key="x", actor=principal, principal=principal
            )
    with pytest.raises(Application.DoesNotExist):
        services.application_submit_result(application_id=10**9, idempotency_key="valid-key-1", actor=None)
    assert not Case.objects.exists()
    app.refresh_from_db()
    assert app.status == "draft"


# ------------------------------------------------------------------------------------------------ API


def _authorisation() -> dict[str, str]:
    """The applicant's signed authorisation another system applies with (channel api)."""
    return {
        "agent_name": "市民服务系统经办人",
        "agent_id_number": itf.make_id_number(birth="19850101"),
        "scope": "代为提交本事项申请",
        "valid_until": "2099-12-31",
        "reference": "授权委托书 2026-001",
    }


def _api_draft(bundle: BundleVersion, client: Any, key: str) -> int:
    r = client.post(
        f"{BASE}/applications",
        {
            "bundle_code": bundle.bundle.code,
            "channel": "api",
            "applicant_id_number": itf.make_id_number(),
            "applicant_name": "钱七",
            "proxy_authorisation": _authorisation(),
        },
        content_type="application/json",
        HTTP_X_API_KEY=key,
    )
    assert r.status_code == 201, r.content
    app = Application.objects.get(pk=r.json()["id"])
    answers = {q.key: "no" for q in form_definition(application=app).questions}
    app = services.application_save(
        application=app, revision=app.revision, form_data=itf.complete_form(app.applicant), answers=answers
    ).application
    for entry in checklist.checklist_for(application=app):
        if entry.asked:
            services.application_material_upload(
                application=app, key=entry.key, data=itf.PDF_BYTES, declared_name="a.pdf", actor=None
            )
    return app.pk


def test_api_submit_is_201_then_200_for_the_retry_in_few_queries(
    client, bundle, django_assert_max_num_queries
):
    _, key = api_key_create(name="某市民服务系统", scopes=["intake:write", "intake:read"], created_by=None)
    warm, app_id = _api_draft(bundle, client, key), _api_draft(bundle, client, key)
    headers = {"HTTP_X_API_KEY": key}
    assert client.post(f"{BASE}/applications/{warm}/submit", HTTP_IDEMPOTENCY_KEY="api-warm-01", **headers)
    # The key; the locked draft with its applicant; the applicant's e-licences (the items' ID card comes from
    # the e-licence library); the material rows; the write: one statement on PostgreSQL, elsewhere the lead
    # department's region and four inserts/updates. Then the savepoint and its release (the test runs in a
    # transaction), and maybe the calendar's once-a-second freshness check.
    writes = 1 if connection.vendor == "postgresql" else 5
    with django_assert_max_num_queries(4 + writes + 2 + 1):
        r = client.post(
            f"{BASE}/applications/{app_id}/submit", HTTP_IDEMPOTENCY_KEY="api-submit-01", **headers
        )
    assert r.status_code == 201, r.content
    body = r.json()
    assert (
        body["status"] == "submitted" and body["application_id"] == app_id and body["channel"] == Channel.API
    )
    again = client.post(
        f"{BASE}/applications/{app_id}/submit", HTTP_IDEMPOTENCY_KEY="api-submit-01", **headers
    )
    assert again.status_code == 200 and again.json() == body
    assert Case.objects.filter(application_id=app_id).count() == 1


def test_api_submit_refuses_keys_and_users_that_may_not_change_the_draft(client, bundle):
    _, key = api_key_create(name="某市民服务系统", scopes=["intake:write", "intake:read"], created_by=None)
    app_id = _api_draft(bundle, client, key)
    other_department = f.make_department()
    _, elsewhere = api_key_create(
        name="他部门系统", scopes=["intake:write"], department=other_department, created_by=None
    )
    _, read_only = api_key_create(name="只读", scopes=["intake:read"], created_by=None)
    url = f"{BASE}/applications/{app_id}/submit"
    r = client.post(url, HTTP_IDEMPOTENCY_KEY="refused-0001", HTTP_X_API_KEY=elsewhere)
    assert r.status_code == 404, r.content
    assert client.post(url, HTTP_IDEMPOTENCY_KEY="refused-0001", HTTP_X_API_KEY=read_only).status_code == 403
    assert client.post(url, HTTP_IDEMPOTENCY_KEY="bad", HTTP_X_API_KEY=elsewhere).status_code == 404
    client.force_login(itf.make_applicant())
    assert client.post(url, HTTP_IDEMPOTENCY_KEY="refused-0002").status_code == 404
    assert (
        client.post(f"{BASE}/applications/{10**9}/submit", HTTP_IDEMPOTENCY_KEY="refused-0003").status_code
        == 404
    )
    assert not Case.objects.exists()
    r = client.post(url, HTTP_IDEMPOTENCY_KEY="bad", HTTP_X_API_KEY=key)
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "invalid_idempotency_key"
    assert client.post(url, HTTP_IDEMPOTENCY_KEY="accepted-0001", HTTP_X_API_KEY=key).status_code == 201


# ------------------------------------------------------------------------------------------- raw reads


def test_the_api_key_row_is_the_one_the_orm_builds():
    department = f.make_department()
    key, _ = api_key_create(
        name="系统", scopes=["intake:write", "orgs:read"], department=department, created_by=None,
        expires_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC),
    )  # fmt: skip
    raw = _key_by_prefix(key.prefix)
    orm = ApiKey.objects.get(pk=key.pk)
    assert _row(raw, leave_out=set()) == _row(orm, leave_out=set())
    assert raw.scopes == ["intake:write", "orgs:read"] and raw.expires_at.tzinfo is not None
    assert raw.department == department  # loads on first use
    assert _key_by_prefix("nosuchky") is None


def test_material_rows_are_the_orm_values(bundle):
    app = itf.make_draft_application(bundle=bundle)
    rows = checklist.material_rows(app.pk)
    expected = ApplicationMaterial.objects.filter(application=app).values_list(
        "key", "state", "file_id", "file_name", "source_note", "updated_at"
    )
    assert {
        key: (r.state, r.file_id, r.file_name, r.source_note, r.updated_at) for key, r in rows.items()
    } == {key: tuple(rest) for key, *rest in expected}
    assert all(r.updated_at.tzinfo is not None for r in rows.values())


def test_a_frozen_bundle_version_is_read_once_and_each_caller_gets_its_own_instance(
    bundle, django_assert_num_queries
):
    first = bundle_version_pinned(bundle.pk)
    with django_assert_num_queries(0):
        second = bundle_version_pinned(bundle.pk)
    assert first is not second and first.pk == second.pk == bundle.pk
    assert (second.name, second.lead_department_id, second.status) == (
        bundle.name,
        bundle.lead_department_id,
        VersionStatus.PUBLISHED,
    )
    draft = BundleVersion.objects.create(
        bundle=bundle.bundle,
        version=99,
        name="草稿版本",
        kind=bundle.kind,
        lead_department=bundle.lead_department,
    )
    bundle_version_pinned(draft.pk)
    with django_assert_num_queries(1):  # a draft may still change: read every time
        assert bundle_version_pinned(draft.pk).name == "草稿版本"


# ----------------------------------------------------------------------------------- races (PostgreSQL)


def _submit_in_child(application_id: int, key: str, barrier: Any, out: Any) -> None:
    from onetrip.intake.services import application as services

    try:
        barrier.wait(timeout=30)
        result = services.application_submit_result(
            application_id=application_id, idempotency_key=key, actor=None
        )
        out.put(("created" if result.created else "found", result.case.pk))
    except Conflict as exc:
        out.put((exc.errors[0].code, None))
    except Exception as exc:  # report anything else to the parent instead of dying silently
        out.put((f"error: {exc!r}", None))
    finally:
        connections.close_all()


def _race(jobs: list[tuple[int, str]]) -> list[tuple[str, int | None]]:
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(len(jobs))
    out = ctx.Queue()
    connections.close_all()  # children must not share the parent's socket
    procs = [ctx.Process(target=_submit_in_child, args=(*job, barrier, out)) for job in jobs]
    for p in procs:
        p.start()
    results = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
def test_racing_retries_of_one_submission_make_one_case_and_all_get_it(bundle):
    app = itf.make_draft_application(bundle=bundle)
    results = _race([(app.pk, "race-same-key-01")] * 4)
    assert sorted(r[0] for r in results) == ["created", "found", "found", "found"], results
    [case] = Case.objects.filter(application=app)
    assert {r[1] for r in results} == {case.pk}
    assert CaseEvent.objects.filter(case=case).count() == 1
    assert AuditEvent.objects.filter(action="case.submit", object_id=str(case.pk)).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
def test_two_drafts_racing_for_one_key_one_gets_the_case_and_the_other_409(bundle):
    first, second = itf.make_draft_application(bundle=bundle), itf.make_draft_application(bundle=bundle)
    results = _race([(first.pk, "race-one-key-01"), (second.pk, "race-one-key-01")])
    assert sorted(r[0] for r in results) == ["created", "idempotency_key_reused"], results
    [case] = Case.objects.filter(idempotency_key="race-one-key-01")
    loser = second if case.application_id == first.pk else first
    loser.refresh_from_db()
    assert loser.status == "draft" and not Case.objects.filter(application=loser).exists()
