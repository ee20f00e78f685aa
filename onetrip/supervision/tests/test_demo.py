"""The demo: rules load idempotently, and a demo case left untouched turns yellow then red on schedule with
the clock injected, with the government-reply rule's reminders arriving three times a working day.

The education bureau's HR (机关单位申请人) applies online for 公务员转任审批 for its retiring teacher, the demo
window clerk accepts; 区委组织部 gets the case."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.db import transaction

from onetrip.catalog.models import Item
from onetrip.core.clock import FixedClock, set_clock
from onetrip.demo.loader import load_demo
from onetrip.flow.tests.casebuilders import open_tasks, staff
from onetrip.intake.checklist import checklist_for
from onetrip.intake.formspec import form_definition
from onetrip.intake.models import Case, Channel
from onetrip.intake.services.acceptance import case_accept
from onetrip.intake.services.application import (
    application_material_upload,
    application_save,
    application_start,
    application_submit,
)
from onetrip.intake.tests.factories import PDF_BYTES
from onetrip.notify.models import Notification
from onetrip.orgs.models import Department, Role, RoleAssignment, User
from onetrip.sharing.demo import RETIREE_ID
from onetrip.supervision.demo import GOVERNMENT_REPLY_ITEM, supervision_demo_load
from onetrip.supervision.models import AlertLevel, AlertRule, OverdueRecord
from onetrip.supervision.services import supervision_sweep
from onetrip.supervision.tests.builders import local, reload

pytestmark = pytest.mark.django_db
ACCEPTED = local(2026, 3, 2, 9, 30)  # a Monday


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    """The demo and the supervision demo, loaded once for the module and rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
        previous = set_clock(FixedClock(ACCEPTED - dt.timedelta(days=1)))
        try:
            load_demo()
            supervision_demo_load()
            yield
        finally:
            set_clock(previous)
            transaction.set_rollback(True)


def _apply_and_accept() -> Case:
    basic_code, department_code = GOVERNMENT_REPLY_ITEM
    item = Item.objects.get(basic_code=basic_code, department__code=department_code)
    office = User.objects.get(username="jiaoyuju")
    clerk = User.objects.get(username="chuangkou")
    application = application_start(applicant=office, item=item, channel=Channel.ONLINE)
    values = {
        "person.id_number": RETIREE_ID,
        "person.phone": "13800138000",
        "staff.unit_name": "丽水市莲都区教育局",
        "staff.position": "教师",
        "staff.target_unit_name": "丽水市莲都区人力资源和社会保障局",
    }
    for field in form_definition(application=application).fields:
        if field.key == "staff.establishment_type" and field.options:
            option = field.options[0]
            values[field.key] = option.get("value") if isinstance(option, dict) else option
    saved = application_save(application=application, revision=application.revision, form_data=values)
    for n, entry in enumerate(e for e in checklist_for(application=saved.application) if e.asked):
        application_material_upload(
            application=saved.application,
            key=entry.key,
            data=PDF_BYTES + str(n).encode(),
            declared_name=f"{entry.name}.pdf",
            actor=office,
        )
    case = application_submit(
        application=saved.application, idempotency_key="supervision-demo-1", actor=office
    )
    window = RoleAssignment.objects.get(user=clerk, role=Role.CLERK).window
    return case_accept(case=case, clerk=clerk, window=window, now=ACCEPTED)


def test_the_demo_rules_load_once(demo: None) -> None:
    basic_code, department_code = GOVERNMENT_REPLY_ITEM
    rule = AlertRule.objects.get(item__basic_code=basic_code, item__department__code=department_code)
    assert (rule.warn_after_days, rule.remind_from_days, rule.overdue_after_days, rule.reminders_per_day) == (
        10,
        10,
        15,
        3,
    )
    assert AlertRule.objects.filter(item__isnull=True).count() == 1
    again = supervision_demo_load()
    assert not again.changed and again.counts[0][2] == 0


