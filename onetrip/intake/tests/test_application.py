"""Applying: start, prefill, partial saves that keep bad input, the checklist, pre-check, submit, resubmit."""

from __future__ import annotations

import datetime as dt

import pytest

from onetrip.catalog.tests import factories as f
from onetrip.core import clock
from onetrip.core.errors import Conflict, DomainError, Forbidden
from onetrip.core.models import AuditEvent
from onetrip.intake.checklist import checklist_for
from onetrip.intake.models import ApplicationStatus, Case, CaseEvent, CaseStatus, Channel, MaterialState
from onetrip.intake.services.application import (
    StaleDraft,
    applicant_for_id_number,
    application_material_set_state,
    application_precheck,
    application_save,
    application_start,
    application_submit,
    case_resubmit,
)
from onetrip.intake.services.prefill import SOURCE_ACCOUNT, SOURCE_ID_NUMBER, prefill_for
from onetrip.intake.tests import factories as itf
from onetrip.orgs.models import ApplicantKind

pytestmark = pytest.mark.django_db


def codes(errors):
    return sorted((e.code, e.field) for e in errors)


@pytest.fixture
def item():
    return itf.make_intake_item()


# ------------------------------------------------------------------------------------------- start


def test_start_pins_the_published_version_and_prefills_from_the_account(item):
    applicant = itf.make_applicant(display_name="张三", phone="13912345678")
    app = application_start(applicant=applicant, item=item, channel=Channel.ONLINE)
    assert app.item_version_id == item.current_version_id
    assert app.status == ApplicationStatus.DRAFT and app.revision == 0
    assert app.form_data == {
        "person.name": "张三",
        "person.id_number": applicant.id_number,
        "person.phone": "13912345678",
    }
    assert app.prefilled == {k: SOURCE_ACCOUNT for k in app.form_data}
    assert AuditEvent.objects.filter(action="application.start", object_id=str(app.pk)).exists()


def test_prefill_derives_birth_date_and_sex_from_the_id_number_and_company_fields():
    person = itf.make_applicant(id_number=itf.make_id_number(birth="19850102", male=False))
    got = prefill_for(applicant=person, element_codes=["person.birth_date", "person.gender", "x.unknown"])
    assert got == {
        "person.birth_date": ("1985-01-02", SOURCE_ID_NUMBER),
        "person.gender": ("2", SOURCE_ID_NUMBER),
    }
    company = itf.make_applicant(kind=ApplicantKind.COMPANY)
    got = prefill_for(applicant=company, element_codes=["enterprise.uscc", "enterprise.name"])
    assert got["enterprise.uscc"] == (company.organisation_code, SOURCE_ACCOUNT)
    assert got["enterprise.name"] == (company.organisation_name, SOURCE_ACCOUNT)


def test_start_refuses_an_unpublished_item_and_a_missing_target():
    applicant = itf.make_applicant()
    draft_only = f.make_item()
    with pytest.raises(DomainError) as exc:
        application_start(applicant=applicant, item=draft_only, channel=Channel.ONLINE)
    assert exc.value.errors[0].code == "not_published"
    with pytest.raises(DomainError) as exc:
        application_start(applicant=applicant, channel=Channel.ONLINE)
    assert exc.value.errors[0].code == "one_target"


def test_window_channel_needs_a_clerk(item):
    applicant = itf.make_applicant()
    with pytest.raises(Forbidden):
        application_start(applicant=applicant, item=item, channel=Channel.WINDOW, entered_by=applicant)
    clerk = itf.make_clerk(region=item.department.region)
    app = application_start(applicant=applicant, item=item, channel=Channel.WINDOW, entered_by=clerk)
    assert app.entered_by == clerk


def _authorisation(**over):
    data = {
        "agent_name": "李四",
        "agent_id_number": itf.make_id_number(),
        "scope": "代为办理本事项的申请与领证",
        "valid_until": (clock.now().date() + dt.timedelta(days=30)).isoformat(),
        "reference": "WT-2026-001",
    }
    data.update(over)
    return data


def test_proxy_channel_records_a_checked_authorisation(item):
    applicant, agent = itf.make_applicant(), itf.make_applicant()
    app = application_start(
        applicant=applicant,
        item=item,
        channel=Channel.PROXY,
        entered_by=agent,
        proxy_authorisation=_authorisation(),
    )
    assert app.proxy_authorisation["agent_name"] == "李四"
    assert app.proxy_authorisation["reference"] == "WT-2026-001"


