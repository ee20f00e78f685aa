"""End to end: the demo bundle 不动产交易登记“一件事” (same shape as onetrip/demo/bundles.py PROPERTY, built with
factories so the test stays fast): applied online, accepted at the window with one 容缺 material under a
commitment, dispatched, 交易备案 ∥ 税款征缴 by their own departments, the join, 登记, results (one a
certificate with its number), pickup with a notice, and the applicant's receipt. The result stays held
until the committed material is supplied; every step is in the FlowEvent history with who, when and why."""

from __future__ import annotations

import datetime as dt

import pytest

from onetrip.bundles.tests import factories as bf
from onetrip.catalog.tests import factories as f
from onetrip.core.errors import Conflict
from onetrip.flow import services as s
from onetrip.flow.models import (
    CaseResult,
    DeliveryStatus,
    FlowEvent,
    ProcessInstanceRecord,
    TaskRecord,
    TaskStatus,
)
from onetrip.flow.tests.casebuilders import open_tasks, staff, version
from onetrip.intake.models import CaseStatus, Deficiency, DeficiencyStatus
from onetrip.intake.services.acceptance import case_accept_with_deficiency, missing_materials
from onetrip.intake.services.deficiency import deficiency_check, deficiency_supply
from onetrip.intake.services.files import file_store
from onetrip.intake.tests import factories as itf
from onetrip.orgs.models import Role, RoleAssignment, ServiceHall, Window, WindowCategory
from onetrip.sharing.models import Licence, LicenceType
from onetrip.workdays.core import SHANGHAI

pytestmark = pytest.mark.django_db
ACCEPTED = dt.datetime(2026, 3, 2, 9, 30, tzinfo=SHANGHAI)  # a Monday


def at(hours: float) -> dt.datetime:
    return ACCEPTED + dt.timedelta(hours=hours)


def property_bundle():
    region = f.make_region()
    housing = f.make_department(name="区住建局", region=region)
    tax = f.make_department(name="莲都区税务局", region=region)
    registry = f.make_department(name="区不动产登记中心", region=region)
    filing_item = itf.make_intake_item(department=housing, name="房屋交易合同网签备案")
    tax_item = itf.make_intake_item(department=tax, name="不动产交易税款征缴")
    register_item = itf.make_intake_item(department=registry, name="不动产登记（存量房买卖转移登记）")
    bundle = bf.make_published_bundle(
        items=[filing_item, tax_item, register_item],
        name="不动产交易登记“一件事”",
        lead_department=registry,
        edges=[("m1", "m3"), ("m2", "m3")],  # 备案 ∥ 缴税, then 登记
    )
    return bundle, (housing, tax, registry), (filing_item, tax_item, register_item)


def work_department(case, department, handler, *, hours: float) -> list[TaskRecord]:
    """Approve, one at a time, every open task of `department` until it has none left."""
    done = []
    for _ in range(10):
        mine = [t for t in open_tasks(case) if t.department_id == department.pk and t.step_code != "issue"]
        if not mine:
            return done
        s.task_approve(
            task=mine[0], actor=handler, now=at(hours), expected_version=version(case), opinion="审核通过"
        )
        done.append(mine[0])
    raise AssertionError("the department's work did not finish")


