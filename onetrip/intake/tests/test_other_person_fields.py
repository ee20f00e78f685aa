"""Fields about another person (issue 13, point 9): a child's, the deceased's, a spouse's field is never
prefilled from the applicant's own record; it can be prefilled from the household register (户籍).

On the demo city: 张三 applies for 义务教育入学报名 for his daughter. The demo is loaded once per module inside a
transaction rolled back at the end; each test runs in a savepoint within it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction
from django.urls import reverse

from onetrip.catalog.lint import FormFieldData as LintField
from onetrip.catalog.lint import GuideData, lint_version_warnings, lint_warnings
from onetrip.catalog.models import FieldSubject, FormField, Item
from onetrip.core.errors import DomainError
from onetrip.demo.loader import load_demo
from onetrip.demo.people import CITIZEN_ID
from onetrip.intake.formspec import field_errors, form_definition
from onetrip.intake.models import Application, Channel
from onetrip.intake.services.application import application_save, application_start
from onetrip.intake.services.relatives import application_relative_fill, relative_choices
from onetrip.intake.tests import factories as itf
from onetrip.orgs.models import User
from onetrip.sharing.demo import CHILD_ID, YOUNGER_CHILD_ID
from onetrip.sharing.models import AccessLogEntry, AccessOutcome
from onetrip.sharing.services import subject_hash

SCHOOL = "义务教育入学报名（小学一年级）"
CHILD_NAME, CHILD_ID_KEY = "child:person.name", "child:person.id_number"
HOUSEHOLD = "户籍家庭成员库（丽水市公安局莲都区分局）"


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    with django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
        load_demo()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def citizen(demo: None, db: None) -> User:
    return User.objects.get(username="zhangsan")


def enrol(applicant: User) -> Application:
    item = Item.objects.get(name=SCHOOL, is_published=True)
    return application_start(applicant=applicant, item=item, channel=Channel.ONLINE)


def test_the_childs_fields_are_not_prefilled_with_the_parents(citizen):
    app = enrol(citizen)
    definition = form_definition(application=app)
    child = {f.key: f for f in definition.fields if f.subject == FieldSubject.CHILD}
    assert set(child) == {CHILD_NAME, CHILD_ID_KEY, "child:person.gender", "child:person.birth_date"}
    assert {f.section for f in child.values()} == {"子女信息"}
    assert not set(child) & set(app.form_data)  # nothing of the parent's lands in the child's fields
    assert not set(child) & set(app.prefilled)
    assert CITIZEN_ID not in app.form_data.values()  # the form has no field for the parent's own ID number
    assert app.form_data["person.phone"]  # the applicant's own fields are still prefilled


def test_the_childs_own_id_number_is_accepted(citizen):
    app = enrol(citizen)
    result = application_save(
        application=app,
        revision=app.revision,
        form_data={CHILD_NAME: "张子涵", CHILD_ID_KEY: CHILD_ID},
        actor=citizen,
    )
    assert [e for e in result.field_errors if e.field and e.field.startswith("form.child:")] == []
    app = result.application
    assert app.form_data[CHILD_ID_KEY] == CHILD_ID
    # Another child's number is just as acceptable: nothing ties a child's field to the applicant.
    result = application_save(
        application=app, revision=app.revision, form_data={CHILD_ID_KEY: YOUNGER_CHILD_ID}, actor=citizen
    )
    assert result.application.form_data[CHILD_ID_KEY] == YOUNGER_CHILD_ID
    assert not [e for e in result.field_errors if e.code == "authoritative_field"]
    # …while a wrong number is still a wrong number.
    result = application_save(
        application=result.application,
        revision=result.application.revision,
        form_data={CHILD_ID_KEY: "331102202003150621"},
        actor=citizen,
    )
    definition = form_definition(application=result.application)
    assert [e.code for e in field_errors(definition, result.application.form_data, required=False)] == [
        "invalid_id_number"
    ]


def test_the_household_register_offers_the_applicants_children_and_logs_the_read(citizen):
    app = enrol(citizen)
    before = AccessLogEntry.objects.count()
    choices = relative_choices(application=app, subject=FieldSubject.CHILD, actor=citizen)
    assert [c.label.split("（")[0] for c in choices] == ["张子涵", "张子轩"]  # eldest first
    assert CHILD_ID not in choices[0].label  # masked on the page
    assert choices[0].values == {
        CHILD_NAME: "张子涵",
        CHILD_ID_KEY: CHILD_ID,
        "child:person.gender": "2",
        "child:person.birth_date": "2020-03-15",
    }
    logged = list(AccessLogEntry.objects.order_by("id")[before:])
    assert {e.subject_hash for e in logged} == {
        subject_hash(CITIZEN_ID),
        subject_hash(CHILD_ID),
        subject_hash(YOUNGER_CHILD_ID),
    }
    assert {e.application_id for e in logged} == {app.pk}
    assert {e.outcome for e in logged} == {AccessOutcome.OK}
    assert {e.source.name for e in logged} == {"户籍家庭成员库"}


def test_choosing_a_household_member_fills_the_childs_fields_with_the_source(citizen):
    app = enrol(citizen)
    result = application_relative_fill(
        application=app, subject=FieldSubject.CHILD, number=1, revision=app.revision, actor=citizen
    )
    app = Application.objects.get(pk=app.pk)
    assert app.form_data[CHILD_NAME] == "张子涵" and app.form_data[CHILD_ID_KEY] == CHILD_ID
    assert app.prefilled[CHILD_ID_KEY] == HOUSEHOLD
    assert not [e for e in result.field_errors if e.field and e.field.startswith("form.child:")]
    # Not authoritative: the parent may still correct it.
    result = application_save(
        application=app, revision=app.revision, form_data={CHILD_NAME: "张子涵涵"}, actor=citizen
    )
    assert result.application.form_data[CHILD_NAME] == "张子涵涵"
    with pytest.raises(DomainError) as exc:
        application_relative_fill(
            application=result.application,
            subject=FieldSubject.CHILD,
            number=3,
            revision=result.application.revision,
            actor=citizen,
        )
    assert [e.code for e in exc.value.errors] == ["unknown_relative"]


def test_someone_without_a_household_entry_is_offered_nobody(demo, db):
    stranger = itf.make_applicant()
    app = enrol(stranger)
    before = AccessLogEntry.objects.count()
    assert relative_choices(application=app, subject=FieldSubject.CHILD, actor=stranger) == []
    (entry,) = AccessLogEntry.objects.order_by("id")[before:]
    assert entry.outcome == AccessOutcome.NO_RECORD  # the read is logged even when nobody is found


def test_a_catalogue_form_cannot_hold_one_persons_element_twice(demo, db):
    from onetrip.catalog.services import item_version_update
    from onetrip.catalog.tests import factories as cf

    version = cf.make_complete_draft()
    admin = User.objects.get(username="admin")
    with pytest.raises(DomainError) as exc:
        item_version_update(
            version=version,
            data={
                "form_fields": [
                    {"code": "mother_name", "label": "母亲姓名", "data_element": "person.name"},
                    {"code": "father_name", "label": "父亲姓名", "data_element": "person.name"},
                    {"code": "x", "label": "某人", "data_element": "person.name", "subject": "cousin"},
                ]
            },
            user=admin,
        )
    assert [(e.code, e.field) for e in exc.value.errors] == [
        ("duplicate_subject_element", "form_fields[1].subject"),
        ("invalid_subject", "form_fields[2].subject"),
    ]
    item_version_update(
        version=version,
        data={
            "form_fields": [
                {
                    "code": "mother_name",
                    "label": "母亲姓名",
                    "data_element": "person.name",
                    "subject": "mother",
                },
                {
                    "code": "father_name",
                    "label": "父亲姓名",
                    "data_element": "person.name",
                    "subject": "father",
                },
            ]
        },
        user=admin,
    )
    assert [f.key for f in FormField.objects.filter(version=version).order_by("order")] == [
        "mother:person.name",
        "father:person.name",
    ]


def test_the_household_page_lists_the_children_for_the_applicant_only(citizen, client):
    app = enrol(citizen)
    client.force_login(citizen)
    page = client.get(reverse("intake:application", args=[app.pk]))
    assert "子女信息" in page.content.decode()
    assert "从户籍信息中选择" in page.content.decode()
    response = client.post(reverse("intake:application_relatives", args=[app.pk, "child"]))
    body = response.content.decode()
    assert response.status_code == 200 and "张子涵" in body and CHILD_ID not in body
    response = client.post(
        reverse("intake:application_relative_fill", args=[app.pk, "child"]),
        {"number": "1", "revision": str(Application.objects.get(pk=app.pk).revision)},
    )
    assert response.status_code == 303
    assert Application.objects.get(pk=app.pk).form_data[CHILD_ID_KEY] == CHILD_ID
    other = User.objects.create_user(username="someone-else", password=None)
    client.force_login(other)
    assert client.post(reverse("intake:application_relatives", args=[app.pk, "child"])).status_code == 404


def test_every_demo_form_declares_whose_data_its_fields_hold(demo, db):
    from onetrip.catalog.models import ItemVersion, VersionStatus

    warned = {
        (v.item.name, w.field)
        for v in ItemVersion.objects.filter(status=VersionStatus.PUBLISHED).select_related("item")
        for w in lint_version_warnings(v)
    }
    assert warned == set()
    # The demo's other-person fields: the deceased, a newborn, a couple, parents, property parties.
    subjects = set(
        FormField.objects.exclude(subject=FieldSubject.APPLICANT).values_list("subject", flat=True)
    )
    assert {"child", "deceased", "mother", "father", "groom", "bride", "seller", "buyer"} <= subjects


def test_the_linter_warns_of_a_childs_field_bound_to_the_applicant():
    guide = GuideData(
        form_fields=[
            LintField("child_name", "儿童姓名", "person.name"),
            LintField("baby", "宝宝", "newborn.name"),
            LintField("child_id", "儿童身份证号", "person.id_number", subject="child"),
            LintField("phone", "联系电话", "person.phone"),
        ]
    )
    warnings = lint_warnings(guide)
    assert [(w.code, w.field) for w in warnings] == [
        ("other_person_bound_to_applicant", "form_fields[0].subject"),
        ("other_person_bound_to_applicant", "form_fields[1].subject"),
    ]
    assert "信息主体" in warnings[0].message_zh