def test_proxy_authorisation_bad_input_lists_every_problem(item):
    applicant, agent = itf.make_applicant(), itf.make_applicant()
    bad = _authorisation(
        agent_name="", agent_id_number="110101199003070012", scope="", valid_until="2020-01-01", reference=""
    )
    with pytest.raises(DomainError) as exc:
        application_start(
            applicant=applicant, item=item, channel=Channel.PROXY, entered_by=agent, proxy_authorisation=bad
        )
    assert codes(exc.value.errors) == [
        ("authorisation_expired", "proxy.valid_until"),
        ("invalid_id_number", "proxy.agent_id_number"),
        ("required", "proxy.agent_name"),
        ("required", "proxy.reference"),
        ("required", "proxy.scope"),
    ]
    with pytest.raises(DomainError):
        application_start(applicant=applicant, item=item, channel=Channel.PROXY, entered_by=agent)


# -------------------------------------------------------------------------------------------- save


def test_save_merges_keeps_invalid_input_and_returns_field_errors(item):
    app = itf.make_draft_application(item=item, complete=False)
    typed = {
        "person.id_number": "330102199003070010",  # wrong check digit
        "person.phone": "1234",
        "reason": "x" * 501,
    }
    result = application_save(application=app, revision=0, form_data=typed)
    app.refresh_from_db()
    assert app.revision == 1
    assert app.form_data["person.id_number"] == "330102199003070010"  # kept as typed
    assert app.form_data["person.phone"] == "1234"
    assert app.form_data["person.name"] == app.applicant.display_name  # merged, not replaced
    assert codes(result.field_errors) == [
        ("invalid_id_number", "form.person.id_number"),
        ("invalid_phone", "form.person.phone"),
        ("too_long", "form.reason"),
    ]
    assert "person.id_number" not in app.prefilled  # changed by the applicant
    assert app.prefilled["person.name"] == SOURCE_ACCOUNT
    # None clears a value; clearing a required field is not an error while drafting.
    result = application_save(application=app, revision=1, form_data={"person.phone": None})
    assert "person.phone" not in result.application.form_data


def test_save_with_a_stale_revision_is_refused_with_the_current_revision(item):
    app = itf.make_draft_application(item=item, complete=False)
    application_save(application=app, revision=0, form_data={"reason": "第一次"})
    with pytest.raises(StaleDraft) as exc:
        application_save(application=app, revision=0, form_data={"reason": "旧页面"})
    assert exc.value.status_code == 409
    assert exc.value.as_dict()["current_revision"] == 1
    assert exc.value.errors[0].code == "stale_draft"
    app.refresh_from_db()
    assert app.form_data["reason"] == "第一次"


def test_save_refuses_unknown_fields_and_unstorable_values_changing_nothing(item):
    app = itf.make_draft_application(item=item, complete=False)
    with pytest.raises(DomainError) as exc:
        application_save(
            application=app,
            revision=0,
            form_data={"reason": "好的", "no.such": "x", "person.name": {"nested": 1}},
            answers={"agent": "no"},
        )
    assert codes(exc.value.errors) == [
        ("invalid_value_type", "form.person.name"),
        ("unknown_field", "form.no.such"),
    ]
    app.refresh_from_db()
    assert app.revision == 0 and "reason" not in app.form_data and app.answers == {}


def test_typed_values_are_checked_by_type():
    from onetrip.intake.formspec import FieldDef, check_value

    def err(field_type, value, **kw):
        spec = FieldDef(key="k", label="项", field_type=field_type, required=True, **kw)
        problem = check_value(spec, value, "form.k")
        return problem.code if problem else None

    assert err("uscc", f.make_uscc()) is None
    assert err("uscc", "91330000123456789X") == "invalid_uscc"
    assert err("date", "2026-02-30") == "invalid_date"
    assert err("date", "20260201") == "invalid_date"
    assert err("date", "2026-02-01") is None
    assert err("integer", "12a") == "invalid_integer"
    assert err("integer", "-12") is None
    assert err("decimal", "1.5e") == "invalid_decimal"
    assert err("decimal", "NaN") == "invalid_decimal"
    assert err("decimal", "12.50") is None
    options = ({"value": "1", "label": "男"}, {"value": "2", "label": "女"})
    assert err("choice", "3", options=options) == "invalid_option"
    assert err("choice", "2", options=options) is None
    assert err("multi_choice", ["1", "9"], options=options) == "invalid_option"
    assert err("boolean", "maybe") == "invalid_boolean"
    assert err("string", "AB-12", pattern=r"[A-Z]{2}-\d{2}") is None
    assert err("string", "ab-12", pattern=r"[A-Z]{2}-\d{2}") == "pattern_mismatch"
    assert err("phone", "13800138000") is None
    assert err("phone", "23800138000") == "invalid_phone"
    assert err("region", "331102") is None


# ------------------------------------------------------------------------------------------ checklist


