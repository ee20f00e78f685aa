"""Done when (issue 7): applying for the demo retirement bundles prefills from the shared sources, shows which
materials were fetched and from where, logs every read, keeps authoritative values, and degrades a dead
HTTP source to asking the applicant.

The demo (with its shared records, sources and e-licences) is loaded once per module inside a transaction
rolled back at the end; each test runs in a savepoint within it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction

from onetrip.bundles.models import Bundle
from onetrip.catalog.models import Sensitivity
from onetrip.demo.loader import load_demo
from onetrip.demo.people import CITIZEN_ID
from onetrip.intake.checklist import checklist_for
from onetrip.intake.formspec import form_definition
from onetrip.intake.models import Application, Channel, MaterialState
from onetrip.intake.services.application import application_save, application_start
from onetrip.intake.services.prefill import SHARING_KEY, prefill_disagreements
from onetrip.intake.templatetags.intake_prefill import prefill_disagreements as disagreements_tag
from onetrip.orgs.models import Role, User
from onetrip.sharing import selectors, services
from onetrip.sharing.demo import RETIREE_ID
from onetrip.sharing.models import AccessLogEntry, AccessOutcome, DataSource, SourceEntitlement
from onetrip.sharing.services import ElementBinding
from onetrip.sharing.tests.loopback import dead_url

POPULATION = "人口综合库（丽水市公安局莲都区分局）"
SOCIAL = "社会保险参保库（丽水市莲都区人力资源和社会保障局）"
FUND = "住房公积金缴存库（丽水市住房公积金管理中心）"
# Fields of the enterprise bundle no source gives a citizen, and why.
# (单位名称 and 工作单位 come from the social-insurance record's contributing employer.)
NOT_PREFILLED_FOR_A_CITIZEN = {
    "housing_fund.withdrawal_reason",  # 提取原因: a choice the applicant makes, not a fact on record
    "staff.retirement_date",  # 退休时间: decided by the 退休审批 itself, so no register holds it beforehand
}


def form_keys(app: Application) -> set[str]:
    """The fields the applicant's form has now (mandatory and chosen members)."""
    return {f.key for f in form_definition(application=app).fields}


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    with django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
        load_demo()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def citizen(demo: None, db: None) -> User:
    return User.objects.get(username="zhangsan")


def start(applicant: User, bundle: str) -> Application:
    return application_start(
        applicant=applicant, bundle=Bundle.objects.get(code=bundle), channel=Channel.ONLINE
    )


def test_the_citizen_types_nothing_but_choices_and_sees_where_everything_came_from(citizen):
    app = start(citizen, "enterprise-retirement")
    assert app.form_data["person.name"] == "张三"
    assert app.form_data["person.id_number"] == CITIZEN_ID
    assert app.prefilled["person.name"] == app.prefilled["person.id_number"] == POPULATION
    assert app.prefilled["social_insurance.contribution_months"] == SOCIAL
    assert app.prefilled["housing_fund.account"] == FUND
    assert app.prefilled["enterprise.name"] == app.prefilled["staff.unit_name"] == SOCIAL
    assert form_keys(app) - set(app.form_data) == NOT_PREFILLED_FOR_A_CITIZEN
    meta = app.prefilled[SHARING_KEY]
    assert set(meta["missing"]) == NOT_PREFILLED_FOR_A_CITIZEN
    assert meta["degraded"] == [] and meta["complete"] is False  # the choice is still to be made
    assert {"person.name", "person.id_number", "housing_fund.account"} <= set(meta["authoritative"])

    checklist = {e.key: e for e in checklist_for(application=app)}
    worker_id = checklist["approval.worker-id"]
    assert (worker_id.state, worker_id.asked) == (MaterialState.E_LICENCE, False)
    assert worker_id.source_note.startswith("由丽水市公安局莲都区分局电子证照获取（居民身份证")
    ssc = checklist["pension.ssc"]
    assert ssc.state == MaterialState.E_LICENCE and "社会保障卡" in ssc.source_note
    assert checklist["merged-application-form"].asked  # the one form is still signed by the applicant

    # Every read is in the log, bound to this application, and the citizen can see it.
    log = list(AccessLogEntry.objects.filter(application=app).select_related("source"))
    read = {e.source.code for e in log}
    assert {"population", "social-insurance", "housing-fund"} <= read
    assert all(e.purpose == "prefill" and e.actor_id == citizen.pk for e in log)
    assert all(e.subject_hash == services.subject_hash(CITIZEN_ID) for e in log)
    assert {e.source.code for e in selectors.access_log_for_subject(CITIZEN_ID).entries} == read


