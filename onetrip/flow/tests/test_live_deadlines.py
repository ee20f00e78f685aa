"""Live deadlines: a suspension, a special procedure, a correction and an extension recompute the case's promised
date from its clock (acceptance, limit, pauses given back, extensions) on the working-day calendar, server-side.
The new date is on the applicant's page, in the inbox, on a re-issued receipt (its next version), and is the
one the on-time figure and supervision use. An extension is bounded by the statutory limit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Sum
from django.template.loader import render_to_string
from django.urls import reverse

from onetrip.core.errors import DomainError
from onetrip.demo.tests.conftest import demo  # noqa: F401 (the loaded demo, as a fixture)
from onetrip.flow import services as s
from onetrip.flow.models import FlowEvent, TaskRecord
from onetrip.flow.tests.casebuilders import approve, issue_results, open_tasks, staff, version
from onetrip.intake.documents import receipt_context, receipt_pdf
from onetrip.intake.models import Case, CaseEvent, CaseStatus
from onetrip.intake.services.acceptance import case_accept
from onetrip.intake.tests import factories as itf
from onetrip.orgs.models import Role
from onetrip.stats.models import StatDay
from onetrip.stats.services import stats_rollup
from onetrip.supervision.models import OverdueRecord, TaskWatch
from onetrip.supervision.services import supervision_sweep
from onetrip.workdays.core import SHANGHAI, Unit
from onetrip.workdays.selectors import calendar_current

pytestmark = pytest.mark.django_db
ACCEPTED = dt.datetime(2026, 3, 2, 9, 30, tzinfo=SHANGHAI)  # a Monday


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def accepted_case():
    case = itf.make_submitted_case(upload_all=True)
    case = case_accept(case=case, clerk=itf.make_clerk(region=case.region), now=ACCEPTED)
    case.refresh_from_db()
    return case


def promised_after(case, working_days: int) -> dt.datetime:
    """The promised date had the limit been `working_days` longer."""
    iv = case.item_version
    assert iv.promised_limit_unit == "working"
    return calendar_current().add(ACCEPTED, iv.promised_limit + working_days, Unit.WORKING).at


def ymd(at: dt.datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d")


def chinese(at: dt.datetime) -> str:
    d = at.astimezone(SHANGHAI)
    return f"{d.year}年{d.month}月{d.day}日"


def test_a_suspension_moves_the_promised_date_on_the_page_the_receipt_and_the_inbox(client):
    case = accepted_case()
    original = case.promised_due_at
    assert original == promised_after(case, 0) and not case.due_provisional
    first_receipt = receipt_pdf(case)
    lead = staff(case.lead_department)
    s.case_suspend(
        case=case,
        actor=lead,
        now=local(2026, 3, 3, 10),
        expected_version=version(case),
        reason="等待司法裁决",
    )
    case.refresh_from_db()
    assert case.promised_due_at == original  # the clock stands; the date moves when it runs again
    suspended = CaseEvent.objects.get(case=case, kind="case_suspended")
    assert "中止" in suspended.title
    s.case_resume(case=case, actor=lead, now=local(2026, 3, 10, 10), expected_version=version(case))
    case.refresh_from_db()
    moved = promised_after(case, 5)  # 4, 5, 6, 9 and 10 March were covered by the suspension
    assert case.promised_due_at == moved and not case.due_provisional
    resumed = CaseEvent.objects.get(case=case, kind="case_resumed")
    assert resumed.data["promised_due_at"] == moved.isoformat() and resumed.data["receipt_version"] == 2
    assert chinese(moved) in resumed.title

    # The applicant's page.
    client.force_login(case.applicant)
    page = client.get(reverse("intake:case", args=[case.pk])).content.decode()
    assert ymd(moved) in page and ymd(original) not in page.split("办理进度")[0]
    # The re-issued receipt: its second version, with the new date.
    context = receipt_context(case)
    assert context["receipt_version"] == 2 and context["case"].promised_due_at == moved
    html = render_to_string("intake/documents/receipt.html", context)
    assert chinese(moved) in html and "第2版" in html and "重新出具" in html
    second_receipt = receipt_pdf(case)
    assert second_receipt.startswith(b"%PDF") and second_receipt != first_receipt
    # The inbox of the department handling it.
    [task] = open_tasks(case)
    client.force_login(staff(task.department))
    inbox = client.get(reverse("flow:inbox")).content.decode()
    assert f"承诺办结 {ymd(moved)}" in inbox


def test_a_special_procedure_and_a_correction_give_their_time_back():
    case = accepted_case()
    lead = staff(case.lead_department)
    s.case_special_start(
        case=case,
        actor=lead,
        now=local(2026, 3, 3, 10),
        expected_version=version(case),
        procedure="expert_review",
    )
    s.case_special_end(case=case, actor=lead, now=local(2026, 3, 5, 10), expected_version=version(case))
    case.refresh_from_db()
    assert case.promised_due_at == promised_after(case, 2)
    changed = CaseEvent.objects.get(case=case, kind="promised_date_changed")
    assert changed.data["receipt_version"] == 2 and chinese(case.promised_due_at) in changed.title

    [task] = open_tasks(case)
    s.task_return(
        task=task,
        actor=staff(task.department),
        now=local(2026, 3, 6, 10),
        expected_version=version(case),
        reason="材料不清晰",
        items=["申请表"],
    )
    s.case_resubmit(
        case=case, actor=case.applicant, now=local(2026, 3, 10, 10), expected_version=version(case)
    )
    case.refresh_from_db()
    assert case.promised_due_at == promised_after(case, 4)  # + 9 and 10 March
    versions = [
        e.data["receipt_version"] for e in CaseEvent.objects.filter(case=case, kind="promised_date_changed")
    ]
    assert versions == [2, 3]


def test_an_extension_moves_the_date_within_the_statutory_limit_and_nothing_else_does():
    case = accepted_case()
    leader = staff(case.lead_department, Role.LEADER)
    [task] = open_tasks(case)
    before = task.due_at
    s.case_extend(
        case=case,
        actor=leader,
        now=local(2026, 3, 3, 10),
        expected_version=version(case),
        count=3,
        reason="需现场勘验",
        task=task,
    )
    case.refresh_from_db()
    task.refresh_from_db()
    assert case.promised_due_at == promised_after(case, 3) and task.due_at > before
    assert case.promised_due_at <= case.statutory_due_at

    iv = case.item_version
    beyond = iv.statutory_limit - iv.promised_limit - 3 + 1
    cases = [
        ({"count": beyond, "task": task}, "count"),
        ({"count": 100_000, "task": task}, "count"),
        ({"count": 1_000_000_000, "task": task}, "count"),
        ({"count": 0, "task": task}, "count"),
        ({"count": 2, "task": None}, "task"),
    ]
    for kwargs, field in cases:
        v, promised, events = version(case), case.promised_due_at, FlowEvent.objects.filter(case=case).count()
        with pytest.raises(DomainError) as err:
            s.case_extend(
                case=case,
                actor=leader,
                now=local(2026, 3, 3, 11),
                expected_version=v,
                reason="再延长",
                **kwargs,
            )
        assert err.value.status_code == 400 and err.value.errors[0].field == field, kwargs
        case.refresh_from_db()
        assert (version(case), case.promised_due_at) == (v, promised)
        assert FlowEvent.objects.filter(case=case).count() == events
    assert "法定办结时间" in _beyond_message(case, leader, task, beyond)


def _beyond_message(case, leader, task, count) -> str:
    try:
        s.case_extend(
            case=case,
            actor=leader,
            now=local(2026, 3, 3, 11),
            expected_version=version(case),
            count=count,
            reason="再延长",
            task=task,
        )
    except DomainError as exc:
        return exc.errors[0].message_zh
    raise AssertionError("the extension beyond the statutory limit was accepted")


def test_the_extension_form_refuses_an_absurd_count_naming_the_field(client):
    case = accepted_case()
    [task] = open_tasks(case)
    client.force_login(staff(case.lead_department, Role.LEADER))
    v = version(case)
    url = reverse("flow:task_operation", args=[task.pk, "extend"])
    for count in ("100000", "1000000000"):
        r = client.post(url, {"expected_version": v, "count": count, "reason": "x", "task_id": task.pk})
        assert 400 <= r.status_code < 500 and "未能办理" in r.content.decode()
    case.refresh_from_db()
    assert version(case) == v and case.promised_due_at == promised_after(case, 0)


def test_the_on_time_figure_uses_the_moved_date():
    case = accepted_case()
    original = case.promised_due_at
    lead = staff(case.lead_department)
    s.case_suspend(
        case=case, actor=lead, now=local(2026, 3, 3, 10), expected_version=version(case), reason="中止"
    )
    s.case_resume(case=case, actor=lead, now=local(2026, 3, 10, 10), expected_version=version(case))
    done = original + dt.timedelta(days=2)  # after the first promise, before the moved one
    for _ in range(5):
        tasks = open_tasks(case)
        if not tasks:
            break
        if tasks[0].step_code == "decide":
            issue_results(case, now=done)
        approve(tasks[0], actor=staff(tasks[0].department), now=done)
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED and original < case.completed_at <= case.promised_due_at
    stats_rollup()
    totals = StatDay.objects.aggregate(done=Sum("completed"), on_time=Sum("on_time"))
    assert totals == {"done": 1, "on_time": 1}


def test_supervision_watches_the_moved_task_deadline():
    case = accepted_case()
    [task] = open_tasks(case)
    original = task.due_at
    s.case_extend(
        case=case,
        actor=staff(case.lead_department, Role.LEADER),
        now=local(2026, 3, 2, 11),
        expected_version=version(case),
        count=3,
        reason="需现场勘验",
        task=task,
    )
    task = TaskRecord.objects.get(pk=task.pk)
    assert task.due_at > original
    supervision_sweep(now=original + dt.timedelta(minutes=1))
    watch = TaskWatch.objects.get(task=task)
    assert watch.overdue_at >= task.due_at > original and watch.alert != "red"
    assert not OverdueRecord.objects.filter(task_id=task.pk).exists()


@pytest.mark.usefixtures("demo")
def test_a_suspension_on_a_demo_case_moves_the_date_on_the_applicants_page_and_receipt(client):
    case = (
        Case.objects.filter(
            status=CaseStatus.IN_PROGRESS, flow__status="running", promised_due_at__isnull=False
        )
        .select_related("applicant")
        .order_by("pk")
        .first()
    )
    assert case is not None, "the demo has a case in progress"
    original = case.promised_due_at
    last = FlowEvent.objects.filter(case=case).order_by("-at").values_list("at", flat=True).first()
    start = max(case.accepted_at, last) + dt.timedelta(hours=1)
    lead = staff(case.lead_department)
    s.case_suspend(case=case, actor=lead, now=start, expected_version=version(case), reason="等待鉴定结论")
    s.case_resume(case=case, actor=lead, now=start + dt.timedelta(days=14), expected_version=version(case))
    case.refresh_from_db()
    assert case.promised_due_at > original
    client.force_login(case.applicant)
    page = client.get(reverse("intake:case", args=[case.pk])).content.decode()
    assert ymd(case.promised_due_at) in page
    context = receipt_context(case)
    assert context["receipt_version"] == 2
    assert chinese(case.promised_due_at) in render_to_string("intake/documents/receipt.html", context)
    assert receipt_pdf(case).startswith(b"%PDF")
