"""The demo region (浙江省 → 丽水市 → 莲都区 → streets/towns → communities/villages), its departments, the
莲都区行政服务中心 with its stationed departments (进驻部门) and its windows.

Region codes are the 12-digit statistical division codes. The province, city and district codes are the
official ones; the street/town codes follow the official numbering of 莲都区 (streets 001–, towns 100–) and
the community/village codes follow the structure (residents' committees 0xx, villages 2xx) but are
illustrative. Departments get valid unified social credit codes built from the registration-authority code
(11 机关, 12 事业单位, 13 群团), the district's division code, an organisation code with its GB 11714 check
character, and the GB 32100 check character (python-stdnum).
"""

from __future__ import annotations

from dataclasses import dataclass

from stdnum.cn import uscc

from onetrip.orgs.models import DepartmentLevel, RegionLevel, WindowCategory

PROVINCE = "330000000000"
CITY = "331100000000"
DISTRICT = "331102000000"


@dataclass(frozen=True)
class RegionSpec:
    code: str
    name: str
    level: int
    parent: str | None


REGIONS: tuple[RegionSpec, ...] = (
    RegionSpec(PROVINCE, "浙江省", RegionLevel.PROVINCE, None),
    RegionSpec(CITY, "丽水市", RegionLevel.CITY, PROVINCE),
    RegionSpec(DISTRICT, "莲都区", RegionLevel.COUNTY, CITY),
    RegionSpec("331102001000", "紫金街道", RegionLevel.TOWNSHIP, DISTRICT),
    RegionSpec("331102002000", "岩泉街道", RegionLevel.TOWNSHIP, DISTRICT),
    RegionSpec("331102003000", "万象街道", RegionLevel.TOWNSHIP, DISTRICT),
    RegionSpec("331102004000", "白云街道", RegionLevel.TOWNSHIP, DISTRICT),
    RegionSpec("331102005000", "联城街道", RegionLevel.TOWNSHIP, DISTRICT),
    RegionSpec("331102100000", "碧湖镇", RegionLevel.TOWNSHIP, DISTRICT),
    RegionSpec("331102101000", "大港头镇", RegionLevel.TOWNSHIP, DISTRICT),
    RegionSpec("331102001001", "紫金街道城北社区", RegionLevel.VILLAGE, "331102001000"),
    RegionSpec("331102003001", "万象街道万象社区", RegionLevel.VILLAGE, "331102003000"),
    RegionSpec("331102004001", "白云街道白云社区", RegionLevel.VILLAGE, "331102004000"),
    RegionSpec("331102100201", "碧湖镇碧湖村", RegionLevel.VILLAGE, "331102100000"),
    RegionSpec("331102101201", "大港头镇大港头村", RegionLevel.VILLAGE, "331102101000"),
)


def organisation_code(serial: int) -> str:
    """A 9-character organisation code (组织机构代码) with its GB 11714 check character."""
    body = f"{serial:08d}"
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    check = 11 - sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def government_uscc(*, category: str, region_code: str, serial: int) -> str:
    """A valid USCC for a body registered by the establishment authority (登记管理部门代码 1)."""
    body = f"1{category}{region_code[:6]}{organisation_code(serial)}"
    return body + uscc.calc_check_digit(body)


@dataclass(frozen=True)
class DepartmentSpec:
    code: str
    name: str
    short_name: str
    level: int
    region: str
    category: str  # 1 机关, 2 事业单位, 3 群团
    serial: int
    responsibilities: str
    parent: str | None = None

    @property
    def uscc(self) -> str:
        return government_uscc(category=self.category, region_code=self.region, serial=self.serial)


COUNTY = DepartmentLevel.COUNTY
CITY_LEVEL = DepartmentLevel.CITY

