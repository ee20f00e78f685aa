"""Prefill: sources by authority, conflicts, authoritative fields, degraded sources, bad input, access control."""

from __future__ import annotations

import datetime as dt

import pytest

from onetrip.catalog.models import Sensitivity
from onetrip.catalog.tests import factories as cf
from onetrip.core.errors import DomainError, Forbidden
from onetrip.intake.models import Application
from onetrip.orgs.models import ApplicantKind
from onetrip.sharing import services
from onetrip.sharing.adapters import breakers_reset
from onetrip.sharing.models import AccessDailyCount, AccessLogEntry, ExchangeStatus, StaffRecord
from onetrip.sharing.services import ElementBinding, prefill, prefill_disagreements, prefill_for, subject_hash
from onetrip.sharing.tests import factories as f
from onetrip.sharing.tests.loopback import dead_url, loopback_server, url

pytestmark = pytest.mark.django_db

PERSON_FIELDS = ["person.name", "person.gender", "person.birth_date", "person.phone"]


@pytest.fixture(autouse=True)
def _fresh_breakers():
    breakers_reset()
    yield
    breakers_reset()


def application_for(user) -> Application:
    item = cf.make_published_item()
    return Application.objects.create(
        applicant=user, item=item, item_version=item.current_version, channel="online"
    )


def test_prefill_reads_every_element_from_the_entitled_source_and_marks_its_source():
    f.population_source()
    record = f.person(name="王五")
    result = prefill(
        subject_id_number=record.id_number,
        element_codes=PERSON_FIELDS,
        purpose="acceptance",
        actor=(reader_ := f.clerk()),
        case=f.window_case(reader_, record.id_number, ref="task-1"),
    )
    assert result.values == {
        "person.name": "王五",
        "person.gender": "1",
        "person.birth_date": "1990-03-07",
        "person.phone": "13900000001",
    }
    assert set(result.sources.values()) == {result.sources["person.name"]}
    assert "人口综合库" in result.label("person.name")
    assert result.authoritative == ["person.name", "person.gender", "person.birth_date"]
    assert result.complete


def test_the_lower_authority_rank_wins_and_the_disagreement_is_reported():
    population = f.population_source()
    social = f.social_source()
    record = f.person(phone="13900000001")
    f.social_insurance(number=record.id_number, phone="13800000002")
    result = prefill(
        subject_id_number=record.id_number,
        element_codes=["person.phone", "person.name"],
        purpose="acceptance",
        actor=(reader_ := f.clerk()),
        case=f.window_case(reader_, record.id_number, ref="t"),
    )
    assert result.values["person.phone"] == "13800000002"  # social insurance rank 3 beats population rank 5
    assert result.sources["person.phone"] == social.code
    [conflict] = result.conflicts
    assert conflict.element == "person.phone" and conflict.chosen_source == social.code
    assert {c.source for c in conflict.candidates} == {social.code, population.code}


def test_agreeing_sources_are_not_a_conflict():
    f.population_source()
    f.social_source()
    record = f.person(phone="13900000001")
    f.social_insurance(number=record.id_number, phone="13900000001")
    result = prefill(
        subject_id_number=record.id_number,
        element_codes=["person.phone"],
        purpose="acceptance",
        actor=(reader_ := f.clerk()),
        case=f.window_case(reader_, record.id_number, ref="t"),
    )
    assert result.conflicts == []


def test_missing_record_leaves_fields_for_the_applicant_and_is_not_complete():
    f.population_source()
    nobody = f.id_number()
    result = prefill(
        subject_id_number=nobody,
        element_codes=PERSON_FIELDS,
        purpose="acceptance",
        actor=(reader_ := f.clerk()),
        case=f.window_case(reader_, nobody, ref="t"),
    )
    assert result.values == {}
    assert result.missing == PERSON_FIELDS
    assert not result.complete
    assert AccessLogEntry.objects.get().outcome == "no_record"


def test_unknown_elements_are_a_clear_error_and_nothing_is_read():
    f.population_source()
    record = f.person()
    with pytest.raises(DomainError) as exc:
        prefill(
            subject_id_number=record.id_number,
            element_codes=["person.name", "person.shoe_size", "x.y"],
            purpose="acceptance",
            actor=(reader_ := f.clerk()),
            case=f.window_case(reader_, record.id_number, ref="t"),
        )
    assert [e.code for e in exc.value.errors] == ["unknown_element", "unknown_element"]
    assert "person.shoe_size" in exc.value.errors[0].message_en
    assert not AccessLogEntry.objects.exists()