def test_a_demo_case_left_untouched_turns_yellow_then_red_and_reminders_arrive(demo: None) -> None:
    case = _apply_and_accept()
    organisation = Department.objects.get(code=GOVERNMENT_REPLY_ITEM[1])
    officer = staff(organisation)  # 区委组织部 has no demo staff; a handler and leader for the test
    RoleAssignment.objects.create(user=officer, role=Role.LEADER, department=organisation)

    # The window's acceptance is the department's (统一受理): the case starts at the department's review
    # (15 working days under the government-reply rule), which is left untouched.
    [review] = open_tasks(case)
    supervision_sweep(now=ACCEPTED + dt.timedelta(minutes=1))
    review = reload(review)
    assert review.alert == AlertLevel.GREEN
    # Counted from 3 March (the day after acceptance): the 10th working day is 16 March, the 15th 23 March.
    assert (review.warn_at, review.overdue_at) == (local(2026, 3, 16, 17, 30), local(2026, 3, 23, 17, 30))
    supervision_sweep(now=local(2026, 3, 16, 17, 31))
    review = reload(review)
    assert review.alert == AlertLevel.YELLOW
    for hh in (9, 12, 17):  # morning, noon and evening of the 11th working day
        supervision_sweep(now=local(2026, 3, 17, hh, 1))
    review = reload(review)
    assert review.watch_reminders == 3
    reminders = Notification.objects.filter(recipient=officer, kind="task_reminder", data__task_id=review.pk)
    assert reminders.count() == 3
    supervision_sweep(now=local(2026, 3, 23, 17, 31))
    review = reload(review)
    assert review.alert == AlertLevel.RED and OverdueRecord.objects.filter(task_id=review.pk).exists()
    assert set(Notification.objects.filter(data__task_id=review.pk).values_list("kind", flat=True)) == {
        "task_warning",
        "task_reminder",
        "task_overdue",
    }


def test_the_demo_supervisor_sees_the_districts_late_work(demo: None, client) -> None:
    case = _apply_and_accept()
    supervision_sweep(now=local(2026, 3, 24, 9, 0))  # the review is past its 15-working-day limit
    supervisor = User.objects.get(
        username="paogaiban"
    )  # 区跑改办: posted in the office, granted the district
    client.force_login(supervisor)
    previous = set_clock(FixedClock(local(2026, 3, 24, 9, 0)))
    try:
        body = client.get("/api/v1/supervision/alerts").json()
    finally:
        set_clock(previous)
    assert case.number in [t["case_number"] for t in body["tasks"]]
    assert body["counts"]["red"] >= 1


def test_the_demo_cases_overdue_warning_reaches_every_channel(demo: None, settings) -> None:
    """Done when: reminders arrive by each channel — in the inbox, by email (a real SMTP server), on the
    department's DingTalk-style robot and through the SMS gateway (real HTTP receivers on loopback)."""
    from onetrip.notify.dispatcher import notify_dispatch
    from onetrip.notify.models import DepartmentRobot, Dispatch, DispatchStatus
    from onetrip.notify.tests.loopback import HttpReceiver, SmtpReceiver

    case = _apply_and_accept()
    organisation = Department.objects.get(code=GOVERNMENT_REPLY_ITEM[1])
    officer = staff(organisation, email="zuzhibu@example.gov.cn", phone="13905781234")
    settings.NOTIFY_SITE_URL = "https://zwfw.lishui.example.gov.cn"
    with SmtpReceiver() as smtp, HttpReceiver() as robot_server, HttpReceiver(reply={"code": "OK"}) as sms:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
        settings.NOTIFY_SMS_URL, settings.NOTIFY_SMS_API_KEY = f"{sms.url}/sms/send", "demo-key"
        DepartmentRobot.objects.create(
            department=organisation, name="组织部审批群", url=f"{robot_server.url}/robot/send?access_token=t"
        )
        [review] = open_tasks(case)
        supervision_sweep(now=local(2026, 3, 23, 17, 31))  # past the 15-working-day review limit: red
        assert reload(review).alert == AlertLevel.RED
        overdue = Notification.objects.get(recipient=officer, kind="task_overdue", data__task_id=review.pk)
        assert overdue.read_at is None  # in the inbox
        report = notify_dispatch(now=local(2026, 3, 23, 17, 31))
        assert report.sent >= 3
        assert set(
            Dispatch.objects.filter(notification=overdue, status=DispatchStatus.SENT).values_list(
                "channel", flat=True
            )
        ) == {"email", "webhook", "sms"}
        assert any("zuzhibu@example.gov.cn" in m.rcpt_tos for m in smtp.messages)
        assert any(overdue.title in r.body["markdown"]["title"] for r in robot_server.received)
        assert any(r.body["phone"] == "13905781234" for r in sms.received)
