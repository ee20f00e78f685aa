"""The demo catalogue: real service items of a Zhejiang county (莲都区) and its city, as the source documents
describe them — company registration and food licensing (the 餐饮企业证照 example), private schools and
private non-enterprise units (the 教育类民办非企业单位 example), property registration with its contract
filing and tax (the 不动产统一登记 example), the 城建税及相关税费 example, retirement, transfers and the
housing fund (Lishui), birth, after-death, veterans and disability (Hangzhou and the province's one things).

Basic codes follow the national structure (type code + five-digit main number + three-digit sub number +
two-digit extension); the numbers are illustrative, not the national list's. Main items that have sub-items
carry a guide of their own whose situations are the sub-items (`main_of`).
"""

from __future__ import annotations

from dataclasses import replace

from onetrip.catalog.models import DataType, MaterialKind, MaterialNecessity, MaterialSource, TimeoutPolicy
from onetrip.demo.spec import (
    AGENT_QUESTION,
    AGENT_SITUATIONS,
    ALL_FORMS,
    CITIZEN,
    COMPANY,
    HOURS,
    IMMEDIATE,
    NATURAL,
    OFFICE,
    ONLINE_ONLY,
    PROMISED,
    WINDOW_ONLINE,
    WORKING,
    Fld,
    ItemSpec,
    Mat,
    Question,
    Sit,
    Step,
    accept,
    agent_materials,
    business_licence,
    decide,
    finish,
    form,
    household_register,
    id_card,
    immediate_process,
    marriage_certificate,
    parallel_process,
    review,
    serial,
    shared,
    standard_process,
)

AGENT = {"questions": (AGENT_QUESTION,), "situations": AGENT_SITUATIONS}
PERSON = ("person.name", "person.id_number", "person.phone")
COMPANY_FIELDS = ("enterprise.uscc", "enterprise.name", "enterprise.legal_representative", "person.phone")
DEEM = TimeoutPolicy.DEEM_APPROVED
KEYLESS = MaterialNecessity.NON_KEY


def photo(code: str = "photo") -> Mat:
    return shared(
        code,
        "申请人近期免冠证件照片",
        "从公安居民身份证照片库获取，本人可现场拍照替换",
        necessity=KEYLESS,
        deficiency=True,
    )