def test_property_transaction_from_online_application_to_receipt():
    bundle, (housing, tax, registry), (filing_item, tax_item, register_item) = property_bundle()
    hall = ServiceHall.objects.create(name="莲都区行政服务中心", region=registry.region)
    itf.station_departments(hall)  # 进驻: the hall's comprehensive window accepts for them
    window = Window.objects.create(hall=hall, number="B01", name="综合受理", category=WindowCategory.GENERAL)
    clerk = f.make_user(display_name="窗口人员甲")
    RoleAssignment.objects.create(user=clerk, role=Role.CLERK, region=registry.region, window=window)

    # A citizen applies online; the 容缺-able 户口簿 is not uploaded.
    case = itf.make_submitted_case(bundle=bundle)
    assert case.status == CaseStatus.SUBMITTED and case.trips == 0
    [missing] = [m for m in missing_materials(case) if m.deficiency_allowed]

    # The clerk accepts with the deficiency under a signed commitment; the case is dispatched at once.
    due = (ACCEPTED + dt.timedelta(days=10)).date()
    case = case_accept_with_deficiency(
        case=case,
        clerk=clerk,
        window=window,
        commitments=[{"material_key": missing.key, "due_date": due.isoformat()}],
        now=ACCEPTED,
    )
    case.refresh_from_db()
    assert case.number and case.status == CaseStatus.IN_PROGRESS
    assert case.result_held, "a 容缺 case's result is held from acceptance on"
    record = ProcessInstanceRecord.objects.get(case=case)
    assert record.definition.key == f"bundle:{bundle.bundle.code}"

    # 交易备案 ∥ 税款征缴: both departments have work at once; 登记 has none yet.
    first = {t.department_id for t in open_tasks(case)}
    assert first == {housing.pk, tax.pk}
    housing_handler, tax_handler = staff(housing), staff(tax)
    registry_handler, registry_leader = staff(registry), staff(registry, Role.LEADER)
    work_department(case, housing, housing_handler, hours=1)
    assert {t.department_id for t in open_tasks(case)} == {tax.pk}, "登记 waits for 税款征缴"
    work_department(case, tax, tax_handler, hours=2)
    assert FlowEvent.objects.filter(case=case, kind="joined").exists()
    assert {t.department_id for t in open_tasks(case)} == {registry.pk}

    # 登记, then the lead department's 统一出件 step.
    work_department(case, registry, registry_handler, hours=3)
    [issue] = open_tasks(case)
    assert issue.step_code == "issue" and issue.department_id == registry.pk

    # Results: approvals for the filing and the tax, the certificate with its number for the registration.
    s.result_issue(
        case=case,
        item=filing_item,
        kind="approval",
        document_number="丽莲住建备〔2026〕18号",
        title="商品房买卖合同备案证明",
        actor=housing_handler,
        now=at(4),
    )
    s.result_issue(
        case=case,
        item=tax_item,
        kind="approval",
        document_number="丽莲税完〔2026〕233号",
        title="契税完税证明",
        actor=tax_handler,
        now=at(4),
    )
    LicenceType.objects.create(
        code="property-certificate",
        name="不动产权证书",
        issuer=registry,
        satisfies="不动产权证书",
        holder_kind="person",
    )
    certificate = s.result_issue(
        case=case,
        item=register_item,
        kind="licence",
        document_number="浙（2026）丽水市不动产权第0012345号",
        title="不动产权证书",
        licence_type="property-certificate",
        actor=registry_handler,
        now=at(4),
    )
    assert certificate.licence_type == "不动产权证书" and certificate.department == registry
    assert Licence.objects.filter(number="浙（2026）丽水市不动产权第0012345号", status="valid").exists()
    s.task_approve(
        task=issue, actor=registry_leader, now=at(5), expected_version=version(case), opinion="出件"
    )
    case.refresh_from_db()
    assert ProcessInstanceRecord.objects.get(case=case).status == "held"
    assert case.result_held and case.status == CaseStatus.IN_PROGRESS

    # Held: nothing is delivered before the committed material arrives.
    with pytest.raises(Conflict) as err:
        s.delivery_create(case=case, method="pickup", actor=clerk, now=at(5), window=window)
    assert err.value.errors[0].code == "result_held"

    deficiency = Deficiency.objects.get(case=case)
    stored = file_store(data=itf.PDF_BYTES + b"household", declared_name="户口簿.pdf")
    deficiency_supply(deficiency=deficiency, file=stored, actor=case.applicant, now=at(26))
    deficiency_check(deficiency=deficiency, actor=clerk, accepted=True, now=at(26))
    deficiency.refresh_from_db()
    case.refresh_from_db()
    assert deficiency.status == DeficiencyStatus.SUPPLIED
    assert not case.result_held and case.status == CaseStatus.COMPLETED
    assert ProcessInstanceRecord.objects.get(case=case).status == "completed"

    # 统一出件 at the window, with a pickup notice; the applicant signs for it there.
    delivery = s.delivery_create(case=case, method="pickup", actor=clerk, now=at(27), window=window)
    assert delivery.status == DeliveryStatus.READY
    assert case.number in delivery.notice and "B01号窗口" in delivery.notice
    trips = case.trips
    s.delivery_confirm(delivery=delivery, actor=case.applicant, now=at(28))
    delivery.refresh_from_db()
    case.refresh_from_db()
    assert delivery.status == DeliveryStatus.RECEIVED and delivery.confirmed_by == case.applicant
    assert case.status == CaseStatus.COMPLETED and case.trips == trips + 1
    assert CaseResult.objects.filter(case=case).count() == 3

    # Every department task was closed by its own handler, with the opinion.
    closed = TaskRecord.objects.filter(case=case, status=TaskStatus.APPROVED).exclude(step_code="accept")
    by_dept = {(t.department_id, t.closed_by_id) for t in closed if not t.step_code.endswith("issue")}
    assert {(housing.pk, housing_handler.pk), (tax.pk, tax_handler.pk)} <= by_dept
    assert (registry.pk, registry_handler.pk) in by_dept

    # The history: who (a user, or 系统), when, and why for each step, in order.
    history = list(FlowEvent.objects.filter(case=case).order_by("id"))
    kinds = [e.kind for e in history]
    for kind in ("started", "joined", "held", "deficiency_satisfied", "completed"):
        assert kind in kinds, kind
    order = [
        kinds.index("started"),
        kinds.index("joined"),
        kinds.index("held"),
        kinds.index("deficiency_satisfied"),
        kinds.index("result_issued"),
        kinds.index("delivery_created"),
        kinds.index("delivery_received"),
    ]
    assert order[:4] == sorted(order[:4]) and order[5] < order[6]
    assert all(e.at is not None and (e.actor_id or e.actor_label == "系统") for e in history)
    approvals = [e for e in history if e.kind == "task_approved"]
    assert {e.actor_id for e in approvals} >= {housing_handler.pk, tax_handler.pk, registry_handler.pk}
    assert all(e.data.get("opinion") for e in approvals)
    assert [e.at for e in history] == sorted(e.at for e in history)