def test_a_read_without_a_purpose_is_refused():
    f.population_source()
    record = f.person()
    with pytest.raises(DomainError) as exc:
        prefill(
            subject_id_number=record.id_number,
            element_codes=["person.name"],
            purpose="",
            actor=(reader_ := f.clerk()),
            case=f.window_case(reader_, record.id_number, ref="t"),
        )
    assert exc.value.errors[0].code == "purpose_required"
    with pytest.raises(DomainError) as exc:
        prefill(
            subject_id_number=record.id_number,
            element_codes=["person.name"],
            purpose="acceptance",
            actor=f.clerk(),
        )
    assert exc.value.errors[0].code == "purpose_required" and exc.value.errors[0].field == "purpose"
    with pytest.raises(DomainError) as exc:
        prefill(
            subject_id_number=record.id_number,
            element_codes=["person.name"],
            purpose="curiosity",
            actor=(reader_ := f.clerk()),
            case=f.window_case(reader_, record.id_number, ref="t"),
        )
    assert exc.value.errors[0].code == "invalid_purpose"
    assert not AccessLogEntry.objects.exists()


def test_an_invalid_subject_is_refused_without_echoing_it():
    f.population_source()
    with pytest.raises(DomainError) as exc:
        prefill(
            subject_id_number="332801199003071230",
            element_codes=["person.name"],
            purpose="acceptance",
            actor=(reader_ := f.clerk()),
            case=f.window_case(reader_, "332801199003071230", ref="t"),
        )
    assert exc.value.errors[0].code == "invalid_id_number"
    assert "332801199003071230" not in str(exc.value)
    with pytest.raises(DomainError) as exc:
        prefill(
            element_codes=["person.name"],
            purpose="acceptance",
            actor=(reader_ := f.clerk()),
            case=f.window_case(reader_, None, ref="t"),
        )
    assert exc.value.errors[0].code == "subject_required"


def test_a_role_not_entitled_to_a_source_reads_nothing_from_it():
    source = f.population_source(grant=False)
    record = f.person()
    result = prefill(
        subject_id_number=record.id_number,
        element_codes=["person.name"],
        purpose="acceptance",
        actor=(reader_ := f.clerk()),
        case=f.window_case(reader_, record.id_number, ref="t"),
    )
    assert result.denied == [source.code]
    assert result.values == {} and not result.complete
    assert not AccessLogEntry.objects.exists()


def test_an_entitlement_bound_to_a_department_admits_only_that_department():
    source = f.population_source(grant=False)
    own = cf.make_department()
    from onetrip.sharing.models import SourceEntitlement

    SourceEntitlement.objects.create(source=source, role="clerk", department=own)
    record = f.person()
    other = prefill(
        subject_id_number=record.id_number,
        element_codes=["person.name"],
        purpose="acceptance",
        actor=(reader_ := f.clerk(department=cf.make_department())),
        case=f.window_case(reader_, record.id_number, ref="t"),
    )
    assert other.values == {}
    mine = prefill(
        subject_id_number=record.id_number,
        element_codes=["person.name"],
        purpose="acceptance",
        actor=(reader_ := f.clerk(department=own)),
        case=f.window_case(reader_, record.id_number, ref="t"),
    )
    assert mine.values == {"person.name": "王五"}
    assert AccessLogEntry.objects.get().actor_department_id == own.pk


def test_an_applicant_reads_only_their_own_data_for_their_own_application():
    f.population_source()
    record = f.person()
    user = f.applicant(number=record.id_number)
    application = application_for(user)
    result = prefill(
        subject_id_number=record.id_number,
        element_codes=["person.name"],
        purpose="prefill",
        actor=user,
        application=application,
    )
    assert result.values == {"person.name": "王五"}
    stranger = f.person(name="赵六")
    with pytest.raises(Forbidden) as exc:  # a stranger is no party to my application
        prefill(
            subject_id_number=stranger.id_number,
            element_codes=["person.name"],
            purpose="prefill",
            actor=user,
            application=application,
        )
    assert exc.value.errors[0].code == "subject_not_party"
    intruder = f.applicant(number=f.id_number())
    with pytest.raises(Forbidden):
        prefill(
            subject_id_number=intruder.id_number,
            element_codes=["person.name"],
            purpose="prefill",
            actor=intruder,
            application=application,
        )
    with pytest.raises(Forbidden):
        prefill(
            subject_id_number=record.id_number,
            element_codes=["person.name"],
            purpose="prefill",
            actor=user,
            case=f.window_case(f.clerk(), f.id_number(), ref="t"),  # somebody else's case
        )


