"""Demo data for data sharing: the shared record tables, the sources over them, entitlements, licence types
and e-licences. Called by `onetrip demo` after the catalogue demo (it needs the departments and data
elements). Idempotent: records are keyed by ID number / USCC / unit number, sources and licence types by
code, licences by (type, number); a second run creates nothing.

People: the demo users (张三, the company 丽水绿谷餐饮管理有限公司 and its legal representative 李四), 陈建国,
a teacher of the district's education bureau who retires on 2026-06-30 (the subject of the 机关事业单位人员退休
一件事 that the bureau's HR applies for), and 300 generated residents of 莲都区 with valid ID numbers
(GB 11643 check digits via python-stdnum, with a 丽水 division code that existed in the year of birth),
a fixed random seed, so every run generates the same people.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from onetrip.catalog.models import Sensitivity
from onetrip.demo.organisations import DISTRICT, REGIONS
from onetrip.demo.people import (
    CITIZEN_ID,
    COMPANY_NAME,
    COMPANY_USCC,
    EDUCATION_BUREAU,
    citizen_id_number,
    company_uscc,
)
from onetrip.orgs.models import ApplicantKind, Department, Role, User
from onetrip.sharing import services
from onetrip.sharing.models import (
    CompanyRecord,
    DataSource,
    HolderKind,
    HouseholdMember,
    HouseholdRelation,
    HousingFundRecord,
    Licence,
    LicenceType,
    PersonRecord,
    RealEstateRecord,
    SocialInsuranceRecord,
    SourceEntitlement,
    StaffRecord,
)
from onetrip.sharing.services import ElementBinding as B

GENERATED_PEOPLE = 300
GENERATED_COMPANIES = 40
# Lishui's division codes over time (丽水地区 3325xx → 丽水市 3328xx → 莲都区 331102 …).
AREAS = ("332501", "332522", "332801", "332822", "332826", "331102", "331121", "331122")
RETIREE_ID = citizen_id_number("33250119660315351")
LEGAL_REP_ID = citizen_id_number("33282219850512202")
# 张三's household (户口簿): his wife and their two children; the elder enrols in primary school in 2026.
HOUSEHOLD_NUMBER = "331102000188"
SPOUSE_ID = citizen_id_number("33280119910620084")
CHILD_ID = citizen_id_number("33110220200315062")
YOUNGER_CHILD_ID = citizen_id_number("33110220230802071")
HOUSEHOLD = (
    (CITIZEN_ID, "张三", "1", dt.date(1990, 3, 7), HouseholdRelation.HEAD),
    (SPOUSE_ID, "王丽", "2", dt.date(1991, 6, 20), HouseholdRelation.SPOUSE),
    (CHILD_ID, "张子涵", "2", dt.date(2020, 3, 15), HouseholdRelation.CHILD),
    (YOUNGER_CHILD_ID, "张子轩", "1", dt.date(2023, 8, 2), HouseholdRelation.CHILD),
)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国文辉玲红波斌宇浩凯鹏晨欣怡梓涵子轩雨萱俊"
STREETS = ("中山街", "解放街", "大洋路", "紫金路", "丽阳街", "括苍路", "人民街", "城北街", "花园路", "处州路")
UNITS = (
    ("丽水市莲都区教育局", EDUCATION_BUREAU.uscc),
    ("丽水市莲都区人力资源和社会保障局", None),
    ("丽水市莲都区卫生健康局", None),
    ("丽水市莲都区民政局", None),
)
POSITIONS = ("一级科员", "四级主任科员", "二级主任科员", "专业技术十级", "专业技术八级", "管理九级")
EMPLOYERS = (
    "丽水绿谷餐饮管理有限公司",
    "浙江莲都建设有限公司",
    "丽水市瓯江电子有限公司",
    "丽水市中心医院",
    "莲都区灵活就业",
)


@dataclass
class SharingDemoSummary:
    counts: list[tuple[str, int, int]] = field(default_factory=list)  # label, total, created

    @property
    def changed(self) -> bool:
        return any(created for _, _, created in self.counts)


@dataclass
class _Person:
    id_number: str
    name: str
    gender: str
    birth: dt.date
    street: str
    married: bool
    phone: str


def _id_number(rng: random.Random, used: set[str]) -> tuple[str, dt.date, str]:
    while True:
        birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 55))
        seq = rng.randrange(0, 1000)
        for area in rng.sample(AREAS, len(AREAS)):
            body = f"{area}{birth:%Y%m%d}{seq:03d}"
            number = body + ric.calc_check_digit(body + "0")
            try:
                ric.validate(number)  # the area code must have existed in the year of birth
            except StdnumError:
                continue
            if number not in used:
                used.add(number)
                return number, birth, "1" if seq % 2 else "2"


def _people() -> list[_Person]:
    rng = random.Random(20260501)
    streets = [
        r.code
        for r in REGIONS
        if r.code.startswith(DISTRICT[:6]) and r.code.endswith("000") and r.code != DISTRICT
    ]
    people = [
        _Person(CITIZEN_ID, "张三", "1", dt.date(1990, 3, 7), streets[0], True, "13957800001"),
        _Person(LEGAL_REP_ID, "李四", "2", dt.date(1985, 5, 12), streets[1], True, "13957800002"),
        _Person(RETIREE_ID, "陈建国", "1", dt.date(1966, 3, 15), streets[2], True, "13957800017"),
    ]
    used = {p.id_number for p in people}
    for _ in range(GENERATED_PEOPLE):
        number, birth, gender = _id_number(rng, used)
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        phone = f"1{rng.choice('3578')}{rng.randrange(0, 10**9):09d}"
        people.append(_Person(number, name, gender, birth, rng.choice(streets), rng.random() < 0.6, phone))
    return people


def _records(people: list[_Person]) -> dict[type, list]:
    rng = random.Random(20260502)
    out: dict[type, list] = {
        m: []
        for m in (
            PersonRecord,
            SocialInsuranceRecord,
            HousingFundRecord,
            RealEstateRecord,
            StaffRecord,
            CompanyRecord,
            HouseholdMember,
        )
    }
    out[HouseholdMember] = [
        HouseholdMember(
            household_number=HOUSEHOLD_NUMBER,
            id_number=number,
            name=name,
            gender=gender,
            birth_date=birth,
            relation=relation,
        )
        for number, name, gender, birth, relation in HOUSEHOLD
    ]
    for i, p in enumerate(people):
        address = f"浙江省丽水市莲都区{rng.choice(STREETS)}{rng.randrange(1, 300)}号"
        out[PersonRecord].append(
            PersonRecord(
                id_number=p.id_number,
                name=p.name,
                gender=p.gender,
                birth_date=p.birth,
                household_register=p.street,
                address=address,
                marital_status="20" if p.married else "10",
                phone=p.phone,
            )
        )
        special = i < 3
        is_staff = p.id_number == RETIREE_ID or (not special and rng.random() < 0.15)
        working_years = max(0, min(40, 2026 - p.birth.year - 22))
        if special or rng.random() < 0.8:
            # The social-insurance phone is the one confirmed at the last contribution; a few people
            # changed number since the population register was updated (a conflict the clerk sees).
            phone = p.phone if rng.random() < 0.9 else f"1{rng.choice('3578')}{rng.randrange(0, 10**9):09d}"
            out[SocialInsuranceRecord].append(
                SocialInsuranceRecord(
                    id_number=p.id_number,
                    card_number=f"{rng.choice('ABCDE')}{rng.randrange(0, 10**8):08d}",
                    insured_region=DISTRICT,
                    contribution_months=working_years * 12 - rng.randrange(0, 12) if working_years else 0,
                    medical_category="employee" if working_years else "resident",
                    bank_account=f"6217{rng.randrange(0, 10**15):015d}",
                    phone=phone,
                    employer_name=EDUCATION_BUREAU.name if is_staff else rng.choice(EMPLOYERS),
                )
            )
        if special or is_staff or rng.random() < 0.5:
            out[HousingFundRecord].append(
                HousingFundRecord(
                    id_number=p.id_number,
                    account=f"3311{rng.randrange(0, 10**12):012d}",
                    employer_name=EDUCATION_BUREAU.name if is_staff else rng.choice(EMPLOYERS),
                    status="normal",
                    opened=dt.date(max(p.birth.year + 22, 1995), rng.randrange(1, 13), 1),
                )
            )
        if special or rng.random() < 0.4:
            unit = f"331102{rng.randrange(0, 10**6):06d}GB{rng.randrange(0, 10**5):05d}F{rng.randrange(0, 10**8):08d}"
            out[RealEstateRecord].append(
                RealEstateRecord(
                    owner_id_number=p.id_number,
                    unit_number=unit,
                    certificate_no=f"浙（{rng.randrange(2015, 2026)}）丽水市不动产权第{rng.randrange(0, 10**7):07d}号",
                    location=f"莲都区{rng.choice(STREETS)}{rng.randrange(1, 300)}号{rng.randrange(1, 30)}幢{rng.randrange(101, 2400)}室",
                    area=Decimal(rng.randrange(4500, 16000)) / 100,
                    registered=dt.date(rng.randrange(2010, 2026), rng.randrange(1, 13), rng.randrange(1, 28)),
                )
            )
        if is_staff:
            unit_name, unit_uscc = UNITS[0] if p.id_number == RETIREE_ID else rng.choice(UNITS)
            out[StaffRecord].append(
                StaffRecord(
                    id_number=p.id_number,
                    unit_name=unit_name,
                    unit_uscc=unit_uscc or EDUCATION_BUREAU.uscc,
                    establishment_type="public_institution"
                    if p.id_number == RETIREE_ID or rng.random() < 0.6
                    else "administrative",
                    position="专业技术八级" if p.id_number == RETIREE_ID else rng.choice(POSITIONS),
                    retirement_date=dt.date(2026, 6, 30)
                    if p.id_number == RETIREE_ID
                    else dt.date(p.birth.year + 60, p.birth.month, min(p.birth.day, 28)),
                )
            )
    out[CompanyRecord].append(
        CompanyRecord(
            uscc=COMPANY_USCC,
            name=COMPANY_NAME,
            legal_representative="李四",
            address="浙江省丽水市莲都区紫金路88号",
            company_type="llc",
            registered_capital=Decimal("100.00"),
            business_scope="餐饮服务；餐饮管理；食品销售。",
            established=dt.date(2019, 4, 18),
            phone="13957800002",
        )
    )
    for n in range(GENERATED_COMPANIES):
        owner = people[3 + n]
        out[CompanyRecord].append(
            CompanyRecord(
                uscc=company_uscc(70000000 + n * 37),
                name=f"丽水{rng.choice(('瓯江', '括苍', '处州', '白云', '紫金'))}{rng.choice(('商贸', '科技', '建设', '餐饮', '物流'))}有限公司{n + 1}号",
                legal_representative=owner.name,
                address=f"浙江省丽水市莲都区{rng.choice(STREETS)}{rng.randrange(1, 300)}号",
                company_type=rng.choice(("llc", "llc", "jsc", "partnership", "sole")),
                registered_capital=Decimal(rng.randrange(10, 5000)),
                business_scope="一般项目：技术服务；货物进出口。",
                established=dt.date(rng.randrange(2005, 2026), rng.randrange(1, 13), rng.randrange(1, 28)),
                phone=owner.phone,
            )
        )
    return out


_KEYS = {
    PersonRecord: "id_number",
    SocialInsuranceRecord: "id_number",
    HousingFundRecord: "id_number",
    RealEstateRecord: "unit_number",
    StaffRecord: "id_number",
    CompanyRecord: "uscc",
    HouseholdMember: "id_number",
}


@dataclass(frozen=True)
class SourceSpec:
    code: str
    name: str
    department: str
    table: str
    sensitivity: str
    elements: tuple[B, ...]
    subject_kind: str = "person"
    applicants: bool = True  # the applicant may read their own data here
    offices: bool = False  # an office applicant may read its staff's data here
    public: bool = False  # any applicant may read (public register)


SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec(
        "population",
        "人口综合库",
        "ld-gaj",
        "person",
        Sensitivity.SENSITIVE,
        (
            B("person.id_number", "id_number", 1, True),
            B("person.name", "name", 1, True),
            B("person.gender", "gender", 1, True),
            B("person.birth_date", "birth_date", 1, True),
            B("person.ethnicity", "ethnicity", 1, True),
            B("person.household_register", "household_register", 1, True),
            B("person.address", "address", 5),
            B("person.phone", "phone", 5),
        ),
        offices=True,
    ),
    # Household members (户籍家庭成员): read for the applicant's relatives (a child's fields), never by element.
    SourceSpec(
        "household",
        "户籍家庭成员库",
        "ld-gaj",
        "household",
        Sensitivity.SENSITIVE,
        (),
    ),
    SourceSpec(
        "marriage",
        "婚姻登记库",
        "ld-mzj",
        "person",
        Sensitivity.SENSITIVE,
        (B("marriage.status", "marital_status", 1, True),),
    ),
    SourceSpec(
        "social-insurance",
        "社会保险参保库",
        "ld-rsj",
        "social_insurance",
        Sensitivity.SENSITIVE,
        (
            B("social_insurance.account", "id_number", 1, True),
            B("social_insurance.card_number", "card_number", 1, True),
            B("social_insurance.insured_region", "insured_region", 1, True),
            B("social_insurance.contribution_months", "contribution_months", 1, True),
            B("person.bank_account", "bank_account", 1),
            B("person.phone", "phone", 3),
            # The insured person's employer as registered for contributions: 单位名称 / 工作单位 on the
            # retirement forms of an enterprise worker (the staffing source ranks first for civil servants).
            B("enterprise.name", "employer_name", 2),
            B("staff.unit_name", "employer_name", 2),
        ),
        offices=True,
    ),
    SourceSpec(
        "medical-insurance",
        "医疗保障参保库",
        "ld-ybj",
        "social_insurance",
        Sensitivity.SENSITIVE,
        (B("medical_insurance.category", "medical_category", 1, True),),
        offices=True,
    ),
    SourceSpec(
        "housing-fund",
        "住房公积金缴存库",
        "ls-gjj",
        "housing_fund",
        Sensitivity.SENSITIVE,
        (B("housing_fund.account", "account", 1, True),),
        offices=True,
    ),
    SourceSpec(
        "real-estate",
        "不动产登记库",
        "ld-bdc",
        "real_estate",
        Sensitivity.INTERNAL,
        (
            B("property.unit_number", "unit_number", 1, True),
            B("property.certificate_no", "certificate_no", 1, True),
            B("property.location", "location", 1, True),
            B("property.area", "area", 1, True),
        ),
    ),
    SourceSpec(
        "staffing",
        "机构编制实名制库",
        "ld-bb",
        "staff",
        Sensitivity.INTERNAL,
        (
            B("staff.unit_name", "unit_name", 1, True),
            B("staff.establishment_type", "establishment_type", 1, True),
            B("staff.position", "position", 5),
            B("staff.retirement_date", "retirement_date", 5),
        ),
        applicants=False,
        offices=True,
    ),
    SourceSpec(
        "cadre-archive",
        "干部人事档案库",
        "ld-zzb",
        "staff",
        Sensitivity.CLASSIFIED,
        (B("staff.position", "position", 1, True), B("staff.retirement_date", "retirement_date", 1, True)),
        applicants=False,
    ),
    SourceSpec(
        "company-register",
        "市场主体登记库",
        "ld-scjg",
        "company",
        Sensitivity.PUBLIC,
        (
            B("enterprise.uscc", "uscc", 1, True),
            B("enterprise.name", "name", 1, True),
            B("enterprise.type", "company_type", 1, True),
            B("enterprise.legal_representative", "legal_representative", 1, True),
            B("enterprise.address", "address", 1, True),
            B("enterprise.registered_capital", "registered_capital", 1, True),
            B("enterprise.business_scope", "business_scope", 1, True),
            B("enterprise.contact_phone", "phone", 5),
        ),
        subject_kind="company",
        public=True,
    ),
)

# (code, name, issuer, material licence type, holder kind)
LICENCE_TYPES = (
    ("id-card", "居民身份证", "ld-gaj", "居民身份证", HolderKind.PERSON),
    ("household-register", "居民户口簿", "ld-gaj", "居民户口簿", HolderKind.PERSON),
    ("social-security-card", "社会保障卡", "ld-rsj", "社会保障卡", HolderKind.PERSON),
    ("marriage-certificate", "结婚证", "ld-mzj", "结婚证", HolderKind.PERSON),
    ("property-certificate", "不动产权证书", "ld-bdc", "不动产权证书", HolderKind.PERSON),
    ("birth-certificate", "出生医学证明", "ld-wjj", "出生医学证明", HolderKind.PERSON),
    ("disability-card", "残疾人证", "ld-cl", "残疾人证", HolderKind.PERSON),
    ("business-licence", "营业执照", "ld-scjg", "营业执照", HolderKind.COMPANY),
    ("food-licence", "食品经营许可证", "ld-scjg", "食品经营许可证", HolderKind.COMPANY),
    ("school-licence", "民办学校办学许可证", "ld-jyj", "民办学校办学许可证", HolderKind.COMPANY),
)


def _sources(departments: dict[str, Department], actor: User | None) -> tuple[int, int]:
    existing = set(DataSource.objects.values_list("code", flat=True))
    created = 0
    for spec in SOURCES:
        if spec.code in existing:
            continue
        source = services.source_register(
            code=spec.code,
            name=spec.name,
            department=departments[spec.department],
            kind="local_table",
            sensitivity=spec.sensitivity,
            subject_kind=spec.subject_kind,
            config={"table": spec.table},
            elements=spec.elements,
            actor=actor,
        )
        created += 1
        if spec.sensitivity == Sensitivity.CLASSIFIED:
            continue  # read only through an approved exchange request
        grants = [
            SourceEntitlement(source=source, role=Role.CLERK),
            SourceEntitlement(source=source, role=Role.HANDLER),
            SourceEntitlement(source=source, role=Role.LEADER),
        ]
        if spec.public:
            grants.append(SourceEntitlement(source=source, role=Role.APPLICANT))
        elif spec.applicants:
            grants.append(SourceEntitlement(source=source, role=Role.APPLICANT, own_data_only=True))
        if spec.offices and not spec.public:
            grants.append(
                SourceEntitlement(
                    source=source,
                    role=Role.APPLICANT,
                    applicant_kind=ApplicantKind.OFFICE,
                    own_data_only=True,
                )
            )
        SourceEntitlement.objects.bulk_create(grants)
    return len(SOURCES), created


def _licences(
    people: list[_Person], records: dict[type, list], departments: dict[str, Department]
) -> tuple[int, int]:
    types = {}
    for code, name, issuer, satisfies, holder_kind in LICENCE_TYPES:
        types[code], _ = LicenceType.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "issuer": departments[issuer],
                "satisfies": satisfies,
                "holder_kind": holder_kind,
            },
        )
    issued_at = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
    rows: list[Licence] = []
    for n, p in enumerate(people):
        issued = dt.date(max(p.birth.year + 16, 2016), p.birth.month, min(p.birth.day, 28))
        rows.append(
            Licence(
                licence_type=types["id-card"],
                holder=p.id_number,
                holder_name=p.name,
                number=f"DZ-SFZ-{n:06d}",
                issuer=types["id-card"].issuer,
                valid_from=issued,
                valid_to=issued.replace(year=issued.year + 20),
                issued_at=issued_at,
            )
        )
        rows.append(
            Licence(
                licence_type=types["household-register"],
                holder=p.id_number,
                holder_name=p.name,
                number=f"DZ-HKB-{n:06d}",
                issuer=types["household-register"].issuer,
                valid_from=issued,
                issued_at=issued_at,
            )
        )
        if p.married:
            rows.append(
                Licence(
                    licence_type=types["marriage-certificate"],
                    holder=p.id_number,
                    holder_name=p.name,
                    number=f"J331102-{2010 + n % 15}-{n:06d}",
                    issuer=types["marriage-certificate"].issuer,
                    valid_from=dt.date(2010 + n % 15, 5, 20),
                    issued_at=issued_at,
                )
            )
    for n, r in enumerate(records[SocialInsuranceRecord]):
        name = next(p.name for p in people if p.id_number == r.id_number) if n < 3 else ""
        rows.append(
            Licence(
                licence_type=types["social-security-card"],
                holder=r.id_number,
                holder_name=name or "持卡人",
                number=r.card_number,
                issuer=types["social-security-card"].issuer,
                valid_from=dt.date(2020, 1, 1),
                valid_to=dt.date(2030, 1, 1),
                issued_at=issued_at,
            )
        )
    for r in records[RealEstateRecord]:
        rows.append(
            Licence(
                licence_type=types["property-certificate"],
                holder=r.owner_id_number,
                holder_name="权利人",
                number=r.certificate_no,
                issuer=types["property-certificate"].issuer,
                valid_from=r.registered,
                issued_at=issued_at,
            )
        )
    for n, c in enumerate(records[CompanyRecord]):
        rows.append(
            Licence(
                licence_type=types["business-licence"],
                holder=c.uscc,
                holder_name=c.name,
                number=c.uscc,
                issuer=types["business-licence"].issuer,
                valid_from=c.established,
                issued_at=issued_at,
            )
        )
        if n == 0:
            rows.append(
                Licence(
                    licence_type=types["food-licence"],
                    holder=c.uscc,
                    holder_name=c.name,
                    number="JY23311020012345",
                    issuer=types["food-licence"].issuer,
                    valid_from=dt.date(2021, 6, 1),
                    valid_to=dt.date(2026, 5, 31),
                    issued_at=issued_at,
                )
            )
    names = {p.id_number: p.name for p in people}
    for row in rows:
        if row.holder in names:
            row.holder_name = names[row.holder]
    before = Licence.objects.count()
    Licence.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return Licence.objects.count(), Licence.objects.count() - before


@transaction.atomic
def sharing_demo_load() -> SharingDemoSummary:
    """Load the shared records, sources, entitlements, licence types and licences (idempotent)."""
    summary = SharingDemoSummary()
    codes = {s.department for s in SOURCES} | {t[2] for t in LICENCE_TYPES}
    departments = {d.code: d for d in Department.objects.filter(code__in=codes)}
    missing = sorted(codes - set(departments))
    if missing:
        raise RuntimeError(f"load the demo organisations first (missing departments: {', '.join(missing)})")
    people = _people()
    records = _records(people)
    labels = {
        PersonRecord: "人口信息",
        SocialInsuranceRecord: "社会保险信息",
        HousingFundRecord: "住房公积金信息",
        RealEstateRecord: "不动产登记信息",
        StaffRecord: "机关事业单位人员信息",
        CompanyRecord: "法人信息",
        HouseholdMember: "户籍家庭成员",
    }
    for model, rows in records.items():
        before = model.objects.count()
        model.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
        after = model.objects.count()
        summary.counts.append((labels[model], after, after - before))
    actor = User.objects.filter(username="admin").first()
    total, created = _sources(departments, actor)
    summary.counts.append(("数据源", total, created))
    total, created = _licences(people, records, departments)
    summary.counts.append(("电子证照", total, created))
    return summary