DEPARTMENTS: tuple[DepartmentSpec, ...] = (
    DepartmentSpec(
        "ld-scjg",
        "丽水市莲都区市场监督管理局",
        "区市场监管局",
        COUNTY,
        DISTRICT,
        "1",
        257501,
        "负责市场主体统一登记注册；负责食品经营许可和食品安全监督管理；负责市场综合监督管理和知识产权保护。",
    ),
    DepartmentSpec(
        "ld-rsj",
        "丽水市莲都区人力资源和社会保障局",
        "区人力社保局",
        COUNTY,
        DISTRICT,
        "1",
        257502,
        "负责就业创业、社会保险（养老、工伤、失业）登记与待遇、社会保障卡，机关事业单位人员管理、工资和退休审批。",
    ),
    DepartmentSpec(
        "ld-ybj",
        "丽水市莲都区医疗保障局",
        "区医保局",
        COUNTY,
        DISTRICT,
        "1",
        257503,
        "负责职工和城乡居民基本医疗保险、生育保险的参保登记、关系转移接续和待遇核定。",
    ),
    DepartmentSpec(
        "ld-gaj",
        "丽水市公安局莲都区分局",
        "莲都公安分局",
        COUNTY,
        DISTRICT,
        "1",
        257504,
        "负责户口登记、户口迁移、居民身份证管理和治安管理。",
    ),
    DepartmentSpec(
        "ld-mzj",
        "丽水市莲都区民政局",
        "区民政局",
        COUNTY,
        DISTRICT,
        "1",
        257505,
        "负责社会组织登记、婚姻登记、殡葬管理、社会救助和残疾人两项补贴的审核确认。",
    ),
    DepartmentSpec(
        "ld-zrzy",
        "丽水市自然资源和规划局莲都分局",
        "莲都自然资源分局",
        COUNTY,
        DISTRICT,
        "1",
        257506,
        "负责国土空间规划、建设用地审批和自然资源确权登记。",
    ),
    DepartmentSpec(
        "ld-bdc",
        "丽水市莲都区不动产登记中心",
        "区不动产登记中心",
        COUNTY,
        DISTRICT,
        "2",
        257507,
        "负责辖区内土地、房屋等不动产的首次、转移、变更、抵押和注销登记，发放不动产权证书和登记证明。",
        parent="ld-zrzy",
    ),
    DepartmentSpec(
        "ld-zjj",
        "丽水市莲都区住房和城乡建设局",
        "区住建局",
        COUNTY,
        DISTRICT,
        "1",
        257508,
        "负责房地产市场监管、商品房和存量房买卖合同网签备案、建筑工程施工许可。",
    ),
    DepartmentSpec(
        "ld-swj",
        "国家税务总局丽水市莲都区税务局",
        "莲都区税务局",
        COUNTY,
        DISTRICT,
        "1",
        257509,
        "负责辖区内税收、社会保险费和有关非税收入的征收管理，不动产交易税费征缴。",
    ),
    DepartmentSpec(
        "ls-gjj",
        "丽水市住房公积金管理中心",
        "市公积金中心",
        CITY_LEVEL,
        CITY,
        "2",
        257510,
        "负责住房公积金的归集、提取、贷款和个人账户转移接续管理。",
    ),
    DepartmentSpec(
        "ld-jyj",
        "丽水市莲都区教育局",
        "区教育局",
        COUNTY,
        DISTRICT,
        "1",
        257511,
        "负责各级各类教育的统筹管理，民办学校设立审批和义务教育招生入学。",
    ),
    DepartmentSpec(
        "ld-wjj",
        "丽水市莲都区卫生健康局",
        "区卫健局",
        COUNTY,
        DISTRICT,
        "1",
        257512,
        "负责医疗卫生服务管理、出生医学证明管理、生育登记和预防接种管理。",
    ),
    DepartmentSpec(
        "ld-cl",
        "丽水市莲都区残疾人联合会",
        "区残联",
        COUNTY,
        DISTRICT,
        "3",
        257513,
        "负责残疾人证的受理、评定组织和核发，残疾人康复、就业和权益保障服务。",
    ),
    DepartmentSpec(
        "ld-tyjr",
        "丽水市莲都区退役军人事务局",
        "区退役军人事务局",
        COUNTY,
        DISTRICT,
        "1",
        257514,
        "负责退役军人接收安置、优待抚恤、就业创业扶持和优待证发放。",
    ),
    DepartmentSpec(
        "ld-zwfw",
        "丽水市莲都区行政服务中心管理办公室",
        "区行政服务中心",
        COUNTY,
        DISTRICT,
        "2",
        257515,
        "负责区行政服务中心的运行管理，一窗受理、按责转办、统一出件和政务服务效能监管。",
    ),
    DepartmentSpec(
        "ld-zzb",
        "中共丽水市莲都区委组织部",
        "区委组织部",
        COUNTY,
        DISTRICT,
        "1",
        257516,
        "负责干部管理，公务员录用、调任、转任和退休管理。",
    ),
    DepartmentSpec(
        "ld-bb",
        "中共丽水市莲都区委机构编制委员会办公室",
        "区委编办",
        COUNTY,
        DISTRICT,
        "1",
        257517,
        "负责机构编制管理，机构编制实名制入编、出编登记。",
    ),
    DepartmentSpec(
        "ld-czj",
        "丽水市莲都区财政局",
        "区财政局",
        COUNTY,
        DISTRICT,
        "1",
        257518,
        "负责财政预算执行、国库集中支付和机关事业单位工资统发、经费拨付。",
    ),
    DepartmentSpec(
        "ld-pgb",
        "中共丽水市莲都区委全面深化改革委员会办公室",
        "区跑改办",
        COUNTY,
        DISTRICT,
        "1",
        257519,
        "统筹推进“最多跑一次”改革，组织效能监察、督办和好差评整改。",
    ),
    DepartmentSpec(
        "ls-scjg",
        "丽水市市场监督管理局",
        "市市场监管局",
        CITY_LEVEL,
        CITY,
        "1",
        257401,
        "负责全市市场主体登记注册指导和市场监督管理。",
    ),
    DepartmentSpec(
        "ls-rsj",
        "丽水市人力资源和社会保障局",
        "市人力社保局",
        CITY_LEVEL,
        CITY,
        "1",
        257402,
        "负责全市人力资源和社会保障工作，市本级机关事业单位人员调动和工资统发审核。",
    ),
)


