import datetime as dt

import pytest

from onetrip.catalog import services
from onetrip.catalog.models import (
    ImmutableVersionError,
    Item,
    ItemVersion,
    Material,
    ProcessTransition,
    VersionStatus,
)
from onetrip.catalog.tests import factories as f
from onetrip.core import clock
from onetrip.core.errors import Conflict, DomainError

pytestmark = pytest.mark.django_db


@pytest.fixture
def fixed_today():
    previous = clock.set_clock(clock.FixedClock(dt.datetime(2025, 3, 10, 2, 0, tzinfo=dt.UTC)))
    yield dt.date(2025, 3, 10)
    clock.set_clock(previous)


def codes_of(exc: DomainError) -> list[str]:
    return [e.code for e in exc.errors]


# ---------------------------------------------------------------------------------------- item_create


def test_item_create_builds_implementation_code_and_draft_v1():
    dept = f.make_department(level=4)
    item = services.item_create(
        department=dept, basic_code="010012300000", item_type="01", name="食品经营许可"
    )
    assert item.implementation_code == f"{dept.uscc}4010012300000"
    assert len(item.implementation_code) == 31
    version = item.versions.get()
    assert (version.version, version.status, version.name) == (1, VersionStatus.DRAFT, "食品经营许可")
    assert not item.is_published
    assert "shipin" in item.search_text


def test_item_create_uses_the_given_level():
    dept = f.make_department(level=4)
    item = services.item_create(department=dept, basic_code="010012300000", item_type="01", name="x", level=3)
    assert item.implementation_code[18] == "3" and item.level == 3


@pytest.mark.parametrize(
    ("basic_code", "item_type", "code"),
    [
        ("01001230000", "01", "invalid_basic_code"),  # 11 digits
        ("0100123000AB", "01", "invalid_basic_code"),
        ("990012300000", "01", "invalid_basic_code"),  # unknown type prefix
        ("070012300000", "01", "basic_code_type_mismatch"),
    ],
)
def test_item_create_rejects_invalid_basic_codes(basic_code, item_type, code):
    dept = f.make_department()
    with pytest.raises(DomainError) as exc:
        services.item_create(department=dept, basic_code=basic_code, item_type=item_type, name="x")
    assert codes_of(exc.value) == [code]
    assert exc.value.errors[0].field == "basic_code"
    assert exc.value.errors[0].message_zh and exc.value.errors[0].message_en
    assert not Item.objects.exists()


def test_item_create_reports_every_problem_at_once():
    dept = f.make_department()
    with pytest.raises(DomainError) as exc:
        services.item_create(department=dept, basic_code="1", item_type="77", name=" ", level=9)
    assert {(e.code, e.field) for e in exc.value.errors} == {
        ("required", "name"),
        ("invalid_item_type", "item_type"),
        ("invalid_basic_code", "basic_code"),
        ("invalid_level", "level"),
    }


def test_item_create_rejects_a_department_with_an_invalid_uscc():
    dept = f.make_department(uscc="113307830000000010")
    with pytest.raises(DomainError) as exc:
        services.item_create(department=dept, basic_code="010012300000", item_type="01", name="x")
    assert codes_of(exc.value) == ["invalid_uscc"]


def test_item_create_rejects_duplicate_codes_with_409_and_saves_nothing():
    dept = f.make_department()
    services.item_create(department=dept, basic_code="010012300000", item_type="01", name="x")
    with pytest.raises(Conflict) as exc:
        services.item_create(department=dept, basic_code="010012300000", item_type="01", name="y")
    assert codes_of(exc.value) == ["duplicate_code"]
    assert exc.value.status_code == 409
    assert Item.objects.count() == 1 and ItemVersion.objects.count() == 1


def test_same_basic_code_in_another_department_is_a_different_item():
    services.item_create(department=f.make_department(), basic_code="010012300000", item_type="01", name="x")
    services.item_create(department=f.make_department(), basic_code="010012300000", item_type="01", name="x")
    assert Item.objects.count() == 2


def test_sub_item_parent_must_be_a_main_item():
    dept = f.make_department()
    main = services.item_create(department=dept, basic_code="010012300000", item_type="01", name="主项")
    sub = services.item_create(
        department=dept, basic_code="010012300100", item_type="01", name="子项", parent=main
    )
    assert sub.is_sub_item
    with pytest.raises(DomainError) as exc:
        services.item_create(
            department=dept, basic_code="010012300200", item_type="01", name="孙", parent=sub
        )
    assert codes_of(exc.value) == ["invalid_parent"]


