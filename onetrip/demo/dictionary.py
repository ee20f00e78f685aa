"""Themes, the data-element dictionary and the laws the demo catalogue cites.

Article numbers are given only where the article's content is certain; otherwise the law is cited without an
article. Excerpts are short paraphrase-free quotations of the article's core sentence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from onetrip.catalog.models import DataType, Sensitivity, ThemeAudience


@dataclass(frozen=True)
class ThemeSpec:
    code: str
    name: str
    audience: str
    order: int


_CITIZEN = ("出生", "上学", "就业", "特殊群体", "失业", "婚育", "置业", "就医", "退休养老", "殡葬")
_CITIZEN_CODES = (
    "birth",
    "school",
    "employment",
    "special-groups",
    "unemployment",
    "marriage-birth",
    "housing",
    "medical",
    "retirement",
    "funeral",
)
_COMPANY = ("开办", "报装", "创新研发", "生产经营", "清算注销")
_COMPANY_CODES = ("company-start", "company-utilities", "company-rnd", "company-operation", "company-closure")
_CAREER = ("入职", "调动", "晋升", "退休")
_CAREER_CODES = ("career-entry", "career-transfer", "career-promotion", "career-retirement")

THEMES: tuple[ThemeSpec, ...] = (
    *(
        ThemeSpec(c, n, ThemeAudience.CITIZEN, i)
        for i, (c, n) in enumerate(zip(_CITIZEN_CODES, _CITIZEN, strict=True))
    ),
    *(
        ThemeSpec(c, n, ThemeAudience.COMPANY, i)
        for i, (c, n) in enumerate(zip(_COMPANY_CODES, _COMPANY, strict=True))
    ),
    *(
        ThemeSpec(c, n, ThemeAudience.INTERNAL, i)
        for i, (c, n) in enumerate(zip(_CAREER_CODES, _CAREER, strict=True))
    ),
)


@dataclass(frozen=True)
class ElementSpec:
    code: str
    name: str
    data_type: str
    max_length: int | None = None
    sensitivity: str = Sensitivity.INTERNAL
    options: tuple[tuple[str, str], ...] = ()
    description: str = ""


S, T, INT_, D, DT_ = DataType.STRING, DataType.TEXT, DataType.INTEGER, DataType.DECIMAL, DataType.DATE
C, ID, USCC, PHONE, REGION = (
    DataType.CHOICE,
    DataType.ID_NUMBER,
    DataType.USCC,
    DataType.PHONE,
    DataType.REGION,
)
PUB, INT, SEN = Sensitivity.PUBLIC, Sensitivity.INTERNAL, Sensitivity.SENSITIVE

DATA_ELEMENTS: tuple[ElementSpec, ...] = (
    # 自然人 (GB/T 2261.1 gender codes)
    ElementSpec("person.id_number", "公民身份号码", ID, 18, SEN, description="18位，GB 11643"),
    ElementSpec("person.name", "姓名", S, 64, INT),
    ElementSpec("person.gender", "性别", C, 1, INT, (("1", "男"), ("2", "女"))),
    ElementSpec("person.birth_date", "出生日期", DT_, None, INT),
    ElementSpec("person.ethnicity", "民族", S, 16, INT),
    ElementSpec("person.phone", "联系电话", PHONE, 11, SEN),
    ElementSpec("person.address", "现居住地址", S, 255, SEN),
    ElementSpec("person.household_register", "户籍所在地", REGION, 12, INT, description="12位行政区划代码"),
    ElementSpec(
        "person.relationship",
        "与当事人关系",
        C,
        8,
        INT,
        (("self", "本人"), ("spouse", "配偶"), ("parent", "父母"), ("child", "子女"), ("other", "其他亲属")),
    ),
    ElementSpec("person.death_date", "死亡日期", DT_, None, SEN),
    ElementSpec("person.bank_account", "银行账号", S, 32, SEN),
    ElementSpec(
        "person.disability_category",
        "残疾类别",
        C,
        8,
        SEN,
        (
            ("vision", "视力残疾"),
            ("hearing", "听力残疾"),
            ("speech", "言语残疾"),
            ("physical", "肢体残疾"),
            ("intellectual", "智力残疾"),
            ("mental", "精神残疾"),
            ("multiple", "多重残疾"),
        ),
    ),
    ElementSpec(
        "person.disability_grade",
        "残疾级别",
        C,
        1,
        SEN,
        (("1", "一级"), ("2", "二级"), ("3", "三级"), ("4", "四级")),
    ),
    # 新生儿
    ElementSpec("newborn.name", "新生儿姓名", S, 64, INT),
    ElementSpec("newborn.gender", "新生儿性别", C, 1, INT, (("1", "男"), ("2", "女"))),
    ElementSpec("newborn.birth_date", "新生儿出生日期", DT_, None, INT),
    ElementSpec("newborn.birth_place", "出生地点", S, 128, INT),
    ElementSpec("newborn.birth_certificate_no", "出生医学证明编号", S, 10, INT),
    # 婚姻
    ElementSpec(
        "marriage.status",
        "婚姻状况",
        C,
        2,
        SEN,
        (("10", "未婚"), ("20", "已婚"), ("30", "丧偶"), ("40", "离婚")),
        "GB/T 2261.2",
    ),
    ElementSpec("marriage.certificate_no", "结婚证字号", S, 32, SEN),
    # 法人
    ElementSpec("enterprise.uscc", "统一社会信用代码", USCC, 18, PUB),
    ElementSpec("enterprise.name", "单位名称", S, 128, PUB),
    ElementSpec(
        "enterprise.type",
        "市场主体类型",
        C,
        16,
        PUB,
        (
            ("llc", "有限责任公司"),
            ("jsc", "股份有限公司"),
            ("partnership", "合伙企业"),
            ("sole", "个人独资企业"),
            ("branch", "分支机构"),
        ),
    ),
    ElementSpec("enterprise.legal_representative", "法定代表人", S, 64, PUB),
    ElementSpec("enterprise.address", "住所", S, 255, PUB),
    ElementSpec("enterprise.registered_capital", "注册资本（万元）", D, None, PUB),
    ElementSpec("enterprise.business_scope", "经营范围", T, 2000, PUB),
    ElementSpec("enterprise.contact_phone", "单位联系电话", PHONE, 11, INT),
    ElementSpec(
        "food.business_form",
        "食品经营主体业态",
        C,
        16,
        PUB,
        (("retail", "食品销售经营者"), ("catering", "餐饮服务经营者"), ("canteen", "单位食堂")),
    ),
    ElementSpec("food.licence_no", "食品经营许可证编号", S, 14, PUB),
    # 不动产与税
    ElementSpec("property.unit_number", "不动产单元号", S, 28, INT),
    ElementSpec("property.certificate_no", "不动产权证书号", S, 64, INT),
    ElementSpec("property.location", "不动产坐落", S, 255, INT),
    ElementSpec("property.area", "建筑面积（平方米）", D, None, INT),
    ElementSpec("property.contract_no", "网签合同编号", S, 32, INT),
    ElementSpec("property.price", "成交价格（元）", D, None, SEN),
    ElementSpec("tax.period", "税款所属期", S, 16, INT),
    ElementSpec("tax.taxable_amount", "计税依据（元）", D, None, SEN),
    # 社会保险、医保、公积金
    ElementSpec("social_insurance.account", "社会保障号码", ID, 18, SEN, description="即公民身份号码"),
    ElementSpec("social_insurance.card_number", "社会保障卡卡号", S, 9, SEN),
    ElementSpec("social_insurance.insured_region", "参保地", REGION, 12, INT),
    ElementSpec("social_insurance.contribution_months", "累计缴费月数", INT_, None, INT),
    ElementSpec(
        "medical_insurance.category",
        "医疗保险险种",
        C,
        16,
        INT,
        (("employee", "职工基本医疗保险"), ("resident", "城乡居民基本医疗保险")),
    ),
    ElementSpec("housing_fund.account", "住房公积金个人账号", S, 20, SEN),
    ElementSpec(
        "housing_fund.withdrawal_reason",
        "提取原因",
        C,
        16,
        INT,
        (("purchase", "购买自住住房"), ("retirement", "离休、退休"), ("rent", "租赁自住住房")),
    ),
    ElementSpec("housing_fund.loan_amount", "申请贷款金额（万元）", D, None, SEN),
    ElementSpec("housing_fund.loan_term_months", "贷款期限（月）", INT_, None, INT),
    # 机关事业单位人员
    ElementSpec("staff.unit_name", "工作单位", S, 128, INT),
    ElementSpec(
        "staff.establishment_type",
        "编制类型",
        C,
        16,
        INT,
        (("administrative", "行政编制"), ("public_institution", "事业编制")),
    ),
    ElementSpec("staff.position", "职务（岗位）", S, 64, INT),
    ElementSpec("staff.retirement_date", "退休时间", DT_, None, INT),
    ElementSpec("staff.target_unit_name", "调入单位", S, 128, INT),
    # 民办学校、社会组织、退役军人
    ElementSpec("school.name", "拟设学校名称", S, 128, PUB),
    ElementSpec(
        "school.level",
        "办学层次",
        C,
        16,
        PUB,
        (("preschool", "学前教育"), ("primary", "小学"), ("junior", "初中"), ("culture", "文化教育培训")),
    ),
    ElementSpec("school.sponsor", "举办者", S, 128, PUB),
    ElementSpec("veteran.discharge_date", "退役时间", DT_, None, INT),
    ElementSpec("veteran.certificate_no", "退役证件编号", S, 32, SEN),
)


@dataclass(frozen=True)
class LawSpec:
    key: str
    name: str
    issuer: str
    effective: dt.date | None
    articles: dict[str, str] = field(default_factory=dict)  # article → excerpt


LAWS: tuple[LawSpec, ...] = (
    LawSpec(
        "xzxk",
        "中华人民共和国行政许可法",
        "全国人民代表大会常务委员会",
        dt.date(2004, 7, 1),
        {
            "第二十九条": "公民、法人或者其他组织从事特定活动，依法需要取得行政许可的，应当向行政机关提出申请。",
            "第三十二条": "申请材料不齐全或者不符合法定形式的，应当当场或者在五日内一次告知申请人需要补正的全部内容。",
            "第四十二条": "除可以当场作出行政许可决定的外，行政机关应当自受理行政许可申请之日起二十日内作出行政许可决定。",
        },
    ),
    LawSpec(
        "spaq",
        "中华人民共和国食品安全法",
        "全国人民代表大会常务委员会",
        dt.date(2015, 10, 1),
        {
            "第三十五条": "国家对食品生产经营实行许可制度。从事食品生产、食品销售、餐饮服务，应当依法取得许可。"
        },
    ),
    LawSpec("spjyxk", "食品经营许可和备案管理办法", "国家市场监督管理总局", dt.date(2023, 12, 1), {"": ""}),
    LawSpec(
        "shbx",
        "中华人民共和国社会保险法",
        "全国人民代表大会常务委员会",
        dt.date(2011, 7, 1),
        {
            "第十六条": "参加基本养老保险的个人，达到法定退休年龄时累计缴费满十五年的，按月领取基本养老金。",
            "第十七条": "参加基本养老保险的个人，因病或者非因工死亡的，其遗属可以领取丧葬补助金和抚恤金。",
            "第十九条": "个人跨统筹地区就业的，其基本养老保险关系随本人转移，缴费年限累计计算。",
            "第二十三条": "职工应当参加职工基本医疗保险，由用人单位和职工按照国家规定共同缴纳基本医疗保险费。",
            "第二十五条": "国家建立和完善城镇居民基本医疗保险制度。",
            "第二十七条": "参加职工基本医疗保险的个人，达到法定退休年龄时累计缴费达到国家规定年限的，退休后不再缴纳基本医疗保险费，按照国家规定享受基本医疗保险待遇。",
            "第五十条": "失业人员应当持本单位为其出具的终止或者解除劳动关系的证明，及时到指定的公共就业服务机构办理失业登记。",
            "第五十七条": "用人单位应当自成立之日起三十日内凭营业执照、登记证书或者单位印章，向当地社会保险经办机构申请办理社会保险登记。",
            "第五十八条": "用人单位应当自用工之日起三十日内为其职工向社会保险经办机构申请办理社会保险登记。个人社会保障号码为公民身份号码。",
        },
    ),
    LawSpec(
        "mfd",
        "中华人民共和国民法典",
        "全国人民代表大会",
        dt.date(2021, 1, 1),
        {
            "第一百六十五条": "委托代理授权采用书面形式的，授权委托书应当载明代理人的姓名或者名称、代理事项、权限和期限，并由被代理人签名或者盖章。",
            "第二百零九条": "不动产物权的设立、变更、转让和消灭，经依法登记，发生效力。",
            "第一千零四十九条": "要求结婚的男女双方应当亲自到婚姻登记机关申请结婚登记。",
        },
    ),
    LawSpec(
        "bdcdj",
        "不动产登记暂行条例",
        "国务院",
        dt.date(2015, 3, 1),
        {
            "第十四条": "因买卖、设定抵押权等申请不动产登记的，应当由当事人双方共同申请。",
            "第十六条": "申请人应当提交登记申请书、申请人身份证明、相关的不动产权属来源证明材料。",
            "第二十条": "不动产登记机构应当自受理登记申请之日起30个工作日内办结不动产登记手续，法律另有规定的除外。",
        },
    ),
    LawSpec(
        "gjj",
        "住房公积金管理条例",
        "国务院",
        dt.date(1999, 4, 3),
        {
            "第十五条": "单位录用职工的，应当自录用之日起30日内向住房公积金管理中心办理缴存登记。",
            "第二十四条": "职工购买、建造、翻建、大修自住住房的，或者离休、退休的，可以提取职工住房公积金账户内的存储余额。",
            "第二十五条": "住房公积金管理中心应当自受理申请之日起3日内作出准予提取或者不准提取的决定，并通知申请人。",
            "第二十六条": "住房公积金管理中心应当自受理申请之日起15日内作出准予贷款或者不准贷款的决定，并通知申请人。",
        },
    ),
    LawSpec(
        "hkdj",
        "中华人民共和国户口登记条例",
        "全国人民代表大会常务委员会",
        dt.date(1958, 1, 9),
        {
            "第七条": "婴儿出生后一个月以内，由户主、亲属、抚养人或者邻居向婴儿常住地户口登记机关申报出生登记。",
            "第八条": "公民死亡，城市在葬前，农村在一个月以内，由户主、亲属、抚养人或者邻居向户口登记机关申报死亡登记，注销户口。",
            "第十条": "公民迁出本户口管辖区，由本人或者户主在迁出前向户口登记机关申报迁出登记。",
        },
    ),
    LawSpec(
        "mybj",
        "中华人民共和国母婴保健法",
        "全国人民代表大会常务委员会",
        dt.date(1995, 6, 1),
        {
            "第二十三条": "医疗保健机构和从事家庭接生的人员按照国务院卫生行政部门的规定，出具统一制发的新生儿出生医学证明。"
        },
    ),
    LawSpec(
        "mfqy",
        "民办非企业单位登记管理暂行条例",
        "国务院",
        dt.date(1998, 10, 25),
        {
            "第三条": "成立民办非企业单位，应当经其业务主管单位审查同意，并依照本条例的规定登记。",
            "第九条": "申请登记民办非企业单位，应当向登记管理机关提交登记申请书、业务主管单位的批准文件、场所使用权证明、验资报告、拟任负责人的基本情况和身份证明、章程草案。",
            "第十一条": "登记管理机关应当自收到成立登记申请的全部有效文件之日起60日内，作出准予登记或者不予登记的决定。",
        },
    ),
    LawSpec(
        "mbjy",
        "中华人民共和国民办教育促进法",
        "全国人民代表大会常务委员会",
        dt.date(2003, 9, 1),
        {
            "第十二条": "举办实施学历教育、学前教育、自学考试助学及其他文化教育的民办学校，由县级以上人民政府教育行政部门按照国家规定的权限审批。",
        },
    ),
    LawSpec(
        "sczt",
        "中华人民共和国市场主体登记管理条例",
        "国务院",
        dt.date(2022, 3, 1),
        {
            "第三条": "市场主体应当依照本条例办理登记。未经登记，不得以市场主体名义从事经营活动。",
            "第十六条": "申请办理市场主体登记，应当提交申请书、申请人资格文件和自然人身份证明、住所或者主要经营场所相关文件、章程或者合伙协议。",
            "第十九条": "登记机关对申请材料进行形式审查。对申请材料齐全、符合法定形式的予以确认并当场登记。不能当场登记的，应当在3个工作日内予以登记。",
            "第二十四条": "市场主体变更登记事项，应当自作出变更决议、决定或者法定变更事项发生之日起30日内向登记机关申请变更登记。",
            "第三十一条": "市场主体因解散、被宣告破产或者其他法定事由需要终止的，应当依法向登记机关申请注销登记。",
        },
    ),
    LawSpec(
        "cjs",
        "中华人民共和国城市维护建设税法",
        "全国人民代表大会常务委员会",
        dt.date(2021, 9, 1),
        {"第一条": "在中华人民共和国境内缴纳增值税、消费税的单位和个人，为城市维护建设税的纳税人。"},
    ),
    LawSpec(
        "zsgl",
        "中华人民共和国税收征收管理法",
        "全国人民代表大会常务委员会",
        dt.date(2001, 5, 1),
        {
            "第二十五条": "纳税人必须依照法律、行政法规规定或者税务机关依照法律、行政法规的规定确定的申报期限、申报内容如实办理纳税申报。"
        },
    ),
    LawSpec(
        "qs",
        "中华人民共和国契税法",
        "全国人民代表大会常务委员会",
        dt.date(2021, 9, 1),
        {
            "第一条": "在中华人民共和国境内转移土地、房屋权属，承受的单位和个人为契税的纳税人。",
            "第十条": "纳税人应当在依法办理土地、房屋权属登记手续前申报缴纳契税。",
        },
    ),
    LawSpec(
        "fdc",
        "中华人民共和国城市房地产管理法",
        "全国人民代表大会常务委员会",
        dt.date(1995, 1, 1),
        {
            "第四十五条": "商品房预售人应当按照国家有关规定将预售合同报县级以上人民政府房产管理部门和土地管理部门登记备案。"
        },
    ),
    LawSpec("jyfj", "征收教育费附加的暂行规定", "国务院", dt.date(1986, 7, 1), {"": ""}),
    LawSpec("dfjy", "财政部关于统一地方教育附加政策有关问题的通知", "财政部", dt.date(2010, 11, 7), {"": ""}),
    LawSpec(
        "ywjy",
        "中华人民共和国义务教育法",
        "全国人民代表大会常务委员会",
        dt.date(2006, 9, 1),
        {
            "第十二条": "适龄儿童、少年免试入学。地方各级人民政府应当保障适龄儿童、少年在户籍所在地学校就近入学。"
        },
    ),
    LawSpec(
        "zyjx", "城镇企业职工基本养老保险关系转移接续暂行办法", "国务院办公厅", dt.date(2010, 1, 1), {"": ""}
    ),
    LawSpec(
        "yctx",
        "全国人民代表大会常务委员会关于实施渐进式延迟法定退休年龄的决定",
        "全国人民代表大会常务委员会",
        dt.date(2025, 1, 1),
        {"": ""},
    ),
    LawSpec(
        "cjbz", "中华人民共和国残疾人保障法", "全国人民代表大会常务委员会", dt.date(1991, 5, 15), {"": ""}
    ),
    LawSpec("cjrz", "中华人民共和国残疾人证管理办法", "中国残疾人联合会", None, {"": ""}),
    LawSpec(
        "ymgl",
        "中华人民共和国疫苗管理法",
        "全国人民代表大会常务委员会",
        dt.date(2019, 12, 1),
        {
            "第四十七条": "国家对儿童实行预防接种证制度。在儿童出生后一个月内，其监护人应当到儿童居住地承担预防接种工作的接种单位或者出生医院为其办理预防接种证。"
        },
    ),
    LawSpec(
        "rkjs", "中华人民共和国人口与计划生育法", "全国人民代表大会常务委员会", dt.date(2002, 9, 1), {"": ""}
    ),
    LawSpec("hydj", "婚姻登记条例", "国务院", dt.date(2003, 10, 1), {"": ""}),
    LawSpec("bzgl", "殡葬管理条例", "国务院", dt.date(1997, 7, 21), {"": ""}),
    LawSpec(
        "tyjr", "中华人民共和国退役军人保障法", "全国人民代表大会常务委员会", dt.date(2021, 1, 1), {"": ""}
    ),
    LawSpec("tsaz", "退役士兵安置条例", "国务院、中央军事委员会", dt.date(2011, 11, 1), {"": ""}),
    LawSpec("gwy", "中华人民共和国公务员法", "全国人民代表大会常务委员会", dt.date(2006, 1, 1), {"": ""}),
    LawSpec("sydw", "事业单位人事管理条例", "国务院", dt.date(2014, 7, 1), {"": ""}),
    LawSpec("gf1978", "国务院关于工人退休、退职的暂行办法", "国务院", dt.date(1978, 6, 2), {"": ""}),
    LawSpec(
        "gf2015",
        "国务院关于机关事业单位工作人员养老保险制度改革的决定",
        "国务院",
        dt.date(2014, 10, 1),
        {"": ""},
    ),
    LawSpec("sbjb", "社会保险经办条例", "国务院", dt.date(2023, 12, 1), {"": ""}),
    LawSpec("bzgz", "机构编制实名制管理规定", "中央机构编制委员会办公室", None, {"": ""}),
    LawSpec(
        "lxbt",
        "国务院关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见",
        "国务院",
        dt.date(2016, 1, 1),
        {"": ""},
    ),
    LawSpec("dbtj", "社会救助暂行办法", "国务院", dt.date(2014, 5, 1), {"": ""}),
    LawSpec("jycy", "中华人民共和国就业促进法", "全国人民代表大会常务委员会", dt.date(2008, 1, 1), {"": ""}),
    LawSpec("ysf", "中华人民共和国预算法", "全国人民代表大会", dt.date(1995, 1, 1), {"": ""}),
    LawSpec("cxgh", "中华人民共和国城乡规划法", "全国人民代表大会常务委员会", dt.date(2008, 1, 1), {"": ""}),
    LawSpec(
        "tzsb", "中华人民共和国特种设备安全法", "全国人民代表大会常务委员会", dt.date(2014, 1, 1), {"": ""}
    ),
)