def test_an_office_applicant_reads_the_data_of_its_own_staff_only():
    source = f.population_source(grant=False)
    from onetrip.sharing.models import SourceEntitlement

    SourceEntitlement.objects.create(
        source=source, role="applicant", applicant_kind=ApplicantKind.OFFICE, own_data_only=True
    )
    office = cf.make_department()
    hr = cf.make_user(applicant_kind=ApplicantKind.OFFICE, organisation_code=office.uscc)
    staff, outsider = f.person(name="本单位"), f.person(name="外单位")
    StaffRecord.objects.create(
        id_number=staff.id_number,
        unit_name=office.name,
        unit_uscc=office.uscc,
        establishment_type="administrative",
        position="科员",
    )
    application = application_for(hr)
    mine = prefill(
        subject_id_number=staff.id_number,
        element_codes=["person.name"],
        purpose="prefill",
        actor=hr,
        application=application,
    )
    assert mine.values == {"person.name": "本单位"}
    with pytest.raises(Forbidden):  # not on the office's establishment: no party to its application
        prefill(
            subject_id_number=outsider.id_number,
            element_codes=["person.name"],
            purpose="prefill",
            actor=hr,
            application=application,
        )
    assert AccessLogEntry.objects.count() == 1


def test_a_classified_source_is_read_only_through_an_approved_exchange_request():
    source = f.population_source(grant=False)
    source.sensitivity = Sensitivity.CLASSIFIED
    source.save()
    f.open_to_staff(source)  # an entitlement alone is not enough for a classified source
    record = f.person()
    reader = f.clerk()
    assert (
        prefill(
            subject_id_number=record.id_number,
            element_codes=["person.name"],
            purpose="approval",
            actor=reader,
            case=f.window_case(reader, record.id_number, ref="task-9"),
        ).values
        == {}
    )
    request = services.exchange_request_create(
        source=source,
        requester=reader,
        reason="核验干部身份",
        case=f.window_case(reader, record.id_number, ref="task-9"),
    )
    with pytest.raises(Forbidden):
        services.exchange_request_decide(request=request, approver=f.clerk(), approve=True)
    approved = services.exchange_request_decide(
        request=request, approver=f.leader(department=source.department), approve=True
    )
    assert approved.status == ExchangeStatus.APPROVED
    other_task = prefill(
        subject_id_number=record.id_number,
        element_codes=["person.name"],
        purpose="approval",
        actor=reader,
        case=f.window_case(reader, record.id_number, ref="task-10"),
    )
    assert other_task.values == {}
    result = prefill(
        subject_id_number=record.id_number,
        element_codes=["person.name"],
        purpose="approval",
        actor=reader,
        case=f.window_case(reader, record.id_number, ref="task-9"),
    )
    assert result.values == {"person.name": "王五"}
    assert AccessLogEntry.objects.get().exchange_request_id == request.pk


def test_a_dead_http_source_degrades_to_asking_the_applicant():
    f.population_source()
    fund = f.http_source(url=dead_url())
    record = f.person()
    result = prefill(
        subject_id_number=record.id_number,
        element_codes=["person.name", "housing_fund.account"],
        purpose="acceptance",
        actor=(reader_ := f.clerk()),
        case=f.window_case(reader_, record.id_number, ref="t"),
    )
    assert result.values == {"person.name": "王五"}
    assert result.missing == ["housing_fund.account"]
    assert [(d.source, d.reason) for d in result.degraded] == [(fund.code, "unreachable")]
    assert not result.complete
    outcomes = dict(AccessLogEntry.objects.values_list("source__code", "outcome"))
    assert outcomes[fund.code] == "failed"


@pytest.mark.parametrize(("path", "reason"), [("/slow", "timeout"), ("/malformed", "malformed")])
def test_slow_or_malformed_http_sources_degrade(path, reason):
    f.population_source()
    with loopback_server({"account": "1"}) as server:
        fund = f.http_source(url=url(server, path), timeout=0.3, retries=0)
        record = f.person()
        result = prefill(
            subject_id_number=record.id_number,
            element_codes=["person.name", "housing_fund.account"],
            purpose="acceptance",
            actor=(reader_ := f.clerk()),
            case=f.window_case(reader_, record.id_number, ref="t"),
        )
    assert result.values == {"person.name": "王五"}
    assert [(d.source, d.reason) for d in result.degraded] == [(fund.code, reason)]
    assert not result.complete


def test_http_and_local_sources_are_read_together():
    f.population_source()
    with loopback_server({"account": "331100000009"}, delay=0.2) as server:
        f.http_source(url=url(server, "/delay"))
        record = f.person()
        result = prefill(
            subject_id_number=record.id_number,
            element_codes=["person.name", "housing_fund.account"],
            purpose="acceptance",
            actor=(reader_ := f.clerk()),
            case=f.window_case(reader_, record.id_number, ref="t"),
        )
    assert result.values == {"person.name": "王五", "housing_fund.account": "331100000009"}
    assert result.complete
    assert server.calls[0]["body"]["fields"] == ["account"]


