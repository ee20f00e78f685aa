"""Catalogue benchmark: search over 20,000 published items, the item guide page, and a 5,000-item import.

Run from the repository root: `.venv/bin/python bench/catalog.py`. Prints one JSON line per database:
{"db", "items", "search_p95_ms", "guide_page_ms", "import_5000_s", ...}.

Each database runs in its own subprocess with its own settings environment: SQLite in a temporary file,
PostgreSQL at DATABASE_URL (default postgres://postgres@127.0.0.1:5432/onetrip_bench_catalog, dropped and
created afresh). Steps: migrate; import a generated 20,000-item list (realistic names from real item-name
parts) with --publish; time 240 searches (Chinese words, full pinyin, initials, filters) → p95 in ms; GET
the guide page /items/<code>/ of a complete published item with Django's test Client 50 times → median
server time; import a second generated list of 5,000 items → seconds. `--only sqlite|postgresql` runs one.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/onetrip_bench_catalog"
ITEMS = 20_000
IMPORT_ITEMS = 5_000
DEPARTMENTS = 40
SEARCHES = 240
GUIDE_GETS = 50

# Real item-name parts (subjects and acts) as they appear in Zhejiang's implementation lists.
SUBJECTS = [
    "企业职工", "机关事业单位工作人员", "城乡居民", "灵活就业人员", "企业及分支机构", "个体工商户", "农民专业合作社",
    "食品经营", "食品生产", "药品零售", "医疗器械经营", "民办学校", "民办非企业单位", "社会团体", "不动产",
    "房屋交易", "国有建设用地使用权", "住房公积金", "基本养老保险", "基本医疗保险", "失业保险", "工伤保险",
    "生育保险", "残疾人证", "出生医学证明", "户口", "居民身份证", "城市维护建设税", "契税", "建设工程规划",
    "建筑工程施工", "排污", "取水", "道路运输经营", "出租汽车经营", "烟草专卖零售", "公共场所卫生", "特种设备",
    "人力资源服务", "劳务派遣经营", "高龄津贴", "最低生活保障", "特困人员供养", "退役军人", "义务兵家庭优待金",
    "婚姻", "收养", "殡葬", "献血费用", "流动人口居住证",
]  # fmt: skip
ACTS = [
    "许可", "登记", "设立登记", "变更登记", "注销登记", "备案", "审批", "核准", "认定", "申领", "补领", "换领",
    "转移接续", "提取", "退休审批", "待遇核定", "证明开具", "年度检验", "延续", "资格认证", "费用报销", "征收",
    "减免", "给付", "查询", "迁入", "迁出",
]  # fmt: skip
ITEM_TYPES = ["行政许可", "行政确认", "行政给付", "行政征收", "其他行政权力", "公共服务"]
TYPE_CODES = {
    "行政许可": "01",
    "行政征收": "04",
    "行政给付": "05",
    "行政确认": "07",
    "其他行政权力": "10",
    "公共服务": "20",
}
THEMES = [
    ("birth", "出生", "citizen"), ("school", "上学", "citizen"), ("work", "就业", "citizen"),
    ("special", "特殊群体", "citizen"), ("unemployed", "失业", "citizen"), ("marriage", "婚育", "citizen"),
    ("home", "置业", "citizen"), ("medical", "就医", "citizen"), ("retire", "退休养老", "citizen"),
    ("funeral", "殡葬", "citizen"), ("open", "开办", "company"), ("utilities", "报装", "company"),
    ("rnd", "创新研发", "company"), ("operate", "生产经营", "company"), ("close", "清算注销", "company"),
]  # fmt: skip
OBJECTS = ["自然人", "法人", "机关单位", "自然人、法人"]
FORMS = ["窗口办理", "窗口办理、网上办理", "网上办理、掌上办理", "窗口办理、快递申请"]
MATERIALS = ["申请表", "居民身份证", "营业执照", "授权委托书", "不动产权证书", "户口簿", "结婚证", "劳动合同"]
LAWS = [
    "《中华人民共和国行政许可法》第二十九条",
    "《中华人民共和国社会保险法》第十六条",
    "《中华人民共和国食品安全法》第三十五条",
    "《不动产登记暂行条例》第十四条",
    "《浙江省保障“最多跑一次”改革规定》第十二条",
]


def _workbook(rng: random.Random, departments: list, *, count: int, serial_base: int) -> io.BytesIO:
    """An item list in the import layout: `count` items spread over the departments, 2 materials each."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    items = wb.create_sheet("事项")
    materials = wb.create_sheet("材料")
    items.append(["事项名称", "基本编码", "事项类型", "实施主体编码", "行使层级", "服务对象", "办件类型", "法定时限",
                  "承诺时限", "到现场次数", "办理形式", "网办深度", "受理条件", "设定依据", "主题"])  # fmt: skip
    materials.append(["基本编码", "实施编码", "材料名称", "形式", "必要性", "来源", "份数", "设定依据"])
    for n in range(count):
        dept = departments[n % len(departments)]
        item_type = rng.choice(ITEM_TYPES)
        basic = f"{TYPE_CODES[item_type]}{serial_base + n // len(departments):05d}00000"
        name = f"{rng.choice(SUBJECTS)}{rng.choice(ACTS)}"
        if rng.random() < 0.5:
            name += f"（{rng.choice(['首次申请', '变更', '延续', '补办', '注销', '跨省通办'])}）"
        statutory = rng.choice([5, 10, 15, 20, 30])
        themes = "、".join(rng.sample([t[0] for t in THEMES], rng.randint(0, 2)))
        items.append([name, basic, item_type, dept.code, dept.level, rng.choice(OBJECTS),
                      rng.choice(["即办件", "承诺件"]), statutory, rng.randint(0, statutory), rng.choice([0, 0, 1, "多次"]),
                      rng.choice(FORMS), rng.randint(0, 4), "申请材料齐全、符合法定形式。", rng.choice(LAWS), themes])  # fmt: skip
        code = f"{dept.uscc}{dept.level}{basic}"
        for material in rng.sample(MATERIALS, 2):
            materials.append([basic, code, material, "原件", "关键材料", "申请人自备", 1, rng.choice(LAWS)])
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    return buffer


