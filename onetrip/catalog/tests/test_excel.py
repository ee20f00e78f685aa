"""Excel import/export of item lists: validation of every row, all-or-nothing, round trip, the CLI."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from onetrip.catalog.excel import ImportRejected, export_items, import_items
from onetrip.catalog.models import Item, ItemVersion, Law, Material, VersionStatus
from onetrip.catalog.search import search_items
from onetrip.catalog.services import item_sync_search_fields
from onetrip.catalog.tests import factories as f
from onetrip.core.errors import DomainError

pytestmark = pytest.mark.django_db


def workbook(items: list[dict[str, Any]], materials: list[dict[str, Any]] | None = None) -> io.BytesIO:
    wb = Workbook()
    sheets = [("事项", items)] + ([("材料", materials)] if materials is not None else [])
    wb.remove(wb.active)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        headers = list(dict.fromkeys(k for row in rows for k in row))
        ws.append(headers)
        for row in rows:
            ws.append([row.get(h) for h in headers])
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    return buffer


@pytest.fixture
def dept():
    return f.make_department(name="县人力资源和社会保障局")


@pytest.fixture
def theme():
    return f.make_theme(code="retire", name="退休养老")


def item_row(dept, n: int, **changes: Any) -> dict[str, Any]:
    row = {
        "事项名称": f"企业职工退休审批{n}",
        "基本编码": f"07{n:05d}00000",
        "事项类型": "行政确认",
        "实施主体编码": dept.code,
        "行使层级": "县级",
        "服务对象": "自然人",
        "办件类型": "承诺件",
        "法定时限": 20,
        "法定时限单位": "工作日",
        "承诺时限": 5,
        "承诺时限单位": "工作日",
        "到现场次数": 0,
        "办理形式": "窗口办理、网上办理",
        "网办深度": 4,
        "受理条件": "达到法定退休年龄且累计缴费满十五年。",
        "设定依据": "《中华人民共和国社会保险法》第十六条；《浙江省职工基本养老保险条例》第二十条",
        "主题": "retire",
    }
    row.update(changes)
    return row


def material_row(n: int, name: str = "居民身份证", **changes: Any) -> dict[str, Any]:
    row = {
        "基本编码": f"07{n:05d}00000",
        "材料名称": name,
        "形式": "原件",
        "必要性": "关键材料",
        "容缺": "否",
        "来源": "申请人自备",
        "份数": 1,
        "设定依据": "《中华人民共和国社会保险法》第十六条",
    }
    row.update(changes)
    return row


def rejected(source, **kwargs) -> list[tuple[str, int, str, str]]:
    with pytest.raises(ImportRejected) as exc:
        import_items(source, **kwargs)
    for e in exc.value.row_errors:
        assert e.message_zh and e.message_en
    return [(e.sheet, e.row, e.column, e.code) for e in exc.value.row_errors]


def test_import_creates_items_draft_versions_materials_and_legal_bases(dept, theme):
    sub = item_row(
        dept, 2, 事项名称="企业职工退休审批（提前退休）", 基本编码="070000100100", 主项基本编码="070000100000"
    )
    source = workbook(
        [item_row(dept, 1), sub],
        [
            material_row(1),
            material_row(1, "退休申请表", 形式="申请表格"),
            material_row(2, 基本编码="070000100100"),
        ],
    )
    result = import_items(source)
    assert (result.items, result.materials, result.published) == (2, 3, False)
    main = Item.objects.get(basic_code="070000100000")
    child = Item.objects.get(basic_code="070000100100")
    assert child.parent == main and main.implementation_code == f"{dept.uscc}4070000100000"
    assert not main.is_published and main.current_version is None
    version = main.versions.get()
    assert version.status == VersionStatus.DRAFT
    assert version.service_objects == ["citizen"] and version.handling_forms == ["window", "online"]
    assert (version.statutory_limit, version.promised_limit, version.trips) == (20, 5, 0)
    assert [str(r) for r in version.legal_basis.order_by("law__name")] == [
        "《中华人民共和国社会保险法》第十六条",
        "《浙江省职工基本养老保险条例》第二十条",
    ]
    assert list(version.themes.all()) == [theme]
    assert list(version.materials.values_list("code", "name", "kind")) == [
        ("m1", "居民身份证", "original"),
        ("m2", "退休申请表", "form"),
    ]
    assert Law.objects.count() == 2  # shared by the rows, not created twice
    assert search_items(query="退休").items == []  # drafts are not searchable


def test_import_with_publish_publishes_and_fills_the_search_fields_like_the_service(dept, theme):
    import_items(workbook([item_row(dept, 1, 事项名称="企业职工退休")], [material_row(1)]), publish=True)
    item = Item.objects.get()
    version = item.versions.get()
    assert version.status == VersionStatus.PUBLISHED and version.published_at and version.effective_from
    assert item.is_published and item.current_version == version
    for query in ("退休", "tuixiu", "tx"):
        assert search_items(query=query).items == [item]
    fields = ["name", "item_type", "for_citizen", "for_company", "for_office", "zero_trip", "online",
              "theme_codes", "search_text", "is_published", "current_version_id"]  # fmt: skip
    before = {name: getattr(item, name) for name in fields}
    item_sync_search_fields(item=item)
    item.refresh_from_db()
    assert {name: getattr(item, name) for name in fields} == before


def test_publish_requires_what_the_linter_requires(dept, theme):
    rows = [item_row(dept, 1), item_row(dept, 2, 设定依据="")]
    materials = [material_row(1, 设定依据=""), material_row(2)]
    assert rejected(workbook(rows, materials), publish=True) == [
        ("事项", 3, "设定依据", "missing_element"),
        ("材料", 2, "设定依据", "material_without_legal_basis"),
    ]
    assert Item.objects.count() == 0
    # The same file is a valid draft list: guides are completed before publishing.
    assert import_items(workbook(rows, materials)).items == 2


def test_one_bad_row_among_good_rows_imports_nothing_and_names_row_and_column(dept, theme):
    rows = [item_row(dept, n) for n in range(1, 6)]
    rows[2] = item_row(dept, 3, 承诺时限=30)  # sheet row 4: promised longer than statutory
    errors = rejected(workbook(rows, [material_row(1)]))
    assert errors == [("事项", 4, "承诺时限", "promised_exceeds_statutory")]
    assert Item.objects.count() == 0 and ItemVersion.objects.count() == 0 and Material.objects.count() == 0
    assert Law.objects.count() == 0


def test_every_bad_value_is_reported_with_its_column(dept, theme):
    bad = item_row(
        dept,
        1,
        基本编码="0700001",
        事项类型="行政许可证",
        实施主体编码="NOPE",
        行使层级="宇宙级",
        服务对象="自然人、外星人",
        办件类型="马上办",
        法定时限="二十",
        承诺时限单位="周",
        办理形式="飞鸽传书",
        设定依据="社会保险法第十条",
        主题="no-such-theme",
        是否收费="也许",
        受理条件="身份证、户口簿等",
    )
    codes = {(column, code) for _, _, column, code in rejected(workbook([bad]))}
    assert codes == {
        ("基本编码", "invalid_basic_code"),
        ("事项类型", "unknown_item_type"),
        ("实施主体编码", "unknown_department"),
        ("行使层级", "invalid_level"),
        ("服务对象", "unknown_service_object"),
        ("办件类型", "unknown_handling_kind"),
        ("法定时限", "invalid_number"),
        ("承诺时限单位", "unknown_limit_unit"),
        ("办理形式", "unknown_handling_form"),
        ("设定依据", "invalid_legal_basis"),
        ("主题", "unknown_theme"),
        ("是否收费", "invalid_boolean"),
        ("受理条件", "vague_term"),
    }


def test_required_cells_and_type_prefix(dept, theme):
    errors = rejected(
        workbook([item_row(dept, 1, 事项名称="", 服务对象=None), item_row(dept, 2, 事项类型="行政许可")])
    )
    assert errors == [
        ("事项", 2, "事项名称", "required"),
        ("事项", 2, "服务对象", "required"),
        ("事项", 3, "基本编码", "basic_code_type_mismatch"),
    ]


def test_material_rows_are_checked(dept, theme):
    materials = [
        material_row(1, "其他相关材料"),
        material_row(1, "授权委托书", 容缺="是"),
        material_row(9, "户口簿"),
        material_row(1, "居民身份证"),
        material_row(1, "居民身份证"),
    ]
    assert rejected(workbook([item_row(dept, 1)], materials)) == [
        ("材料", 2, "材料名称", "vague_term"),
        ("材料", 3, "容缺", "deficiency_requires_non_key"),
        ("材料", 4, "基本编码", "unknown_item"),
        ("材料", 6, "材料名称", "duplicate_material"),
    ]


def test_duplicate_codes_in_the_file_and_against_the_catalogue(dept, theme):
    f.make_item(department=dept, basic_code="070000200000", item_type="07")
    rows = [item_row(dept, 1), item_row(dept, 1, 事项名称="重复的事项"), item_row(dept, 2)]
    assert rejected(workbook(rows)) == [
        ("事项", 3, "基本编码", "duplicate_code"),
        ("事项", 4, "基本编码", "duplicate_code"),
    ]
    assert Item.objects.count() == 1


def test_sub_item_needs_its_main_item(dept, theme):
    rows = [item_row(dept, 5, 基本编码="070000500100", 主项基本编码="070000400000")]
    assert rejected(workbook(rows)) == [("事项", 2, "主项基本编码", "unknown_parent")]
    main = f.make_item(department=dept, basic_code="070000400000", item_type="07")
    import_items(workbook(rows))
    assert Item.objects.get(basic_code="070000500100").parent == main


def test_department_by_credit_code_and_numeric_codes(dept, theme):
    row = item_row(
        dept, 1, 实施主体编码=None, 实施主体统一社会信用代码=dept.uscc, 基本编码=70000100000, 行使层级=4
    )
    import_items(workbook([row]))
    assert Item.objects.get().basic_code == "070000100000"


def test_dry_run_checks_and_changes_nothing(dept, theme):
    result = import_items(workbook([item_row(dept, 1)], [material_row(1)]), dry_run=True)
    assert (result.items, result.materials, result.dry_run) == (1, 1, True)
    assert Item.objects.count() == 0


def test_malformed_files_are_refused(dept, tmp_path: Path):
    def error_of(source) -> tuple[str, str | None]:
        with pytest.raises(DomainError) as exc:
            import_items(source)
        assert not isinstance(exc.value, ImportRejected)
        return exc.value.errors[0].code, exc.value.errors[0].field

    assert error_of(io.BytesIO(b"name,code\n")) == ("invalid_file", "file")
    assert error_of(tmp_path / "missing.xlsx") == ("invalid_file", "file")
    wb = Workbook()
    wb.active.title = "Sheet1"
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    assert error_of(buffer) == ("missing_sheet", "事项")
    row = item_row(dept, 1)
    del row["事项名称"]
    assert error_of(workbook([row])) == ("missing_column", "事项.事项名称")
    row = item_row(dept, 1)
    del row["实施主体编码"]
    assert error_of(workbook([row])) == ("missing_column", "事项.实施主体编码")


def _sheet_values(data: bytes) -> dict[str, list[tuple]]:
    wb = load_workbook(io.BytesIO(data), read_only=True)
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def test_export_then_import_round_trips(dept, theme):
    rows = [
        item_row(dept, 1, 地方编码="330783-RS-001", 通办范围="全市通办", 是否收费="是", 收费依据="不收费以外的说明",
                 到现场次数="多次", 办理地点="县行政服务中心", 承诺时限单位="自然日", 承诺时限=3),
        item_row(dept, 2, 基本编码="070000100100", 主项基本编码="070000100000", 办件类型="即办件",
                 承诺时限=None, 承诺时限单位=None, 服务对象="法人、机关单位"),
    ]  # fmt: skip
    materials = [
        material_row(1, 材料编码="id", 来源="电子证照获取", 电子证照类型="居民身份证", 形式="电子证照"),
        material_row(1, "授权委托书", 必要性="非关键材料", 容缺="是", 填报须知="须本人签名"),
        material_row(2, 基本编码="070000100100"),
    ]
    import_items(workbook(rows, materials), publish=True)
    first = io.BytesIO()
    assert export_items(first) == 2
    Item.objects.filter(parent__isnull=False).delete()
    Item.objects.all().delete()
    first.seek(0)
    result = import_items(first, publish=True)
    assert (result.items, result.materials) == (2, 3)
    second = io.BytesIO()
    export_items(second)
    exported = _sheet_values(first.getvalue())
    assert exported == _sheet_values(second.getvalue())
    items = exported["事项"]
    header = items[0]
    first_item = dict(zip(header, items[1], strict=True))
    assert first_item["基本编码"] == "070000100000" and first_item["到现场次数"] == "多次"
    assert first_item["承诺时限单位"] == "自然日" and first_item["通办范围"] == "全市通办"
    assert len(exported["材料"]) == 4


def test_cli_imports_with_progress_and_exports(dept, theme, tmp_path: Path):
    path = tmp_path / "items.xlsx"
    path.write_bytes(workbook([item_row(dept, 1)], [material_row(1)]).getvalue())
    out, err = io.StringIO(), io.StringIO()
    call_command("catalog", "import", str(path), "--publish", stdout=out, stderr=err)
    assert "已导入 1 个事项并已发布" in out.getvalue()
    assert "检查 [" in err.getvalue() and "写入 [" in err.getvalue()
    exported = tmp_path / "out.xlsx"
    call_command("catalog", "export", str(exported), stdout=out)
    assert "已导出 1 个事项" in out.getvalue()
    assert _sheet_values(exported.read_bytes())["事项"][1][0] == "企业职工退休审批1"


def test_cli_reports_bad_rows_and_writes_the_report(dept, theme, tmp_path: Path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(workbook([item_row(dept, 1), item_row(dept, 2, 承诺时限=99)]).getvalue())
    report = tmp_path / "report.xlsx"
    err = io.StringIO()
    with pytest.raises(CommandError, match="发现 1 处错误"):
        call_command("catalog", "import", str(path), "--report", str(report), "--no-progress", stderr=err)
    assert "事项 第3行 [承诺时限] promised_exceeds_statutory" in err.getvalue()
    assert _sheet_values(report.read_bytes())["导入错误"][1][:4] == (
        "事项",
        3,
        "承诺时限",
        "promised_exceeds_statutory",
    )
    assert Item.objects.count() == 0
    with pytest.raises(CommandError, match="invalid_file"):
        call_command("catalog", "import", str(report.with_suffix(".csv")), stderr=err)


def test_cli_dry_run(dept, theme, tmp_path: Path):
    path = tmp_path / "items.xlsx"
    path.write_bytes(workbook([item_row(dept, 1)]).getvalue())
    out = io.StringIO()
    call_command("catalog", "import", str(path), "--dry-run", "--no-progress", stdout=out)
    assert "检查通过：1 个事项" in out.getvalue() and Item.objects.count() == 0


@pytest.mark.parametrize(
    "parts",
    [
        ("企业职工退休审批（首次申请）", "县人力资源和社会保障局", "退休养老", "行政确认"),
        ("食品经营许可", "县市场监督管理局", "开办", "生产经营", "行政许可"),
        ("退休", "退休", "tuixiu"),
        ("ICP 备案", "县经济和信息化局", "公共服务"),
        (" 出生医学证明", "", "出生"),
    ],
)
def test_search_text_from_cached_parts_equals_the_core_function(parts):
    from onetrip.catalog.excel import _joined_search_text
    from onetrip.core.searchtext import search_text

    assert _joined_search_text(*parts) == search_text(*parts)