def test_every_read_is_logged_with_a_keyed_subject_hash_and_counted_per_day():
    f.population_source()
    f.social_source()
    record = f.person()
    f.social_insurance(number=record.id_number)
    clerk = f.clerk()
    prefill(
        subject_id_number=record.id_number,
        element_codes=["person.name", "person.phone", "social_insurance.contribution_months"],
        purpose="acceptance",
        actor=clerk,
        case=f.window_case(clerk, record.id_number, ref="t"),
    )
    prefill(
        subject_id_number=record.id_number,
        element_codes=["person.name"],
        purpose="acceptance",
        actor=clerk,
        case=f.window_case(clerk, record.id_number, ref="t"),
    )
    entries = list(AccessLogEntry.objects.order_by("id"))
    assert len(entries) == 3
    assert all(e.subject_hash == subject_hash(record.id_number) for e in entries)
    assert all(record.id_number not in e.subject_hash for e in entries)
    assert entries[0].actor == clerk and entries[0].purpose == "acceptance"
    assert sorted(AccessDailyCount.objects.values_list("calls", flat=True)) == [1, 2]
    assert sum(AccessDailyCount.objects.values_list("elements", flat=True)) == 2 + 2 + 1


def test_the_access_log_refuses_changes_and_deletion():
    from onetrip.sharing.models import AppendOnlyError

    f.population_source()
    record = f.person()
    prefill(
        subject_id_number=record.id_number,
        element_codes=["person.name"],
        purpose="acceptance",
        actor=(reader_ := f.clerk()),
        case=f.window_case(reader_, record.id_number, ref="t"),
    )
    entry = AccessLogEntry.objects.get()
    entry.purpose = "supervision"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AccessLogEntry.objects.filter(pk=entry.pk).update(purpose="supervision")
    with pytest.raises(AppendOnlyError):
        AccessLogEntry.objects.all().delete()


def test_disagreements_flag_only_changed_authoritative_fields():
    f.population_source()
    record = f.person()
    result = prefill(
        subject_id_number=record.id_number,
        element_codes=PERSON_FIELDS,
        purpose="acceptance",
        actor=(reader_ := f.clerk()),
        case=f.window_case(reader_, record.id_number, ref="t"),
    )
    form = {
        "person.name": "王 五",
        "person.gender": "1",
        "person.birth_date": "1990-03-07",
        "person.phone": "13100000000",
    }
    [d] = prefill_disagreements(form, result)
    assert (d.element, d.submitted, d.prefilled) == ("person.name", "王 五", "王五")
    mapped = prefill_disagreements(
        {"applicant_name": "李四"}, result, field_elements={"applicant_name": "person.name"}
    )
    assert mapped[0].field == "applicant_name"


def test_prefill_for_reads_the_applicants_own_data_as_value_and_label_pairs():
    f.population_source()
    record = f.person()
    user = f.applicant(number=record.id_number)
    pairs = prefill_for(applicant=user, element_codes=["person.name"], application=application_for(user))
    assert pairs["person.name"][0] == "王五" and "人口综合库" in pairs["person.name"][1]


def test_source_registration_refuses_secrets_unknown_fields_and_elements():
    f.elements()
    with pytest.raises(DomainError) as exc:
        services.source_register(
            code="bad",
            name="坏配置",
            department=cf.make_department(),
            kind="http",
            sensitivity="internal",
            subject_kind="person",
            config={"url": "http://127.0.0.1:1/", "password": "x"},
            elements=[ElementBinding("person.nope", "a")],
            actor=None,
        )
    assert {e.code for e in exc.value.errors} == {"secret_in_config", "unknown_element"}
    with pytest.raises(DomainError) as exc:
        services.source_register(
            code="bad2",
            name="坏字段",
            department=cf.make_department(),
            kind="local_table",
            sensitivity="internal",
            subject_kind="person",
            config={"table": "person"},
            elements=[ElementBinding("person.name", "shoe")],
            actor=None,
        )
    assert [e.code for e in exc.value.errors] == ["unknown_field"]


def test_exchange_request_needs_a_reason_and_a_binding():
    source = f.population_source()
    with pytest.raises(DomainError) as exc:
        services.exchange_request_create(source=source, requester=f.clerk(), reason=" ")
    assert {e.code for e in exc.value.errors} == {"required", "purpose_required"}


def test_an_expired_exchange_request_no_longer_admits():
    from django.utils import timezone

    source = f.population_source(grant=False)
    source.sensitivity = Sensitivity.CLASSIFIED
    source.save()
    record = f.person()
    reader = f.clerk()
    request = services.exchange_request_create(
        source=source, requester=reader, reason="核验", case=f.window_case(reader, record.id_number, ref="t1")
    )
    services.exchange_request_decide(
        request=request,
        approver=f.leader(department=source.department),
        approve=True,
        valid_until=timezone.now() - dt.timedelta(minutes=1),
    )
    assert (
        prefill(
            subject_id_number=record.id_number,
            element_codes=["person.name"],
            purpose="approval",
            actor=reader,
            case=f.window_case(reader, record.id_number, ref="t1"),
        ).values
        == {}
    )