def main_of(
    basic_code: str, name: str, subs: tuple[ItemSpec, ...], question: str, **changes: object
) -> ItemSpec:
    """A main item whose guide offers its sub-items as situations (chosen by one question)."""
    first = subs[0]
    sub_codes = [f"sub{s.basic_code[7:10]}" for s in subs]
    sub_names = [s.name.split("（")[-1].rstrip("）") if "（" in s.name else s.name for s in subs]
    materials: dict[str, Mat] = {}
    tags: dict[str, list[str]] = {}
    has_agent = any(s.questions for s in subs)
    valid = {"self", "agent"} if has_agent else set()
    for sub, code in zip(subs, sub_codes, strict=True):
        for m in sub.materials:
            if m.situations and not set(m.situations) <= valid:
                m = replace(m, situations=())  # a sub-item's own situation: the sub-item is the situation
            if m.code not in materials:
                materials[m.code] = replace(m, basis=m.basis or sub.basis[:1])
            if not m.situations:
                tags.setdefault(m.code, []).append(code)
    everywhere = set(sub_codes)
    merged = tuple(
        replace(m, situations=m.situations or (() if set(tags[c]) == everywhere else tuple(tags[c])))
        for c, m in materials.items()
    )
    fields: dict[str, str | Fld] = {}
    for sub in subs:
        for f in sub.fields:
            fields.setdefault(f if isinstance(f, str) else f.code, f)
    statutory = [s.statutory for s in subs if s.statutory]
    promised = [s.promised for s in subs if s.promised]
    base = replace(
        first,
        basic_code=basic_code,
        name=name,
        parent=None,
        materials=merged,
        fields=tuple(fields.values()),
        basis=tuple(dict.fromkeys(r for s in subs for r in s.basis)),
        themes=tuple(dict.fromkeys(t for s in subs for t in s.themes)),
        questions=(
            Question("sub_item", question, tuple(zip(sub_codes, sub_names, strict=True))),
            *((AGENT_QUESTION,) if has_agent else ()),
        ),
        situations=(
            *(
                Sit(c, n, (("sub_item", (c,)),), f"办理子项：{s.name}")
                for c, n, s in zip(sub_codes, sub_names, subs, strict=True)
            ),
            *(AGENT_SITUATIONS if has_agent else ()),
        ),
        statutory=max(statutory) if statutory else None,
        promised=max(promised) if promised else None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ 市场监管：企业登记、食品经营

_REG_BASIS = (("sczt", "第三条"), ("sczt", "第十九条"))
COMPANY_SETUP = ItemSpec(
    "010016600100",
    "企业及分支机构登记（设立登记）",
    "ld-scjg",
    (COMPANY, CITIZEN),
    PROMISED,
    (1, WORKING),
    (3, WORKING),
    (("sczt", "第十六条"), *_REG_BASIS),
    "申请人具有完全民事行为能力；企业名称经自主申报；住所（主要经营场所）真实；经营范围按规范目录选择。",
    (
        form(
            "application",
            "公司登记（备案）申请书",
            ("enterprise.name", "enterprise.type", "enterprise.address", "enterprise.business_scope"),
        ),
        Mat("articles", "公司章程（合伙企业提交合伙协议）", standard="全体股东签名或者盖章"),
        id_card("法定代表人", "legal-rep-id"),
        id_card("自然人股东", "shareholder-id"),
        Mat(
            "premises",
            "住所（主要经营场所）使用证明",
            necessity=KEYLESS,
            deficiency=True,
            notes="自有房产通过不动产登记信息共享核验，租赁房产提交租赁合同；可先作住所申报承诺",
        ),
        *agent_materials(),
    ),
    (
        *COMPANY_FIELDS[1:],
        "enterprise.type",
        "enterprise.address",
        "enterprise.registered_capital",
        "enterprise.business_scope",
        Fld("legal_rep_id", "法定代表人身份证号", DataType.ID_NUMBER, "person.id_number"),
    ),
    serial(accept(4, HOURS), review(4, HOURS, "审核登记"), finish(1, HOURS, "发放营业执照")),
    ("company-start",),
    ("证照", "营业执照"),
    parent="010016600000",
    forms=ALL_FORMS,
    trips=0,
    statutory_note="《中华人民共和国市场主体登记管理条例》第十九条：不能当场登记的，3个工作日内予以登记",
    promised_note="企业开办全流程1个工作日内办结",
    **AGENT,
)
COMPANY_CHANGE = replace(
    COMPANY_SETUP,
    basic_code="010016600200",
    name="企业及分支机构登记（变更登记）",
    basis=(("sczt", "第二十四条"), *_REG_BASIS),
    conditions="登记事项发生变更的，自作出变更决议、决定或者法定变更事项发生之日起30日内申请变更登记。",
    materials=(
        form("application", "公司变更登记申请书", ("enterprise.name", "enterprise.address")),
        Mat("resolution", "公司作出变更的股东会决议或者股东决定"),
        Mat("amended-articles", "修改后的公司章程或者章程修正案", necessity=KEYLESS),
        business_licence(),
        id_card("法定代表人", "legal-rep-id"),
        *agent_materials(),
    ),
    fields=(*COMPANY_FIELDS, "enterprise.address", "enterprise.business_scope"),
    themes=("company-operation",),
    result=("证照", "营业执照（变更后）"),
)
COMPANY_CLOSE = replace(
    COMPANY_SETUP,
    basic_code="010016600300",
    name="企业及分支机构登记（注销登记）",
    basis=(("sczt", "第三十一条"), *_REG_BASIS),
    conditions="企业已依法解散并完成清算，或者符合简易注销条件；无未结清的税款和社会保险费。",
    materials=(
        form("application", "公司注销登记申请书", ("enterprise.uscc", "enterprise.name")),
        Mat("dissolution", "依法作出解散的决议或者决定"),
        Mat("liquidation", "经确认的清算报告"),
        shared(
            "tax-clearance",
            "清税证明",
            "由税务部门通过企业注销“一网通办”平台推送",
            ("enterprise.uscc",),
            basis=(("zsgl", "第二十五条"),),
        ),
        business_licence(),
        *agent_materials(),
    ),
    fields=COMPANY_FIELDS,
    themes=("company-closure",),
    result=("其他", "准予注销登记通知书"),
)
COMPANY_REGISTRATION = main_of(
    "010016600000",
    "企业及分支机构登记",
    (COMPANY_SETUP, COMPANY_CHANGE, COMPANY_CLOSE),
    "办理哪一类登记？",
    result=("证照", "营业执照"),
    themes=("company-start", "company-operation", "company-closure"),
)

FOOD_LICENCE = ItemSpec(
    "010018900000",
    "食品经营许可",
    "ld-scjg",
    (COMPANY, CITIZEN),
    PROMISED,
    (5, WORKING),
    (20, WORKING),
    (("spaq", "第三十五条"), ("spjyxk", ""), ("xzxk", "第四十二条")),
    "已取得营业执照；具有与经营的食品品种、数量相适应的经营场所和设备设施；配备食品安全管理人员，"
    "建立保证食品安全的规章制度。",
    (
        form("application", "食品经营许可申请书", ("food.business_form", "enterprise.address")),
        business_licence(),
        id_card("法定代表人（负责人）", "legal-rep-id"),
        Mat("layout", "与食品经营相适应的主要设备设施布局和操作流程文件"),
        Mat("rules", "食品安全自查、从业人员健康管理、进货查验记录和食品安全事故处置的规章制度"),
        Mat("manager", "食品安全管理人员名单及培训考核记录", necessity=KEYLESS, deficiency=True),
        *agent_materials(),
    ),
    (*COMPANY_FIELDS, "food.business_form", "enterprise.address", Fld("items", "经营项目", DataType.TEXT)),
    serial(
        accept(),
        review(1, name="材料审查"),
        Step("inspect", "现场核查", role="handler", limit=2),
        decide(1),
        finish(),
    ),
    ("company-start",),
    ("证照", "食品经营许可证"),
    trips=0,
    special_procedures=("现场核查",),
    statutory_note="《中华人民共和国行政许可法》第四十二条：20个工作日，经负责人批准可延长10个工作日",
    promised_note="与营业执照“证照联办”，5个工作日内办结",
    **AGENT,
)

# -------------------------------------------------------------- 教育类民办非企业单位：民办学校审批 + 登记

PRIVATE_SCHOOL = ItemSpec(
    "010041200000",
    "民办学校审批",
    "ld-jyj",
    (COMPANY, CITIZEN),
    PROMISED,
    (20, WORKING),
    None,
    (("mbjy", "第十二条"), ("xzxk", "第二十九条")),
    "举办者具有政治权利和完全民事行为能力（社会组织举办者具有法人资格）；有符合规定的章程、校长、"
    "教师、办学场所和办学资金。",
    (
        form("application", "民办学校设立申请书", ("school.name", "school.level", "school.sponsor")),
        id_card("举办者（个人）", "sponsor-id"),
        Mat("articles", "学校章程和首届董事会（理事会）组成人员名单"),
        Mat("principal", "拟任校长资格证明和教师资格证书"),
        Mat("premises", "办学场所使用证明"),
        Mat("funds", "资产来源和资金数额的证明文件"),
        *agent_materials(),
    ),
    (
        *PERSON,
        "school.name",
        "school.level",
        "school.sponsor",
        Fld("capacity", "拟招生规模（人）", DataType.INTEGER),
    ),
    serial(
        accept(),
        review(5, name="材料审查"),
        Step("inspect", "实地考察和专家评议", role="handler", limit=10),
        decide(3),
        finish(),
    ),
    ("company-start",),
    ("证照", "民办学校办学许可证"),
    trips=1,
    special_procedures=("专家评审", "实地考察"),
    statutory_note="依照《中华人民共和国民办教育促进法》规定的审批期限",
    promised_note="教育类民办非企业单位登记“一件事”：审批与登记一窗受理",
    **AGENT,
)

PRIVATE_NONPROFIT = ItemSpec(
    "010052300000",
    "民办非企业单位登记",
    "ld-mzj",
    (COMPANY, CITIZEN),
    PROMISED,
    (10, WORKING),
    (60, NATURAL),
    (("mfqy", "第三条"), ("mfqy", "第九条"), ("mfqy", "第十一条")),
    "经业务主管单位审查同意；有规范的名称和必要的组织机构；有与业务活动相适应的从业人员、合法财产和固定场所。",
    (
        form("application", "民办非企业单位登记申请书", ("enterprise.name", "enterprise.address")),
        Mat(
            "approval",
            "业务主管单位的批准文件（教育类为民办学校办学许可证）",
            kind=MaterialKind.E_LICENCE,
            source=MaterialSource.E_LICENCE,
            licence_type="民办学校办学许可证",
            copies=0,
        ),
        Mat("premises", "场所使用权证明"),
        Mat("capital", "验资报告"),
        id_card("拟任负责人", "leader-id"),
        Mat("articles", "章程草案"),
        *agent_materials(),
    ),
    (*PERSON, "enterprise.name", "enterprise.address", Fld("funds", "开办资金（万元）", DataType.DECIMAL)),
    standard_process(6, 2),
    ("company-start",),
    ("证照", "民办非企业单位登记证书"),
    trips=0,
    statutory_note="《民办非企业单位登记管理暂行条例》第十一条：60日",
    **AGENT,
)

# ------------------------------------------------------------------------- 不动产统一登记（交易、税、登记）

_PROPERTY_FIELDS = (
    "property.unit_number",
    "property.location",
    "property.area",
    "property.contract_no",
    "property.price",
    Fld("seller_name", "出卖人姓名", element="person.name", subject="seller"),
    Fld("seller_id", "出卖人身份证号", DataType.ID_NUMBER, "person.id_number", subject="seller"),
    Fld("buyer_name", "买受人姓名", element="person.name", subject="buyer"),
    Fld("buyer_id", "买受人身份证号", DataType.ID_NUMBER, "person.id_number", subject="buyer"),
    "marriage.status",
    "person.phone",
)
_PROPERTY_CERT = Mat(
    "property-certificate",
    "不动产权证书",
    kind=MaterialKind.E_LICENCE,
    source=MaterialSource.E_LICENCE,
    licence_type="不动产权证书",
    copies=0,
    elements=("property.certificate_no", "property.unit_number"),
)
_MARRIED = Question("married", "出卖人是否已婚？", (("yes", "已婚"), ("no", "未婚、离异或丧偶")))
PROPERTY_TRANSFER = ItemSpec(
    "070040000100",
    "不动产登记（存量房买卖转移登记）",
    "ld-bdc",
    (CITIZEN, COMPANY),
    PROMISED,
    (1, WORKING),
    (30, WORKING),
    (("bdcdj", "第十四条"), ("bdcdj", "第十六条"), ("bdcdj", "第二十条"), ("mfd", "第二百零九条")),
    "买卖双方共同申请；房屋已办理不动产权登记，不存在查封、异议登记；买卖合同已网签备案，税款已缴纳。",
    (
        form("application", "不动产登记申请书", ("property.unit_number", "property.location")),
        id_card("买卖双方", "party-id"),
        _PROPERTY_CERT,
        shared(
            "contract",
            "存量房买卖合同（网签备案）",
            "由区住建局网签备案系统推送",
            ("property.contract_no", "property.price"),
        ),
        shared("tax-receipt", "完税凭证", "由区税务局推送契税、增值税完税信息", ("tax.taxable_amount",)),
        marriage_certificate(("married",)),
        *agent_materials(),
    ),
    _PROPERTY_FIELDS,
    parallel_process(
        (accept(2, HOURS),),
        (
            Step("filing", "交易备案", dept="ld-zjj", limit=2, unit=HOURS, timeout=DEEM),
            Step("tax", "税款征缴", dept="ld-swj", limit=2, unit=HOURS, timeout=DEEM),
        ),
        (
            Step("register", "登记审核", role="handler", limit=2, unit=HOURS),
            Step("issue", "登簿发证", role="handler", limit=2, unit=HOURS),
        ),
    ),
    ("housing",),
    ("证照", "不动产权证书"),
    parent="070040000000",
    trips=1,
    joint=("ld-zjj", "ld-swj"),
    questions=(_MARRIED, AGENT_QUESTION),
    situations=(
        Sit("married", "出卖人已婚", (("married", ("yes",)),), "配偶共同出售"),
        Sit("single", "出卖人未婚、离异或丧偶", (("married", ("no",)),)),
        *AGENT_SITUATIONS,
    ),
    statutory_note="《不动产登记暂行条例》第二十条：30个工作日",
    promised_note="交易、税务、登记一窗受理、并联办理，当日领证",
)
PROPERTY_MORTGAGE = replace(
    PROPERTY_TRANSFER,
    basic_code="070040000200",
    name="不动产登记（抵押权首次登记）",
    conditions="抵押人与抵押权人共同申请；抵押财产已办理不动产权登记；抵押合同和主债权合同已签订。",
    materials=(
        form("application", "不动产登记申请书", ("property.unit_number", "property.location")),
        id_card("抵押人", "mortgagor-id"),
        Mat(
            "lender-licence",
            "抵押权人营业执照",
            kind=MaterialKind.E_LICENCE,
            source=MaterialSource.E_LICENCE,
            licence_type="营业执照",
            copies=0,
        ),
        _PROPERTY_CERT,
        shared("mortgage-contract", "抵押合同", "由受托银行通过“不动产登记+金融服务”系统推送"),
        shared("loan-contract", "主债权合同", "由受托银行通过“不动产登记+金融服务”系统推送"),
        *agent_materials(),
    ),
    fields=(
        "property.unit_number",
        "property.location",
        *PERSON,
        Fld("debt", "被担保主债权数额（万元）", DataType.DECIMAL),
    ),
    process=standard_process(1, 1),
    joint=(),
    questions=(AGENT_QUESTION,),
    situations=AGENT_SITUATIONS,
    trips=0,
    forms=ONLINE_ONLY,
    result=("证照", "不动产登记证明（抵押权）"),
    promised_note="银行端全程网办，1个工作日内办结",
)
PROPERTY_REGISTRATION = main_of(
    "070040000000", "不动产登记", (PROPERTY_TRANSFER, PROPERTY_MORTGAGE), "办理哪一类不动产登记？"
)

CONTRACT_FILING = ItemSpec(
    "100090000000",
    "房屋交易合同网签备案",
    "ld-zjj",
    (CITIZEN, COMPANY),
    IMMEDIATE,
    None,
    None,
    (("fdc", "第四十五条"),),
    "买卖双方已签订房屋买卖合同；房屋不存在查封、限制交易情形；商品房已取得预售许可。",
    (
        Mat("contract", "房屋买卖合同", kind=MaterialKind.ORIGINAL, elements=("property.contract_no",)),
        id_card("买卖双方", "party-id"),
        replace(_PROPERTY_CERT, situations=("resale",)),
        shared("presale", "商品房预售许可信息", "由区住建局房地产市场监管系统核验", situations=("new",)),
    ),
    _PROPERTY_FIELDS[:5],
    immediate_process(),
    ("housing",),
    ("其他", "房屋交易合同备案证明"),
    questions=(Question("house", "房屋类型", (("new", "商品房（预售）"), ("resale", "存量房（二手房）"))),),
    situations=(
        Sit("new", "商品房预售合同备案", (("house", ("new",)),)),
        Sit("resale", "存量房买卖合同网签", (("house", ("resale",)),)),
    ),
    power_source="法定本级行使",
    promised_note="当场办结（即办件）",
)

PROPERTY_TAX = ItemSpec(
    "040010000000",
    "不动产交易税款征缴",
    "ld-swj",
    (CITIZEN, COMPANY),
    IMMEDIATE,
    None,
    None,
    (("qs", "第一条"), ("qs", "第十条"), ("zsgl", "第二十五条")),
    "房屋买卖合同已网签备案；承受方在办理不动产权属登记前申报缴纳契税。",
    (
        shared(
            "contract", "房屋买卖合同（网签备案）", "由区住建局网签备案系统推送", ("property.contract_no",)
        ),
        id_card("纳税人", "taxpayer-id"),
        marriage_certificate(("family",)),
        form("declaration", "契税税源明细表", ("tax.taxable_amount", "property.area")),
    ),
    ("property.contract_no", "property.price", "property.area", *PERSON, "tax.taxable_amount"),
    immediate_process(),
    ("housing",),
    ("其他", "完税凭证"),
    questions=(Question("relief", "是否申请家庭住房契税优惠？", (("yes", "是"), ("no", "否"))),),
    situations=(
        Sit("family", "申请家庭住房优惠", (("relief", ("yes",)),)),
        Sit("plain", "不申请优惠", (("relief", ("no",)),)),
    ),
    promised_note="当场办结（即办件）",
)

# -------------------------------------------------------------------- 城建税及相关税费征缴（004 例1）

_TAX_FORM = form(
    "declaration",
    "城市维护建设税 教育费附加 地方教育附加申报表",
    ("enterprise.uscc", "tax.period", "tax.taxable_amount"),
)
URBAN_TAX = ItemSpec(
    "040020000100",
    "城建税及相关税费征缴（城市维护建设税征收）",
    "ld-swj",
    (COMPANY, CITIZEN),
    IMMEDIATE,
    None,
    None,
    (("cjs", "第一条"), ("zsgl", "第二十五条")),
    "缴纳增值税、消费税的单位和个人，在申报增值税、消费税的同时申报城市维护建设税。",
    (_TAX_FORM,),
    ("enterprise.uscc", "enterprise.name", "tax.period", "tax.taxable_amount"),
    immediate_process(),
    ("company-operation",),
    ("其他", "税收完税证明"),
    parent="040020000000",
    forms=ONLINE_ONLY,
    post_delivery=False,
    promised_note="电子税务局申报，当场办结",
)
EDU_SURCHARGE = replace(
    URBAN_TAX,
    basic_code="040020000200",
    name="城建税及相关税费征缴（教育费附加征收）",
    basis=(("jyfj", ""), ("zsgl", "第二十五条")),
    conditions="缴纳增值税、消费税的单位和个人，以实际缴纳的增值税、消费税税额为计征依据。",
)
LOCAL_EDU_SURCHARGE = replace(
    URBAN_TAX,
    basic_code="040020000300",
    name="城建税及相关税费征缴（地方教育附加征收）",
    basis=(("dfjy", ""), ("zsgl", "第二十五条")),
    conditions="缴纳增值税、消费税的单位和个人，以实际缴纳的增值税、消费税税额为计征依据。",
)
URBAN_TAXES = main_of(
    "040020000000",
    "城建税及相关税费征缴",
    (URBAN_TAX, EDU_SURCHARGE, LOCAL_EDU_SURCHARGE),
    "申报哪一项税费？",
)

# ------------------------------------------------------------------------------------ 住房公积金（市级）

HOUSING_FUND_WITHDRAWAL = ItemSpec(
    "200190000000",
    "住房公积金提取",
    "ls-gjj",
    (CITIZEN,),
    IMMEDIATE,
    (2, HOURS),
    (3, NATURAL),
    (("gjj", "第二十四条"), ("gjj", "第二十五条")),
    "职工购买、建造、翻建、大修自住住房，或者离休、退休；住房公积金账户为正常缴存或封存状态。",
    (
        id_card(),
        replace(_PROPERTY_CERT, situations=("purchase",)),
        shared(
            "purchase-contract",
            "购房合同（网签备案）",
            "由区住建局网签备案系统推送",
            ("property.contract_no",),
            situations=("purchase",),
        ),
        shared(
            "retirement-record",
            "退休审批信息",
            "由人力社保部门退休审批结果共享",
            ("staff.retirement_date",),
            situations=("retirement",),
        ),
        Mat(
            "ssc",
            "本人社会保障卡（银行结算账户）",
            kind=MaterialKind.E_LICENCE,
            source=MaterialSource.E_LICENCE,
            licence_type="社会保障卡",
            copies=0,
            elements=("social_insurance.card_number",),
        ),
    ),
    (*PERSON, "housing_fund.account", "housing_fund.withdrawal_reason", "person.bank_account"),
    immediate_process(),
    ("housing", "retirement", "career-retirement"),
    ("其他", "住房公积金提取到账通知"),
    forms=(*WINDOW_ONLINE,),
    scope="province",
    questions=(Question("reason", "提取原因", (("purchase", "购买自住住房"), ("retirement", "离休、退休"))),),
    situations=(
        Sit("purchase", "购买自住住房提取", (("reason", ("purchase",)),)),
        Sit("retirement", "离休、退休提取", (("reason", ("retirement",)),)),
    ),
    statutory_note="《住房公积金管理条例》第二十五条：自受理申请之日起3日内作出决定",
    promised_note="即办，2小时内到账",
)

HOUSING_FUND_LOAN = ItemSpec(
    "200200000000",
    "住房公积金个人住房贷款",
    "ls-gjj",
    (CITIZEN,),
    PROMISED,
    (5, WORKING),
    (15, NATURAL),
    (("gjj", "第二十六条"),),
    "借款人连续足额缴存住房公积金满6个月；购买、建造、翻建、大修自住住房；具有稳定的经济收入和偿还能力。",
    (
        form(
            "application",
            "住房公积金个人住房贷款申请表",
            ("housing_fund.loan_amount", "housing_fund.loan_term_months"),
        ),
        id_card("借款人及配偶", "borrower-id"),
        shared("contract", "购房合同（网签备案）", "由区住建局网签备案系统推送", ("property.contract_no",)),
        Mat("down-payment", "首付款付款凭证"),
        Mat(
            "bank-approval",
            "商业银行贷款审批意见",
            situations=("combined",),
            necessity=KEYLESS,
            deficiency=True,
        ),
    ),
    (
        *PERSON,
        "housing_fund.account",
        "housing_fund.loan_amount",
        "housing_fund.loan_term_months",
        "property.location",
    ),
    serial(
        accept(),
        review(2, name="贷款审核"),
        decide(1, name="贷款审批"),
        Step("mortgage", "抵押登记", dept="ld-bdc", limit=1, timeout=DEEM),
        Step("lend", "放款", role="handler", limit=1),
    ),
    ("housing",),
    ("其他", "住房公积金借款合同"),
    trips=1,
    joint=("ld-bdc",),
    questions=(
        Question("loan", "贷款方式", (("fund", "纯公积金贷款"), ("combined", "组合贷款（公积金+商业银行）"))),
    ),
    situations=(
        Sit("fund", "纯公积金贷款", (("loan", ("fund",)),)),
        Sit(
            "combined",
            "组合贷款",
            (("loan", ("combined",)),),
            "公积金中心、不动产登记中心、受托银行三方协同，只跑一次",
        ),
    ),
    statutory_note="《住房公积金管理条例》第二十六条：自受理申请之日起15日内作出决定",
)

HOUSING_FUND_ACCOUNT = ItemSpec(
    "200210000000",
    "住房公积金缴存登记",
    "ls-gjj",
    (COMPANY, OFFICE),
    IMMEDIATE,
    None,
    (30, NATURAL),
    (("gjj", "第十五条"),),
    "单位录用职工的，自录用之日起30日内办理缴存登记。",
    (business_licence(), form("roster", "住房公积金缴存人员增加清册", ("person.name", "person.id_number"))),
    (*COMPANY_FIELDS, Fld("staff_id", "职工身份证号", DataType.ID_NUMBER, "person.id_number")),
    immediate_process(),
    ("company-start", "career-entry"),
    ("其他", "住房公积金个人账户"),
    forms=ONLINE_ONLY,
    statutory_note="《住房公积金管理条例》第十五条：自录用之日起30日内（单位的办理期限）",
    promised_note="当场办结（即办件）",
)

HOUSING_FUND_TRANSFER = ItemSpec(
    "200220000000",
    "住房公积金个人账户转移",
    "ls-gjj",
    (CITIZEN, OFFICE),
    PROMISED,
    (3, WORKING),
    None,
    (("gjj", ""),),
    "职工工作单位变动，已在新单位建立住房公积金账户。",
    (id_card(), shared("new-account", "转入地住房公积金账户信息", "由全国住房公积金异地转移接续平台获取")),
    (*PERSON, "housing_fund.account", "staff.target_unit_name"),
    standard_process(1, 1),
    ("career-transfer", "employment"),
    ("其他", "住房公积金转移接续完成通知"),
    forms=ONLINE_ONLY,
    scope="nation",
)

# ------------------------------------------------------------------- 出生“一件事”：医证、户口、接种、医保

_BIRTH_CERT = Mat(
    "birth-certificate",
    "出生医学证明",
    kind=MaterialKind.E_LICENCE,
    source=MaterialSource.E_LICENCE,
    licence_type="出生医学证明",
    copies=0,
    elements=("newborn.name", "newborn.birth_date", "newborn.birth_certificate_no"),
)
_NEWBORN = ("newborn.name", "newborn.gender", "newborn.birth_date", "newborn.birth_place")
# Fields about someone other than the applicant declare whose data they hold (信息主体): never prefilled
# with the applicant's own record.
CHILD, MOTHER, FATHER, DECEASED = "child", "mother", "father", "deceased"
_NEWBORN_FIELDS = (
    Fld("newborn_name", "新生儿姓名", element="newborn.name", subject=CHILD),
    Fld("newborn_gender", "新生儿性别", DataType.CHOICE, "newborn.gender", subject=CHILD),
    Fld("newborn_birth_date", "新生儿出生日期", DataType.DATE, "newborn.birth_date", subject=CHILD),
    Fld("newborn_birth_place", "出生地点", element="newborn.birth_place", subject=CHILD),
)
_PARENTS = (
    Fld("mother_name", "母亲姓名", element="person.name", subject=MOTHER),
    Fld("mother_id", "母亲身份证号", DataType.ID_NUMBER, "person.id_number", subject=MOTHER),
    Fld("father_name", "父亲姓名", element="person.name", subject=FATHER),
    Fld("father_id", "父亲身份证号", DataType.ID_NUMBER, "person.id_number", subject=FATHER),
    "person.phone",
)
_DECEASED_ID = Fld("deceased_id", "逝者身份证号", DataType.ID_NUMBER, "person.id_number", subject=DECEASED)
_DEATH_DATE = Fld("death_date", "死亡日期", DataType.DATE, "person.death_date", subject=DECEASED)

BIRTH_CERTIFICATE = ItemSpec(
    "200050000000",
    "出生医学证明签发",
    "ld-wjj",
    (CITIZEN,),
    IMMEDIATE,
    None,
    None,
    (("mybj", "第二十三条"),),
    "新生儿在本区助产机构内出生，或者在医疗机构外出生且经核实出生事实；父母身份信息完整。",
    (
        id_card("母亲", "mother-id"),
        id_card("父亲", "father-id"),
        shared("delivery-record", "新生儿分娩记录", "由助产机构医院信息系统推送", _NEWBORN),
    ),
    (*_NEWBORN_FIELDS, *_PARENTS),
    immediate_process(),
    ("birth",),
    ("证照", "出生医学证明"),
    forms=WINDOW_ONLINE,
    promised_note="新生儿出院前办结（出生“一件事”）",
)

BIRTH_REGISTRATION = ItemSpec(
    "070020000100",
    "户口登记（出生登记）",
    "ld-gaj",
    (CITIZEN,),
    IMMEDIATE,
    None,
    None,
    (("hkdj", "第七条"),),
    "婴儿出生后一个月以内，由户主、亲属、抚养人向婴儿常住地户口登记机关申报。",
    (
        _BIRTH_CERT,
        household_register("父亲或者母亲"),
        id_card("父母", "parent-id"),
        marriage_certificate(),
        *agent_materials(),
    ),
    (*_NEWBORN_FIELDS, *_PARENTS, "person.household_register"),
    immediate_process(),
    ("birth",),
    ("证照", "居民户口簿（新生儿户口页）"),
    parent="070020000000",
    forms=ALL_FORMS,
    promised_note="出生“一件事”联办，当场办结",
    **AGENT,
)
DEATH_REGISTRATION = replace(
    BIRTH_REGISTRATION,
    basic_code="070020000200",
    name="户口登记（死亡注销户口）",
    basis=(("hkdj", "第八条"),),
    conditions="公民死亡，城市在葬前，农村在一个月以内，由户主、亲属、抚养人申报死亡登记。",
    materials=(
        shared(
            "death-certificate",
            "居民死亡医学证明（推断）书",
            "由卫生健康部门死亡证明系统推送",
            ("person.death_date",),
        ),
        household_register("逝者"),
        id_card("申报人", "declarant-id"),
        *agent_materials(),
    ),
    fields=(
        Fld("deceased_name", "逝者姓名", element="person.name", subject=DECEASED),
        _DECEASED_ID,
        _DEATH_DATE,
        "person.relationship",
        "person.phone",
    ),
    themes=("funeral",),
    result=("其他", "户口注销证明"),
    promised_note="身后“一件事”联办，当场办结",
)
HOUSEHOLD_MOVE = replace(
    BIRTH_REGISTRATION,
    basic_code="070020000300",
    name="户口登记（户口迁移）",
    basis=(("hkdj", "第十条"),),
    conditions="在迁入地有合法稳定住所，或者因工作调动、投靠亲属符合迁入条件；省内迁移由迁入地一站办理。",
    materials=(
        household_register(),
        id_card(),
        replace(_PROPERTY_CERT, necessity=KEYLESS),
        Mat("transfer-order", "工作调动通知（因工作调动迁入的）", necessity=KEYLESS, deficiency=True),
        *agent_materials(),
    ),
    fields=(*PERSON, "person.household_register", "person.address", Fld("reason", "迁移原因", DataType.TEXT)),
    themes=("housing", "career-transfer"),
    result=("证照", "居民户口簿（迁入后）"),
    promised=(1, WORKING),
    kind=PROMISED,
    process=standard_process(1, 1),
    promised_note="省内迁移“一站式”办理，1个工作日",
)
HOUSEHOLD_REGISTRATION = main_of(
    "070020000000",
    "户口登记",
    (BIRTH_REGISTRATION, DEATH_REGISTRATION, HOUSEHOLD_MOVE),
    "办理哪一类户口登记？",
    themes=("birth", "funeral", "housing", "career-transfer"),
)

VACCINATION_CERTIFICATE = ItemSpec(
    "200070000000",
    "预防接种证办理",
    "ld-wjj",
    (CITIZEN,),
    IMMEDIATE,
    None,
    None,
    (("ymgl", "第四十七条"),),
    "儿童出生后一个月内，由监护人到儿童居住地接种单位或者出生医院办理。",
    (_BIRTH_CERT, id_card("监护人", "guardian-id")),
    (*_NEWBORN_FIELDS, *_PARENTS),
    immediate_process(),
    ("birth",),
    ("证照", "预防接种证"),
    promised_note="出生医院当场办结",
)

BIRTH_REGISTRATION_FAMILY = ItemSpec(
    "200060000000",
    "生育登记",
    "ld-wjj",
    (CITIZEN,),
    IMMEDIATE,
    None,
    None,
    (("rkjs", ""),),
    "夫妻双方至少一方户籍在本区，或者女方在本区居住。",
    (id_card("夫妻双方", "couple-id"), marriage_certificate()),
    (*_PARENTS, "marriage.certificate_no", Fld("due_date", "预产期", DataType.DATE, required=False)),
    immediate_process(),
    ("marriage-birth",),
    ("其他", "生育登记服务单"),
    forms=ONLINE_ONLY,
    promised_note="网上即时办结",
)

RESIDENT_MEDICAL = ItemSpec(
    "200170000000",
    "城乡居民基本医疗保险参保登记",
    "ld-ybj",
    (CITIZEN,),
    IMMEDIATE,
    None,
    None,
    (("shbx", "第二十五条"),),
    "未参加职工基本医疗保险的本区户籍居民、新生儿和持居住证的非本区户籍居民。",
    (id_card("参保人（新生儿为监护人）", "insured-id"), replace(_BIRTH_CERT, situations=("newborn",))),
    (*PERSON, "medical_insurance.category", "person.household_register"),
    immediate_process(),
    ("birth", "medical"),
    ("其他", "参保登记信息"),
    questions=(Question("newborn", "是否为新生儿参保？", (("yes", "是"), ("no", "否"))),),
    situations=(
        Sit("newborn", "新生儿参保", (("newborn", ("yes",)),), "出生“一件事”联办"),
        Sit("resident", "城乡居民参保", (("newborn", ("no",)),)),
    ),
    scope="province",
)
EMPLOYEE_MEDICAL = replace(
    RESIDENT_MEDICAL,
    basic_code="200160000000",
    name="职工基本医疗保险参保登记",
    objects=(COMPANY, OFFICE),
    basis=(("shbx", "第二十三条"),),
    conditions="用人单位自用工之日起三十日内为职工办理参保登记。",
    materials=(business_licence(), form("roster", "职工参保增员表", ("person.name", "person.id_number"))),
    fields=(*COMPANY_FIELDS, Fld("staff_id", "职工身份证号", DataType.ID_NUMBER, "person.id_number")),
    themes=("employment", "career-entry"),
    questions=(),
    situations=(),
    forms=ONLINE_ONLY,
)
MEDICAL_TRANSFER = replace(
    RESIDENT_MEDICAL,
    basic_code="200180000000",
    name="基本医疗保险关系转移接续",
    kind=PROMISED,
    promised=(10, WORKING),
    basis=(("shbx", ""),),
    conditions="参保人跨统筹地区流动就业，已在转入地参加基本医疗保险。",
    materials=(
        id_card(),
        shared("history", "基本医疗保险参保缴费凭证", "由国家医保信息平台转移接续模块获取"),
    ),
    fields=(*PERSON, "social_insurance.insured_region"),
    process=standard_process(7, 1),
    themes=("employment", "career-transfer"),
    questions=(),
    situations=(),
    forms=ONLINE_ONLY,
    scope="nation",
    result=("其他", "转移接续完成通知"),
)
RETIREE_MEDICAL = replace(
    RESIDENT_MEDICAL,
    basic_code="070030000000",
    name="职工基本医疗保险退休人员待遇核定",
    kind=PROMISED,
    promised=(5, WORKING),
    basis=(("shbx", "第二十七条"),),
    conditions="参加职工基本医疗保险的个人达到法定退休年龄，累计缴费达到国家规定年限。",
    materials=(
        id_card(),
        shared(
            "retirement-record", "退休审批信息", "由人力社保部门退休审批结果共享", ("staff.retirement_date",)
        ),
    ),
    fields=(*PERSON, "social_insurance.contribution_months", "staff.retirement_date"),
    process=standard_process(3, 1),
    themes=("retirement", "career-retirement"),
    questions=(),
    situations=(),
    forms=ONLINE_ONLY,
    result=("其他", "退休人员医保待遇核定通知"),
)

# --------------------------------------------------------------------------- 社会保险、就业、失业（人社）

_SSC = Mat(
    "ssc",
    "社会保障卡",
    kind=MaterialKind.E_LICENCE,
    source=MaterialSource.E_LICENCE,
    licence_type="社会保障卡",
    copies=0,
    elements=("social_insurance.card_number",),
)

EMPLOYER_INSURANCE = ItemSpec(
    "200110000000",
    "社会保险登记（单位参保登记）",
    "ld-rsj",
    (COMPANY, OFFICE),
    IMMEDIATE,
    None,
    (15, NATURAL),
    (("shbx", "第五十七条"),),
    "用人单位自成立之日起三十日内，凭营业执照、登记证书或者单位印章申请办理。",
    (
        business_licence(),
        form("application", "单位社会保险登记表", ("enterprise.uscc", "enterprise.address")),
    ),
    (*COMPANY_FIELDS, "enterprise.address", Fld("bank", "缴费银行账号", element="person.bank_account")),
    immediate_process(),
    ("company-start",),
    ("其他", "社会保险登记信息"),
    forms=ONLINE_ONLY,
    statutory_note="《中华人民共和国社会保险法》第五十七条：自收到申请之日起十五日内审核",
    promised_note="企业开办“一件事”同步办结",
)
EMPLOYEE_INSURANCE = replace(
    EMPLOYER_INSURANCE,
    basic_code="200110100000",
    name="社会保险登记（职工参保登记）",
    parent=None,
    basis=(("shbx", "第五十八条"),),
    conditions="用人单位自用工之日起三十日内为其职工申请办理社会保险登记。",
    materials=(business_licence(), form("roster", "参保人员增员表", ("person.name", "person.id_number"))),
    fields=(*COMPANY_FIELDS, Fld("staff_id", "职工身份证号", DataType.ID_NUMBER, "person.id_number")),
    themes=("employment", "career-entry"),
    statutory=None,
    statutory_note="",
    promised_note="当场办结（即办件）",
)

PENSION_TRANSFER = ItemSpec(
    "200120000000",
    "基本养老保险关系转移接续",
    "ld-rsj",
    (CITIZEN,),
    PROMISED,
    (15, WORKING),
    None,
    (("shbx", "第十九条"), ("zyjx", "")),
    "参保人员跨统筹地区流动就业，已在转入地参加企业职工基本养老保险。",
    (
        id_card(),
        shared(
            "history",
            "基本养老保险参保缴费凭证",
            "由全国社会保险关系转移系统获取",
            ("social_insurance.contribution_months",),
        ),
    ),
    (*PERSON, "social_insurance.insured_region", "social_insurance.contribution_months"),
    serial(accept(), review(10, name="转出地审核"), decide(3, name="转入地确认"), finish()),
    ("employment", "career-transfer"),
    ("其他", "基本养老保险关系转移接续完成通知"),
    forms=ONLINE_ONLY,
    scope="nation",
    promised_note="社保医保关系转移接续“一件事”，全程网办零跑",
)

_RETIRE_Q = Question(
    "flexible", "是否选择弹性提前或者弹性延迟退休？", (("no", "按法定退休年龄退休"), ("yes", "弹性退休"))
)
PENSION_CLAIM = ItemSpec(
    "050060000000",
    "企业职工基本养老保险待遇申领",
    "ld-rsj",
    (CITIZEN, COMPANY),
    PROMISED,
    (10, WORKING),
    None,
    (("shbx", "第十六条"), ("yctx", "")),
    "参保人员达到法定退休年龄（或者按规定选择弹性退休），累计缴费达到规定的最低缴费年限。",
    (
        form(
            "qualification",
            "参保人员达到法定退休年龄领取基本养老保险待遇资格确认表",
            ("person.name", "person.id_number", "social_insurance.contribution_months"),
        ),
        Mat("choice", "本人选择退休年龄的书面意见", situations=("flexible",)),
        Mat(
            "archive",
            "职工人事档案",
            source=MaterialSource.GOVERNMENT,
            source_note="由档案保管单位移交",
            copies=0,
        ),
        id_card(),
        _SSC,
    ),
    (*PERSON, "social_insurance.account", "social_insurance.contribution_months", "person.bank_account"),
    serial(
        accept(),
        review(3, name="资格审核"),
        Step("assess", "待遇核定", role="handler", limit=4),
        decide(2, name="复核"),
        finish(),
    ),
    ("retirement",),
    ("其他", "基本养老金核定通知"),
    trips=1,
    questions=(_RETIRE_Q,),
    situations=(
        Sit("normal", "按法定退休年龄退休", (("flexible", ("no",)),)),
        Sit("flexible", "弹性退休", (("flexible", ("yes",)),)),
    ),
    promised_note="企业职工退休“一件事”：人社、医保、公积金一窗受理",
)

RETIREMENT_APPROVAL = ItemSpec(
    "100010000000",
    "企业职工正常退休审批",
    "ld-rsj",
    (CITIZEN, COMPANY),
    PROMISED,
    (5, WORKING),
    None,
    (("gf1978", ""), ("yctx", "")),
    "职工达到法定退休年龄；出生时间以本人档案最先记载为准。",
    (
        form("roster", "单位职工退休申请花名册", ("person.name", "person.id_number")),
        Mat(
            "archive",
            "职工人事档案",
            source=MaterialSource.GOVERNMENT,
            source_note="由档案保管单位移交",
            copies=0,
        ),
        id_card("职工", "worker-id"),
    ),
    (*PERSON, "enterprise.name", "person.birth_date", "staff.retirement_date"),
    standard_process(3, 1),
    ("retirement",),
    ("审批", "退休审批表"),
    trips=1,
)

UNEMPLOYMENT_REGISTRATION = ItemSpec(
    "200150000000",
    "失业登记",
    "ld-rsj",
    (CITIZEN,),
    IMMEDIATE,
    None,
    None,
    (("shbx", "第五十条"), ("jycy", "")),
    "在法定劳动年龄内、有劳动能力、有就业要求、处于无业状态。",
    (
        id_card(),
        shared("termination", "终止或者解除劳动关系的证明", "由用人单位在就业登记系统中办理退工后获取"),
    ),
    (*PERSON, "person.address", Fld("last_unit", "原工作单位", element="staff.unit_name")),
    immediate_process(),
    ("unemployment",),
    ("其他", "失业登记信息"),
    forms=ONLINE_ONLY,
    scope="province",
)
UNEMPLOYMENT_BENEFIT = ItemSpec(
    "050080000000",
    "失业保险金申领",
    "ld-rsj",
    (CITIZEN,),
    PROMISED,
    (3, WORKING),
    None,
    (("shbx", "第五十条"),),
    "失业前用人单位和本人已经缴纳失业保险费满一年；非因本人意愿中断就业；已经进行失业登记。",
    (
        id_card(),
        shared("termination", "终止或者解除劳动关系的证明", "由就业登记系统获取"),
        _SSC,
    ),
    (*PERSON, "social_insurance.contribution_months", "person.bank_account"),
    standard_process(1, 1),
    ("unemployment",),
    ("其他", "失业保险金核定通知"),
    forms=ONLINE_ONLY,
    scope="province",
)
SURVIVOR_BENEFIT = ItemSpec(
    "050090000000",
    "丧葬补助金、抚恤金申领",
    "ld-rsj",
    (CITIZEN,),
    PROMISED,
    (5, WORKING),
    None,
    (("shbx", "第十七条"),),
    "参加基本养老保险的个人因病或者非因工死亡，由其遗属申请。",
    (
        id_card("申请人（遗属）", "applicant-id"),
        shared(
            "death-certificate",
            "居民死亡医学证明（推断）书",
            "由卫生健康部门死亡证明系统推送",
            ("person.death_date",),
        ),
        household_register("申请人与逝者关系证明："),
        _SSC,
    ),
    (
        *PERSON,
        _DECEASED_ID,
        _DEATH_DATE,
        "person.relationship",
        "person.bank_account",
    ),
    standard_process(3, 1),
    ("funeral",),
    ("其他", "丧葬补助金、抚恤金核定通知"),
    promised_note="身后“一件事”联办",
)
SOCIAL_SECURITY_CARD = ItemSpec(
    "200130000000",
    "社会保障卡申领",
    "ld-rsj",
    (CITIZEN,),
    PROMISED,
    (5, WORKING),
    None,
    (("shbx", "第五十八条"),),
    "已参加本市社会保险或者户籍在本市的人员（含新生儿）。",
    (id_card(), photo()),
    (*PERSON, "person.address"),
    standard_process(3, 1),
    ("employment", "birth"),
    ("证照", "社会保障卡"),
    forms=ALL_FORMS,
    promised_note="即时制卡网点当场领卡，邮寄制卡5个工作日",
)
SOCIAL_SECURITY_ACTIVATION = replace(
    SOCIAL_SECURITY_CARD,
    basic_code="200140000000",
    name="社会保障卡启用",
    kind=IMMEDIATE,
    promised=None,
    conditions="本人已领取社会保障卡且卡片状态正常。",
    materials=(id_card(), _SSC),
    process=immediate_process(),
    themes=("employment", "career-entry"),
    result=("其他", "社会保障卡启用"),
    forms=ONLINE_ONLY,
    promised_note="当场办结（即办件）",
)

# ---------------------------------------------------------- 机关内部：职业生涯全周期（丽水部门间改革）

_STAFF = (*PERSON, "staff.unit_name", "staff.establishment_type", "staff.position")
INTERNAL_RETIREMENT = ItemSpec(
    "100020000000",
    "机关事业单位工作人员退休审批",
    "ld-rsj",
    (OFFICE,),
    PROMISED,
    (2, WORKING),
    None,
    (("gwy", ""), ("sydw", ""), ("gf2015", "")),
    "工作人员达到国家规定的退休年龄，或者符合提前退休条件；单位已审核同意。",
    (
        form(
            "application",
            "机关事业单位人员退休申请表",
            ("person.name", "person.id_number", "staff.retirement_date"),
        ),
        shared("archive", "干部人事档案审核信息", "由组织人事部门干部档案系统获取"),
        shared(
            "establishment",
            "机构编制实名制信息",
            "由区委编办实名制管理系统获取",
            ("staff.establishment_type",),
        ),
    ),
    (*_STAFF, "staff.retirement_date"),
    parallel_process(
        (
            Step("accept", "受理", role="clerk", limit=2, unit=HOURS),
            Step("approve", "退休审批", role="leader", limit=4, unit=HOURS),
        ),
        (
            Step("leave-establishment", "出编登记", dept="ld-bb", limit=8, unit=HOURS, timeout=DEEM),
            Step("medical", "医保退休办理", dept="ld-ybj", limit=8, unit=HOURS, timeout=DEEM),
            Step("housing-fund", "公积金封存和余额提取", dept="ls-gjj", limit=8, unit=HOURS, timeout=DEEM),
            Step("pension", "退休金核定", role="handler", limit=8, unit=HOURS),
        ),
        (Step("finish", "办结", role="handler", limit=2, unit=HOURS),),
    ),
    ("career-retirement",),
    ("审批", "机关事业单位人员退休审批表"),
    forms=ONLINE_ONLY,
    joint=("ld-bb", "ld-ybj", "ls-gjj"),
    post_delivery=False,
    promised_note="退休“一件事”：4份表格整合为1张，填报指标由140项减为35项，13个工作日压缩至2个工作日",
)

STAFF_TRANSFER = ItemSpec(
    "100030000000",
    "机关事业单位人员跨层级调动",
    "ld-rsj",
    (OFFICE,),
    PROMISED,
    (7, WORKING),
    None,
    (("gwy", ""), ("sydw", "")),
    "调出、调入单位和主管部门已同意；调入单位有空编和岗位空缺。",
    (
        form(
            "application",
            "机关事业单位人员调动“一件事”登记表",
            ("person.name", "staff.unit_name", "staff.target_unit_name"),
        ),
        shared(
            "establishment",
            "机构编制实名制信息",
            "由区委编办实名制管理系统获取",
            ("staff.establishment_type",),
        ),
        shared("archive", "干部人事档案审核信息", "由组织人事部门干部档案系统获取"),
    ),
    (*_STAFF, "staff.target_unit_name", "housing_fund.account"),
    parallel_process(
        (accept(), Step("approve", "调动审批", role="leader", limit=2, timeout=TimeoutPolicy.ESCALATE)),
        (
            Step("establishment", "出编入编登记", dept="ld-bb", limit=2, timeout=DEEM),
            Step("salary", "工资关系转移和经费拨付", dept="ld-czj", limit=2, timeout=DEEM),
            Step("pension", "养老保险关系转移", role="handler", limit=2),
            Step("medical", "医保关系转移", dept="ld-ybj", limit=2, timeout=DEEM),
            Step("housing-fund", "公积金转移", dept="ls-gjj", limit=2, timeout=DEEM),
        ),
        (finish(),),
    ),
    ("career-transfer",),
    ("审批", "人员调动审批表"),
    forms=ONLINE_ONLY,
    joint=("ld-bb", "ld-czj", "ld-ybj", "ls-gjj"),
    post_delivery=False,
    promised_note="调令、工资介绍信、行政介绍信整合为一张表单，21个环节减为8个，最多7个工作日",
)

CIVIL_SERVANT_TRANSFER = ItemSpec(
    "100040000000",
    "公务员转任审批",
    "ld-zzb",
    (OFFICE,),
    PROMISED,
    (20, WORKING),
    None,
    (("gwy", ""),),
    "拟转任人员经考察合格；调入机关有相应职位空缺和编制。",
    (
        form("application", "公务员转任审批表", ("person.name", "staff.unit_name", "staff.target_unit_name")),
        Mat("inspection", "考察材料"),
        shared("archive", "干部人事档案审核信息", "由组织部门干部档案系统获取"),
    ),
    (*_STAFF, "staff.target_unit_name"),
    standard_process(15, 3),
    ("career-transfer",),
    ("审批", "公务员转任审批表"),
    forms=ONLINE_ONLY,
    post_delivery=False,
    promised_note="转任审批由串联改并联，办理时间压缩至1个月以内",
)

RECRUITMENT_PLAN = ItemSpec(
    "100050000000",
    "事业单位公开招聘方案核准",
    "ld-rsj",
    (OFFICE,),
    PROMISED,
    (3, WORKING),
    None,
    (("sydw", ""),),
    "招聘单位有空编和岗位空缺；招聘方案已经主管部门审核同意。",
    (
        form("plan", "事业单位公开招聘方案", ("staff.unit_name",)),
        shared("establishment", "空编信息", "由区委编办实名制管理系统获取"),
    ),
    ("staff.unit_name", "person.name", "person.phone", Fld("posts", "招聘岗位数", DataType.INTEGER)),
    standard_process(2, 1),
    ("career-entry",),
    ("审批", "招聘方案核准意见"),
    forms=ONLINE_ONLY,
    post_delivery=False,
    promised_note="由15个工作日压缩至3个工作日",
)
LEADER_QUALIFICATION = replace(
    RECRUITMENT_PLAN,
    basic_code="100060000000",
    name="事业单位领导人员任职资格审核",
    promised=(10, WORKING),
    conditions="拟任人员符合岗位任职条件，已经主管部门考察同意；与“双肩挑”人员资格审核合并办理。",
    materials=(
        form("application", "事业单位领导人员任职资格审核表", ("person.name", "staff.position")),
        Mat("appointment", "主管部门任职考察意见"),
        Mat("qualification", "专业技术职务任职资格证书", necessity=KEYLESS, deficiency=True),
        shared("archive", "干部人事档案审核信息", "由组织人事部门干部档案系统获取"),
    ),
    fields=_STAFF,
    process=standard_process(7, 2),
    themes=("career-promotion",),
    result=("审批", "任职资格审核意见"),
    promised_note="合并事项、精简材料：由至少30个工作日缩减至2个工作日（承诺10个工作日）",
)
ESTABLISHMENT_IN = ItemSpec(
    "100070000000",
    "机构编制实名制入编登记",
    "ld-bb",
    (OFFICE,),
    PROMISED,
    (1, WORKING),
    None,
    (("bzgz", ""),),
    "单位有空编；人员录用、聘用或者调入手续已经审批。",
    (
        form(
            "application",
            "机构编制实名制入编登记表",
            ("person.name", "person.id_number", "staff.establishment_type"),
        ),
    ),
    _STAFF,
    serial(accept(4, HOURS), review(4, HOURS, "登记审核")),
    ("career-entry", "career-transfer"),
    ("其他", "入编通知"),
    forms=ONLINE_ONLY,
    post_delivery=False,
)
ESTABLISHMENT_OUT = replace(
    ESTABLISHMENT_IN,
    basic_code="100080000000",
    name="机构编制实名制出编登记",
    conditions="人员已办理退休、调出、辞职或者解聘手续。",
    materials=(form("application", "机构编制实名制出编登记表", ("person.name", "person.id_number")),),
    themes=("career-retirement", "career-transfer"),
    result=("其他", "出编通知"),
)

# ----------------------------------------------------------------------------- 民政、残联、退役军人、教育

MARRIAGE_REGISTRATION = ItemSpec(
    "070010000000",
    "结婚登记",
    "ld-mzj",
    (CITIZEN,),
    IMMEDIATE,
    None,
    None,
    (("mfd", "第一千零四十九条"), ("hydj", "")),
    "男女双方完全自愿，达到法定婚龄，双方均无配偶，没有直系血亲和三代以内旁系血亲关系；双方亲自到场。",
    (
        id_card("男方", "groom-id"),
        id_card("女方", "bride-id"),
        form("declaration", "申请结婚登记声明书", ("marriage.status",)),
        photo("couple-photo"),
    ),
    (
        Fld("groom_name", "男方姓名", element="person.name", subject="groom"),
        Fld("groom_id", "男方身份证号", DataType.ID_NUMBER, "person.id_number", subject="groom"),
        Fld("bride_name", "女方姓名", element="person.name", subject="bride"),
        Fld("bride_id", "女方身份证号", DataType.ID_NUMBER, "person.id_number", subject="bride"),
        "marriage.status",
        "person.phone",
    ),
    immediate_process(),
    ("marriage-birth",),
    ("证照", "结婚证"),
    forms=("window",),
    depth=2,
    trips=1,
    scope="nation",
    post_delivery=False,
    promised_note="当场办结；双方须亲自到场（网上预约）",
)

FUNERAL_RELIEF = ItemSpec(
    "050030000000",
    "基本殡葬服务费用减免",
    "ld-mzj",
    (CITIZEN,),
    IMMEDIATE,
    None,
    None,
    (("bzgl", ""),),
    "逝者户籍在本区或者在本区死亡，遗体在本市殡仪馆火化。",
    (
        id_card("申请人（逝者家属）", "applicant-id"),
        shared(
            "death-certificate",
            "居民死亡医学证明（推断）书",
            "由卫生健康部门死亡证明系统推送",
            ("person.death_date",),
        ),
        shared("cremation", "火化证明", "由殡仪馆殡葬管理系统推送"),
    ),
    (
        *PERSON,
        _DECEASED_ID,
        "person.relationship",
    ),
    immediate_process(),
    ("funeral",),
    ("其他", "殡葬费用减免结算单"),
    promised_note="殡仪馆结算时直接减免",
)

DISABILITY_ALLOWANCE = ItemSpec(
    "050040000000",
    "困难残疾人生活补贴和重度残疾人护理补贴申领",
    "ld-mzj",
    (CITIZEN,),
    PROMISED,
    (10, WORKING),
    None,
    (("lxbt", ""),),
    "持有第二代残疾人证；生活补贴对象为低保家庭中的残疾人，护理补贴对象为残疾等级为一级、二级的重度残疾人。",
    (
        Mat(
            "disability-card",
            "中华人民共和国残疾人证",
            kind=MaterialKind.E_LICENCE,
            source=MaterialSource.E_LICENCE,
            licence_type="残疾人证",
            copies=0,
            elements=("person.disability_category", "person.disability_grade"),
        ),
        shared("subsistence", "最低生活保障对象信息", "由民政社会救助系统核验", situations=("living",)),
        _SSC,
    ),
    (*PERSON, "person.disability_category", "person.disability_grade", "person.bank_account"),
    serial(
        Step("accept", "受理", dept="ld-mzj", role="clerk", limit=1),
        review(5, name="审核"),
        decide(3, name="审批"),
        finish(),
    ),
    ("special-groups",),
    ("其他", "补贴核定通知"),
    questions=(
        Question(
            "kind", "申请哪一项补贴？", (("living", "困难残疾人生活补贴"), ("care", "重度残疾人护理补贴"))
        ),
    ),
    situations=(
        Sit("living", "困难残疾人生活补贴", (("kind", ("living",)),)),
        Sit("care", "重度残疾人护理补贴", (("kind", ("care",)),)),
    ),
    promised_note="残疾人证“1+X”联办",
)

DISABILITY_CARD = ItemSpec(
    "200080000000",
    "残疾人证新办",
    "ld-cl",
    (CITIZEN,),
    PROMISED,
    (15, WORKING),
    None,
    (("cjbz", ""), ("cjrz", "")),
    "具有本区户籍，符合残疾标准；由本人或者监护人申请。",
    (
        form(
            "application", "残疾人证申请表", ("person.name", "person.id_number", "person.disability_category")
        ),
        id_card(),
        household_register(),
        photo(),
        *agent_materials(),
    ),
    (*PERSON, "person.household_register", "person.disability_category", "person.address"),
    serial(
        accept(),
        Step("assess", "残疾评定", dept="ld-wjj", role="handler", limit=10, timeout=TimeoutPolicy.ESCALATE),
        review(3, name="审核"),
        finish(1, name="制证发证"),
    ),
    ("special-groups",),
    ("证照", "中华人民共和国残疾人证"),
    trips=1,
    joint=("ld-wjj",),
    special_procedures=("残疾评定",),
    promised_note="申请、评定、审核、制证、发证合并办理，取消办证公示",
    **AGENT,
)

VETERAN_RECEPTION = ItemSpec(
    "200090000000",
    "退役士兵接收安置报到",
    "ld-tyjr",
    (CITIZEN,),
    PROMISED,
    (5, WORKING),
    None,
    (("tsaz", ""), ("tyjr", "")),
    "退役士兵自被批准退出现役之日起30日内，持退役证件到安置地退役军人事务部门报到。",
    (
        Mat("discharge", "退出现役证", elements=("veteran.certificate_no", "veteran.discharge_date")),
        id_card(),
        Mat("introduction", "退役士兵安置介绍信", source=MaterialSource.GOVERNMENT, source_note="由部队出具"),
        form("application", "军人退役“一件事”联办申请表", ("person.name", "veteran.discharge_date")),
    ),
    (*PERSON, "veteran.discharge_date", "veteran.certificate_no", "person.household_register"),
    parallel_process(
        (accept(), review(1, name="报到审核")),
        (
            Step("household", "户口登记", dept="ld-gaj", limit=2, timeout=DEEM),
            Step("pension", "养老保险关系接续", dept="ld-rsj", limit=2, timeout=DEEM),
            Step("medical", "医疗保险关系接续", dept="ld-ybj", limit=2, timeout=DEEM),
        ),
        (finish(),),
    ),
    ("special-groups", "employment"),
    ("其他", "退役士兵安置报到回执"),
    trips=1,
    joint=("ld-gaj", "ld-rsj", "ld-ybj"),
    promised_note="军人退役“十事联办”：跑腿由8次减至1次，材料由20份减至6份",
)
VETERAN_CARD = ItemSpec(
    "200100000000",
    "退役军人优待证申领",
    "ld-tyjr",
    (CITIZEN,),
    PROMISED,
    (30, NATURAL),
    None,
    (("tyjr", ""),),
    "已在本区退役军人服务站完成信息采集的退役军人。",
    (id_card(), Mat("discharge", "退出现役证", elements=("veteran.certificate_no",)), photo()),
    (*PERSON, "veteran.certificate_no", "person.address"),
    standard_process(15, 5),
    ("special-groups",),
    ("证照", "中华人民共和国退役军人优待证"),
    forms=ALL_FORMS,
)

SCHOOL_ENROLMENT = ItemSpec(
    "200230000000",
    "义务教育入学报名（小学一年级）",
    "ld-jyj",
    (CITIZEN,),
    PROMISED,
    (10, WORKING),
    None,
    (("ywjy", "第十二条"),),
    "适龄儿童户籍或者监护人合法稳定住所在本区学区范围内。",
    (
        household_register("儿童"),
        replace(_PROPERTY_CERT, name="监护人不动产权证书", necessity=KEYLESS),
        id_card("监护人", "guardian-id"),
    ),
    (
        Fld("child_name", "儿童姓名", element="person.name", subject=CHILD),
        Fld("child_id", "儿童身份证号", DataType.ID_NUMBER, "person.id_number", subject=CHILD),
        Fld("child_gender", "儿童性别", DataType.CHOICE, "person.gender", subject=CHILD),
        Fld("child_birth_date", "儿童出生日期", DataType.DATE, "person.birth_date", subject=CHILD),
        "person.household_register",
        "person.address",
        "person.phone",
    ),
    standard_process(7, 2),
    ("school",),
    ("其他", "入学通知"),
    forms=ONLINE_ONLY,
    post_delivery=False,
    promised_note="网上报名，户籍、房产信息由数据共享核验，零纸张、零见面",
)

# ------------------------------------------- 一件事成员事项：企业职工退休（缙云：14个事项、3个部门联办）

_RETIRE_RECORD = shared(
    "retirement-record", "退休审批信息", "由人力社保部门退休审批结果共享", ("staff.retirement_date",)
)
_ARCHIVE = Mat(
    "archive", "职工人事档案", source=MaterialSource.GOVERNMENT, source_note="由档案保管单位移交", copies=0
)
PENSION_DEEMED_YEARS = ItemSpec(
    "100110000000",
    "基本养老保险视同缴费年限认定",
    "ld-rsj",
    (CITIZEN, COMPANY, OFFICE),
    PROMISED,
    (10, WORKING),
    None,
    (("shbx", "第十六条"), ("sbjb", "")),
    "参保人员在实行个人缴费制度前有按国家规定计算的连续工龄，且档案记载完整。",
    (
        form(
            "application",
            "参保人员基本养老保险视同缴费年限核定表",
            ("person.name", "person.id_number", "social_insurance.contribution_months"),
        ),
        _ARCHIVE,
    ),
    (*PERSON, "staff.unit_name", "social_insurance.contribution_months"),
    standard_process(7, 2),
    ("retirement", "career-retirement"),
    ("其他", "视同缴费年限认定结果"),
    trips=1,
    promised_note="企业职工退休“一件事”联办",
)
SPECIAL_JOB_RETIREMENT = ItemSpec(
    "100120000000",
    "企业职工特殊工种提前退休审批",
    "ld-rsj",
    (CITIZEN, COMPANY),
    PROMISED,
    (10, WORKING),
    None,
    (("gf1978", ""),),
    "从事井下、高空、高温、特别繁重体力劳动或者其他有害身体健康的工作，累计年限符合国家规定。",
    (
        form("application", "特殊工种提前退休申请表", ("person.name", "person.id_number", "staff.position")),
        Mat("job-record", "从事特殊工种的原始记录", notes="档案中的招工、转岗、工资记录等"),
        _ARCHIVE,
    ),
    (*PERSON, "enterprise.name", "staff.position", "staff.retirement_date"),
    standard_process(7, 2),
    ("retirement",),
    ("审批", "特殊工种提前退休审批表"),
    trips=1,
)
ILLNESS_RETIREMENT = ItemSpec(
    "100130000000",
    "企业职工因病或非因工致残完全丧失劳动能力退休审批",
    "ld-rsj",
    (CITIZEN, COMPANY),
    PROMISED,
    (10, WORKING),
    None,
    (("gf1978", ""), ("shbx", "第十七条")),
    "职工经劳动能力鉴定委员会鉴定为完全丧失劳动能力，年龄和缴费年限符合国家规定。",
    (
        form("application", "因病或非因工致残提前退休申请表", ("person.name", "person.id_number")),
        shared("appraisal", "劳动能力鉴定结论", "由劳动能力鉴定委员会鉴定系统获取"),
        _ARCHIVE,
    ),
    (*PERSON, "enterprise.name", "staff.retirement_date"),
    standard_process(7, 2),
    ("retirement",),
    ("审批", "因病提前退休审批表"),
    trips=1,
    special_procedures=("劳动能力鉴定",),
)
PENSION_ACCOUNT = ItemSpec(
    "200310000000",
    "养老保险待遇发放账户维护",
    "ld-rsj",
    (CITIZEN,),
    IMMEDIATE,
    None,
    None,
    (("sbjb", ""),),
    "已核定养老保险待遇的参保人员，以本人社会保障卡金融账户或者本人银行账户领取待遇。",
    (id_card(), _SSC),
    (*PERSON, "person.bank_account"),
    immediate_process(),
    ("retirement",),
    ("其他", "待遇发放账户信息"),
    forms=ONLINE_ONLY,
    scope="province",
)
PENSION_LINKING = ItemSpec(
    "200320000000",
    "城乡居民基本养老保险与职工基本养老保险制度衔接",
    "ld-rsj",
    (CITIZEN,),
    PROMISED,
    (15, WORKING),
    None,
    (("shbx", "第十九条"),),
    "参保人员在达到法定退休年龄前同时或者先后参加过城乡居民养老保险和职工养老保险。",
    (
        id_card(),
        shared("resident-pension", "城乡居民基本养老保险参保缴费信息", "由城乡居民养老保险信息系统获取"),
    ),
    (*PERSON, "social_insurance.insured_region", "social_insurance.contribution_months"),
    standard_process(10, 3),
    ("retirement",),
    ("其他", "制度衔接完成通知"),
    forms=ONLINE_ONLY,
    scope="nation",
)
RETIREE_COMMUNITY = ItemSpec(
    "200330000000",
    "企业退休人员社会化管理服务登记",
    "ld-rsj",
    (CITIZEN,),
    IMMEDIATE,
    None,
    None,
    (("sbjb", ""),),
    "企业职工办理退休后，纳入居住地街道（乡镇）、社区退休人员社会化管理服务。",
    (id_card(), _RETIRE_RECORD),
    (*PERSON, "person.address", "staff.retirement_date"),
    immediate_process(),
    ("retirement",),
    ("其他", "社会化管理服务登记信息"),
    forms=ONLINE_ONLY,
)
MEDICAL_YEARS = replace(
    RETIREE_MEDICAL,
    basic_code="100140000000",
    name="职工基本医疗保险缴费年限核定",
    basis=(("shbx", "第二十七条"),),
    conditions="参加职工基本医疗保险的个人达到法定退休年龄，申请核定实际缴费年限和视同缴费年限。",
    materials=(id_card(), _ARCHIVE),
    fields=(*PERSON, "social_insurance.contribution_months"),
    themes=("retirement",),
    result=("其他", "医疗保险缴费年限核定结果"),
)
MEDICAL_TOP_UP = replace(
    RETIREE_MEDICAL,
    basic_code="200340000000",
    name="退休人员基本医疗保险费一次性缴纳",
    promised=(3, WORKING),
    conditions="达到法定退休年龄时职工基本医疗保险累计缴费年限不足国家和本省规定年限。",
    materials=(id_card(), _RETIRE_RECORD),
    fields=(*PERSON, "social_insurance.contribution_months", "person.bank_account"),
    process=standard_process(1, 1),
    themes=("retirement",),
    result=("其他", "一次性缴费核定通知"),
)
HOUSING_FUND_SEAL = ItemSpec(
    "200350000000",
    "住房公积金个人账户封存",
    "ls-gjj",
    (CITIZEN, OFFICE),
    IMMEDIATE,
    None,
    None,
    (("gjj", ""),),
    "职工退休、与单位终止劳动关系或者调离本市，单位停止为其缴存住房公积金。",
    (id_card(), _RETIRE_RECORD),
    (*PERSON, "housing_fund.account", "staff.unit_name"),
    immediate_process(),
    ("retirement", "career-retirement", "career-transfer"),
    ("其他", "住房公积金账户封存信息"),
    forms=ONLINE_ONLY,
)

# ---------------------------------- 一件事成员事项：事业单位人员职业生涯全周期（丽水：7个“一件事”的子项）

_ESTABLISHMENT = shared(
    "establishment", "机构编制实名制信息", "由区委编办实名制管理系统获取", ("staff.establishment_type",)
)
PUBLIC_PENSION_CLAIM = ItemSpec(
    "050110000000",
    "机关事业单位基本养老保险待遇申领",
    "ld-rsj",
    (OFFICE, CITIZEN),
    PROMISED,
    (5, WORKING),
    None,
    (("shbx", "第十六条"), ("gf2015", "")),
    "机关事业单位工作人员退休审批已办结，参加机关事业单位基本养老保险且缴费年限符合规定。",
    (_RETIRE_RECORD, _SSC),
    (*_STAFF, "staff.retirement_date", "person.bank_account"),
    standard_process(3, 1),
    ("career-retirement",),
    ("其他", "基本养老金核定通知"),
    forms=ONLINE_ONLY,
    post_delivery=False,
)
_SALARY_Q = Question(
    "business", "办理哪项工资业务？", (("start", "工资启用"), ("change", "工资变动"), ("stop", "工资停薪"))
)
SALARY_APPROVAL = ItemSpec(
    "100150000000",
    "机关事业单位工作人员工资审批",
    "ld-rsj",
    (OFFICE,),
    PROMISED,
    (3, WORKING),
    None,
    (("gwy", ""), ("sydw", "")),
    "人员录用、聘用、调入、岗位变动或者调出、退休等人事手续已经审批。",
    (
        form(
            "application",
            "机关事业单位工作人员工资审批表",
            ("person.name", "staff.unit_name", "staff.position"),
        ),
        _ESTABLISHMENT,
        shared(
            "post-change",
            "岗位变动认定结果",
            "由事业单位人事管理系统获取",
            situations=("change",),
        ),
    ),
    (
        *_STAFF,
        Fld("salary_grade", "薪级", DataType.INTEGER),
        Fld("effective_month", "起薪（停薪）时间", DataType.DATE),
    ),
    standard_process(2, 1),
    ("career-entry", "career-promotion", "career-transfer"),
    ("审批", "工资审批表"),
    forms=ONLINE_ONLY,
    post_delivery=False,
    questions=(_SALARY_Q,),
    situations=(
        Sit("start", "工资启用", (("business", ("start",)),)),
        Sit("change", "工资变动", (("business", ("change",)),)),
        Sit("stop", "工资停薪", (("business", ("stop",)),)),
    ),
)
STAFF_FUNDING = ItemSpec(
    "100160000000",
    "机关事业单位人员经费拨付",
    "ld-czj",
    (OFFICE,),
    PROMISED,
    (3, WORKING),
    None,
    (("ysf", ""),),
    "人员工资审批已办结；单位人员经费纳入部门预算管理。",
    (
        shared("salary", "工资审批结果", "由人力社保部门工资福利系统推送"),
        _ESTABLISHMENT,
    ),
    (*_STAFF, Fld("effective_month", "拨付（停拨）起始时间", DataType.DATE)),
    standard_process(2, 1),
    ("career-entry", "career-transfer"),
    ("其他", "人员经费拨付调整通知"),
    forms=ONLINE_ONLY,
    post_delivery=False,
    questions=(Question("business", "办理哪项经费业务？", (("allocate", "经费拨付"), ("stop", "经费停拨"))),),
    situations=(
        Sit("allocate", "经费拨付", (("business", ("allocate",)),)),
        Sit("stop", "经费停拨", (("business", ("stop",)),)),
    ),
)
_INSURANCE_SITS = (
    ("pension-add", "养老保险登记"),
    ("injury-add", "工伤保险登记"),
    ("unemployment-add", "失业保险登记"),
    ("pension-stop", "养老保险中断"),
    ("injury-stop", "工伤保险中断"),
    ("unemployment-stop", "失业保险中断"),
)
STAFF_INSURANCE = ItemSpec(
    "200360000000",
    "机关事业单位工作人员社会保险增减员",
    "ld-rsj",
    (OFFICE,),
    IMMEDIATE,
    None,
    None,
    (("shbx", "第五十八条"),),
    "单位自用工之日起三十日内办理增员；人员调出、辞职、解聘或者退休的，办理减员（参保中断）。",
    (form("roster", "社会保险参保人员增减表", ("person.name", "person.id_number")), _ESTABLISHMENT),
    (*_STAFF, "social_insurance.account"),
    immediate_process(),
    ("career-entry", "career-transfer"),
    ("其他", "参保信息变更结果"),
    forms=ONLINE_ONLY,
    post_delivery=False,
    questions=(Question("business", "办理哪项社会保险业务？", _INSURANCE_SITS),),
    situations=tuple(Sit(c, n, (("business", (c,)),)) for c, n in _INSURANCE_SITS),
)
MEDICAL_STOP = replace(
    EMPLOYEE_MEDICAL,
    basic_code="200370000000",
    name="职工基本医疗保险停保登记",
    conditions="职工与单位终止劳动关系、调出或者辞职、解聘的，单位办理停保（参保中断）。",
    materials=(form("roster", "职工参保减员表", ("person.name", "person.id_number")),),
    fields=(*_STAFF,),
    themes=("career-transfer",),
    result=("其他", "停保登记信息"),
)
POST_CHANGE = ItemSpec(
    "100170000000",
    "事业单位工作人员岗位变动认定",
    "ld-rsj",
    (OFFICE,),
    PROMISED,
    (5, WORKING),
    None,
    (("sydw", ""),),
    "岗位聘用、晋升或者转岗已经单位研究决定并在主管部门审核同意。",
    (
        form("application", "事业单位工作人员岗位变动审批表", ("person.name", "staff.position")),
        shared("archive", "干部人事档案审核信息", "由组织人事部门干部档案系统获取"),
    ),
    _STAFF,
    standard_process(3, 1),
    ("career-promotion",),
    ("审批", "岗位变动认定意见"),
    forms=ONLINE_ONLY,
    post_delivery=False,
)

# --------------------------------------------------------- 一件事成员事项：工资统发（丽水，每月由人社发起）

_PAYROLL = shared(
    "payroll", "次月工资发放清册", "由工资系统造册后推送，统发单位盖电子章", ("staff.unit_name",)
)
PAYROLL_REVIEW = ItemSpec(
    "100180000000",
    "机关事业单位工资统发审核",
    "ld-rsj",
    (OFFICE,),
    PROMISED,
    (1, WORKING),
    None,
    (("gwy", ""), ("sydw", "")),
    "统发单位每月25日前在工资系统完成次月工资造册，并在金财工程系统申报用款计划。",
    (_PAYROLL,),
    ("staff.unit_name", "person.name", "person.phone", Fld("month", "工资所属月份", DataType.DATE)),
    serial(Step("review", "工资清册审核", role="handler", limit=1)),
    ("career-entry",),
    ("其他", "工资统发审核结果"),
    forms=ONLINE_ONLY,
    post_delivery=False,
    appointment=False,
)
PAYROLL_PAYMENT = ItemSpec(
    "100190000000",
    "工资统发资金支付",
    "ld-czj",
    (OFFICE,),
    PROMISED,
    (1, WORKING),
    None,
    (("ysf", ""),),
    "工资清册已经人力社保部门审核；单位用款计划已申报。",
    (
        _PAYROLL,
        shared("spending-plan", "工资用款计划", "由金财工程系统获取"),
    ),
    ("staff.unit_name", "person.name", "person.phone", Fld("month", "工资所属月份", DataType.DATE)),
    serial(Step("pay", "核对实发总数并支付至代发银行", role="handler", limit=1)),
    ("career-entry",),
    ("其他", "工资资金支付凭证"),
    forms=ONLINE_ONLY,
    post_delivery=False,
    appointment=False,
)

# ------------------------------------------------------- 一件事成员事项：军人退役“十事联办”（黄岩）

_DISCHARGE = Mat("discharge", "退出现役证", elements=("veteran.certificate_no", "veteran.discharge_date"))
VETERAN_GRANT = ItemSpec(
    "050120000000",
    "退役士兵自主就业一次性经济补助金给付",
    "ld-tyjr",
    (CITIZEN,),
    PROMISED,
    (10, WORKING),
    None,
    (("tsaz", ""),),
    "选择自主就业的退役士兵，已在安置地报到。",
    (_DISCHARGE, id_card(), _SSC),
    (*PERSON, "veteran.discharge_date", "veteran.certificate_no", "person.bank_account"),
    standard_process(7, 2),
    ("special-groups", "employment"),
    ("其他", "一次性经济补助金发放通知"),
    forms=ONLINE_ONLY,
)
VETERAN_INFO = ItemSpec(
    "200380000000",
    "退役军人信息采集",
    "ld-tyjr",
    (CITIZEN,),
    IMMEDIATE,
    None,
    None,
    (("tyjr", ""),),
    "退役军人到安置地报到后，在退役军人服务站（中心）采集基本信息。",
    (_DISCHARGE, id_card()),
    (*PERSON, "veteran.discharge_date", "veteran.certificate_no", "person.address"),
    immediate_process(),
    ("special-groups",),
    ("其他", "退役军人信息登记"),
)
HONOUR_PLAQUE = ItemSpec(
    "200390000000",
    "为退役军人家庭悬挂光荣牌",
    "ld-tyjr",
    (CITIZEN,),
    PROMISED,
    (30, NATURAL),
    None,
    (("tyjr", ""),),
    "户籍在本区的退役军人家庭，本人或者家属自愿申请。",
    (_DISCHARGE, household_register()),
    (*PERSON, "person.address", "veteran.certificate_no"),
    standard_process(20, 5),
    ("special-groups",),
    ("其他", "光荣牌"),
)
VETERAN_TRAINING = ItemSpec(
    "200400000000",
    "退役士兵教育培训报名",
    "ld-tyjr",
    (CITIZEN,),
    IMMEDIATE,
    None,
    None,
    (("tsaz", ""),),
    "自主就业退役士兵退役后一年内，可选择参加免费职业教育和技能培训。",
    (_DISCHARGE, id_card()),
    (*PERSON, "veteran.discharge_date", Fld("course", "意向培训项目")),
    immediate_process(),
    ("special-groups", "employment"),
    ("其他", "培训报名回执"),
    forms=ONLINE_ONLY,
)

# ------------------------------------------------- 一件事成员事项：既有住宅加装电梯联审（杭州加梯模式）

_OWNERS = Mat("owners", "本单元业主同意加装电梯的书面意见", notes="按本省加装电梯指导意见规定的业主比例签署")
LIFT_PLANNING = ItemSpec(
    "010210000000",
    "建设工程规划许可证核发（既有住宅加装电梯）",
    "ld-zrzy",
    (CITIZEN,),
    PROMISED,
    (10, WORKING),
    (20, WORKING),
    (("cxgh", ""),),
    "本单元业主同意加装电梯的比例符合规定，设计方案已在小区公示且无异议或者异议已协调处理。",
    (
        form("application", "既有住宅加装电梯联合审查申请表", ("property.location",)),
        _OWNERS,
        Mat("design", "加装电梯设计方案"),
        replace(_PROPERTY_CERT, name="申请人不动产权证书"),
    ),
    (*PERSON, "property.location", Fld("units", "本单元户数", DataType.INTEGER)),
    standard_process(7, 2),
    ("housing",),
    ("证照", "建设工程规划许可证"),
    trips=1,
)
LIFT_NOTICE = ItemSpec(
    "100200000000",
    "特种设备安装改造维修告知",
    "ld-scjg",
    (CITIZEN, COMPANY),
    IMMEDIATE,
    None,
    None,
    (("tzsb", ""),),
    "电梯安装单位取得相应许可，施工前书面告知所在地特种设备安全监督管理部门。",
    (form("notice", "特种设备安装改造修理告知单", ("property.location",)),),
    (*PERSON, "property.location", Fld("installer", "安装单位名称", element="enterprise.name")),
    immediate_process(),
    ("housing",),
    ("其他", "告知回执"),
    forms=ONLINE_ONLY,
)
LIFT_REGISTRATION = ItemSpec(
    "010220000000",
    "特种设备使用登记（电梯）",
    "ld-scjg",
    (CITIZEN, COMPANY),
    PROMISED,
    (5, WORKING),
    (30, NATURAL),
    (("tzsb", ""),),
    "电梯经监督检验合格，使用单位在投入使用前或者投入使用后30日内申请使用登记。",
    (
        form("application", "特种设备使用登记表", ("property.location",)),
        shared("inspection", "电梯监督检验报告", "由特种设备检验机构检验系统推送"),
    ),
    (*PERSON, "property.location", Fld("user_unit", "使用管理单位", element="enterprise.name")),
    standard_process(3, 1),
    ("housing",),
    ("证照", "特种设备使用登记证"),
)

BUNDLE_MEMBER_ITEMS: tuple[ItemSpec, ...] = (
    PENSION_DEEMED_YEARS,
    SPECIAL_JOB_RETIREMENT,
    ILLNESS_RETIREMENT,
    PENSION_ACCOUNT,
    PENSION_LINKING,
    RETIREE_COMMUNITY,
    MEDICAL_YEARS,
    MEDICAL_TOP_UP,
    HOUSING_FUND_SEAL,
    PUBLIC_PENSION_CLAIM,
    SALARY_APPROVAL,
    STAFF_FUNDING,
    STAFF_INSURANCE,
    MEDICAL_STOP,
    POST_CHANGE,
    PAYROLL_REVIEW,
    PAYROLL_PAYMENT,
    VETERAN_GRANT,
    VETERAN_INFO,
    HONOUR_PLAQUE,
    VETERAN_TRAINING,
    LIFT_PLANNING,
    LIFT_NOTICE,
    LIFT_REGISTRATION,
)


ITEMS: tuple[ItemSpec, ...] = (
    COMPANY_REGISTRATION,
    COMPANY_SETUP,
    COMPANY_CHANGE,
    COMPANY_CLOSE,
    FOOD_LICENCE,
    PRIVATE_SCHOOL,
    PRIVATE_NONPROFIT,
    PROPERTY_REGISTRATION,
    PROPERTY_TRANSFER,
    PROPERTY_MORTGAGE,
    CONTRACT_FILING,
    PROPERTY_TAX,
    URBAN_TAXES,
    URBAN_TAX,
    EDU_SURCHARGE,
    LOCAL_EDU_SURCHARGE,
    HOUSING_FUND_WITHDRAWAL,
    HOUSING_FUND_LOAN,
    HOUSING_FUND_ACCOUNT,
    HOUSING_FUND_TRANSFER,
    BIRTH_CERTIFICATE,
    HOUSEHOLD_REGISTRATION,
    BIRTH_REGISTRATION,
    DEATH_REGISTRATION,
    HOUSEHOLD_MOVE,
    VACCINATION_CERTIFICATE,
    BIRTH_REGISTRATION_FAMILY,
    RESIDENT_MEDICAL,
    EMPLOYEE_MEDICAL,
    MEDICAL_TRANSFER,
    RETIREE_MEDICAL,
    EMPLOYER_INSURANCE,
    EMPLOYEE_INSURANCE,
    PENSION_TRANSFER,
    PENSION_CLAIM,
    RETIREMENT_APPROVAL,
    UNEMPLOYMENT_REGISTRATION,
    UNEMPLOYMENT_BENEFIT,
    SURVIVOR_BENEFIT,
    SOCIAL_SECURITY_CARD,
    SOCIAL_SECURITY_ACTIVATION,
    INTERNAL_RETIREMENT,
    STAFF_TRANSFER,
    CIVIL_SERVANT_TRANSFER,
    RECRUITMENT_PLAN,
    LEADER_QUALIFICATION,
    ESTABLISHMENT_IN,
    ESTABLISHMENT_OUT,
    MARRIAGE_REGISTRATION,
    FUNERAL_RELIEF,
    DISABILITY_ALLOWANCE,
    DISABILITY_CARD,
    VETERAN_RECEPTION,
    VETERAN_CARD,
    SCHOOL_ENROLMENT,
    *BUNDLE_MEMBER_ITEMS,
)