# --------------------------------------------------------------------------------------- update


def test_update_changes_validated_fields_and_m2m():
    version = f.make_item().versions.get()
    theme = f.make_theme(code="retire")
    ref = f.make_legal_reference()
    services.item_version_update(
        version=version,
        data={
            "name": "企业职工退休",
            "service_objects": ["citizen"],
            "handling_kind": "promised",
            "promised_limit": 5,
            "themes": ["retire"],
            "legal_basis": [ref.pk],
        },
        user=None,
    )
    version.refresh_from_db()
    assert version.name == "企业职工退休" and version.promised_limit == 5
    assert list(version.themes.all()) == [theme]
    assert list(version.legal_basis.all()) == [ref]
    # An unpublished item follows its draft, so admins find it by name.
    assert version.item.name == "企业职工退休"


def test_update_reports_all_bad_fields_and_changes_nothing():
    version = f.make_item(name="原名").versions.get()
    with pytest.raises(DomainError) as exc:
        services.item_version_update(
            version=version,
            data={
                "name": "新名",
                "handling_kind": "sometimes",
                "trips": 7,
                "service_objects": ["alien"],
                "themes": ["nope"],
                "colour": "red",
                "implementing_department": 999999,
            },
            user=None,
        )
    assert {(e.code, e.field) for e in exc.value.errors} == {
        ("invalid_choice", "handling_kind"),
        ("invalid", "trips"),
        ("invalid_choice", "service_objects"),
        ("not_found", "themes"),
        ("unknown_field", "colour"),
        ("not_found", "implementing_department"),
    }
    version.refresh_from_db()
    assert version.name == "原名"


def test_update_replaces_form_fields_and_rejects_unknown_data_elements():
    version = f.make_complete_draft()
    with pytest.raises(DomainError) as exc:
        services.item_version_update(
            version=version,
            data={
                "form_fields": [
                    {"code": "a", "data_element": "person.name"},
                    {"code": "b", "data_element": "no.such"},
                ]
            },
            user=None,
        )
    assert [(e.code, e.field) for e in exc.value.errors] == [
        ("unknown_data_element", "form_fields[1].data_element")
    ]
    assert version.formfields.count() == 4

    services.item_version_update(
        version=version, data={"form_fields": [{"code": "a", "data_element": "person.name"}]}, user=None
    )
    field = version.formfields.get()
    assert (field.code, field.label, field.field_type) == ("a", "姓名", "string")


def test_published_version_cannot_be_updated_by_service_or_model():
    item = f.make_published_item()
    version = item.current_version
    with pytest.raises(Conflict) as exc:
        services.item_version_update(version=version, data={"name": "改名"}, user=None)
    assert codes_of(exc.value) == ["version_not_editable"]
    assert exc.value.status_code == 409

    version.name = "改名"
    with pytest.raises(ImmutableVersionError):
        version.save()
    material = version.materials.first()
    material.name = "改名"
    with pytest.raises(ImmutableVersionError):
        material.save()
    with pytest.raises(ImmutableVersionError):
        material.delete()
    assert ItemVersion.objects.get(pk=version.pk).name != "改名"


# ------------------------------------------------------------------------------ submit and publish


def test_submit_blocks_with_every_lint_error():
    version = f.make_item().versions.get()
    with pytest.raises(DomainError) as exc:
        services.item_version_submit(version=version, user=None)
    fields = {e.field for e in exc.value.errors}
    assert {"service_objects", "handling_forms", "legal_basis", "materials", "process"} <= fields
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT


def test_submit_then_publish_sets_search_fields(fixed_today):
    version = f.make_complete_draft(name="出生医学证明")
    services.item_version_submit(version=version, user=None)
    assert version.status == VersionStatus.REVIEW and version.submitted_at is not None
    services.item_version_publish(version=version, require_review=True)
    item = Item.objects.get(pk=version.item_id)
    assert item.is_published and item.current_version_id == version.pk
    assert item.for_citizen and not item.for_company
    assert item.zero_trip and item.online
    assert item.theme_codes == version.themes.get().code
    assert "chushengyixuezhengming" in item.search_text and "csyxzm" in item.search_text
    version.refresh_from_db()
    assert version.status == VersionStatus.PUBLISHED and version.effective_from == fixed_today


def test_online_and_zero_trip_derive_from_the_guide():
    version = f.make_complete_draft()
    services.item_version_update(
        version=version, data={"handling_forms": ["window"], "online_depth": 2, "trips": 1}, user=None
    )
    item = services.item_version_publish(version=version).item
    item.refresh_from_db()
    assert not item.online and not item.zero_trip


