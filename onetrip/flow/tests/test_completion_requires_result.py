"""No completion without a result: the approval that would end a case (an item's last step, a bundle's 统一出件)
is refused while an item that produces a result has none, and changes nothing; an item whose catalogue result
type is 无 is exempt; a refusal completes with its decision (reasons, legal basis). An e-licence takes its
type from the register and what the case knows. The applicant sees and downloads the results, with the
delivery method and the tracking number; nobody else does."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from onetrip.catalog.models import ItemVersion, ProcessStep, ResultType
from onetrip.catalog.services import item_version_publish
from onetrip.core.errors import Conflict, DomainError
from onetrip.flow import services as s
from onetrip.flow.models import CaseResult, ProcessInstanceRecord, TaskStatus
from onetrip.flow.tests.casebuilders import (
    NOW,
    approve,
    bundle_case,
    issue_results,
    item_case,
    open_tasks,
    staff,
    version,
)
from onetrip.intake.models import CaseEvent, CaseStatus
from onetrip.intake.tests import factories as itf
from onetrip.orgs.models import Role
from onetrip.sharing.models import Licence, LicenceType

pytestmark = pytest.mark.django_db
LATER = NOW + dt.timedelta(hours=1)


def at_final_step(case):
    """Approve the item's steps up to its last one (审批 `decide`), which is left open."""
    while (task := open_tasks(case)[0]).step_code != "decide":
        approve(task, actor=staff(task.department), now=LATER)
    return task


def test_approving_the_last_step_without_a_result_is_refused_and_changes_nothing():
    case = item_case()
    final = at_final_step(case)
    leader = staff(final.department, Role.LEADER)
    v, events = version(case), CaseEvent.objects.filter(case=case).count()
    with pytest.raises(Conflict) as err:
        s.task_approve(task=final, actor=leader, now=LATER, expected_version=v, opinion="办结出件")
    error = err.value.errors[0]
    assert err.value.status_code == 409 and error.code == "results_missing" and error.field == "result"
    assert f"“{case.item_version.item.name}”" in error.message_zh
    final.refresh_from_db()
    case.refresh_from_db()
    assert final.status == TaskStatus.OPEN and version(case) == v
    assert case.status == CaseStatus.IN_PROGRESS and case.completed_at is None
    assert CaseEvent.objects.filter(case=case).count() == events

    issue_results(case, now=LATER)  # at the final step, before its approval
    s.task_approve(task=final, actor=leader, now=LATER, expected_version=version(case))
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED and case.completed_at == LATER
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds.count("case_completed") == 1 and kinds.count("result_ready") == 1


def test_a_result_cannot_be_issued_before_the_last_step():
    case = item_case()
    [first] = open_tasks(case)
    with pytest.raises(Conflict) as err:
        issue_results(case, now=LATER)
    assert err.value.errors[0].code == "not_decided"
    assert first.step_code == "accept" and not CaseResult.objects.filter(case=case).exists()


def test_an_item_without_a_result_type_completes_without_one():
    item = itf.make_intake_item()
    ItemVersion.objects.filter(item=item).update(result_type=ResultType.NONE)
    case = item_case(item=item)
    final = at_final_step(case)
    s.task_approve(task=final, actor=staff(final.department), now=LATER, expected_version=version(case))
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED and not CaseResult.objects.filter(case=case).exists()


def test_a_bundle_issues_only_when_every_member_has_its_result():
    case = bundle_case(members=2)
    for _ in range(20):
        work = [t for t in open_tasks(case) if t.step_code != "issue"]
        if not work:
            break
        approve(work[0], actor=staff(work[0].department), now=LATER)
    [issue] = open_tasks(case)
    lead = staff(case.lead_department)
    first, second = s.case_items(case)
    versions = s._case_items(case)
    s.result_issue(
        case=case,
        item=first,
        kind="approval",
        document_number="丽莲〔2026〕1号",
        actor=staff(versions[first.pk].implementing_department),
        now=LATER,
    )
    with pytest.raises(Conflict) as err:
        s.task_approve(task=issue, actor=lead, now=LATER, expected_version=version(case))
    message = err.value.errors[0].message_zh
    assert f"“{second.name}”" in message and f"“{first.name}”" not in message
    issue_results(case, now=LATER)
    s.task_approve(task=issue, actor=lead, now=LATER, expected_version=version(case))
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED


def test_a_refusal_completes_with_its_decision_and_legal_basis():
    case = item_case()
    [task] = open_tasks(case)
    handler = staff(task.department)
    s.task_reject(task=task, actor=handler, now=LATER, expected_version=version(case), reason="不符合条件")
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and case.completed_at is None
    with pytest.raises(DomainError) as err:
        s.result_issue(
            case=case,
            item=case.item_version.item,
            kind="denial",
            document_number="丽莲不许〔2026〕3号",
            reasons="申请人不具备法定条件",
            actor=handler,
            now=LATER,
        )
    assert [(e.code, e.field) for e in err.value.errors] == [("legal_basis_required", "legal_basis")]
    result = s.result_issue(
        case=case,
        item=case.item_version.item,
        kind="denial",
        document_number="丽莲不许〔2026〕3号",
        reasons="申请人不具备法定条件",
        legal_basis="《中华人民共和国行政许可法》第三十八条第二款",
        actor=handler,
        now=LATER,
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED and result.title == "不予许可决定书"
    assert CaseEvent.objects.get(case=case, kind="case_completed").title == "办件已办结：不予许可"


def test_an_e_licence_takes_its_type_from_the_register_and_what_the_case_knows():
    case = item_case()
    at_final_step(case)
    department = case.item_version.implementing_department
    handler = staff(department)
    LicenceType.objects.create(
        code="water-permit",
        name="取水许可证",
        issuer=department,
        satisfies="取水许可证",
        holder_kind="person",
    )
    with pytest.raises(DomainError) as err:  # a free-text type is not a register type
        s.result_issue(
            case=case,
            item=case.item_version.item,
            kind="licence",
            licence_type="取水许可证",
            actor=handler,
            now=LATER,
        )
    assert err.value.errors[0].code == "unknown_licence_type" and err.value.errors[0].field == "licence_type"
    result = s.result_issue(
        case=case,
        item=case.item_version.item,
        kind="licence",
        licence_type="water-permit",
        valid_to=dt.date(2031, 3, 1),
        actor=handler,
        now=LATER,
    )
    licence = Licence.objects.get(pk=result.licence_id)
    assert result.title == "取水许可证" and result.document_number == licence.number != ""
    assert licence.holder == case.applicant.id_number.upper() and licence.holder_name == case.applicant_name
    assert licence.valid_from == LATER.date() and licence.valid_to == dt.date(2031, 3, 1)
    assert licence.case_id == case.pk and licence.issuer_id == department.pk


def _completed_with_post(case):
    final = at_final_step(case)
    issue_results(case, now=LATER)
    approve(final, actor=staff(final.department), now=LATER)
    clerk = itf.make_clerk(region=case.region)
    return s.delivery_create(
        case=case,
        method="post",
        carrier="中国邮政EMS",
        tracking_number="EM123456789CN",
        actor=clerk,
        now=LATER,
    )


def test_the_applicant_sees_and_downloads_the_result_with_the_tracking_number(client):
    case = item_case()
    final = at_final_step(case)
    issue_results(case, now=LATER)
    [result] = CaseResult.objects.filter(case=case)
    client.force_login(case.applicant)
    # Not before the case is 办结: the leader may still decide otherwise.
    assert client.get(reverse("flow:result_pdf", args=[result.pk])).status_code == 404
    page = client.get(reverse("intake:case", args=[case.pk])).content.decode()
    assert "下载准予许可决定书" not in page
    approve(final, actor=staff(final.department), now=LATER)
    s.delivery_create(
        case=case,
        method="post",
        carrier="中国邮政EMS",
        tracking_number="EM123456789CN",
        actor=itf.make_clerk(region=case.region),
        now=LATER,
    )
    page = client.get(reverse("intake:case", args=[case.pk])).content.decode()
    assert result.title in page and result.document_number in page
    assert "邮寄送达" in page and "EM123456789CN" in page
    assert reverse("flow:result_pdf", args=[result.pk]) in page
    pdf = client.get(reverse("flow:result_pdf", args=[result.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_result_downloads_are_for_the_applicant_and_the_staff_handling_the_case(client):
    case = item_case()
    _completed_with_post(case)
    [result] = CaseResult.objects.filter(case=case)
    url = reverse("flow:result_pdf", args=[result.pk])
    for outsider in (
        itf.f.make_user(),
        staff(itf.f.make_department()),
        staff(itf.f.make_department(), Role.LEADER),
    ):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
    for insider in (staff(case.item_version.implementing_department), case.applicant):
        client.force_login(insider)
        assert client.get(url).status_code == 200


def test_the_task_page_offers_the_register_types_and_the_refusal_decision(client):
    case = item_case()
    final = at_final_step(case)
    LicenceType.objects.create(
        code="water-permit",
        name="取水许可证",
        issuer=case.item_version.implementing_department,
        satisfies="取水许可证",
        holder_kind="person",
    )
    client.force_login(staff(final.department))
    page = client.get(reverse("flow:task", args=[final.pk])).content.decode()
    assert '<option value="water-permit"' in page and "取水许可证" in page
    assert 'name="legal_basis"' in page and "不予许可决定书" in page
    assert case.applicant_name in page  # prefilled holder


def test_a_deemed_approval_of_the_last_step_completes_only_once_the_result_is_issued():
    version_ = itf.f.make_complete_draft()
    itf.add_intake_materials(version_)
    ProcessStep.objects.filter(version=version_, code="decide").update(timeout_policy="deem_approved")
    item_version_publish(version=version_)
    case = item_case(item=version_.item)
    final = at_final_step(case)
    report = s.flow_sweep(now=final.due_at + dt.timedelta(minutes=1))
    assert report.by_kind == {"deem_approved": 1}
    case.refresh_from_db()
    assert ProcessInstanceRecord.objects.get(case=case).status == "completed"
    assert case.status == CaseStatus.IN_PROGRESS and case.completed_at is None
    assert not CaseEvent.objects.filter(case=case, kind="case_completed").exists()
    issue_results(case, now=final.due_at + dt.timedelta(hours=1))
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED and case.completed_at is not None
    assert CaseEvent.objects.filter(case=case, kind="case_completed").count() == 1