def test_the_result_stays_held_through_dispatch_until_the_deficiency_is_supplied():
    """The bug this guards: dispatch used to reset `result_held` of a 容缺 case to False."""
    case = itf.make_submitted_case()
    clerk = itf.make_clerk(region=case.region)
    case = case_accept_with_deficiency(
        case=case,
        clerk=clerk,
        commitments=[
            {"material_key": "household_register", "due_date": (ACCEPTED + dt.timedelta(days=5)).date()}
        ],
        now=ACCEPTED,
    )
    case.refresh_from_db()
    assert ProcessInstanceRecord.objects.filter(case=case).exists()
    assert case.result_held and case.status == CaseStatus.IN_PROGRESS
    # Approving a step keeps it held too (every operation re-syncs the case).
    [task] = open_tasks(case)
    s.task_approve(task=task, actor=staff(task.department), now=at(1), expected_version=version(case))
    case.refresh_from_db()
    assert case.result_held
    stored = file_store(data=itf.PDF_BYTES + b"supplied", declared_name="户口簿.pdf")
    deficiency = Deficiency.objects.get(case=case)
    deficiency_supply(deficiency=deficiency, file=stored, actor=case.applicant, now=at(2))
    case.refresh_from_db()
    assert case.result_held  # not before a clerk has checked it
    deficiency_check(deficiency=deficiency, actor=clerk, accepted=True, now=at(2))
    case.refresh_from_db()
    assert not case.result_held and case.status == CaseStatus.IN_PROGRESS