def test_checklist_follows_the_situation_answers(item):
    app = itf.make_draft_application(item=item, complete=False)
    result = application_save(application=app, revision=0, answers={"agent": "no"})
    states = {e.key: e.state for e in result.checklist}
    assert states == {
        "application": MaterialState.MISSING,
        "id_card": MaterialState.E_LICENCE,  # not asked: 三不提交
        "household_register": MaterialState.MISSING,
        "site_photo": MaterialState.MISSING,
    }
    result = application_save(application=app, revision=1, answers={"agent": "yes"})
    assert "power_of_attorney" in {e.key for e in result.checklist}
    assert set(app.materials.values_list("key", flat=True)) == {e.key for e in result.checklist}


def test_an_upload_survives_a_situation_change_back_and_forth(item):
    app = itf.make_draft_application(item=item, complete=False)
    application_save(application=app, revision=0, answers={"agent": "yes"})
    from onetrip.intake.services.application import application_material_upload

    application_material_upload(
        application=app, key="power_of_attorney", data=itf.PDF_BYTES, declared_name="委托书.pdf", actor=None
    )
    application_save(application=app, revision=1, answers={"agent": "no"})
    assert "power_of_attorney" not in {e.key for e in checklist_for(application=app)}
    result = application_save(application=app, revision=2, answers={"agent": "yes"})
    entry = next(e for e in result.checklist if e.key == "power_of_attorney")
    assert entry.state == MaterialState.UPLOADED and entry.file_name == "委托书.pdf"


def test_commitment_replaces_a_non_key_material_but_never_a_key_one(item):
    app = itf.make_draft_application(item=item)
    row = application_material_set_state(
        application=app, key="household_register", state=MaterialState.COMMITMENT, actor=app.applicant
    )
    assert row.state == MaterialState.COMMITMENT
    with pytest.raises(DomainError) as exc:
        application_material_set_state(
            application=app, key="application", state=MaterialState.COMMITMENT, actor=app.applicant
        )
    assert exc.value.errors[0].code == "commitment_not_allowed"
    with pytest.raises(Forbidden):
        application_material_set_state(
            application=app, key="site_photo", state=MaterialState.PAPER, actor=app.applicant
        )
    with pytest.raises(DomainError) as exc:
        application_material_set_state(
            application=app, key="id_card", state=MaterialState.MISSING, actor=None
        )
    assert exc.value.errors[0].code == "material_not_asked"


def test_bundle_checklist_merges_materials_and_follows_chosen_members():
    bundle = itf.make_intake_bundle(members=2, optional=["m2"])
    app = itf.make_draft_application(bundle=bundle, complete=False)
    result = application_save(application=app, revision=0, answers={"agent": "no"})
    keys = [e.key for e in result.checklist]
    assert keys.count("merged-application-form") == 1
    assert "m1.household_register" in keys and not any(k.startswith("m2.") for k in keys)
    result = application_save(application=app, revision=1, chosen_members=["m2"])
    # The two members' 户口簿 merge into one material (same name): still one entry.
    assert [e.key for e in result.checklist] == keys
    with pytest.raises(DomainError) as exc:
        application_save(application=app, revision=2, chosen_members=["m1"])
    assert exc.value.errors[0].code == "unknown_optional_member"


# ------------------------------------------------------------------------------------------ pre-check


def test_precheck_lists_every_problem_at_once(item):
    app = itf.make_draft_application(item=item, complete=False)
    application_save(application=app, revision=0, form_data={"person.phone": "12", "person.name": None})
    app.refresh_from_db()
    problems = application_precheck(application=app)
    assert codes(problems) == sorted(
        [
            ("invalid_phone", "form.person.phone"),
            ("required", "answers.agent"),
            ("required", "form.person.name"),
            ("material_missing", "materials.site_photo"),
            ("material_missing_deficiency_allowed", "materials.household_register"),
            ("material_missing_key", "materials.application"),
        ]
    )


# --------------------------------------------------------------------------------------------- submit


def test_submit_creates_the_case_with_deadline_trips_and_event(item):
    app = itf.make_draft_application(item=item)
    case = application_submit(application=app, idempotency_key="submit-0001", actor=app.applicant)
    assert case.status == CaseStatus.SUBMITTED and case.number is None
    assert case.title == item.current_version.name
    assert case.lead_department == item.department and case.region == item.department.region
    assert case.channel == Channel.ONLINE and case.trips == 0 and case.submission == 1
    assert case.applicant_name == app.applicant.display_name
    assert case.accept_due_at > case.submitted_at
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED
    assert CaseEvent.objects.filter(case=case, kind="submitted").count() == 1
    assert AuditEvent.objects.filter(action="case.submit", object_id=str(case.pk)).exists()


