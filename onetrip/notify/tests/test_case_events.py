"""People are told: every case and workflow event that concerns someone becomes exactly one notification.

The events are made by the real producers (submission, acceptance, notice, refusal, dispatch, return,
transfer, delegation, suspension, completion, delivery); the kinds other parts add (容缺 reminders and
checks, live deadlines, result ready) are written as CaseEvent rows the way their producers write them.
Then `notify_fold_events` runs (twice, to show that a second fold sends nothing), and each intended person
has one message of the right kind, in people's words, masked, linking to the case or task page.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.urls import reverse

from onetrip.core import clock
from onetrip.core.errors import DomainError
from onetrip.flow import services as fs
from onetrip.flow.models import CaseResult, Delivery, TaskRecord
from onetrip.flow.tests.casebuilders import item_case, open_tasks, staff, version
from onetrip.intake.models import Case, CaseEvent, CaseStatus, Deficiency
from onetrip.intake.services.acceptance import (
    case_accept,
    case_accept_with_deficiency,
    case_notice,
    case_refuse,
)
from onetrip.intake.tests import factories as itf
from onetrip.notify.models import ChannelPreference, Dispatch, FoldCursor, Notification
from onetrip.notify.observe import notify_fold_events
from onetrip.orgs.models import Role, ServiceHall, Window, WindowCategory
from onetrip.workdays.core import SHANGHAI
from onetrip.workdays.selectors import calendar_cache_clear

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)  # a Monday
LATER = NOW + dt.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _clock():
    calendar_cache_clear()
    previous = clock.set_clock(clock.FixedClock(NOW))
    yield
    clock.set_clock(previous)
    calendar_cache_clear()


def fold(now: dt.datetime = LATER) -> int:
    """Fold, then fold again: the second pass must find nothing new to send."""
    first = notify_fold_events(now=now, batch=50)
    again = notify_fold_events(now=now, batch=50)
    assert again.notifications == 0, "a second fold sent messages again"
    return first.notifications


def messages(user, kind: str | None = None) -> list[Notification]:
    qs = Notification.objects.filter(recipient=user)
    if kind is not None:
        qs = qs.filter(kind=kind)
    return list(qs.order_by("id"))


def one(user, kind: str) -> Notification:
    found = messages(user, kind)
    assert len(found) == 1, [(n.kind, n.title) for n in messages(user)]
    return found[0]


def assert_masked(n: Notification, *people) -> None:
    text = n.title + n.body
    for person in people:
        assert person.id_number not in text
        if person.phone:
            assert person.phone not in text
    assert "_" not in n.body, "a code (step key, enum value) leaked into the text"


def case_page(case: Case) -> str:
    return f"/apply/cases/{case.pk}/"


def hall_window(region) -> Window:
    hall = ServiceHall.objects.create(name="测试县政务服务中心", region=region)
    return Window.objects.create(hall=hall, number="A01", name="综合受理", category=WindowCategory.GENERAL)


# ------------------------------------------------------------------------------------------ applicant


def test_submitting_tells_the_applicant_what_happens_next():
    case = itf.make_submitted_case()
    assert fold() == 1
    n = one(case.applicant, "case_submitted")
    assert case.title in n.title and "受理" in n.body and "一次性告知" in n.body
    assert n.link == case_page(case) and n.data["case_id"] == case.pk
    assert_masked(n, case.applicant)


def test_acceptance_tells_the_number_promised_date_and_receipt_and_the_department_its_new_task():
    item = itf.make_intake_item()
    handler, other_handler = staff(item.department), staff(item.department)
    case = itf.make_submitted_case(item=item, upload_all=True)
    clerk = itf.make_clerk(region=case.region)
    fold()
    case = case_accept(case=case, clerk=clerk, now=NOW)
    fold()
    n = one(case.applicant, "case_accepted")
    assert case.number in n.title and case.title in n.title
    promised = case.promised_due_at.astimezone(SHANGHAI).date()
    assert f"{promised.year}年{promised.month}月{promised.day}日" in n.body
    assert n.data["receipt_link"] == f"/apply/cases/{case.pk}/receipt.pdf" and n.link == case_page(case)
    assert_masked(n, case.applicant)
    # The dispatched case's open tasks are in the inboxes of their department's handlers, once each.
    tasks = open_tasks(case)
    assert tasks
    for person in (handler, other_handler):
        new = messages(person, "task_assigned")
        task_pages = {reverse("flow:task", args=[t.pk]) for t in tasks}
        assert len(new) == len([t for t in tasks if t.department_id == item.department_id])
        assert all(case.number in m.title and m.link in task_pages for m in new), [
            (m.title, m.link) for m in new
        ]
    assert messages(clerk) == [], "the clerk who accepted is not told of their own acceptance"


def test_acceptance_with_deficiency_names_the_material_and_its_date():
    case = itf.make_submitted_case()
    clerk = itf.make_clerk(region=case.region)
    due = (NOW + dt.timedelta(days=7)).date()
    case_accept_with_deficiency(
        case=case,
        clerk=clerk,
        commitments=[{"material_key": "household_register", "due_date": due.isoformat()}],
        now=NOW,
    )
    fold()
    n = one(case.applicant, "case_accepted")
    assert "容缺" in n.title and "《户口簿》" in n.body and f"{due.month}月{due.day}日" in n.body


def test_a_one_time_notice_lists_what_to_correct():
    case = itf.make_submitted_case()
    clerk = itf.make_clerk(region=case.region)
    case_notice(
        case=case,
        clerk=clerk,
        problems=[
            {"material_key": "household_register", "problem": "缺少户口簿复印件"},
            {"field": "person.phone", "problem": "联系电话无法接通，请核实"},
        ],
        now=NOW,
    )
    fold()
    n = one(case.applicant, "case_correction")
    assert "《户口簿》：缺少户口簿复印件" in n.body and "联系电话无法接通" in n.body
    assert "person.phone" not in n.body and "重新提交" in n.body
    assert_masked(n, case.applicant)


def test_a_refusal_gives_its_reasons_and_basis_with_personal_numbers_masked():
    case = itf.make_submitted_case()
    applicant = case.applicant
    clerk = itf.make_clerk(region=case.region)
    case_refuse(
        case=case,
        clerk=clerk,
        reasons=f"申请人{applicant.id_number}（电话{applicant.phone}）不在本地户籍",
        legal_basis="《中华人民共和国行政许可法》第三十二条",
        now=NOW,
    )
    fold()
    n = one(applicant, "case_refused")
    assert "不在本地户籍" in n.body and "行政许可法" in n.body
    assert applicant.id_number[:6] + "********" + applicant.id_number[-4:] in n.body
    assert_masked(n, applicant)


# ------------------------------------------------------------------------------------------ staff


def test_a_task_returned_to_an_earlier_step_tells_that_steps_handlers():
    case = item_case()
    [first] = open_tasks(case)
    handler = staff(first.department)
    fold()
    fs.task_approve(task=first, actor=handler, now=LATER, expected_version=version(case))
    [second] = open_tasks(case)
    reviewer = staff(second.department)
    fold()
    fs.task_return(
        task=second,
        actor=reviewer,
        now=LATER,
        expected_version=version(case),
        reason="受理信息有误",
        to_step=first.step_code,
    )
    fold()
    n = one(handler, "task_returned")
    assert "受理信息有误" in n.body and case.number in n.title
    [again] = open_tasks(case)
    assert n.link == reverse("flow:task", args=[again.pk])
    assert messages(reviewer, "task_returned") == [], "the person who returned it is not told"


def test_a_transferred_task_tells_the_receiving_department():
    case = item_case()
    [task] = open_tasks(case)
    user = staff(task.department)
    other = itf.f.make_department()
    receiver = staff(other)
    fs.task_transfer(
        task=task, actor=user, now=LATER, expected_version=version(case), department=other, reason="职责调整"
    )
    fold()
    n = one(receiver, "task_transferred")
    assert "职责调整" in n.body and case.number in n.title
    assert messages(user, "task_transferred") == []


def test_a_delegated_task_tells_the_delegate_and_its_return_tells_the_delegator():
    case = item_case()
    [task] = open_tasks(case)
    boss = staff(task.department, Role.LEADER)
    fs.task_claim(task=task, actor=boss, now=LATER, expected_version=version(case))
    helper = staff(task.department)
    fold()
    fs.task_delegate(
        task=task, actor=boss, now=LATER, expected_version=version(case), to_user=helper, note="请核查"
    )
    fold()
    n = one(helper, "task_delegated")
    assert "请核查" in n.body
    fs.task_approve(task=task, actor=helper, now=LATER, expected_version=version(case), opinion="核查无误")
    fold()
    back = one(boss, "task_delegation_returned")
    assert "核查无误" in back.body and "同意" in back.body


def test_a_correction_asked_by_the_department_tells_the_applicant_and_its_arrival_the_handler():
    case = item_case()
    [task] = open_tasks(case)
    handler = staff(task.department)
    fold()
    fs.task_return(
        task=task,
        actor=handler,
        now=LATER,
        expected_version=version(case),
        reason="材料不清晰",
        items=["申请表"],
    )
    fold()
    n = one(case.applicant, "case_correction")
    assert "材料不清晰" in n.body and "申请表" in n.body
    fs.case_resubmit(case=case, actor=case.applicant, now=LATER, expected_version=version(case))
    fold()
    assert one(handler, "task_resubmitted").link == reverse("flow:task", args=[task.pk])
    assert len([n for n in messages(case.applicant, "case_submitted") if "补正材料已提交" in n.title]) == 1


# ------------------------------------------------------------------------------------------ the case's end


def finish(case: Case) -> dict[int, object]:
    """Approve every open task (a handler per department), then issue each missing result."""
    handlers: dict[int, object] = {}
    for _ in range(30):
        tasks = open_tasks(case)
        if not tasks:
            break
        t = tasks[0]
        user = handlers.setdefault(t.department_id, staff(t.department))
        for item in fs.case_items(case):
            if (
                item.department_id == t.department_id
                and not CaseResult.objects.filter(case=case, item=item).exists()
            ):
                with contextlib.suppress(DomainError):  # not yet at the step that issues it
                    fs.result_issue(
                        case=case,
                        item=item,
                        kind="approval",
                        document_number=f"测试〔2026〕{item.pk}号",
                        title="准予许可决定书",
                        actor=user,
                        now=LATER,
                    )
        fs.task_approve(task=t, actor=user, now=LATER, expected_version=version(case), opinion="同意")
    for item in fs.case_items(case):
        if not CaseResult.objects.filter(case=case, item=item).exists():
            user = handlers.setdefault(item.department_id, staff(item.department))
            fs.result_issue(
                case=case,
                item=item,
                kind="approval",
                document_number=f"测试〔2026〕{item.pk}号",
                title="准予许可决定书",
                actor=user,
                now=LATER,
            )
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    return handlers


def test_completion_tells_the_applicant_once_and_invites_a_rating_then_delivery_and_receipt():
    case = item_case()
    fold()
    handlers = finish(case)
    fold()
    done = one(case.applicant, "case_completed")
    assert case.number in done.title and done.link == case_page(case)
    invite = one(case.applicant, "rating_invite")
    assert invite.link == f"/ratings/case/{case.number}/"
    assert_masked(done, case.applicant)

    lead = next(iter(handlers.values()))
    delivery = fs.delivery_create(case=case, method="electronic", actor=lead, now=LATER)
    fold()
    sent = one(case.applicant, "result_delivered")
    assert case.number in sent.body and "电子送达" in sent.body
    fs.delivery_confirm(delivery=Delivery.objects.get(pk=delivery.pk), actor=case.applicant, now=LATER)
    fold()
    one(case.applicant, "delivery_received")
    # Nothing else reached the applicant twice.
    kinds = [n.kind for n in messages(case.applicant)]
    assert len(kinds) == len(set(kinds)), kinds


def test_suspension_and_resumption_tell_the_applicant_with_the_new_date():
    case = item_case()
    lead = staff(case.lead_department, Role.LEADER)
    fold()
    fs.case_suspend(
        case=case, actor=lead, now=LATER, expected_version=version(case), reason="等待司法鉴定结论"
    )
    fold()
    n = one(case.applicant, "case_suspended")
    assert "中止" in n.title and "等待司法鉴定结论" in n.body
    fs.case_resume(case=case, actor=lead, now=LATER + dt.timedelta(days=3), expected_version=version(case))
    fold()
    resumed = one(case.applicant, "case_resumed")
    case.refresh_from_db()
    if case.promised_due_at is not None:
        promised = case.promised_due_at.astimezone(SHANGHAI).date()
        assert f"{promised.year}年{promised.month}月{promised.day}日" in resumed.body
    assert messages(case.applicant, "case_deadline") == [], "the resumption already gives the new date"


# ------------------------------------------------------------------------------------------ other producers' kinds


def event(case: Case, kind: str, title: str = "", at: dt.datetime = LATER, **data) -> CaseEvent:
    return CaseEvent.objects.create(case=case, at=at, kind=kind, title=title or kind, data=data)


def deficiency(case: Case, due: dt.date) -> Deficiency:
    return Deficiency.objects.create(
        case=case,
        material_key="household_register",
        material_name="户口簿",
        due_date=due,
        commitment_text="承诺补交",
        signed_at=NOW,
    )


@pytest.mark.parametrize(
    ("kind", "notified", "words"),
    [
        ("deficiency_due_soon", "deficiency_due", ("《户口簿》", "3月9日前补交")),
        ("deficiency_overdue", "deficiency_overdue", ("《户口簿》", "终止办理")),
        ("deficiency_supplied", "deficiency_supplied", ("《户口簿》", "核验通过")),
        ("deficiency_rejected", "deficiency_rejected", ("《户口簿》", "复印件不清晰", "重新补交")),
    ],
)
def test_deficiency_events_tell_the_applicant(kind, notified, words):
    case = item_case()
    row = deficiency(case, dt.date(2026, 3, 9))
    fold()
    data = {"deficiency": row.pk, "material_key": row.material_key, "due_date": "2026-03-09"}
    if kind == "deficiency_rejected":
        data["reason"] = "复印件不清晰"
    if kind == "deficiency_overdue":
        data = {"deficiencies": [row.pk], "materials": [row.material_key], "terminated": True}
    event(case, kind, **data)
    assert fold() == 1
    n = one(case.applicant, notified)
    for w in words:
        assert w in n.body, (w, n.body)
    assert case.number in n.title and n.link == case_page(case)


def test_live_deadline_events_give_the_new_promised_date():
    case = item_case()
    fold()
    event(case, "case_suspended", promised_due_at=None)
    event(case, "case_resumed", at=LATER + dt.timedelta(days=1), promised_due_at="2026-03-20T17:00:00+08:00")
    event(
        case,
        "promised_date_changed",
        at=LATER + dt.timedelta(days=2),
        promised_due_at="2026-03-24T17:00:00+08:00",
    )
    assert fold() == 3
    one(case.applicant, "case_suspended")
    assert "2026年3月20日" in one(case.applicant, "case_resumed").body
    moved = one(case.applicant, "case_deadline")
    assert "2026年3月24日" in moved.body and moved.data["receipt_link"].endswith("/receipt.pdf")


def test_result_ready_and_completion_written_together_are_one_message_and_one_invitation():
    case = item_case()
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.COMPLETED, completed_at=LATER)
    fold()
    event(case, "case_completed", outcome="completed")
    event(case, "result_ready", results=[1, 2])
    assert fold() == 2
    one(case.applicant, "case_completed")
    one(case.applicant, "rating_invite")
    assert messages(case.applicant, "result_ready") == []
    # A result made ready on its own (a held result released later) is its own message.
    event(case, "result_ready", at=LATER + dt.timedelta(days=1), results=[3])
    assert fold() == 1
    assert "[" not in one(case.applicant, "result_ready").body


def test_a_termination_for_an_overdue_commitment_and_its_notice_are_one_message():
    case = item_case()
    row = deficiency(case, dt.date(2026, 3, 9))
    fold()
    event(case, "terminated", materials=[row.material_key])  # intake's sweep ends the case
    event(case, "deficiency_overdue", at=LATER + dt.timedelta(minutes=1), materials=[row.material_key])
    assert fold() == 1
    assert "《户口簿》" in one(case.applicant, "deficiency_overdue").body


# ------------------------------------------------------------------------------------------ channels


def test_sms_and_email_follow_the_persons_preferences(settings):
    settings.NOTIFY_CHANNELS = "email,sms"
    settings.NOTIFY_SMS_URL = "http://127.0.0.1:9/sms"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    applicant = itf.make_applicant(email="zhang@example.gov.cn")
    ChannelPreference.objects.create(user=applicant, channel="sms", enabled=False, updated_at=NOW)
    itf.make_submitted_case(applicant=applicant)
    fold()
    n = one(applicant, "case_submitted")
    assert list(Dispatch.objects.filter(notification=n).values_list("channel", "address")) == [
        ("email", "zhang@example.gov.cn")
    ]
    other = itf.make_submitted_case()  # no preference rows: both channels with an address
    fold()
    channels = set(
        Dispatch.objects.filter(notification__recipient=other.applicant).values_list("channel", flat=True)
    )
    assert channels == {"sms"}  # that applicant has a phone number and no email address


# ------------------------------------------------------------------------------------------ the cursor


def test_ids_committed_out_of_order_are_folded_when_they_arrive_and_gaps_expire(settings):
    case = item_case()
    fold()
    first = event(case, "case_resumed", promised_due_at="2026-03-20T17:00:00+08:00")
    # A later id commits first: the id in between belongs to a transaction still running.
    late_id = first.pk + 5
    CaseEvent.objects.create(
        pk=late_id + 1, case=case, at=LATER, kind="case_suspended", title="中止", data={}
    )
    fold()
    cursor = FoldCursor.objects.get(source="intake.caseevent")
    # (On PostgreSQL the ids of earlier, rolled-back tests are a gap below too.)
    assert cursor.scanned_id == late_id + 1 and cursor.folded_id <= first.pk
    assert [first.pk + 1, late_id] in [g[:2] for g in cursor.gaps]
    assert [n.kind for n in messages(case.applicant)][-2:] == ["case_resumed", "case_suspended"]
    CaseEvent.objects.create(pk=late_id, case=case, at=LATER, kind="flow_extended", title="延长", data={})
    assert fold() == 1
    one(case.applicant, "case_deadline")
    cursor.refresh_from_db()
    assert cursor.folded_id <= first.pk, "the ids never used stay a gap for a while"
    assert [g[:2] for g in cursor.gaps][-1] == [first.pk + 1, late_id - 1]
    settings.NOTIFY_FOLD_GAP_S = 60
    fold(now=LATER + dt.timedelta(minutes=5))
    cursor.refresh_from_db()
    assert cursor.gaps == [] and cursor.folded_id == late_id + 1


def test_folding_everything_again_from_the_start_sends_nothing_new():
    case = itf.make_submitted_case()
    clerk = itf.make_clerk(region=case.region)
    case_refuse(case=case, clerk=clerk, reasons="不符合条件", legal_basis="某条例第五条", now=NOW)
    first = fold()
    assert first == 2
    FoldCursor.objects.update(scanned_id=0, folded_id=0, gaps=[])
    assert notify_fold_events(now=LATER).notifications == 0
    assert len(messages(case.applicant)) == 2


def test_the_fold_command_reports_what_it_did():
    itf.make_submitted_case()
    out = []

    class Out:
        def write(self, text):
            out.append(text)

        def flush(self):
            pass

    call_command("notify", "fold", stdout=Out())
    assert "新增通知 1 条" in "".join(out)


def test_a_closed_task_is_no_ones_news():
    case = item_case()
    [task] = open_tasks(case)
    handler = staff(task.department)
    fs.task_approve(task=task, actor=staff(task.department), now=LATER, expected_version=version(case))
    fold()
    assert not any(m.data.get("task_id") == task.pk for m in messages(handler, "task_assigned"))
    assert TaskRecord.objects.get(pk=task.pk).status == "approved"


# ------------------------------------------------------------------------------------------ PostgreSQL


postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL sessions")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_folds_at_once_send_each_message_once():
    cases = [itf.make_submitted_case() for _ in range(3)]
    barrier = threading.Barrier(2)
    totals: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            totals.append(notify_fold_events(now=LATER, batch=2).notifications)
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sum(totals) == 3
    for case in cases:
        one(case.applicant, "case_submitted")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_event_whose_transaction_commits_late_is_still_folded():
    case = item_case()
    notify_fold_events(now=LATER)
    inserted, release, done = threading.Event(), threading.Event(), threading.Event()

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                event(case, "case_suspended")  # takes the lower id
                inserted.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()
            done.set()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    try:
        assert inserted.wait(timeout=30)
        event(case, "case_resumed", promised_due_at="2026-03-20T17:00:00+08:00")  # higher id, committed first
        notify_fold_events(now=LATER)
        assert [n.kind for n in messages(case.applicant)][1:] == ["case_resumed"]
    finally:
        release.set()
        writer.join(timeout=30)
    assert done.is_set()
    assert notify_fold_events(now=LATER).notifications == 1
    one(case.applicant, "case_suspended")