def test_an_authoritative_value_is_kept_and_the_objection_goes_to_the_clerk(citizen):
    app = start(citizen, "enterprise-retirement")
    result = application_save(
        application=app,
        revision=app.revision,
        form_data={"person.name": "张叁", "person.address": "浙江省丽水市莲都区花园路1号"},
        actor=citizen,
    )
    app.refresh_from_db()
    assert [(e.code, e.field) for e in result.field_errors if e.code == "authoritative_field"] == [
        ("authoritative_field", "form.person.name")
    ]
    assert app.form_data["person.name"] == "张三" and app.prefilled["person.name"] == POPULATION
    # Not authoritative (rank 5 address): the applicant's own value, no longer marked as the source's.
    assert app.form_data["person.address"] == "浙江省丽水市莲都区花园路1号"
    assert "person.address" not in app.prefilled
    assert prefill_disagreements(app) == [
        {"field": "person.name", "submitted": "张叁", "prefilled": "张三", "source": POPULATION}
    ]
    assert disagreements_tag(app)[0]["label"] == "姓名"


def test_a_dead_http_source_degrades_to_asking_the_applicant(citizen):
    DataSource.objects.filter(code="housing-fund").update(is_active=False)
    source = services.source_register(
        code="fund-http",
        name="公积金中心接口",
        department=DataSource.objects.get(code="housing-fund").department,
        kind="http",
        sensitivity=Sensitivity.SENSITIVE,
        subject_kind="person",
        config={"url": dead_url(), "timeout": 0.5, "retries": 1, "backoff": 0.01},
        elements=[ElementBinding("housing_fund.account", "account", 1, True)],
        actor=None,
    )
    SourceEntitlement.objects.create(source=source, role=Role.APPLICANT, own_data_only=True)
    app = start(citizen, "enterprise-retirement")
    assert "housing_fund.account" not in app.form_data  # left for the applicant
    assert app.form_data["person.name"] == "张三"  # the other sources still answered
    meta = app.prefilled[SHARING_KEY]
    assert meta["complete"] is False
    assert [(d["source"], d["reason"]) for d in meta["degraded"]] == [("fund-http", "unreachable")]
    failed = AccessLogEntry.objects.get(application=app, source=source)
    assert failed.outcome == AccessOutcome.FAILED


def test_an_office_prefills_the_staff_member_it_names(demo, db):
    office = User.objects.get(username="jiaoyuju")
    app = start(office, "public-retirement")
    assert not AccessLogEntry.objects.filter(application=app).exists()  # nobody named yet: nothing read
    result = application_save(
        application=app, revision=app.revision, form_data={"person.id_number": RETIREE_ID}, actor=office
    )
    app.refresh_from_db()
    assert form_keys(app) - set(app.form_data) == {"housing_fund.withdrawal_reason"}  # the only choice left
    assert app.form_data["person.name"] == "陈建国"
    assert app.form_data["staff.retirement_date"] == "2026-06-30"
    assert app.prefilled["staff.unit_name"].startswith("机构编制实名制库")
    assert not [e for e in result.field_errors if e.code == "authoritative_field"]
    log = AccessLogEntry.objects.filter(application=app)
    assert log.exists() and all(e.subject_hash == services.subject_hash(RETIREE_ID) for e in log)