def test_window_submission_counts_one_trip_and_may_lack_a_key_material(item):
    applicant = itf.make_applicant()
    clerk = itf.make_clerk(region=item.department.region)
    app = application_start(applicant=applicant, item=item, channel=Channel.WINDOW, entered_by=clerk)
    application_save(application=app, revision=0, answers={"agent": "no"})
    case = application_submit(application=app, idempotency_key="window-0001", actor=clerk)
    assert case.trips == 1


def test_online_submission_is_blocked_by_a_missing_key_material_and_invalid_fields(item):
    app = itf.make_draft_application(item=item, complete=False)
    application_save(application=app, revision=0, answers={"agent": "no"}, form_data={"person.phone": "1"})
    with pytest.raises(DomainError) as exc:
        application_submit(application=app, idempotency_key="blocked-0001", actor=app.applicant)
    assert codes(exc.value.errors) == [
        ("invalid_phone", "form.person.phone"),
        ("material_missing_key", "materials.application"),
    ]
    assert not Case.objects.exists()


def test_submit_is_idempotent_and_a_reused_key_is_refused(item):
    app = itf.make_draft_application(item=item)
    first = application_submit(application=app, idempotency_key="same-key-01", actor=app.applicant)
    again = application_submit(application=app, idempotency_key="same-key-01", actor=app.applicant)
    assert again.pk == first.pk and Case.objects.count() == 1
    other = itf.make_draft_application(item=item)
    with pytest.raises(Conflict) as exc:
        application_submit(application=other, idempotency_key="same-key-01", actor=other.applicant)
    assert exc.value.errors[0].code == "idempotency_key_reused"
    with pytest.raises(Conflict) as exc:
        application_submit(application=app, idempotency_key="another-key-01", actor=app.applicant)
    assert exc.value.errors[0].code == "application_already_submitted"
    with pytest.raises(DomainError) as exc:
        application_submit(application=other, idempotency_key="short", actor=other.applicant)
    assert exc.value.errors[0].code == "invalid_idempotency_key"


def test_a_submitted_application_cannot_be_edited(item):
    case = itf.make_submitted_case(item=item)
    with pytest.raises(Conflict) as exc:
        application_save(application=case.application, revision=case.application.revision, form_data={})
    assert exc.value.errors[0].code == "application_not_editable"


def test_bundle_submission_takes_the_lead_department():
    bundle = itf.make_intake_bundle(members=2)
    case = itf.make_submitted_case(bundle=bundle)
    assert case.bundle_version == bundle and case.lead_department == bundle.lead_department
    assert case.title == bundle.name


# ----------------------------------------------------------------------------------------- resubmit


def test_resubmission_after_a_notice_increments_the_submission(item):
    case = itf.make_submitted_case(item=item)
    with pytest.raises(Conflict):
        case_resubmit(case=case, actor=case.applicant, idempotency_key="resubmit-01")
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.CORRECTION)
    app = case.application
    result = application_save(application=app, revision=app.revision, form_data={"reason": "补正"})
    assert result.application.form_data["reason"] == "补正"  # editable while in correction
    again = case_resubmit(case=case, actor=case.applicant, idempotency_key="resubmit-01")
    assert again.status == CaseStatus.SUBMITTED and again.submission == 2 and again.trips == 0
    retried = case_resubmit(case=case, actor=case.applicant, idempotency_key="resubmit-01")
    assert retried.submission == 2
    assert CaseEvent.objects.filter(case=case, kind="resubmitted").count() == 1


def test_resubmission_by_a_clerk_counts_a_trip(item):
    case = itf.make_submitted_case(item=item)
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.CORRECTION)
    clerk = itf.make_clerk(region=case.region)
    again = case_resubmit(case=case, actor=clerk, idempotency_key="resubmit-02")
    assert again.trips == 1


# ------------------------------------------------------------------------------------------ applicants


def test_applicant_by_id_number_finds_or_creates_without_exposing_the_number():
    known = itf.make_applicant()
    assert applicant_for_id_number(id_number=known.id_number) == known
    number = itf.make_id_number()
    created = applicant_for_id_number(id_number=number, name="王五", phone="13700000000")
    assert created.id_number == number and number not in created.username
    assert applicant_for_id_number(id_number=number) == created
    with pytest.raises(DomainError) as exc:
        applicant_for_id_number(id_number="123", name="x")
    assert exc.value.errors[0].code == "invalid_id_number"
    with pytest.raises(DomainError) as exc:
        applicant_for_id_number(id_number=itf.make_id_number(), name="")
    assert exc.value.errors[0].code == "required"
