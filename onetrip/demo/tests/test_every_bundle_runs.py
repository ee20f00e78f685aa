"""Every published demo one-thing, with each 点单 choice that changes its shape, and a sample of single items
of different departments (one of them 即办件), runs the whole journey through the real services: online
application, window acceptance, dispatch, each department's staff approving the tasks in their own inbox,
a result for every item, delivery and the applicant's rating.

统一受理 is checked on the way: the window's acceptance is the departments' acceptance, so no department task
is a window step (综合窗口 role) that only a leader could see, and every task is in the inbox of the staff who
approve it (handlers, leaders only where a step is declared for them)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from onetrip.bundles.models import Bundle
from onetrip.bundles.selectors import published_version
from onetrip.catalog.models import HandlingKind, Item, ServiceObject
from onetrip.core.errors import Conflict
from onetrip.demo.bundles import BUNDLES
from onetrip.demo.loader import DemoSummary
from onetrip.demo.organisations import DISTRICT
from onetrip.demo.people import CITIZEN_ID, COMPANY_USCC
from onetrip.demo.tests.test_demo_case import _value
from onetrip.flow import services as flow
from onetrip.flow.models import CaseResult, DeliveryStatus, TaskKind
from onetrip.flow.selectors import inbox
from onetrip.flow.tests.casebuilders import open_tasks, staff, version
from onetrip.intake.checklist import checklist_for
from onetrip.intake.formspec import form_definition
from onetrip.intake.models import Case, CaseStatus, Channel
from onetrip.intake.services.acceptance import case_accept
from onetrip.intake.services.application import (
    application_material_upload,
    application_save,
    application_start,
    application_submit,
)
from onetrip.intake.tests.factories import PDF_BYTES
from onetrip.orgs.models import Department, Role, RoleAssignment, User
from onetrip.ratings.models import Rating
from onetrip.ratings.services import case_rate
from onetrip.workdays.core import SHANGHAI

pytestmark = pytest.mark.django_db
ACCEPTED = dt.datetime(2026, 3, 2, 9, 30, tzinfo=SHANGHAI)  # a Monday
APPLICANTS = {
    ServiceObject.CITIZEN: "zhangsan",
    ServiceObject.COMPANY: "lvgu",
    ServiceObject.OFFICE: "jiaoyuju",
}
_keys = itertools.count(1)

# Each bundle once with no optional member chosen, and once with all of them where it has any: every
# optional member's branch (and the joins around it) runs at least once. Bundle publishing itself runs
# every combination through the engine (onetrip/bundles/process.py).
JOURNEYS = [
    pytest.param(b.code, choice, id=f"{b.code}-{choice}")
    for b in BUNDLES
    for choice in (("none", "all") if any(m.optional for m in b.members) else ("none",))
]


def _field_value(field: Any, applicant: User) -> Any:
    """A valid value for a field the prefill left empty (test_demo_case's, plus codes of the demo city)."""
    if field.field_type == "region":
        return DISTRICT
    if field.field_type == "id_number":  # a company's or an office's staff member: the demo citizen
        return applicant.id_number or CITIZEN_ID
    if field.field_type == "uscc":
        return applicant.organisation_code or COMPANY_USCC
    return _value(field, applicant)


def _applicant(objects: list[str]) -> User:
    return User.objects.get(
        username=next(APPLICANTS[o] for o in (*objects, ServiceObject.CITIZEN) if o in APPLICANTS)
    )


def _staff(department: Department, role: str, cache: dict[tuple[int, str], User]) -> User:
    """The department's demo staff in that role where there is one (区市场监管局, 区人力社保局), else a new one."""
    key = (department.pk, role)
    if key not in cache:
        found = (
            RoleAssignment.objects.filter(department=department, role=role, user__is_active=True)
            .select_related("user")
            .order_by("id")
            .first()
        )
        cache[key] = found.user if found else staff(department, role)
    return cache[key]


def _apply(target: Bundle | Item, applicant: User, chosen: list[str] | None) -> Case:
    bundle = target if isinstance(target, Bundle) else None
    item = target if isinstance(target, Item) else None
    application = application_start(applicant=applicant, bundle=bundle, item=item, channel=Channel.ONLINE)
    if chosen is not None:
        application = application_save(
            application=application, revision=application.revision, chosen_members=chosen
        ).application
    spec = form_definition(application=application)
    form = {
        f.key: _field_value(f, applicant)
        for f in spec.fields
        if f.required and not application.form_data.get(f.key)
    }
    answers = {
        q.key: (q.options[0].get("value") if isinstance(q.options[0], dict) else q.options[0])
        for q in spec.questions
        if q.options
    }
    saved = application_save(
        application=application, revision=application.revision, form_data=form, answers=answers
    )
    for n, entry in enumerate(e for e in checklist_for(application=saved.application) if e.asked):
        application_material_upload(
            application=saved.application,
            key=entry.key,
            data=PDF_BYTES + str(n).encode(),
            declared_name=f"{entry.name}.pdf",
            actor=applicant,
        )
    return application_submit(
        application=saved.application, idempotency_key=f"every-journey-{next(_keys):04d}", actor=applicant
    )


def _issue_results(case: Case, done: set[int], cache: dict[tuple[int, str], User], now: dt.datetime) -> None:
    """Each item's department issues its result as soon as the item reaches its final step."""
    for item in flow.case_items(case):
        if item.pk in done:
            continue
        department = item.current_version.implementing_department
        try:
            flow.result_issue(
                case=case,
                item=item,
                kind="approval",
                document_number=f"丽莲〔2026〕{len(done) + 1}号",
                actor=_staff(department, Role.HANDLER, cache),
                now=now,
            )
        except Conflict as exc:
            assert exc.errors[0].code == "not_decided", exc
            continue
        done.add(item.pk)


def _journey(target: Bundle | Item, objects: list[str], chosen: list[str] | None = None) -> Case:
    applicant = _applicant(objects)
    clerk = User.objects.get(username="chuangkou")
    window = RoleAssignment.objects.get(user=clerk, role=Role.CLERK).window
    case = _apply(target, applicant, chosen)
    case_accept(case=case, clerk=clerk, window=window, now=ACCEPTED)
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and case.promised_due_at

    cache: dict[tuple[int, str], User] = {}
    results: set[int] = set()
    now = ACCEPTED
    for _ in range(200):
        now += dt.timedelta(minutes=20)
        _issue_results(case, results, cache, now)
        tasks = [t for t in open_tasks(case) if t.kind == TaskKind.FLOW]
        if not tasks:
            break
        task = tasks[0]
        # 统一受理: no department waits for a window step after the window has accepted.
        assert all(t.candidate_role != Role.CLERK for t in tasks), [
            (t.step_name, t.department) for t in tasks
        ]
        if task.assignee_id is not None:
            actor = task.assignee
        else:
            role = Role.LEADER if task.candidate_role == Role.LEADER else Role.HANDLER
            actor = _staff(task.department, role, cache)
        mine = [t for t in inbox(user=actor, limit=200) if t.case_id == case.pk]
        assert task.pk in {t.pk for t in mine}, f"{task.step_name} is not in its staff's inbox"
        flow.task_approve(
            task=mine[0], actor=actor, now=now, expected_version=version(case), opinion="审核通过"
        )
    else:
        raise AssertionError("the case never finished")
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED, case.status
    items = {i.pk for i in flow.case_items(case)}
    assert set(CaseResult.objects.filter(case=case).values_list("item_id", flat=True)) == items

    delivery = flow.delivery_create(
        case=case, method="pickup", actor=clerk, now=now + dt.timedelta(hours=1), window=window
    )
    flow.delivery_confirm(delivery=delivery, actor=applicant, now=now + dt.timedelta(days=1))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.RECEIVED
    case.refresh_from_db()
    case_rate(
        case=case, rater=applicant, level=5, comment="一次办好", now=now + dt.timedelta(days=1, hours=1)
    )
    assert Rating.objects.filter(case=case, rater=applicant).exists()
    return case


@pytest.mark.parametrize(("code", "choice"), JOURNEYS)
def test_every_published_demo_bundle_runs_from_application_to_rating(
    demo: DemoSummary, code: str, choice: str
) -> None:
    bundle = published_version(code)
    members = [m for m in bundle.bundlemembers.all() if m.optional]
    chosen = [m.code for m in members] if choice == "all" else []
    case = _journey(bundle.bundle, list(bundle.service_objects or []), chosen if members else None)
    ran = {e.data.get("step") for e in case.flow_events.filter(kind="step_skipped")}
    assert ran.isdisjoint(chosen), "a chosen member was passed over"
    assert {m.code for m in members} - set(chosen) <= ran, "a member left out still ran"


def _sample_items() -> list[Item]:
    """Published items of five departments with their own processes, one of them an immediate item."""
    published = list(
        Item.objects.filter(current_version__isnull=False)
        .select_related("current_version", "current_version__implementing_department")
        .order_by("implementation_code")
    )
    immediate = next(i for i in published if i.current_version.handling_kind == HandlingKind.IMMEDIATE)
    picked, departments = [immediate], {immediate.current_version.implementing_department_id}
    for item in published:
        dept = item.current_version.implementing_department_id
        if dept not in departments and item.current_version.processsteps.exists():
            picked.append(item)
            departments.add(dept)
        if len(picked) == 6:
            break
    return picked


def test_a_sample_of_single_demo_items_runs_from_application_to_rating(demo: DemoSummary) -> None:
    items = _sample_items()
    assert len({i.current_version.implementing_department_id for i in items}) >= 5
    for item in items:
        objects: list[Any] = list(item.current_version.service_objects or [])
        _journey(item, objects)
