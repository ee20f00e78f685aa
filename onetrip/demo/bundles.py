"""The demo one-things (一件事), modelled from the source documents with their real members.

Members are demo items named by basic code (plus a situation code where the member is one situation of an
item: 最小颗粒度 “事项 + 办事情形”). The combined process lists edges between members: B after A; members
with no path between them run in parallel.

Stated figures are only those the documents state as numbers for this one-thing (改革前 → 改革后); a figure
a document gives only as a rate or a range stays in `note`, and every other figure is computed from the
members when the bundle is published. Sources: 002 (Lishui case study), 003 (2019 newspaper reports),
004 (provincial notice, the four kinds of one-thing).

The province's catalogue of 34 citizen and 19 company one-things is given in the documents by its areas
only (出生、上学、就业、特殊群体服务、失业、结婚生育、置业、就医、退休养老、殡葬; 登记开办、水电气网报装、
创新研发、生产经营、清算注销), not by name: the demo's themes are those areas, and each bundle below is
filed under its area. No one-thing is invented to fill the list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from onetrip.bundles.models import BundleKind
from onetrip.catalog.models import LimitUnit, ServiceObject

CITIZEN, COMPANY, OFFICE = ServiceObject.CITIZEN, ServiceObject.COMPANY, ServiceObject.OFFICE
MANY_MANY = BundleKind.MANY_DEPTS_MANY_ITEMS
ONE_MANY = BundleKind.ONE_DEPT_MANY_ITEMS


@dataclass(frozen=True)
class Member:
    code: str
    item: str  # basic code of a demo item
    situation: str = ""
    optional: bool = False
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stated:
    """Figures as a document states them for this one-thing; None where it does not."""

    trips: tuple[int | None, int | None] = (None, None)
    materials: tuple[int | None, int | None] = (None, None)
    fields: tuple[int | None, int | None] = (None, None)
    steps: tuple[int | None, int | None] = (None, None)
    limit: tuple[int | None, int | None] = (None, None)
    limit_unit: str = LimitUnit.WORKING_DAYS
    note: str = ""


@dataclass(frozen=True)
class BundleSpec:
    code: str
    name: str
    kind: str
    themes: tuple[str, ...]
    lead: str  # department code
    objects: tuple[str, ...]
    description: str
    members: tuple[Member, ...]
    edges: tuple[tuple[str, str], ...] = ()
    stated: Stated = field(default_factory=Stated)


def after(first: str, *then: str) -> tuple[tuple[str, str], ...]:
    """Edges first → each of `then` (they start in parallel once `first` is done)."""
    return tuple((first, t) for t in then)


# Item basic codes (see onetrip/demo/items.py).
RETIREMENT_APPROVAL = "100010000000"
PENSION_CLAIM = "050060000000"
PENSION_TRANSFER = "200120000000"
RETIREE_MEDICAL = "070030000000"
MEDICAL_TRANSFER = "200180000000"
HOUSING_FUND_WITHDRAWAL = "200190000000"
HOUSING_FUND_LOAN = "200200000000"
HOUSING_FUND_ACCOUNT = "200210000000"
HOUSING_FUND_TRANSFER = "200220000000"
INTERNAL_RETIREMENT = "100020000000"
STAFF_TRANSFER = "100030000000"
ESTABLISHMENT_IN = "100070000000"
ESTABLISHMENT_OUT = "100080000000"
EMPLOYEE_MEDICAL = "200160000000"
SOCIAL_SECURITY_CARD = "200130000000"
SOCIAL_SECURITY_ACTIVATION = "200140000000"
BIRTH_CERTIFICATE = "200050000000"
BIRTH_REGISTRATION = "070020000100"
DEATH_REGISTRATION = "070020000200"
HOUSEHOLD_MOVE = "070020000300"
VACCINATION_CERTIFICATE = "200070000000"
BIRTH_REGISTRATION_FAMILY = "200060000000"
RESIDENT_MEDICAL = "200170000000"
SURVIVOR_BENEFIT = "050090000000"
FUNERAL_RELIEF = "050030000000"
DISABILITY_ALLOWANCE = "050040000000"
DISABILITY_CARD = "200080000000"
VETERAN_RECEPTION = "200090000000"
VETERAN_CARD = "200100000000"
CONTRACT_FILING = "100090000000"
PROPERTY_TAX = "040010000000"
PROPERTY_TRANSFER = "070040000100"
PROPERTY_MORTGAGE = "070040000200"
COMPANY_SETUP = "010016600100"
FOOD_LICENCE = "010018900000"
PRIVATE_SCHOOL = "010041200000"
PRIVATE_NONPROFIT = "010052300000"
URBAN_TAX = "040020000100"
EDU_SURCHARGE = "040020000200"
LOCAL_EDU_SURCHARGE = "040020000300"
# Added for the bundles (onetrip/demo/items.py, BUNDLE_MEMBER_ITEMS).
PENSION_DEEMED_YEARS = "100110000000"
SPECIAL_JOB_RETIREMENT = "100120000000"
ILLNESS_RETIREMENT = "100130000000"
PENSION_ACCOUNT = "200310000000"
PENSION_LINKING = "200320000000"
RETIREE_COMMUNITY = "200330000000"
MEDICAL_YEARS = "100140000000"
MEDICAL_TOP_UP = "200340000000"
HOUSING_FUND_SEAL = "200350000000"
PUBLIC_PENSION_CLAIM = "050110000000"
SALARY_APPROVAL = "100150000000"
STAFF_FUNDING = "100160000000"
STAFF_INSURANCE = "200360000000"
MEDICAL_STOP = "200370000000"
POST_CHANGE = "100170000000"
PAYROLL_REVIEW = "100180000000"
PAYROLL_PAYMENT = "100190000000"
VETERAN_GRANT = "050120000000"
VETERAN_INFO = "200380000000"
HONOUR_PLAQUE = "200390000000"
VETERAN_TRAINING = "200400000000"
LIFT_PLANNING = "010210000000"
LIFT_NOTICE = "100200000000"
LIFT_REGISTRATION = "010220000000"

LISHUI = "《小切口 大改革 新突破》丽水市部门间“最多跑一次”改革案例"

# ------------------------------------------------------------------------------------ 企业职工退休（缙云）

ENTERPRISE_RETIREMENT = BundleSpec(
    "enterprise-retirement",
    "企业职工退休“一件事”",
    MANY_MANY,
    ("retirement",),
    "ld-rsj",
    (CITIZEN, COMPANY),
    "企业职工退休相关的14个高频事项合并为联办事项：人力社保、医疗保障、住房公积金三个部门，"
    "在社保服务中心一窗受理，填写一张《企业职工退休“一件事”联办申请表》，数据在后台流转。"
    "提前退休（特殊工种、因病）、跨统筹地区转移、制度衔接和医保一次性缴纳按本人情况点单。",
    (
        Member("approval", RETIREMENT_APPROVAL),
        Member("special-job", SPECIAL_JOB_RETIREMENT, optional=True),
        Member("illness", ILLNESS_RETIREMENT, optional=True),
        Member("deemed-years", PENSION_DEEMED_YEARS),
        Member("pension-transfer", PENSION_TRANSFER, optional=True),
        Member("pension-linking", PENSION_LINKING, optional=True),
        Member("pension", PENSION_CLAIM, depends_on=("approval", "deemed-years")),
        Member("pension-account", PENSION_ACCOUNT, depends_on=("pension",)),
        Member("community", RETIREE_COMMUNITY, depends_on=("approval",)),
        Member("medical-years", MEDICAL_YEARS),
        Member("medical-top-up", MEDICAL_TOP_UP, optional=True, depends_on=("medical-years",)),
        Member("medical", RETIREE_MEDICAL, depends_on=("approval", "medical-years")),
        Member("fund-seal", HOUSING_FUND_SEAL, depends_on=("approval",)),
        Member("fund-withdrawal", HOUSING_FUND_WITHDRAWAL, "retirement", depends_on=("fund-seal",)),
    ),
    (
        *after("approval", "pension", "community", "medical", "fund-seal"),
        *after("special-job", "pension"),
        *after("illness", "pension"),
        *after("deemed-years", "pension"),
        *after("pension-transfer", "pension"),
        *after("pension-linking", "pension"),
        *after("pension", "pension-account"),
        *after("medical-years", "medical-top-up", "medical"),
        *after("medical-top-up", "medical"),
        *after("fund-seal", "fund-withdrawal"),
    ),
    Stated(
        materials=(43, 13),
        limit=(None, 30),
        note="缙云县：改革前需跑人力社保局、医疗保障局、住房公积金3个部门，提交43份材料，材料重复率23.26%，"
        "填写14张申请表；改革后只需到人力社保局社保分中心，提交联办申请表、职工档案等13份材料，材料重复率为零，"
        "14张申请表整合为一张综合申请表，30个工作日便可完成。" + LISHUI + "案例5。",
    ),
)

# --------------------------------------------------- 机关事业单位人员职业生涯全周期（丽水，案例5、6、9、10）

PUBLIC_RETIREMENT = BundleSpec(
    "public-retirement",
    "机关事业单位人员退休“一件事”",
    MANY_MANY,
    ("career-retirement",),
    "ld-rsj",
    (OFFICE,),
    "退休审批、退休金申领、医保退休办理、社保核定、出编登记、公积金封存、个人公积金余额提取7个子项，"
    "单位人事干部在机关内部协同办事平台一次申请、一张表单，除姓名、身份证号码外其余指标自动获取。",
    (
        Member("approval", INTERNAL_RETIREMENT),
        Member("deemed-years", PENSION_DEEMED_YEARS),
        Member("pension", PUBLIC_PENSION_CLAIM, depends_on=("approval",)),
        Member("medical", RETIREE_MEDICAL, depends_on=("approval",)),
        Member("establishment-out", ESTABLISHMENT_OUT, depends_on=("approval",)),
        Member("fund-seal", HOUSING_FUND_SEAL, depends_on=("approval",)),
        Member("fund-withdrawal", HOUSING_FUND_WITHDRAWAL, "retirement", depends_on=("fund-seal",)),
    ),
    (
        *after("approval", "pension", "medical", "establishment-out", "fund-seal"),
        *after("deemed-years", "pension"),
        *after("fund-seal", "fund-withdrawal"),
    ),
    Stated(
        trips=(5, 0),
        materials=(4, 1),
        fields=(140, 35),
        limit=(13, 2),
        note="丽水市：原需到主管单位、人社、编办等6个部门提交9次申请、4份表格，填报指标140项，跑5次现场；"
        "改革后一次申请、一张《机关事业单位人员退休申请表》，指标减为35项，零次跑动，数据共享率94%，"
        "办理时限由13个工作日压缩至2个工作日以内。" + LISHUI + "案例5、6。",
    ),
)

STAFF_TRANSFER_BUNDLE = BundleSpec(
    "staff-transfer",
    "机关事业单位人员跨层级调动“一件事”",
    MANY_MANY,
    ("career-transfer",),
    "ld-rsj",
    (OFFICE,),
    "出编、入编、医保关系转移、社保关系转移、个人公积金转移和工资、行政介绍信合并为一张表单，"
    "调令、工资介绍信、行政介绍信整合到同一张表，部分串联环节改为并联审批。一表生成调出单位、调入单位、"
    "组织部、编办、人力社保等部门各自所需的表单（一源多用）。",
    (
        Member("approval", STAFF_TRANSFER),
        Member("establishment-out", ESTABLISHMENT_OUT, depends_on=("approval",)),
        Member("establishment-in", ESTABLISHMENT_IN, depends_on=("establishment-out",)),
        Member("pension-transfer", PENSION_TRANSFER, depends_on=("approval",)),
        Member("medical-transfer", MEDICAL_TRANSFER, depends_on=("approval",)),
        Member("fund-transfer", HOUSING_FUND_TRANSFER, depends_on=("approval",)),
        Member("funding", STAFF_FUNDING, "allocate", depends_on=("approval",)),
    ),
    (
        *after(
            "approval",
            "establishment-out",
            "pension-transfer",
            "medical-transfer",
            "fund-transfer",
            "funding",
        ),
        *after("establishment-out", "establishment-in"),
    ),
    Stated(
        trips=(17, 0),
        materials=(17, 1),
        fields=(264, 61),
        steps=(21, 8),
        limit=(None, 7),
        note="丽水市：改革前出编、入编、医保、社保、公积金转移和行政、工资介绍信等至少23个事项分属至少16个部门，"
        "“一事一表单”，材料至少17份，填写要素至少264个，21个环节，跑17次现场；改革后一张表单，"
        "要素最多61个，8个环节，零次跑，最多7个工作日（最快1个工作日）。" + LISHUI + "案例9、10。"
        "杭州市余杭区同类做法：一份表单自动生成7份表单供5个单位使用，填写栏目从339个减少到82个（浙里改第41期）。",
    ),
)

_ENTRY_MEMBERS = (
    Member("establishment-in", ESTABLISHMENT_IN),
    Member("salary", SALARY_APPROVAL, "start"),
    Member("pension", STAFF_INSURANCE, "pension-add"),
    Member("injury", STAFF_INSURANCE, "injury-add"),
    Member("unemployment", STAFF_INSURANCE, "unemployment-add"),
    Member("medical", EMPLOYEE_MEDICAL),
    Member("housing-fund", HOUSING_FUND_ACCOUNT),
    Member("ssc", SOCIAL_SECURITY_ACTIVATION, optional=True),
    Member("household", HOUSEHOLD_MOVE, optional=True),
    Member("funding", STAFF_FUNDING, "allocate"),
)
_ENTRY_DESCRIPTION = (
    "以组织人事部门审批同意为起点，入编登记、工资启用、养老保险登记、工伤保险登记、失业保险登记、"
    "医疗保险登记、公积金缴纳、社保卡启用、户籍迁移、财政经费拨付10个子项并联为一个环节同步办理；"
    "社保卡启用、户籍迁移不是必办项，按本人情况点单。"
)

PUBLIC_RECRUITMENT = BundleSpec(
    "public-recruitment",
    "事业单位公开招聘“一件事”",
    MANY_MANY,
    ("career-entry",),
    "ld-rsj",
    (OFFICE,),
    _ENTRY_DESCRIPTION,
    _ENTRY_MEMBERS,
    (),
    Stated(
        fields=(82, 42),
        note="办事表单从11份缩减到1份，填表要素从82个缩减到42个。7个职业生涯“一件事”合计：环节由43个并联为7个，"
        "填表要素由458个缩减到178个。" + LISHUI + "案例6。",
    ),
)
STAFF_INFLOW = BundleSpec(
    "staff-inflow",
    "事业单位人员流入“一件事”",
    MANY_MANY,
    ("career-entry", "career-transfer"),
    "ld-rsj",
    (OFFICE,),
    _ENTRY_DESCRIPTION + "取消下发调令、工资介绍信、行政介绍信3个环节。",
    _ENTRY_MEMBERS,
    (),
    Stated(
        limit=(None, 7),
        note="改革前下发调令、工资介绍信、行政介绍信是必经的3个环节，审批约需3个月；改革后10个业务并联为1个环节，"
        "最多7个工作日。" + LISHUI + "案例6。",
    ),
)
STAFF_OUTFLOW = BundleSpec(
    "staff-outflow",
    "事业单位人员流出“一件事”",
    MANY_MANY,
    ("career-transfer",),
    "ld-rsj",
    (OFFICE,),
    "人员流出（解聘、开除同）：出编登记、工资停薪、养老保险中断、工伤保险中断、失业保险中断、"
    "医疗保险中断、公积金封存、经费停拨8个子项一次申请、并联办理。",
    (
        Member("establishment-out", ESTABLISHMENT_OUT),
        Member("salary", SALARY_APPROVAL, "stop"),
        Member("pension", STAFF_INSURANCE, "pension-stop"),
        Member("injury", STAFF_INSURANCE, "injury-stop"),
        Member("unemployment", STAFF_INSURANCE, "unemployment-stop"),
        Member("medical", MEDICAL_STOP),
        Member("fund-seal", HOUSING_FUND_SEAL),
        Member("funding", STAFF_FUNDING, "stop"),
    ),
    (),
    Stated(note=LISHUI + "案例6。"),
)
POST_CHANGE_BUNDLE = BundleSpec(
    "post-change",
    "事业单位人员岗位变动“一件事”",
    MANY_MANY,
    ("career-promotion",),
    "ld-rsj",
    (OFFICE,),
    "岗位变动认定、工资变动、经费拨付3个子项一次申请：认定后工资变动，工资变动后调整经费拨付。",
    (
        Member("post", POST_CHANGE),
        Member("salary", SALARY_APPROVAL, "change", depends_on=("post",)),
        Member("funding", STAFF_FUNDING, "allocate", depends_on=("salary",)),
    ),
    (("post", "salary"), ("salary", "funding")),
    Stated(note=LISHUI + "案例6。"),
)
PAYROLL = BundleSpec(
    "payroll",
    "工资统发“一件事”",
    MANY_MANY,
    (),
    "ld-rsj",
    (OFFICE,),
    "每月由人力社保部门统一发起：统发单位25日前在工资系统完成次月工资造册并申报用款计划；26日人力社保部门"
    "在机关内部协同办事平台发起，盖一次电子章，数据即时并行流转到财政部门和各代发银行，"
    "财政核对实发总数后支付到代发银行，银行导入电子表单数据发放到个人账户。",
    (
        Member("review", PAYROLL_REVIEW),
        Member("payment", PAYROLL_PAYMENT, depends_on=("review",)),
    ),
    (("review", "payment"),),
    Stated(
        trips=(None, 0),
        materials=(None, 0),
        note="改革前各部门每月累计提交纸质材料800余份、线下跑腿200余次、盖章1600多次；改革后纸质材料零提交、"
        "办理过程零跑腿。截至2020年5月，200余家机关事业单位实现全流程网上办理。" + LISHUI + "案例3。",
    ),
)

# ----------------------------------------------------------------------------------- 群众“一件事”（省定）

BIRTH = BundleSpec(
    "birth",
    "出生“一件事”",
    MANY_MANY,
    ("birth",),
    "ld-wjj",
    (CITIZEN,),
    "政府、医院、银行、保险四方合作：在助产医院一站服务、一表申请，出生医学证明、出生登记（报户口）、"
    "新生儿医保参保、社会保障卡申领、预防接种证一次办结，家长可在新生儿出院前办结所有事项；"
    "生育登记按需点单。新生儿商业保险由合作保险机构在同一窗口办理，不属于政务事项。",
    (
        Member("birth-certificate", BIRTH_CERTIFICATE),
        Member("household", BIRTH_REGISTRATION, depends_on=("birth-certificate",)),
        Member("medical", RESIDENT_MEDICAL, "newborn", depends_on=("household",)),
        Member("ssc", SOCIAL_SECURITY_CARD, depends_on=("household",)),
        Member("vaccination", VACCINATION_CERTIFICATE, depends_on=("birth-certificate",)),
        Member("family", BIRTH_REGISTRATION_FAMILY, optional=True),
    ),
    (
        *after("birth-certificate", "household", "vaccination"),
        *after("household", "medical", "ssc"),
    ),
    Stated(note="瑞安市“政、医、银、保”四方合作，“一站服务”“一表申请”“一网覆盖”（2019年新闻报道）。"),
)
AFTER_DEATH = BundleSpec(
    "after-death",
    "身后事“一件事”",
    MANY_MANY,
    ("funeral",),
    "ld-mzj",
    (CITIZEN,),
    "公安、卫健、民政、人社等部门统一受理、分工负责、信息共享：户籍注销、丧葬补助金和抚恤金申领、"
    "基本殡葬服务费用减免一事联办，死亡证明由卫生健康部门系统推送，无需家属提交。",
    (
        Member("household", DEATH_REGISTRATION),
        Member("survivor", SURVIVOR_BENEFIT),
        Member("funeral", FUNERAL_RELIEF),
    ),
    (),
    Stated(
        trips=(5, 0),
        note="宁海县：全流程由“至少跑五次”变为“一次不用跑”；办理死亡证明时间从两三天提速至争取1小时内（2019年新闻报道）。",
    ),
)
VETERAN = BundleSpec(
    "veteran-retirement",
    "军人退役“一件事”（十事联办）",
    MANY_MANY,
    ("special-groups",),
    "ld-tyjr",
    (CITIZEN,),
    "军人退役涉及的10个办事事项一表申请、专窗受理：报到后户口、社保、医保、公积金接续并联办理，"
    "优待证、一次性经济补助金、信息采集同步办理；教育培训报名、光荣牌悬挂、公积金转移按本人情况点单。",
    (
        Member("reception", VETERAN_RECEPTION),
        Member("info", VETERAN_INFO, depends_on=("reception",)),
        Member("card", VETERAN_CARD, depends_on=("info",)),
        Member("grant", VETERAN_GRANT, depends_on=("reception",)),
        Member("household", HOUSEHOLD_MOVE, depends_on=("reception",)),
        Member("pension", PENSION_TRANSFER, depends_on=("reception",)),
        Member("medical", MEDICAL_TRANSFER, depends_on=("reception",)),
        Member("fund-transfer", HOUSING_FUND_TRANSFER, optional=True),
        Member("training", VETERAN_TRAINING, optional=True),
        Member("plaque", HONOUR_PLAQUE, optional=True),
    ),
    (
        *after(
            "reception",
            "info",
            "grant",
            "household",
            "pension",
            "medical",
            "fund-transfer",
            "training",
            "plaque",
        ),
        *after("info", "card"),
    ),
    Stated(
        trips=(8, 1),
        materials=(20, 6),
        note="台州市黄岩区：跑腿次数从8次减少到1次，申请材料从20份减少到6份，全流程办理时间压缩90%以上（2019年新闻报道）。",
    ),
)
DISABILITY = BundleSpec(
    "disability",
    "残疾人证“1+X”一件事",
    MANY_MANY,
    ("special-groups",),
    "ld-cl",
    (CITIZEN,),
    "残疾人证办理（1）与助残服务（X）集成联办，一次申请全程“为你跑”：申请、评定、审核、制证、发证合并为"
    "一个环节，取消办证公示；生活补贴、护理补贴等助残服务按本人情况点单。",
    (
        Member("card", DISABILITY_CARD),
        Member("living", DISABILITY_ALLOWANCE, "living", optional=True),
        Member("care", DISABILITY_ALLOWANCE, "care", optional=True),
    ),
    (*after("card", "living", "care"),),
    Stated(
        steps=(5, 1),
        note="玉环市：残疾人证办理与24项助残服务事项归并成“一件事”；申请、评定、审核、制证、发证五大环节合并成一个环节"
        "（2019年新闻报道）。本地已编目的助残服务为其中的生活补贴和护理补贴。",
    ),
)
PROPERTY = BundleSpec(
    "property-transaction",
    "不动产交易登记“一件事”",
    MANY_MANY,
    ("housing",),
    "ld-bdc",
    (CITIZEN, COMPANY),
    "交易备案、税款征缴和不动产登记三个环节分别由住建、税务和自然资源（不动产登记）部门办理，"
    "合并为一件事：一窗受理，备案与缴税并联，完税和网签信息共享后登记发证。",
    (
        Member("filing", CONTRACT_FILING),
        Member("tax", PROPERTY_TAX),
        Member("register", PROPERTY_TRANSFER, depends_on=("filing", "tax")),
    ),
    (("filing", "register"), ("tax", "register")),
    Stated(
        trips=(3, 1),
        note="浙跑改办字〔2017〕3号：就单个部门看都可以做到只跑一次，但对群众和企业来说一件事情要跑三次；"
        "以“一件事情”标准实现全流程最多跑一次。杭州市：提取9家单位28项电子证照，不动产交易登记60分钟领证。",
    ),
)
HOUSING_LOAN = BundleSpec(
    "combined-loan",
    "住房公积金组合贷款“一件事”",
    MANY_MANY,
    ("housing",),
    "ls-gjj",
    (CITIZEN,),
    "公积金部分和商业银行部分全流程合并办理：住房公积金管理中心、不动产登记中心、受托银行三方协同，"
    "一并受理、同步流转、同时办结。商业银行贷款由受托银行在同一窗口办理，不属于政务事项。",
    (
        Member("loan", HOUSING_FUND_LOAN, "combined"),
        Member("mortgage", PROPERTY_MORTGAGE, depends_on=("loan",)),
    ),
    (("loan", "mortgage"),),
    Stated(
        trips=(None, 1),
        note="丽水市：以往职工需折返于住房公积金管理中心、商业银行、不动产登记中心三地之间七八次；"
        "2018年起全流程“只跑一次”、一地办结。" + LISHUI + "案例1。",
    ),
)
INSURANCE_TRANSFER = BundleSpec(
    "insurance-transfer",
    "社保医保关系转移接续“一件事”",
    MANY_MANY,
    ("employment",),
    "ld-rsj",
    (CITIZEN,),
    "养老保险和医疗保险关系转移接续一次申请、部门联办，可网上办、掌上办、就近办。",
    (Member("pension", PENSION_TRANSFER), Member("medical", MEDICAL_TRANSFER)),
    (),
    Stated(
        trips=(2, 0),
        note="宁波市：全流程从“至少两次”变为“跑零次”，平均办理时间提速50%、环节减少75%、材料减少73%（2019年新闻报道）。",
    ),
)

# ----------------------------------------------------------------------------------- 企业“一件事”（省定）

RESTAURANT = BundleSpec(
    "restaurant-licence",
    "餐饮企业证照办理",
    ONE_MANY,
    ("company-start",),
    "ld-scjg",
    (COMPANY, CITIZEN),
    "开办餐饮企业涉及企业登记和食品经营许可两个权力事项，缺一不能开张，现均由市场监管部门行使：证照联办。",
    (
        Member("registration", COMPANY_SETUP),
        Member("food", FOOD_LICENCE, depends_on=("registration",)),
    ),
    (("registration", "food"),),
    Stated(note="浙跑改办字〔2017〕3号例2。"),
)
PRIVATE_SCHOOL_BUNDLE = BundleSpec(
    "private-school",
    "教育类民办非企业单位登记",
    MANY_MANY,
    ("company-start",),
    "ld-jyj",
    (COMPANY, CITIZEN),
    "成立教育类民办非企业单位先后涉及民办学校审批（教育部门）和民办非企业单位登记（民政部门），对举办者是一件事。",
    (
        Member("school", PRIVATE_SCHOOL),
        Member("registration", PRIVATE_NONPROFIT, depends_on=("school",)),
    ),
    (("school", "registration"),),
    Stated(note="浙跑改办字〔2017〕3号例3。"),
)
URBAN_TAXES = BundleSpec(
    "urban-taxes",
    "城建税及相关税费征缴",
    ONE_MANY,
    ("company-operation",),
    "ld-swj",
    (COMPANY, CITIZEN),
    "城市维护建设税、教育费附加、地方教育附加办理内容紧密相关、流程基本相似，都由税务部门征收，一次申报。",
    (
        Member("urban", URBAN_TAX),
        Member("education", EDU_SURCHARGE),
        Member("local-education", LOCAL_EDU_SURCHARGE),
    ),
    (),
    Stated(note="浙跑改办字〔2017〕3号例1。"),
)
LIFT = BundleSpec(
    "lift-installation",
    "既有住宅加装电梯联审“一件事”",
    MANY_MANY,
    ("housing",),
    "ld-zjj",
    (CITIZEN,),
    "业主主体、社区主导、政府引导：多部门联合审查加装电梯方案，规划许可后施工告知，竣工检验合格后办理使用登记，"
    "审批“一站式”、指导“一清单”。",
    (
        Member("planning", LIFT_PLANNING),
        Member("notice", LIFT_NOTICE, depends_on=("planning",)),
        Member("registration", LIFT_REGISTRATION, depends_on=("notice",)),
    ),
    (("planning", "notice"), ("notice", "registration")),
    Stated(note="杭州市“加梯模式”：建立多部门联合审查机制，累计722处项目通过联审（2019年新闻报道）。"),
)

BUNDLES: tuple[BundleSpec, ...] = (
    ENTERPRISE_RETIREMENT,
    PUBLIC_RETIREMENT,
    STAFF_TRANSFER_BUNDLE,
    PUBLIC_RECRUITMENT,
    STAFF_INFLOW,
    STAFF_OUTFLOW,
    POST_CHANGE_BUNDLE,
    PAYROLL,
    BIRTH,
    AFTER_DEATH,
    VETERAN,
    DISABILITY,
    PROPERTY,
    HOUSING_LOAN,
    INSURANCE_TRANSFER,
    RESTAURANT,
    PRIVATE_SCHOOL_BUNDLE,
    URBAN_TAXES,
    LIFT,
)
