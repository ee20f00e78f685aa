"""Builders for data-sharing tests: sources over the local record tables, people with valid ID numbers,
an HTTP source pointing at a loopback server, and users with roles."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from stdnum.cn import ric

from onetrip.catalog.models import DataType, Sensitivity
from onetrip.catalog.tests import factories as cf
from onetrip.orgs.models import ApplicantKind, Department, Role, RoleAssignment, User
from onetrip.sharing import services
from onetrip.sharing.models import DataSource, PersonRecord, SocialInsuranceRecord, SourceEntitlement
from onetrip.sharing.services import ElementBinding

_seq = itertools.count(100)


def id_number(*, birth: dt.date = dt.date(1990, 3, 7)) -> str:
    body = f"332801{birth:%Y%m%d}{next(_seq) % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


ELEMENTS = {
    "person.id_number": DataType.ID_NUMBER,
    "person.name": DataType.STRING,
    "person.gender": DataType.CHOICE,
    "person.birth_date": DataType.DATE,
    "person.phone": DataType.PHONE,
    "person.address": DataType.STRING,
    "person.bank_account": DataType.STRING,
    "social_insurance.contribution_months": DataType.INTEGER,
    "housing_fund.account": DataType.STRING,
}


def elements() -> None:
    for code, data_type in ELEMENTS.items():
        cf.make_data_element(code=code, data_type=data_type)


def person(*, number: str | None = None, name: str = "王五", phone: str = "13900000001") -> PersonRecord:
    return PersonRecord.objects.create(
        id_number=number or id_number(),
        name=name,
        gender="1",
        birth_date=dt.date(1990, 3, 7),
        household_register="331102001000",
        address="浙江省丽水市莲都区中山街1号",
        marital_status="10",
        phone=phone,
    )


def social_insurance(*, number: str, phone: str = "13900000001", months: int = 240) -> SocialInsuranceRecord:
    return SocialInsuranceRecord.objects.create(
        id_number=number,
        card_number="A12345678",
        insured_region="331102000000",
        contribution_months=months,
        medical_category="employee",
        bank_account="6217000000000001",
        phone=phone,
    )


def population_source(*, department: Department | None = None, grant: bool = True) -> DataSource:
    elements()
    source = services.source_register(
        code=f"population-{next(_seq)}",
        name="人口综合库",
        department=department or cf.make_department(name="公安分局"),
        kind="local_table",
        sensitivity=Sensitivity.SENSITIVE,
        subject_kind="person",
        config={"table": "person"},
        elements=[
            ElementBinding("person.id_number", "id_number", 1, True),
            ElementBinding("person.name", "name", 1, True),
            ElementBinding("person.gender", "gender", 1, True),
            ElementBinding("person.birth_date", "birth_date", 1, True),
            ElementBinding("person.phone", "phone", 5),
            ElementBinding("person.address", "address", 5),
        ],
        actor=None,
    )
    if grant:
        open_to_staff(source)
    return source


def social_source(*, grant: bool = True, sensitivity: str = Sensitivity.SENSITIVE) -> DataSource:
    elements()
    source = services.source_register(
        code=f"social-{next(_seq)}",
        name="社会保险参保库",
        department=cf.make_department(name="人力社保局"),
        kind="local_table",
        sensitivity=sensitivity,
        subject_kind="person",
        config={"table": "social_insurance"},
        elements=[
            ElementBinding("social_insurance.contribution_months", "contribution_months", 1, True),
            ElementBinding("person.bank_account", "bank_account", 1),
            ElementBinding("person.phone", "phone", 3),
        ],
        actor=None,
    )
    if grant:
        open_to_staff(source)
    return source


def http_source(*, url: str, grant: bool = True, **config: Any) -> DataSource:
    elements()
    source = services.source_register(
        code=f"fund-{next(_seq)}",
        name="住房公积金接口",
        department=cf.make_department(name="公积金中心"),
        kind="http",
        sensitivity=Sensitivity.SENSITIVE,
        subject_kind="person",
        config={"url": url, "timeout": 1.0, "retries": 1, "backoff": 0.01, **config},
        elements=[ElementBinding("housing_fund.account", "account", 1, True)],
        actor=None,
    )
    if grant:
        open_to_staff(source)
    return source


def open_to_staff(source: DataSource) -> None:
    SourceEntitlement.objects.create(source=source, role=Role.CLERK)
    SourceEntitlement.objects.create(source=source, role=Role.APPLICANT, own_data_only=True)


def clerk(*, department: Department | None = None) -> User:
    user = cf.make_user(display_name="窗口人员")
    RoleAssignment.objects.create(user=user, role=Role.CLERK, department=department)
    return user


def leader(*, department: Department) -> User:
    user = cf.make_user(display_name="部门负责人")
    RoleAssignment.objects.create(user=user, role=Role.LEADER, department=department)
    return user


def applicant(*, number: str, kind: str = ApplicantKind.CITIZEN) -> User:
    user = cf.make_user(display_name="申请人", id_number=number, applicant_kind=kind)
    RoleAssignment.objects.create(user=user, role=Role.APPLICANT)
    return user


def window_case(reader: User, subject: str | None, *, ref: str = "") -> Any:
    """A submitted window case whose applicant is the person (or company) `subject`, typed by `reader` (a
    window clerk): the case a shared-data read by that clerk about that subject is for. One case per
    (subject, ref) for the same reader, so `ref` stands for "the same case" across calls."""
    from onetrip.core import clock
    from onetrip.intake.models import Application, Case

    subject = subject or id_number()
    cases = reader.__dict__.setdefault("_window_cases", {})
    if (subject, ref) in cases:
        return cases[subject, ref]
    is_person = ric.is_valid(subject)
    lookup = {"id_number": subject} if is_person else {"organisation_code": subject}
    applicant = User.objects.filter(**lookup).first() or applicant_with(**lookup)
    item = cf.make_published_item()
    version = item.current_version
    application = Application.objects.create(
        applicant=applicant,
        item=item,
        item_version=version,
        channel="window",
        entered_by=reader,
        status="submitted",
    )
    now = clock.now()
    case = Case.objects.create(
        application=application,
        idempotency_key=f"sharing-{next(_seq)}",
        applicant=applicant,
        applicant_name=str(applicant),
        item_version=version,
        title=version.name,
        lead_department=version.implementing_department,
        region=version.implementing_department.region,
        channel="window",
        submitted_at=now,
        accept_due_at=now + dt.timedelta(days=7),
    )
    cases[subject, ref] = case
    return case


def applicant_with(**fields: Any) -> User:
    kind = ApplicantKind.CITIZEN if "id_number" in fields else ApplicantKind.COMPANY
    user = cf.make_user(display_name="申请人", applicant_kind=kind, **fields)
    RoleAssignment.objects.create(user=user, role=Role.APPLICANT)
    return user