def _queries(rng: random.Random, departments: list) -> list[dict]:
    words = [
        "退休",
        "登记",
        "食品",
        "公积金",
        "许可",
        "不动产",
        "残疾人",
        "出生",
        "户口",
        "社会保险",
        "企业职工退休审批",
    ]
    pinyin = [
        "tuixiu",
        "dengji",
        "shipin",
        "gongjijin",
        "xuke",
        "budongchan",
        "canjiren",
        "chusheng",
        "hukou",
    ]
    initials = ["tx", "dj", "sp", "gjj", "xk", "bdc", "cjr", "cs", "hk", "qyzg"]
    searches: list[dict] = []
    while len(searches) < SEARCHES:
        query = rng.choice(words + pinyin + initials)
        kind = len(searches) % 6
        params: dict = {"query": query}
        if kind == 1:
            params["department_id"] = rng.choice(departments).pk
        elif kind == 2:
            params["theme"] = rng.choice(THEMES)[0]
        elif kind == 3:
            params.update(service_object=rng.choice(["citizen", "company"]), zero_trip=True)
        elif kind == 4:
            params.update(level=rng.choice([3, 4]), online=True)
        elif kind == 5 and rng.random() < 0.5:
            params = {"theme": rng.choice(THEMES)[0]}  # browse a theme without a query
        searches.append(params)
    return searches


def run_one(db: str) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from onetrip.catalog.excel import import_items
    from onetrip.catalog.models import Item, Theme
    from onetrip.catalog.search import search_items
    from onetrip.catalog.tests import factories as f
    from onetrip.orgs.models import DepartmentLevel

    call_command("migrate", verbosity=0)
    rng = random.Random(20260401)
    region = f.make_region(name="示范县")
    departments = [
        f.make_department(name=f"示范县第{i + 1}局", region=region, level=rng.choice([DepartmentLevel.CITY, DepartmentLevel.COUNTY]))
        for i in range(DEPARTMENTS)
    ]  # fmt: skip
    for order, (code, name, audience) in enumerate(THEMES):
        Theme.objects.create(code=code, name=name, audience=audience, order=order)

    t0 = time.perf_counter()
    import_items(_workbook(rng, departments, count=ITEMS, serial_base=0), publish=True)
    import_20000_s = time.perf_counter() - t0
    if connection.vendor == "postgresql":
        # What autovacuum does after a bulk load: statistics, and the visibility map index-only scans need.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE catalog_item")
            cursor.execute("VACUUM ANALYZE catalog_itemsearchtoken")

    searches = _queries(rng, departments)
    for params in searches[:20]:  # warm the caches and connection
        list(search_items(**params).items)
    timings, hits = [], 0
    for params in searches:
        t = time.perf_counter()
        page = search_items(**params)
        timings.append((time.perf_counter() - t) * 1000)
        hits += bool(page.items)

    # The guide page of a complete published item (situations, materials, form, process).
    setup_test_environment()
    guide_item = f.make_published_item(department=departments[0], name="企业职工退休审批")
    client = Client()
    url = f"/items/{guide_item.implementation_code}/"
    response = client.get(url)
    guide_target = "portal"
    if response.status_code != 200:
        url, guide_target = f"/api/v1/catalog/items/{guide_item.implementation_code}", "api"
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    guide = []
    for _ in range(GUIDE_GETS):
        t = time.perf_counter()
        client.get(url)
        guide.append((time.perf_counter() - t) * 1000)

    searched = Item.objects.filter(is_published=True).count()
    t0 = time.perf_counter()
    result = import_items(_workbook(rng, departments, count=IMPORT_ITEMS, serial_base=90_000), publish=True)
    import_5000_s = time.perf_counter() - t0
    assert result.items == IMPORT_ITEMS

    return {
        "db": db,
        "items": searched,
        "search_p95_ms": round(statistics.quantiles(timings, n=20)[-1], 2),
        "search_median_ms": round(statistics.median(timings), 2),
        "searches": len(timings),
        "searches_with_hits": hits,
        "guide_page_ms": round(statistics.median(guide), 2),
        "guide_target": guide_target,
        "import_5000_s": round(import_5000_s, 2),
        "import_20000_s": round(import_20000_s, 2),
    }


def _pg_fresh(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    if "bench" not in name:
        sys.exit(f"refusing to drop database {name!r}: the benchmark database name must contain 'bench'")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--child", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child), ensure_ascii=False), flush=True)
        return
    failed = False
    for db in [args.only] if args.only else ["sqlite", "postgresql"]:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(DJANGO_SETTINGS_MODULE="onetrip.settings", LOG_LEVEL="ERROR")
        with tempfile.TemporaryDirectory(prefix="onetrip-bench-") as var_dir:
            env["ONETRIP_VAR_DIR"] = var_dir
            if db == "postgresql":
                env["DATABASE_URL"] = os.environ.get("DATABASE_URL", PG_DEFAULT)
                _pg_fresh(env["DATABASE_URL"])
            done = subprocess.run([sys.executable, __file__, "--child", db], env=env, cwd=ROOT)
            failed |= done.returncode != 0
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
