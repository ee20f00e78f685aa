"""Demo users, one or more for every role, all with the password `onetrip-demo`.

The citizen's ID number is fictitious but valid (GB 11643 check digit via python-stdnum; 332801 was the
code of 丽水市 in 1990); the company's USCC is valid (GB 32100, 91 = enterprise registered by market
regulation).
"""

from __future__ import annotations

from dataclasses import dataclass

from stdnum.cn import ric, uscc

from onetrip.demo.organisations import DEPARTMENTS, DISTRICT, organisation_code
from onetrip.orgs.models import ApplicantKind, Role

DEMO_PASSWORD = "onetrip-demo"


def citizen_id_number(body17: str) -> str:
    # calc_check_digit takes the full 18 characters and ignores the last one.
    return body17 + ric.calc_check_digit(body17 + "0")


def company_uscc(serial: int) -> str:
    body = f"91{DISTRICT[:6]}{organisation_code(serial)}"
    return body + uscc.calc_check_digit(body)


CITIZEN_ID = citizen_id_number("33280119900307123")
COMPANY_USCC = company_uscc(59871234)
COMPANY_NAME = "丽水绿谷餐饮管理有限公司"
EDUCATION_BUREAU = next(d for d in DEPARTMENTS if d.code == "ld-jyj")


@dataclass(frozen=True)
class Grant:
    role: str
    department: str | None = None  # department code
    region: str | None = None  # region code
    window: str | None = None  # window number in the demo hall


@dataclass(frozen=True)
class UserSpec:
    username: str
    display_name: str
    grants: tuple[Grant, ...]
    staff: bool = True
    superuser: bool = False
    applicant_kind: str = ApplicantKind.CITIZEN
    id_number: str = ""
    phone: str = ""
    organisation_code: str = ""
    organisation_name: str = ""
    note: str = ""


USERS: tuple[UserSpec, ...] = (
    UserSpec(
        "zhangsan",
        "张三",
        (Grant(Role.APPLICANT),),
        staff=False,
        id_number=CITIZEN_ID,
        phone="13957800001",
        note="个人申请人",
    ),
    UserSpec(
        "lvgu",
        "李四",
        (Grant(Role.APPLICANT),),
        staff=False,
        applicant_kind=ApplicantKind.COMPANY,
        phone="13957800002",
        organisation_code=COMPANY_USCC,
        organisation_name=COMPANY_NAME,
        note=f"法人申请人（{COMPANY_NAME}）",
    ),
    UserSpec(
        "jiaoyuju",
        "赵敏",
        (Grant(Role.APPLICANT),),
        staff=False,
        applicant_kind=ApplicantKind.OFFICE,
        organisation_code=EDUCATION_BUREAU.uscc,
        organisation_name=EDUCATION_BUREAU.name,
        note="机关单位申请人（区教育局人事科）",
    ),
    UserSpec(
        "chuangkou",
        "王芳",
        (Grant(Role.CLERK, region=DISTRICT, window="B01"),),
        note="综合窗口（莲都区行政服务中心 B01）",
    ),
    UserSpec("scjg-jingban", "陈晨", (Grant(Role.HANDLER, department="ld-scjg"),), note="区市场监管局经办人"),
    UserSpec("scjg-fuze", "刘洋", (Grant(Role.LEADER, department="ld-scjg"),), note="区市场监管局负责人"),
    UserSpec("rsj-jingban", "周静", (Grant(Role.HANDLER, department="ld-rsj"),), note="区人力社保局经办人"),
    UserSpec("rsj-fuze", "吴刚", (Grant(Role.LEADER, department="ld-rsj"),), note="区人力社保局负责人"),
    UserSpec(
        "paogaiban",
        "郑华",
        (Grant(Role.SUPERVISOR, department="ld-pgb", region=DISTRICT),),
        note="区跑改办效能监管",
    ),
    UserSpec(
        "shixiang-scjg",
        "孙丽",
        (Grant(Role.CATALOG_ADMIN, department="ld-scjg"),),
        note="事项管理员（区市场监管局）",
    ),
    UserSpec("shixiang", "钱进", (Grant(Role.CATALOG_ADMIN),), note="事项管理员（全局）"),
    UserSpec("admin", "系统管理员", (Grant(Role.SYSTEM_ADMIN),), superuser=True, note="系统管理员"),
)