@dataclass(frozen=True)
class HallSpec:
    name: str
    region: str
    address: str
    opening_hours: str
    phone: str
    stationed: tuple[str, ...]  # codes of the departments stationed in the hall (进驻部门)


HALL = HallSpec(
    name="莲都区行政服务中心",
    region=DISTRICT,
    address="浙江省丽水市莲都区紫金街道（演示地址）",
    opening_hours="周一至周五 8:30—12:00，14:00—17:30（法定节假日除外）",
    phone="12345",
    # Every department that runs items or bundles in the demo, city-level centres included (the housing-fund
    # centre leads 公积金组合贷款 here). Not stationed: the city bureaus (市市场监管局, 市人力社保局), which
    # serve at the city hall, the hall's own management office and the reform office (跑改办).
    stationed=(
        "ld-scjg",
        "ld-rsj",
        "ld-ybj",
        "ld-gaj",
        "ld-mzj",
        "ld-zrzy",
        "ld-bdc",
        "ld-zjj",
        "ld-swj",
        "ls-gjj",
        "ld-jyj",
        "ld-wjj",
        "ld-cl",
        "ld-tyjr",
        "ld-zzb",
        "ld-bb",
        "ld-czj",
    ),
)


@dataclass(frozen=True)
class WindowSpec:
    number: str
    name: str
    category: str
    department: str | None = None


WINDOWS: tuple[WindowSpec, ...] = (
    WindowSpec("A01", "投资项目审批综合受理窗口", WindowCategory.INVESTMENT),
    WindowSpec("A02", "投资项目审批综合受理窗口", WindowCategory.INVESTMENT),
    WindowSpec("B01", "商事登记综合受理窗口", WindowCategory.COMMERCIAL),
    WindowSpec("B02", "商事登记综合受理窗口", WindowCategory.COMMERCIAL),
    WindowSpec("C01", "不动产登记综合受理窗口", WindowCategory.REAL_ESTATE),
    WindowSpec("C02", "不动产登记综合受理窗口", WindowCategory.REAL_ESTATE),
    WindowSpec("D01", "医保社保综合受理窗口", WindowCategory.MEDICAL_SOCIAL),
    WindowSpec("D02", "医保社保综合受理窗口", WindowCategory.MEDICAL_SOCIAL),
    WindowSpec("E01", "公安服务综合受理窗口", WindowCategory.PUBLIC_SECURITY),
    WindowSpec("F01", "其他综合事务窗口", WindowCategory.GENERAL),
    WindowSpec("F02", "其他综合事务窗口", WindowCategory.GENERAL),
    WindowSpec("G01", "税务即办窗口", WindowCategory.DEPARTMENT, "ld-swj"),
    WindowSpec("G02", "住房公积金即办窗口", WindowCategory.DEPARTMENT, "ls-gjj"),
    WindowSpec("G03", "残疾人证即办窗口", WindowCategory.DEPARTMENT, "ld-cl"),
)
