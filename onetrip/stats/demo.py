"""Demo history for the statistics dashboard: real cases through the real services, spread over the past
eight weeks with an injected clock, then rolled up.

The demo citizen, company and office apply online, on the phone (掌上办) or at the window for items of five
district departments and for the 餐饮企业证照办理 one-thing; the demo clerk accepts (one with 容缺, one refused);
each department's staff work the steps, most within the promised limit, some late, a few still open; results
issued where the flow needs them; one result collected at the window (a second trip). Departments without
demo staff get a leader (`<department>-fuze`, password onetrip-demo) so their steps can be worked.

Idempotent: cases carry the idempotency key `stats-demo-<n>`; a case already there is skipped, so a second
run only rolls up what is pending. Needs the demo data (`onetrip demo`) loaded first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction

from onetrip.core import clock
from onetrip.core.clock import FixedClock
from onetrip.core.errors import Conflict
from onetrip.demo.people import CITIZEN_ID
from onetrip.orgs.models import Department, Role, RoleAssignment, User, Window
from onetrip.stats.services import stats_rollup
from onetrip.workdays.core import SHANGHAI
from onetrip.workdays.selectors import calendar_current

KEY_PREFIX = "stats-demo-"
WEEKS = 8
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
# Leaders created for departments that have no demo staff: (department code, username, display name).
EXTRA_STAFF = (
    ("ld-ybj", "ybj-fuze", "钱芳"),
    ("ld-mzj", "mzj-fuze", "冯涛"),
    ("ld-gaj", "gaj-fuze", "褚明"),
)


@dataclass(frozen=True)
class Story:
    """One demo case: what is applied for, by whom and how, when it was accepted (working days back from
    today), and how it ends: on_time, late (working days past the promise), open, refused, deficient."""

    target: str  # item name, or "bundle:<code>"
    applicant: str
    channel: str
    back: int  # working days before today on which it was accepted
    end: str = "on_time"
    late_by: int = 0
    pickup: bool = False


_S = Story
STORIES: tuple[Story, ...] = (
    _S("企业职工正常退休审批", "zhangsan", "online", 38),
    _S("企业职工正常退休审批", "zhangsan", "window", 36, pickup=True),
    _S("企业职工正常退休审批", "zhangsan", "mobile", 30),
    _S("企业职工正常退休审批", "zhangsan", "online", 22, "late", 2),
    _S("企业职工正常退休审批", "zhangsan", "mobile", 9),
    _S("企业职工正常退休审批", "zhangsan", "online", 2, "open"),
    _S("失业保险金申领", "zhangsan", "mobile", 35),
    _S("失业保险金申领", "zhangsan", "online", 27),
    _S("失业保险金申领", "zhangsan", "mobile", 16),
    _S("失业保险金申领", "zhangsan", "online", 6, "late", 1),
    _S("失业保险金申领", "zhangsan", "mobile", 1, "open"),
    _S("社会保障卡申领", "zhangsan", "online", 33),
    _S("社会保障卡申领", "zhangsan", "window", 20),
    _S("社会保障卡申领", "zhangsan", "mobile", 12),
    _S("社会保障卡申领", "zhangsan", "online", 4),
    _S("丧葬补助金、抚恤金申领", "zhangsan", "window", 25),
    _S("户口登记（户口迁移）", "zhangsan", "window", 15, "deficient"),
    _S("企业及分支机构登记（设立登记）", "lvgu", "online", 39),
    _S("企业及分支机构登记（设立登记）", "lvgu", "online", 31),
    _S("企业及分支机构登记（设立登记）", "lvgu", "mobile", 24),
    _S("企业及分支机构登记（设立登记）", "lvgu", "online", 14),
    _S("企业及分支机构登记（设立登记）", "lvgu", "window", 7, "refused"),
    _S("企业及分支机构登记（设立登记）", "lvgu", "online", 3),
    _S("食品经营许可", "lvgu", "online", 34),
    _S("食品经营许可", "lvgu", "window", 26, "late", 3),
    _S("食品经营许可", "lvgu", "online", 11),
    _S("食品经营许可", "lvgu", "online", 3, "open"),
    _S("特种设备使用登记（电梯）", "lvgu", "online", 18),
    _S("bundle:restaurant-licence", "lvgu", "online", 29),
    _S("bundle:restaurant-licence", "lvgu", "mobile", 19),
    _S("bundle:restaurant-licence", "lvgu", "online", 8),
    _S("基本医疗保险关系转移接续", "zhangsan", "online", 37),
    _S("基本医疗保险关系转移接续", "zhangsan", "mobile", 21),
    _S("基本医疗保险关系转移接续", "zhangsan", "online", 15, "late", 2),
    _S("职工基本医疗保险退休人员待遇核定", "zhangsan", "online", 28),
    _S("职工基本医疗保险退休人员待遇核定", "zhangsan", "mobile", 5),
    _S("困难残疾人生活补贴和重度残疾人护理补贴申领", "zhangsan", "window", 32),
    _S("困难残疾人生活补贴和重度残疾人护理补贴申领", "zhangsan", "online", 17),
    _S("困难残疾人生活补贴和重度残疾人护理补贴申领", "zhangsan", "online", 4, "open"),
    _S("户口登记（户口迁移）", "zhangsan", "window", 23),
    _S("户口登记（户口迁移）", "zhangsan", "online", 13),
)


@dataclass
class StatsDemoSummary:
    created: int
    skipped: int
    rolled_up: int


def _workday_back(today: dt.date, n: int) -> dt.date:
    calendar = calendar_current()
    day = today
    while n > 0 or not calendar.is_workday(day):
        day -= dt.timedelta(days=1)
        if calendar.is_workday(day):
            n -= 1
    return day


def _staff() -> None:
    password = make_password("onetrip-demo")
    for code, username, name in EXTRA_STAFF:
        department = Department.objects.filter(code=code).first()
        if department is None:
            continue
        user, _ = User.objects.get_or_create(
            username=username, defaults={"display_name": name, "password": password, "is_staff": False}
        )
        RoleAssignment.objects.get_or_create(user=user, role=Role.LEADER, department=department)


def _officer(department_id: int, role: str) -> User | None:
    """A demo user who may take a step of the department: its handler for a handler step, else its leader
    (a leader may take any step of the department)."""
    for wanted in [Role.HANDLER, Role.LEADER] if role == Role.HANDLER else [Role.LEADER]:
        found = RoleAssignment.objects.filter(department_id=department_id, role=wanted).order_by("pk").first()
        if found is not None:
            return found.user
    return None


def _value(field: Any, applicant: User) -> Any:
    options = [o.get("value", o) if isinstance(o, dict) else o for o in field.options]
    by_type = {
        "id_number": applicant.id_number or CITIZEN_ID,
        "phone": applicant.phone or "13957800001",
        "date": "2026-01-05",
        "integer": "1",
        "decimal": "1",
        "boolean": True,
        "choice": options[0] if options else "",
        "multi_choice": options[:1],
    }
    value = by_type.get(field.field_type, "演示内容")
    if isinstance(value, str) and field.max_length:
        value = value[: field.max_length]
    return value


class _Demo:
    def __init__(self, today: dt.date) -> None:
        self.today = today
        self.clerk = User.objects.get(username="chuangkou")
        assignment = RoleAssignment.objects.select_related("window").get(user=self.clerk, role=Role.CLERK)
        self.window: Window | None = assignment.window

    def at(self, day: dt.date, hour: float) -> dt.datetime:
        moment = dt.datetime.combine(day, dt.time(9), SHANGHAI) + dt.timedelta(hours=hour)
        clock.set_clock(FixedClock(moment))
        return moment

    def apply(self, n: int, story: Story, day: dt.date) -> Any:
        from onetrip.bundles.models import Bundle
        from onetrip.catalog.models import Item
        from onetrip.intake.checklist import checklist_for
        from onetrip.intake.formspec import form_definition
        from onetrip.intake.services.application import (
            application_material_upload,
            application_save,
            application_start,
            application_submit,
        )

        applicant = User.objects.get(username=story.applicant)
        item = bundle = None
        if story.target.startswith("bundle:"):
            bundle = Bundle.objects.get(code=story.target.removeprefix("bundle:"))
        else:
            item = (
                Item.objects.filter(name=story.target, current_version__isnull=False).order_by("pk").first()
            )
        at_window = story.channel == "window"
        self.at(day, 0)
        application = application_start(
            applicant=applicant,
            item=item,
            bundle=bundle,
            channel=story.channel,
            entered_by=self.clerk if at_window else None,
        )
        spec = form_definition(application=application)
        form = {
            f.key: _value(f, applicant)
            for f in spec.fields
            if f.required and not (application.form_data or {}).get(f.key)
        }
        answers = {
            q.key: (q.options[0].get("value") if isinstance(q.options[0], dict) else q.options[0])
            for q in spec.questions
            if q.options
        }
        saved = application_save(
            application=application, revision=application.revision, form_data=form, answers=answers
        ).application
        leave_out = None
        for m, entry in enumerate(e for e in checklist_for(application=saved) if e.asked):
            if story.end == "deficient" and leave_out is None and entry.requirement.deficiency_allowed:
                leave_out = entry.key
                continue
            application_material_upload(
                application=saved,
                key=entry.key,
                data=PDF + f"{n}-{m}".encode(),
                declared_name=f"{entry.name}.pdf",
                actor=self.clerk if at_window else applicant,
            )
        self.at(day, 0.5)
        return application_submit(
            application=saved,
            idempotency_key=f"{KEY_PREFIX}{n:03d}",
            actor=self.clerk if at_window else applicant,
        )

    def accept(self, case: Any, story: Story, day: dt.date) -> Any:
        from onetrip.intake.services.acceptance import case_accept, case_accept_with_deficiency, case_refuse

        now = self.at(day, 1)
        present = story.channel == "window"
        window = self.window if present else None
        if story.end == "refused":
            case_refuse(
                case=case,
                clerk=self.clerk,
                reasons="申请事项不属于本机关职权范围",
                legal_basis="《中华人民共和国行政许可法》第三十二条第一款第（二）项",
                window=window,
                now=now,
                applicant_present=present,
            )
            return None
        if story.end == "deficient":
            from onetrip.intake.services.acceptance import missing_materials

            due = (now + dt.timedelta(days=10)).date()
            commitments = [
                {"material_key": m.key, "due_date": due.isoformat()}
                for m in missing_materials(case)
                if m.deficiency_allowed
            ]
            case_accept_with_deficiency(
                case=case, clerk=self.clerk, window=window, commitments=commitments, now=now
            )
        else:
            case_accept(case=case, clerk=self.clerk, window=window, now=now, applicant_present=present)
        case.refresh_from_db()
        return case

    def work(self, case: Any, story: Story, n: int) -> None:
        """The first step on the acceptance day, the others on the day the case ends: within the promise
        (on the due day or a day or two before), or `late_by` working days after it."""
        from onetrip.flow import services as flow
        from onetrip.flow.models import ProcessInstanceRecord, TaskRecord, TaskStatus

        calendar = calendar_current()
        start = case.accepted_at.astimezone(SHANGHAI).date()
        promised = 0
        if case.promised_due_at is not None:
            promised = calendar.working_days_between(
                start, case.promised_due_at.astimezone(SHANGHAI).date()
            ).value
        offset = promised + story.late_by if story.end == "late" else max(promised - n % 3, 0)
        end = calendar.add_working_days(start, offset).date if offset else start
        end = min(end, _workday_back(self.today, 0))
        for step in range(40):
            task = (
                TaskRecord.objects.filter(case=case, status=TaskStatus.OPEN)
                .select_related("department")
                .order_by("task_id")
                .first()
            )
            if task is None or (story.end == "open" and step >= 1):
                break
            now = self.at(start if step == 0 else end, 1.5 + step * 0.25)
            if task.step_code == "issue":
                self._results(case, now)
            officer = _officer(task.department_id, task.candidate_role)
            if officer is None:
                raise RuntimeError(f"no demo officer for {task.department}")
            version = ProcessInstanceRecord.objects.get(case=case).version
            try:
                flow.task_approve(task=task, actor=officer, now=now, expected_version=version, opinion="同意")
            except Conflict as exc:  # the last step completes the case only with its results
                if exc.errors[0].code != "results_missing":
                    raise
                self._results(case, now)
                version = ProcessInstanceRecord.objects.get(case=case).version
                flow.task_approve(task=task, actor=officer, now=now, expected_version=version, opinion="同意")
        case.refresh_from_db()
        if story.pickup and case.status == "completed":
            now = self.at(end, 6)
            self._results(case, now)
            delivery = flow.delivery_create(
                case=case, method="pickup", actor=self.clerk, now=now, window=self.window
            )
            flow.delivery_confirm(delivery=delivery, actor=case.applicant, now=now)

    def _results(self, case: Any, now: dt.datetime) -> None:
        from onetrip.flow import services as flow

        issued = set(case.results.values_list("item_id", flat=True))
        for n, item in enumerate(flow.case_items(case), 1):
            if item.pk in issued:
                continue
            department = item.current_version.implementing_department
            officer = _officer(department.pk, Role.HANDLER)
            if officer is None:
                continue
            flow.result_issue(
                case=case,
                item=item,
                kind="approval",
                document_number=f"演示〔{now.year}〕{case.pk}-{n}号",
                title=f"{item.name}办理结果",
                actor=officer,
                now=now,
            )


def stats_demo_load(*, today: dt.date | None = None) -> StatsDemoSummary:
    """Create the demo cases that are missing (each in its own transaction), then roll everything up."""
    from onetrip.intake.models import Case

    previous = clock.get_clock()
    today = today or previous.now().astimezone(SHANGHAI).date()
    existing = set(
        Case.objects.filter(idempotency_key__startswith=KEY_PREFIX).values_list("idempotency_key", flat=True)
    )
    created, skipped = 0, 0
    try:
        with transaction.atomic():
            _staff()
        demo = _Demo(today)
        for n, story in enumerate(STORIES, 1):
            if f"{KEY_PREFIX}{n:03d}" in existing:
                skipped += 1
                continue
            day = _workday_back(today, story.back)
            with transaction.atomic():
                case = demo.apply(n, story, day)
                accepted = demo.accept(case, story, day)
                if accepted is not None:
                    demo.work(accepted, story, n)
            created += 1
    finally:
        clock.set_clock(previous)
    return StatsDemoSummary(created, skipped, stats_rollup().facts)