def test_publish_requires_review_when_asked():
    version = f.make_complete_draft()
    with pytest.raises(Conflict) as exc:
        services.item_version_publish(version=version, require_review=True)
    assert codes_of(exc.value) == ["version_not_in_review"]


def test_publish_refuses_a_future_effective_date(fixed_today):
    version = f.make_complete_draft()
    with pytest.raises(DomainError) as exc:
        services.item_version_publish(version=version, effective_from=fixed_today + dt.timedelta(days=1))
    assert codes_of(exc.value) == ["effective_from_in_future"]


def test_publish_runs_the_linter_even_from_draft():
    version = f.make_complete_draft()
    version.acceptance_conditions = "身份证、户口簿等"
    version.save()
    with pytest.raises(DomainError) as exc:
        services.item_version_publish(version=version)
    assert codes_of(exc.value) == ["vague_term"]


def test_publishing_a_new_version_retires_the_previous_one(fixed_today):
    item = f.make_published_item()
    v1 = item.current_version
    v2 = services.item_version_new_draft(item=item, user=None)
    services.item_version_update(version=v2, data={"name": "新名称", "change_note": "改名"}, user=None)
    services.item_version_publish(version=v2)
    v1.refresh_from_db()
    item.refresh_from_db()
    assert v1.status == VersionStatus.RETIRED and v1.effective_to == fixed_today and v1.retired_at
    assert item.current_version_id == v2.pk and item.name == "新名称"
    assert ItemVersion.objects.filter(item=item, status="published").count() == 1


def test_published_version_cannot_be_published_again():
    item = f.make_published_item()
    with pytest.raises(Conflict) as exc:
        services.item_version_publish(version=item.current_version)
    assert codes_of(exc.value) == ["version_not_publishable"]


def test_retire_takes_the_item_out_of_the_catalogue():
    item = f.make_published_item()
    services.item_version_retire(version=item.current_version, user=None)
    item.refresh_from_db()
    assert not item.is_published and item.current_version is None
    assert item.versions.get().status == VersionStatus.RETIRED


def test_only_a_published_version_can_be_retired():
    version = f.make_complete_draft()
    with pytest.raises(Conflict) as exc:
        services.item_version_retire(version=version, user=None)
    assert codes_of(exc.value) == ["version_not_published"]


def test_return_sends_a_review_back_to_draft():
    version = f.make_complete_draft()
    services.item_version_submit(version=version, user=None)
    services.item_version_return(version=version, user=None)
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT
    with pytest.raises(Conflict):
        services.item_version_return(version=version, user=None)


def test_review_version_is_not_editable():
    version = f.make_complete_draft()
    services.item_version_submit(version=version, user=None)
    with pytest.raises(Conflict) as exc:
        services.item_version_update(version=version, data={"name": "x"}, user=None)
    assert codes_of(exc.value) == ["version_not_editable"]


# ------------------------------------------------------------------------------------- new draft


def test_new_draft_deep_copies_every_part():
    item = f.make_published_item()
    v1 = item.current_version
    v2 = services.item_version_new_draft(item=item, user=None)
    assert (v2.version, v2.status, v2.effective_from, v2.published_at) == (2, "draft", None, None)
    for related in (
        "situationquestions",
        "situations",
        "materials",
        "formfields",
        "processsteps",
        "processtransitions",
    ):
        assert getattr(v2, related).count() == getattr(v1, related).count() > 0, related
    assert set(v2.legal_basis.all()) == set(v1.legal_basis.all())
    assert set(v2.themes.all()) == set(v1.themes.all())
    # Links point into the new version, never back at v1's rows.
    for t in ProcessTransition.objects.filter(version=v2):
        assert t.source.version_id == v2.pk and t.target.version_id == v2.pk
    proxy = Material.objects.get(version=v2, code="power_of_attorney")
    assert [s.version_id for s in proxy.situations.all()] == [v2.pk]
    assert proxy.legal_basis.count() == 1
    assert Material.objects.get(version=v2, code="application").data_elements.count() == 2
    # The copy is itself lint-clean and v1 is untouched.
    assert services.lint_version(v2) == []
    assert v1.materials.count() == 3


def test_only_one_open_draft_at_a_time():
    item = f.make_published_item()
    services.item_version_new_draft(item=item, user=None)
    with pytest.raises(Conflict) as exc:
        services.item_version_new_draft(item=item, user=None)
    assert codes_of(exc.value) == ["draft_exists"]
