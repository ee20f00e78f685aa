"""Excel (.xlsx) import and export of item lists (事项清单), in the layout government catalogues keep.

A workbook has a sheet **事项** (one row per item) and optionally a sheet **材料** (one row per material).
Row 1 holds the column headers; their order does not matter, unknown columns are ignored, and a trailing
``*`` (the usual "required" mark in templates) is allowed. Lists inside a cell are separated by ``、``,
``,``, ``，``, ``;`` or ``；``; several legal bases by ``；`` or a line break. Yes/no cells take 是/否.

Sheet 事项 (required columns marked *):

| column | meaning |
|---|---|
| 事项名称 * | item name (≤ 200 characters) |
| 基本编码 * | 12-digit basic code; its first two digits are the item-type code (a numeric cell is zero-padded) |
| 事项类型 * | 行政许可, 行政征收, 行政给付, 行政确认, 行政裁决, 其他行政权力, 公共服务 (or the two-digit code) |
| 实施主体编码 / 实施主体统一社会信用代码 * | the implementing department, by Department.code or by its USCC (one column at least; both must agree) |
| 行使层级 * | 1–6 or 国家级, 省级, 市级, 县级, 乡镇（街道）级, 村（社区）级 |
| 实施编码 | optional; when given it must equal USCC + level + basic code |
| 地方编码 | local code kept beside the national one |
| 主项基本编码 | for a sub-item: the basic code of its main item (same department and level; in the file or already catalogued) |
| 权力来源 | e.g. 法定本级行使 |
| 服务对象 * | 自然人 (个人), 法人 (企业), 机关单位 (机关); several allowed |
| 办件类型 * | 即办件 or 承诺件 |
| 法定时限, 承诺时限 | whole numbers ≥ 0; the promised limit may not exceed the statutory one |
| 法定时限单位, 承诺时限单位 | 工作日 (default when a limit is given), 自然日, 工作小时 |
| 法定时限说明, 承诺时限说明 | notes |
| 到现场次数 | 0, 1, 2 or 多次 (2 means several trips) |
| 办理形式 | 窗口办理, 网上办理, 掌上办理, 快递申请 |
| 网办深度 | 0 (not online) … 4 (fully online) |
| 受理条件, 办理流程, 办理地点, 办理时间 | text |
| 设定依据 | legal bases ``《法律名称》第某条``, several separated by ；or line breaks |
| 主题 | theme codes or names |
| 通办范围 | 本级办理, 全县通办, 全市通办, 全省通办, 跨省通办 |
| 是否收费, 支持物流快递, 支持网上支付, 支持预约办理 | 是/否 |
| 收费依据, 数量限制, 结果类型, 结果名称, 咨询方式, 监督投诉方式 | text |

Sheet 材料:

| column | meaning |
|---|---|
| 基本编码 * | the item's basic code (an item of this file) |
| 实施编码 | needed only when two items of the file share a basic code |
| 材料名称 * | material name; vague names (等材料, 其他材料, 相关材料, …) are refused |
| 材料编码 | optional slug unique within the item; m1, m2 … by default |
| 形式 * | 原件, 复印件, 电子证照, 申请表格 |
| 必要性 | 关键材料 (default) or 非关键材料 |
| 容缺 | 是/否; only a non-key material may be 容缺 |
| 来源 | 申请人自备 (default), 政府部门核发, 共享数据获取, 电子证照获取 |
| 电子证照类型, 份数, 纸张规格, 填报须知, 受理标准 | details; 份数 is a whole number |
| 设定依据 | as for items |

Import checks every row first and reports every problem with its sheet, row number, column (in Chinese), a
stable code and Chinese and English text. A file with any bad row changes nothing; a clean file creates
all items with a draft version 1 (published at once with ``publish=True``) in one transaction, with bulk
inserts so 5,000 items take seconds. Export writes the same layout, so export → import round-trips.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.db.models import F, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from onetrip.catalog.codes import basic_code_errors, implementation_code, implementation_code_errors
from onetrip.catalog.lint import GuideData, MaterialData, lint_guide, promised_exceeds_statutory, vague_term
from onetrip.catalog.models import (
    HandlingForm,
    HandlingKind,
    Item,
    ItemType,
    ItemVersion,
    Law,
    LegalReference,
    LimitUnit,
    Material,
    MaterialKind,
    MaterialNecessity,
    MaterialSource,
    ServiceObject,
    ServiceScope,
    Theme,
    VersionStatus,
)
from onetrip.catalog.search import search_index_replace
from onetrip.catalog.services import today
from onetrip.core import clock
from onetrip.core.audit import audit_record
from onetrip.core.errors import DomainError, ErrorDetail
from onetrip.core.searchtext import search_text
from onetrip.orgs.models import Department, DepartmentLevel

ITEM_SHEET = "事项"
MATERIAL_SHEET = "材料"
MAX_ROWS = 100_000
BATCH = 500

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False


ITEM_COLUMNS = [
    Column("name", "事项名称", True),
    Column("basic_code", "基本编码", True),
    Column("item_type", "事项类型", True),
    Column("department_code", "实施主体编码"),
    Column("department_uscc", "实施主体统一社会信用代码"),
    Column("level", "行使层级", True),
    Column("implementation_code", "实施编码"),
    Column("local_code", "地方编码"),
    Column("parent_basic_code", "主项基本编码"),
    Column("power_source", "权力来源"),
    Column("service_objects", "服务对象", True),
    Column("handling_kind", "办件类型", True),
    Column("statutory_limit", "法定时限"),
    Column("statutory_limit_unit", "法定时限单位"),
    Column("statutory_limit_note", "法定时限说明"),
    Column("promised_limit", "承诺时限"),
    Column("promised_limit_unit", "承诺时限单位"),
    Column("promised_limit_note", "承诺时限说明"),
    Column("trips", "到现场次数"),
    Column("handling_forms", "办理形式"),
    Column("online_depth", "网办深度"),
    Column("acceptance_conditions", "受理条件"),
    Column("procedure", "办理流程"),
    Column("place", "办理地点"),
    Column("hours", "办理时间"),
    Column("legal_basis", "设定依据"),
    Column("themes", "主题"),
    Column("service_scope", "通办范围"),
    Column("fee_required", "是否收费"),
    Column("fee_basis", "收费依据"),
    Column("quantity_limit", "数量限制"),
    Column("result_type", "结果类型"),
    Column("result_name", "结果名称"),
    Column("post_delivery", "支持物流快递"),
    Column("online_payment", "支持网上支付"),
    Column("appointment", "支持预约办理"),
    Column("consultation", "咨询方式"),
    Column("complaint", "监督投诉方式"),
]
MATERIAL_COLUMNS = [
    Column("basic_code", "基本编码", True),
    Column("implementation_code", "实施编码"),
    Column("name", "材料名称", True),
    Column("code", "材料编码"),
    Column("kind", "形式", True),
    Column("necessity", "必要性"),
    Column("deficiency_allowed", "容缺"),
    Column("source", "来源"),
    Column("licence_type", "电子证照类型"),
    Column("paper_copies", "份数"),
    Column("paper_size", "纸张规格"),
    Column("filling_notes", "填报须知"),
    Column("acceptance_standard", "受理标准"),
    Column("legal_basis", "设定依据"),
]
HEADERS = {c.key: c.header for c in ITEM_COLUMNS}
MATERIAL_HEADERS = {c.key: c.header for c in MATERIAL_COLUMNS}

# Cell words → stored values (labels of the model choices plus the aliases catalogues use).
ITEM_TYPES = {label: value for value, label in ItemType.choices} | {v: v for v in ItemType.values}
LEVELS = {label: value for value, label in DepartmentLevel.choices} | {str(v): v for v in DepartmentLevel.values} | {
    "国家": 1, "省": 2, "市": 3, "县": 4, "县（市、区）级": 4, "区级": 4, "乡镇级": 5, "街道级": 5,
    "乡镇（街道）": 5, "村级": 6, "社区级": 6, "村（社区）": 6,
}  # fmt: skip
SERVICE_OBJECTS = {label: value for value, label in ServiceObject.choices} | {
    "个人": "citizen", "企业": "company", "机关": "office",
}  # fmt: skip
HANDLING_KINDS = {label: value for value, label in HandlingKind.choices}
LIMIT_UNITS = {label: value for value, label in LimitUnit.choices} | {"小时": "hours"}
HANDLING_FORMS = {label: value for value, label in HandlingForm.choices}
SERVICE_SCOPES = {label: value for value, label in ServiceScope.choices}
MATERIAL_KINDS = {label: value for value, label in MaterialKind.choices} | {"表格": "form"}
NECESSITIES = {label: value for value, label in MaterialNecessity.choices} | {
    "关键": "key", "必要": "key", "非关键": "non_key", "非必要": "non_key",
}  # fmt: skip
MATERIAL_SOURCES = {label: value for value, label in MaterialSource.choices}
YES = {"是", "y", "yes", "true", "1"}
NO = {"否", "n", "no", "false", "0"}

_LIST_SPLIT = re.compile(r"[、,，;；\s]+")
_BASIS_SPLIT = re.compile(r"[；;\n]+")
_BASIS_RE = re.compile(r"^《([^《》]{1,200})》\s*(.{0,64})$")
_SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]{1,64}$")


@dataclass(frozen=True)
class RowError:
    """One problem in one cell (or row) of the workbook."""

    sheet: str
    row: int
    column: str
    code: str
    message_zh: str
    message_en: str

    def as_error_detail(self) -> ErrorDetail:
        return ErrorDetail(
            self.code, self.message_zh, self.message_en, field=f"{self.sheet}.{self.column}", row=self.row
        )

    def __str__(self) -> str:
        return (
            f"{self.sheet} 第{self.row}行 [{self.column}] {self.code}: {self.message_zh} ({self.message_en})"
        )


class ImportRejected(DomainError):
    """The workbook has bad rows; nothing was saved. `row_errors` keeps the sheet of each problem."""

    def __init__(self, row_errors: list[RowError]) -> None:
        self.row_errors = row_errors
        super().__init__(*(e.as_error_detail() for e in row_errors))


@dataclass
class ImportResult:
    items: int = 0
    materials: int = 0
    published: bool = False
    dry_run: bool = False
    item_ids: list[int] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------- reading


def _file_error(code: str, zh: str, en: str, field_name: str | None = None) -> DomainError:
    return DomainError(ErrorDetail(code, zh, en, field_name))


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def _header_key(value: Any) -> str:
    return _cell_text(value).replace("*", "").replace("＊", "").strip()


@dataclass
class _Sheet:
    name: str
    columns: dict[str, int]  # header → index
    rows: list[tuple[int, tuple[Any, ...]]]  # (row number, values)

    def has(self, header: str) -> bool:
        return header in self.columns

    def raw(self, values: tuple[Any, ...], header: str) -> Any:
        index = self.columns.get(header)
        return values[index] if index is not None and index < len(values) else None


def _read_sheet(workbook: Any, name: str, columns: list[Column], *, required: bool) -> _Sheet | None:
    if name not in workbook.sheetnames:
        if required:
            raise _file_error(
                "missing_sheet", f"工作簿缺少“{name}”工作表", f"The workbook has no sheet named {name}", name
            )
        return None
    rows_iter = workbook[name].iter_rows(values_only=True)
    header = next(rows_iter, None) or ()
    positions: dict[str, int] = {}
    for index, value in enumerate(header):
        key = _header_key(value)
        if key and key not in positions:
            positions[key] = index
    missing = [c.header for c in columns if c.required and c.header not in positions]
    if missing:
        raise DomainError(
            *(
                ErrorDetail(
                    "missing_column",
                    f"“{name}”工作表缺少必填列“{h}”",
                    f"Sheet {name} lacks the required column {h}",
                    f"{name}.{h}",
                )
                for h in missing
            )
        )
    rows = []
    for number, values in enumerate(rows_iter, start=2):
        if all(v is None or _cell_text(v) == "" for v in values):
            continue
        rows.append((number, tuple(values)))
        if len(rows) > MAX_ROWS:
            raise _file_error(
                "too_many_rows",
                f"“{name}”工作表超过{MAX_ROWS}行，请分批导入",
                f"Sheet {name} has more than {MAX_ROWS} rows",
                name,
            )
    return _Sheet(name, positions, rows)


def read_workbook(source: str | Path | IO[bytes]) -> tuple[_Sheet, _Sheet | None]:
    """Open an .xlsx and return its 事项 and 材料 sheets; a malformed file raises DomainError."""
    try:
        workbook = load_workbook(source, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise _file_error(
            "invalid_file",
            "文件不是有效的 Excel（.xlsx）工作簿",
            f"The file is not a valid .xlsx workbook ({type(exc).__name__})",
            "file",
        ) from None
    try:
        items = _read_sheet(workbook, ITEM_SHEET, ITEM_COLUMNS, required=True)
        materials = _read_sheet(workbook, MATERIAL_SHEET, MATERIAL_COLUMNS, required=False)
    finally:
        workbook.close()
    assert items is not None
    if not any(items.has(h) for h in (HEADERS["department_code"], HEADERS["department_uscc"])):
        raise _file_error(
            "missing_column",
            "“事项”工作表缺少“实施主体编码”或“实施主体统一社会信用代码”列",
            "Sheet 事项 needs a 实施主体编码 or 实施主体统一社会信用代码 column",
            f"{ITEM_SHEET}.{HEADERS['department_code']}",
        )
    return items, materials


# ------------------------------------------------------------------------------------------- validation


class _RowParser:
    """Parses the cells of one row, collecting errors instead of stopping at the first."""

    def __init__(self, sheet: _Sheet, row: int, values: tuple[Any, ...], errors: list[RowError]) -> None:
        self.sheet, self.row, self.values, self.errors = sheet, row, values, errors

    def error(self, header: str, code: str, zh: str, en: str) -> None:
        self.errors.append(RowError(self.sheet.name, self.row, header, code, zh, en))

    def raw(self, header: str) -> Any:
        return self.sheet.raw(self.values, header)

    def text(self, header: str, *, required: bool = False, max_length: int | None = None) -> str:
        value = _cell_text(self.raw(header))
        if required and not value:
            self.error(header, "required", f"“{header}”不能为空", f"{header} is required")
        if max_length is not None and len(value) > max_length:
            self.error(
                header,
                "too_long",
                f"“{header}”不能超过{max_length}个字符",
                f"{header} may not exceed {max_length} characters",
            )
            return value[:max_length]
        return value

    def code(self, header: str, *, digits: int, required: bool = False) -> str:
        raw = self.raw(header)
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            # A code typed as a number loses its leading zeros in Excel; they are restored here.
            return _cell_text(raw).zfill(digits)
        return self.text(header, required=required).upper()

    def choice(self, header: str, mapping: dict[str, Any], code: str, *, required: bool = False) -> Any:
        value = self.text(header, required=required)
        if not value:
            return None
        if value not in mapping:
            allowed = "、".join(k for k in mapping if not k.isascii())
            self.error(
                header,
                code,
                f"“{header}”的值“{value}”无效，应为：{allowed}",
                f"Unknown value for {header}",
            )
            return None
        return mapping[value]

    def choices(
        self, header: str, mapping: dict[str, str], code: str, *, required: bool = False
    ) -> list[str]:
        value = self.text(header, required=required)
        result: list[str] = []
        for part in _LIST_SPLIT.split(value):
            if not part:
                continue
            if part not in mapping:
                allowed = "、".join(k for k in mapping if not k.isascii())
                self.error(
                    header,
                    code,
                    f"“{header}”中的“{part}”无效，应为：{allowed}",
                    f"Unknown value in {header}",
                )
            elif mapping[part] not in result:
                result.append(mapping[part])
        return result

    def number(self, header: str, *, low: int = 0, high: int = 100_000) -> int | None:
        raw = self.raw(header)
        value = _cell_text(raw)
        if not value:
            return None
        try:
            number = int(value)
        except ValueError:
            number = None
        if number is None or not low <= number <= high:
            self.error(
                header,
                "invalid_number",
                f"“{header}”应为{low}至{high}的整数",
                f"{header} must be a whole number from {low} to {high}",
            )
            return None
        return number

    def boolean(self, header: str) -> bool:
        value = self.text(header).lower()
        if not value or value in NO:
            return False
        if value in YES:
            return True
        self.error(header, "invalid_boolean", f"“{header}”应填“是”或“否”", f"{header} must be 是 or 否")
        return False

    def legal_basis(self, header: str) -> list[tuple[str, str]]:
        refs: list[tuple[str, str]] = []
        for part in _BASIS_SPLIT.split(self.text(header)):
            part = part.strip()
            if not part:
                continue
            match = _BASIS_RE.match(part)
            if not match:
                self.error(
                    header,
                    "invalid_legal_basis",
                    f"“{header}”应写作“《法律法规名称》第某条”，无法识别“{part[:30]}”",
                    f"{header} must read 《law name》article",
                )
                continue
            ref = (match.group(1).strip(), match.group(2).strip())
            if ref not in refs:
                refs.append(ref)
        return refs


@dataclass
class _MaterialRow:
    row: int
    implementation_code: str
    fields: dict[str, Any]
    legal_basis: list[tuple[str, str]]


@dataclass
class _ItemRow:
    row: int
    implementation_code: str
    department: Department
    parent_code: str | None  # implementation code of the main item
    item_fields: dict[str, Any]
    version_fields: dict[str, Any]
    legal_basis: list[tuple[str, str]]
    themes: list[Theme]
    materials: list[_MaterialRow] = field(default_factory=list)


def _check_limits(p: _RowParser, v: dict[str, Any]) -> None:
    statutory, promised = v["statutory_limit"], v["promised_limit"]
    if statutory is None or promised is None:
        return
    if promised_exceeds_statutory(promised, v["promised_limit_unit"], statutory, v["statutory_limit_unit"]):
        p.error(
            HEADERS["promised_limit"],
            "promised_exceeds_statutory",
            "承诺时限不能长于法定时限",
            "The promised limit may not exceed the statutory limit",
        )


class _Catalogue:
    """What validation needs from the database, loaded in a few queries."""

    def __init__(self) -> None:
        departments = list(Department.objects.all())
        self.by_code = {d.code: d for d in departments}
        self.by_uscc = {d.uscc: d for d in departments}
        themes = list(Theme.objects.all())
        self.themes = {t.code: t for t in themes}
        by_name: dict[str, list[Theme]] = defaultdict(list)
        for theme in themes:
            by_name[theme.name].append(theme)
        self.theme_names = {name: ts[0] for name, ts in by_name.items() if len(ts) == 1}


def _existing_codes(codes: Iterable[str]) -> dict[str, tuple[int, bool]]:
    """implementation code → (id, is a sub-item) of the items already catalogued."""
    found: dict[str, tuple[int, bool]] = {}
    wanted = sorted(set(codes))
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        rows = Item.objects.filter(implementation_code__in=chunk).values_list(
            "id", "implementation_code", "parent_id"
        )
        for pk, code, parent_id in rows:
            found[code] = (pk, parent_id is not None)
    return found


def _parse_item(p: _RowParser, cat: _Catalogue) -> _ItemRow | None:
    h = HEADERS
    before = len(p.errors)
    name = p.text(h["name"], required=True, max_length=200)
    item_type = p.choice(h["item_type"], ITEM_TYPES, "unknown_item_type", required=True)
    basic = p.code(h["basic_code"], digits=12, required=True)
    if basic:
        for e in basic_code_errors(basic, item_type=item_type):
            p.error(h["basic_code"], e.code, e.message_zh, e.message_en)
    level = p.choice(h["level"], LEVELS, "invalid_level", required=True)

    dept_code = p.text(h["department_code"])
    dept_uscc = p.code(h["department_uscc"], digits=18)
    department = None
    if not dept_code and not dept_uscc:
        p.error(
            h["department_code"], "required", "请填写实施主体编码或统一社会信用代码", "Department required"
        )
    if dept_code:
        department = cat.by_code.get(dept_code)
        if department is None:
            p.error(
                h["department_code"],
                "unknown_department",
                f"实施主体“{dept_code}”不存在",
                "Unknown department",
            )
    if dept_uscc:
        by_uscc = cat.by_uscc.get(dept_uscc)
        if by_uscc is None:
            p.error(
                h["department_uscc"],
                "unknown_department",
                "该统一社会信用代码的实施主体不存在",
                "Unknown department",
            )
        elif department is not None and by_uscc.pk != department.pk:
            p.error(
                h["department_uscc"],
                "department_mismatch",
                "实施主体编码与统一社会信用代码不是同一部门",
                "Department code and credit code name different departments",
            )
        department = department or by_uscc
    if department is not None and not department.is_active:
        p.error(h["department_code"], "inactive_department", "实施主体已停用", "The department is inactive")

    v: dict[str, Any] = {
        "name": name,
        "item_type": item_type,
        "power_source": p.text(h["power_source"], max_length=64),
        "service_objects": p.choices(
            h["service_objects"], SERVICE_OBJECTS, "unknown_service_object", required=True
        ),
        "handling_kind": p.choice(h["handling_kind"], HANDLING_KINDS, "unknown_handling_kind", required=True),
        "statutory_limit": p.number(h["statutory_limit"]),
        "statutory_limit_unit": p.choice(h["statutory_limit_unit"], LIMIT_UNITS, "unknown_limit_unit")
        or LimitUnit.WORKING_DAYS,
        "statutory_limit_note": p.text(h["statutory_limit_note"], max_length=255),
        "promised_limit": p.number(h["promised_limit"]),
        "promised_limit_unit": p.choice(h["promised_limit_unit"], LIMIT_UNITS, "unknown_limit_unit")
        or LimitUnit.WORKING_DAYS,
        "promised_limit_note": p.text(h["promised_limit_note"], max_length=255),
        "handling_forms": p.choices(h["handling_forms"], HANDLING_FORMS, "unknown_handling_form"),
        "online_depth": p.number(h["online_depth"], high=4) or 0,
        "acceptance_conditions": p.text(h["acceptance_conditions"]),
        "procedure": p.text(h["procedure"]),
        "place": p.text(h["place"], max_length=255),
        "hours": p.text(h["hours"], max_length=128),
        "service_scope": p.choice(h["service_scope"], SERVICE_SCOPES, "unknown_service_scope")
        or ServiceScope.LOCAL,
        "fee_required": p.boolean(h["fee_required"]),
        "fee_basis": p.text(h["fee_basis"]),
        "quantity_limit": p.text(h["quantity_limit"], max_length=255),
        "result_type": p.text(h["result_type"], max_length=32),
        "result_name": p.text(h["result_name"], max_length=128),
        "post_delivery": p.boolean(h["post_delivery"]),
        "online_payment": p.boolean(h["online_payment"]),
        "appointment": p.boolean(h["appointment"]),
        "consultation": p.text(h["consultation"], max_length=255),
        "complaint": p.text(h["complaint"], max_length=255),
    }
    trips_text = p.text(h["trips"])
    if trips_text == "多次":
        v["trips"] = 2
    else:
        trips = p.number(h["trips"], high=99)
        v["trips"] = min(trips, 2) if trips is not None else 0
    _check_limits(p, v)
    term = vague_term(v["acceptance_conditions"])
    if term:
        p.error(
            h["acceptance_conditions"],
            "vague_term",
            f"受理条件含模糊表述“{term}”，请写明具体内容",
            f"The acceptance conditions contain the vague term {term}",
        )

    themes: list[Theme] = []
    for part in _LIST_SPLIT.split(p.text(h["themes"])):
        if not part:
            continue
        theme = cat.themes.get(part) or cat.theme_names.get(part)
        if theme is None:
            p.error(h["themes"], "unknown_theme", f"主题“{part}”不存在", f"Unknown theme {part}")
        elif theme not in themes:
            themes.append(theme)
    legal_basis = p.legal_basis(h["legal_basis"])

    parent_basic = p.code(h["parent_basic_code"], digits=12)
    if parent_basic:
        for e in basic_code_errors(parent_basic):
            p.error(h["parent_basic_code"], e.code, e.message_zh, e.message_en)
        if parent_basic == basic:
            p.error(
                h["parent_basic_code"],
                "invalid_parent",
                "主项不能是事项本身",
                "An item cannot be its own main item",
            )

    local_code = p.text(h["local_code"], max_length=64)
    given_impl = p.code(h["implementation_code"], digits=31)
    if len(p.errors) > before or department is None or level is None or item_type is None:
        return None
    impl = implementation_code(department_uscc=department.uscc, level=level, basic_code=basic)
    if given_impl:
        for e in implementation_code_errors(
            given_impl, department_uscc=department.uscc, level=level, basic_code=basic
        ):
            p.error(h["implementation_code"], e.code, e.message_zh, e.message_en)
            return None
    parent_code = (
        implementation_code(department_uscc=department.uscc, level=level, basic_code=parent_basic)
        if parent_basic
        else None
    )
    return _ItemRow(
        row=p.row,
        implementation_code=impl,
        department=department,
        parent_code=parent_code,
        item_fields={
            "basic_code": basic,
            "local_code": local_code,
            "name": name,
            "item_type": item_type,
            "level": level,
        },
        version_fields=v,
        legal_basis=legal_basis,
        themes=themes,
    )


def _parse_material(p: _RowParser, items_by_basic: dict[str, list[str]]) -> _MaterialRow | None:
    h = MATERIAL_HEADERS
    before = len(p.errors)
    basic = p.code(h["basic_code"], digits=12, required=True)
    given_impl = p.code(h["implementation_code"], digits=31)
    impl = None
    candidates = items_by_basic.get(basic, [])
    if given_impl:
        if given_impl in candidates:
            impl = given_impl
        else:
            p.error(
                h["implementation_code"],
                "unknown_item",
                "“事项”工作表中没有该实施编码的事项",
                "No such item in sheet 事项",
            )
    elif basic and not candidates:
        p.error(
            h["basic_code"],
            "unknown_item",
            "“事项”工作表中没有该基本编码的事项",
            "No item with this basic code in sheet 事项",
        )
    elif len(candidates) > 1:
        p.error(
            h["implementation_code"],
            "ambiguous_item",
            "多个事项使用该基本编码，请填写实施编码",
            "Several items share this basic code; give the implementation code",
        )
    elif candidates:
        impl = candidates[0]

    name = p.text(h["name"], required=True, max_length=255)
    term = vague_term(name)
    if term:
        p.error(
            h["name"],
            "vague_term",
            f"材料名称含模糊表述“{term}”，请逐项列明具体材料",
            f"The material name contains the vague term {term}; list each material",
        )
    code = p.text(h["code"])
    if code and not _SLUG_RE.match(code):
        p.error(
            h["code"], "invalid_material_code", "材料编码只能包含字母、数字、- 和 _", "Invalid material code"
        )
    necessity = p.choice(h["necessity"], NECESSITIES, "unknown_necessity") or MaterialNecessity.KEY
    deficiency = p.boolean(h["deficiency_allowed"])
    if deficiency and necessity == MaterialNecessity.KEY:
        p.error(
            h["deficiency_allowed"],
            "deficiency_requires_non_key",
            "只有非关键材料可以容缺",
            "Only a non-key material may be accepted while missing",
        )
    fields = {
        "code": code,
        "name": name,
        "kind": p.choice(h["kind"], MATERIAL_KINDS, "unknown_material_kind", required=True),
        "necessity": necessity,
        "deficiency_allowed": deficiency,
        "source": p.choice(h["source"], MATERIAL_SOURCES, "unknown_material_source")
        or MaterialSource.APPLICANT,
        "licence_type": p.text(h["licence_type"], max_length=64),
        "paper_copies": p.number(h["paper_copies"], high=100) or 0,
        "paper_size": p.text(h["paper_size"], max_length=16),
        "filling_notes": p.text(h["filling_notes"]),
        "acceptance_standard": p.text(h["acceptance_standard"]),
    }
    legal_basis = p.legal_basis(h["legal_basis"])
    if len(p.errors) > before or impl is None:
        return None
    return _MaterialRow(row=p.row, implementation_code=impl, fields=fields, legal_basis=legal_basis)


def _validate(
    items_sheet: _Sheet, materials_sheet: _Sheet | None, progress: Progress | None
) -> tuple[list[_ItemRow], list[RowError]]:
    errors: list[RowError] = []
    cat = _Catalogue()
    total = len(items_sheet.rows) + (len(materials_sheet.rows) if materials_sheet else 0)
    items: list[_ItemRow] = []
    first_row: dict[str, int] = {}
    for done, (number, values) in enumerate(items_sheet.rows, start=1):
        p = _RowParser(items_sheet, number, values, errors)
        parsed = _parse_item(p, cat)
        if parsed is not None:
            code = parsed.implementation_code
            if code in first_row:
                p.error(
                    HEADERS["basic_code"],
                    "duplicate_code",
                    f"与第{first_row[code]}行重复（同一实施主体、行使层级和基本编码）",
                    f"Same implementation code as row {first_row[code]}",
                )
            else:
                first_row[code] = number
                items.append(parsed)
        if progress and done % 500 == 0:
            progress("检查", done, total)

    existing = _existing_codes(
        [i.implementation_code for i in items] + [i.parent_code for i in items if i.parent_code]
    )
    file_items = {i.implementation_code: i for i in items}
    for item in items:
        if item.implementation_code in existing:
            errors.append(
                RowError(ITEM_SHEET, item.row, HEADERS["basic_code"], "duplicate_code",
                         "该事项（同一实施编码）已在事项库中", "An item with this implementation code is already catalogued")
            )  # fmt: skip
        if item.parent_code is None:
            continue
        in_file, in_db = file_items.get(item.parent_code), existing.get(item.parent_code)
        if in_file is None and in_db is None:
            errors.append(
                RowError(ITEM_SHEET, item.row, HEADERS["parent_basic_code"], "unknown_parent",
                         "找不到主项（同一实施主体、行使层级下该基本编码的事项）", "Main item not found")
            )  # fmt: skip
        elif (in_file is not None and in_file.parent_code is not None) or (
            in_file is None and in_db and in_db[1]
        ):
            errors.append(
                RowError(ITEM_SHEET, item.row, HEADERS["parent_basic_code"], "invalid_parent",
                         "主项本身是子项，不能再有子项", "The main item is itself a sub-item")
            )  # fmt: skip

    if materials_sheet is not None:
        by_basic: dict[str, list[str]] = defaultdict(list)
        for item in items:
            by_basic[item.item_fields["basic_code"]].append(item.implementation_code)
        seen_codes: dict[tuple[str, str], int] = {}
        seen_names: dict[tuple[str, str], int] = {}
        for done, (number, values) in enumerate(materials_sheet.rows, start=len(items_sheet.rows) + 1):
            p = _RowParser(materials_sheet, number, values, errors)
            material = _parse_material(p, by_basic)
            if progress and done % 500 == 0:
                progress("检查", done, total)
            if material is None:
                continue
            key = (material.implementation_code, material.fields["name"])
            if key in seen_names:
                p.error(MATERIAL_HEADERS["name"], "duplicate_material",
                        f"同一事项的材料与第{seen_names[key]}行重复", f"Same material as row {seen_names[key]}")  # fmt: skip
                continue
            seen_names[key] = number
            code = material.fields["code"]
            if code:
                key = (material.implementation_code, code)
                if key in seen_codes:
                    p.error(MATERIAL_HEADERS["code"], "duplicate_code",
                            f"材料编码与第{seen_codes[key]}行重复", f"Same material code as row {seen_codes[key]}")  # fmt: skip
                    continue
                seen_codes[key] = number
            file_items[material.implementation_code].materials.append(material)
    for item in items:
        _assign_material_codes(item, errors)
    if progress:
        progress("检查", total, total)
    return items, errors


def _assign_material_codes(item: _ItemRow, errors: list[RowError]) -> None:
    """Materials without a code get m1, m2 … by position; a generated code may not clash with a given one."""
    given = {m.fields["code"] for m in item.materials if m.fields["code"]}
    for n, material in enumerate(item.materials, start=1):
        if material.fields["code"]:
            continue
        code = f"m{n}"
        if code in given:
            errors.append(
                RowError(MATERIAL_SHEET, material.row, MATERIAL_HEADERS["code"], "duplicate_code",
                         f"自动生成的材料编码“{code}”与本事项已填写的编码重复，请填写材料编码",
                         f"The generated material code {code} clashes with a given one; fill in 材料编码")
            )  # fmt: skip
        material.fields["code"] = code


# Lint fields → where the problem shows in the workbook.
_LINT_ITEM_COLUMNS = {
    "name": HEADERS["name"],
    "item_type": HEADERS["item_type"],
    "implementing_department": HEADERS["department_code"],
    "service_objects": HEADERS["service_objects"],
    "handling_kind": HEADERS["handling_kind"],
    "handling_forms": HEADERS["handling_forms"],
    "legal_basis": HEADERS["legal_basis"],
    "acceptance_conditions": HEADERS["acceptance_conditions"],
    "promised_limit": HEADERS["promised_limit"],
    "materials": MATERIAL_SHEET,
}
_LINT_MATERIAL_COLUMNS = {
    "name": MATERIAL_HEADERS["name"],
    "legal_basis": MATERIAL_HEADERS["legal_basis"],
    "source": MATERIAL_HEADERS["source"],
    "licence_type": MATERIAL_HEADERS["licence_type"],
    "deficiency_allowed": MATERIAL_HEADERS["deficiency_allowed"],
    "acceptance_standard": MATERIAL_HEADERS["acceptance_standard"],
}
_MATERIAL_FIELD_RE = re.compile(r"^materials\[(\d+)\]\.(\w+)$")


def _lint_for_publish(items: list[_ItemRow]) -> list[RowError]:
    """The guide linter's rules for what a list row carries. The internal process and the form are not part
    of the list format; they are kept in the catalogue afterwards, so those rules are left to later edits."""
    errors: list[RowError] = []
    for item in items:
        v = item.version_fields
        guide = GuideData(
            name=v["name"],
            item_type=v["item_type"],
            has_implementing_department=True,
            service_objects=v["service_objects"],
            handling_kind=v["handling_kind"],
            handling_forms=v["handling_forms"],
            acceptance_conditions=v["acceptance_conditions"],
            has_legal_basis=bool(item.legal_basis),
            statutory_limit=v["statutory_limit"],
            statutory_limit_unit=v["statutory_limit_unit"],
            promised_limit=v["promised_limit"],
            promised_limit_unit=v["promised_limit_unit"],
            materials=[
                MaterialData(
                    name=m.fields["name"],
                    source=m.fields["source"],
                    necessity=m.fields["necessity"],
                    deficiency_allowed=m.fields["deficiency_allowed"],
                    licence_type=m.fields["licence_type"],
                    acceptance_standard=m.fields["acceptance_standard"],
                    has_legal_basis=bool(m.legal_basis),
                )
                for m in item.materials
            ],
        )
        for e in lint_guide(guide):
            if e.field in _LINT_ITEM_COLUMNS:
                column = _LINT_ITEM_COLUMNS[e.field]
                errors.append(RowError(ITEM_SHEET, item.row, column, e.code, e.message_zh, e.message_en))
                continue
            match = _MATERIAL_FIELD_RE.match(e.field or "")
            if match and match.group(2) in _LINT_MATERIAL_COLUMNS:
                material = item.materials[int(match.group(1))]
                column = _LINT_MATERIAL_COLUMNS[match.group(2)]
                errors.append(
                    RowError(MATERIAL_SHEET, material.row, column, e.code, e.message_zh, e.message_en)
                )
            # Remaining rules concern the process and the form, which the list does not carry.
    return errors


# ------------------------------------------------------------------------------------------------ saving


def _legal_references(refs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """(law name, article) → LegalReference id, creating the laws and references that are missing."""
    wanted = set(refs)
    names = {name for name, _ in wanted}
    laws = dict(Law.objects.filter(name__in=names).values_list("name", "id"))
    Law.objects.bulk_create([Law(name=n) for n in sorted(names - laws.keys())], batch_size=BATCH)
    laws = dict(Law.objects.filter(name__in=names).values_list("name", "id"))
    name_of = {pk: name for name, pk in laws.items()}
    found: dict[tuple[str, str], int] = {}
    existing = LegalReference.objects.filter(law_id__in=laws.values()).order_by("id")
    for pk, law_id, article in existing.values_list("id", "law_id", "article"):
        found.setdefault((name_of[law_id], article), pk)
    missing = [LegalReference(law_id=laws[n], article=a) for n, a in sorted(wanted - found.keys())]
    for ref in LegalReference.objects.bulk_create(missing, batch_size=BATCH):
        found[(name_of[ref.law_id], ref.article)] = ref.pk
    return found


def _search_fields(row: _ItemRow) -> dict[str, Any]:
    """The denormalised Item fields, computed as catalog.services.item_sync_search_fields does (a test
    checks that re-syncing an imported item changes nothing), without a query per item."""
    v = row.version_fields
    themes = sorted(row.themes, key=lambda t: (t.order, t.code))
    objects, forms = set(v["service_objects"]), set(v["handling_forms"])
    return {
        "name": v["name"],
        "item_type": v["item_type"],
        "for_citizen": ServiceObject.CITIZEN in objects,
        "for_company": ServiceObject.COMPANY in objects,
        "for_office": ServiceObject.OFFICE in objects,
        "zero_trip": v["trips"] == 0,
        "online": bool(forms & {HandlingForm.ONLINE, HandlingForm.MOBILE}) or v["online_depth"] >= 3,
        "theme_codes": ",".join(t.code for t in themes)[:255],
        "search_text": _joined_search_text(
            v["name"], row.department.name, *(t.name for t in themes), ItemType(v["item_type"]).label
        ),
    }


@functools.lru_cache(maxsize=4096)
def _part_tokens(part: str) -> tuple[str, ...]:
    return tuple(search_text(part).split(" "))


def _joined_search_text(*parts: str) -> str:
    """search_text(*parts), reusing the tokens of parts every row repeats (department, themes, type).
    search_text de-duplicates the concatenated tokens of its parts in order, so joining cached per-part
    tokens gives the same string — unless a part holds whitespace, which becomes part of a token."""
    if any(len(p.split()) > 1 or p != p.strip() for p in parts if p):
        return search_text(*parts)
    return " ".join(dict.fromkeys(t for p in parts if p for t in _part_tokens(p) if t))


def _save(items: list[_ItemRow], *, publish: bool, user: Any, progress: Progress | None) -> ImportResult:
    now, effective = clock.now(), today()
    materials = [m for i in items for m in i.materials]
    refs = _legal_references(
        [r for i in items for r in i.legal_basis] + [r for m in materials for r in m.legal_basis]
    )
    total = len(items) * 2 + len(materials)
    if progress:
        progress("写入", 0, total)

    # Main items first, so that sub-items can point at them.
    parent_ids = {
        code: pk for code, (pk, _) in _existing_codes(i.parent_code for i in items if i.parent_code).items()
    }
    item_of: dict[str, Item] = {}
    for group in (
        [i for i in items if i.parent_code is None],
        [i for i in items if i.parent_code is not None],
    ):
        batch = []
        for row in group:
            parent_id = None
            if row.parent_code is not None:
                parent = item_of.get(row.parent_code)
                parent_id = parent.pk if parent is not None else parent_ids[row.parent_code]
            fields = {**row.item_fields, **_search_fields(row)}
            batch.append(
                Item(
                    implementation_code=row.implementation_code,
                    department=row.department,
                    parent_id=parent_id,
                    **fields,
                )
            )
        for obj in Item.objects.bulk_create(batch, batch_size=BATCH):
            item_of[obj.implementation_code] = obj
    if progress:
        progress("写入", len(items), total)

    status = VersionStatus.PUBLISHED if publish else VersionStatus.DRAFT
    created_by = user if getattr(user, "pk", None) else None
    versions = ItemVersion.objects.bulk_create(
        [
            ItemVersion(
                item=item_of[row.implementation_code],
                version=1,
                status=status,
                implementing_department=row.department,
                created_by=created_by,
                submitted_at=now if publish else None,
                published_at=now if publish else None,
                effective_from=effective if publish else None,
                **row.version_fields,
            )
            for row in items
        ],
        batch_size=BATCH,
    )
    version_of = {row.implementation_code: v for row, v in zip(items, versions, strict=True)}
    if progress:
        progress("写入", len(items) * 2, total)

    through = ItemVersion.legal_basis.through
    through.objects.bulk_create(
        [
            through(itemversion_id=version_of[row.implementation_code].pk, legalreference_id=refs[r])
            for row in items
            for r in row.legal_basis
        ],
        batch_size=BATCH,
    )
    through = ItemVersion.themes.through
    through.objects.bulk_create(
        [
            through(itemversion_id=version_of[row.implementation_code].pk, theme_id=t.pk)
            for row in items
            for t in row.themes
        ],
        batch_size=BATCH,
    )
    material_objs = Material.objects.bulk_create(
        [
            Material(version=version_of[row.implementation_code], order=n, **m.fields)
            for row in items
            for n, m in enumerate(row.materials, start=1)
        ],
        batch_size=BATCH,
    )
    through = Material.legal_basis.through
    through.objects.bulk_create(
        [
            through(material_id=obj.pk, legalreference_id=refs[r])
            for obj, m in zip(material_objs, [m for row in items for m in row.materials], strict=True)
            for r in m.legal_basis
        ],
        batch_size=BATCH,
    )
    ids = [item_of[row.implementation_code].pk for row in items]
    if publish:
        # One statement points every new item at its (only, published) version.
        for start in range(0, len(ids), 5000):
            Item.objects.filter(pk__in=ids[start : start + 5000]).update(
                is_published=True,
                current_version_id=Subquery(
                    ItemVersion.objects.filter(item_id=OuterRef("pk"), version=1).values("pk")[:1]
                ),
            )
        for obj in item_of.values():
            obj.is_published = True
        search_index_replace(items=[item_of[row.implementation_code] for row in items])
    audit_record(
        actor=user,
        action="catalog.items_import",
        object_type="catalog.item",
        object_id=f"{len(ids)}",
        data={"items": len(ids), "materials": len(material_objs), "published": publish},
    )
    if progress:
        progress("写入", total, total)
    return ImportResult(items=len(ids), materials=len(material_objs), published=publish, item_ids=ids)


def import_items(
    source: str | Path | IO[bytes],
    *,
    publish: bool = False,
    dry_run: bool = False,
    user: Any = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Validate the whole workbook, then create every item in one transaction — or nothing.

    Raises DomainError for a malformed file and ImportRejected (a DomainError) listing every bad row. With
    `publish`, each item's version 1 is published at once and must pass the guide linter's rules for what
    the list carries (required elements, materials with legal basis and source, limits, vague wording)."""
    items_sheet, materials_sheet = read_workbook(source)
    items, errors = _validate(items_sheet, materials_sheet, progress)
    if not errors and publish:
        errors = _lint_for_publish(items)
    if errors:
        errors.sort(key=lambda e: (e.sheet != ITEM_SHEET, e.row))
        raise ImportRejected(errors)
    materials = sum(len(i.materials) for i in items)
    if dry_run:
        return ImportResult(items=len(items), materials=materials, published=publish, dry_run=True)
    with transaction.atomic():
        # Checked again inside the transaction: another import may have created some of these meanwhile.
        clash = _existing_codes(i.implementation_code for i in items)
        if clash:
            raise ImportRejected(
                [
                    RowError(ITEM_SHEET, i.row, HEADERS["basic_code"], "duplicate_code",
                             "该事项（同一实施编码）已在事项库中", "An item with this implementation code is already catalogued")
                    for i in items
                    if i.implementation_code in clash
                ]
            )  # fmt: skip
        return _save(items, publish=publish, user=user, progress=progress)


# ----------------------------------------------------------------------------------------------- export


def _label(choices: Any, value: Any) -> str:
    return str(dict(choices.choices).get(value, value)) if value not in (None, "") else ""


def _labels(choices: Any, values: Iterable[str]) -> str:
    return "、".join(_label(choices, v) for v in values)


def _basis(refs: Iterable[LegalReference]) -> str:
    return "；".join(f"《{r.law.name}》{r.article}" for r in refs)


def _yes_no(value: bool) -> str:
    return "是" if value else "否"


def _item_values(item: Item, v: ItemVersion) -> list[Any]:
    values = {
        "name": v.name,
        "basic_code": item.basic_code,
        "item_type": _label(ItemType, v.item_type),
        "department_code": item.department.code,
        "department_uscc": item.department.uscc,
        "level": _label(DepartmentLevel, item.level),
        "implementation_code": item.implementation_code,
        "local_code": item.local_code,
        "parent_basic_code": item.parent.basic_code if item.parent else "",
        "power_source": v.power_source,
        "service_objects": _labels(ServiceObject, v.service_objects),
        "handling_kind": _label(HandlingKind, v.handling_kind),
        "statutory_limit": v.statutory_limit,
        "statutory_limit_unit": _label(LimitUnit, v.statutory_limit_unit)
        if v.statutory_limit is not None
        else "",
        "statutory_limit_note": v.statutory_limit_note,
        "promised_limit": v.promised_limit,
        "promised_limit_unit": _label(LimitUnit, v.promised_limit_unit)
        if v.promised_limit is not None
        else "",
        "promised_limit_note": v.promised_limit_note,
        "trips": "多次" if v.trips >= 2 else v.trips,
        "handling_forms": _labels(HandlingForm, v.handling_forms),
        "online_depth": v.online_depth,
        "acceptance_conditions": v.acceptance_conditions,
        "procedure": v.procedure,
        "place": v.place,
        "hours": v.hours,
        "legal_basis": _basis(v.legal_basis.all()),
        "themes": "、".join(t.code for t in v.themes.all()),
        "service_scope": _label(ServiceScope, v.service_scope),
        "fee_required": _yes_no(v.fee_required),
        "fee_basis": v.fee_basis,
        "quantity_limit": v.quantity_limit,
        "result_type": v.result_type,
        "result_name": v.result_name,
        "post_delivery": _yes_no(v.post_delivery),
        "online_payment": _yes_no(v.online_payment),
        "appointment": _yes_no(v.appointment),
        "consultation": v.consultation,
        "complaint": v.complaint,
    }
    return [values[c.key] for c in ITEM_COLUMNS]


def _material_values(item: Item, m: Material) -> list[Any]:
    values = {
        "basic_code": item.basic_code,
        "implementation_code": item.implementation_code,
        "name": m.name,
        "code": m.code,
        "kind": _label(MaterialKind, m.kind),
        "necessity": _label(MaterialNecessity, m.necessity),
        "deficiency_allowed": _yes_no(m.deficiency_allowed),
        "source": _label(MaterialSource, m.source),
        "licence_type": m.licence_type,
        "paper_copies": m.paper_copies,
        "paper_size": m.paper_size,
        "filling_notes": m.filling_notes,
        "acceptance_standard": m.acceptance_standard,
        "legal_basis": _basis(m.legal_basis.all()),
    }
    return [values[c.key] for c in MATERIAL_COLUMNS]


def export_items(destination: str | Path | IO[bytes], *, items: QuerySet[Item] | None = None) -> int:
    """Write items — each at its current published version, else its latest version — as an .xlsx in the
    import layout (codes as text, so their leading zeros survive). Returns the number of items written."""
    qs = (items if items is not None else Item.objects.all()).annotate(
        export_version=Coalesce(
            F("current_version_id"),
            Subquery(
                ItemVersion.objects.filter(item_id=OuterRef("pk")).order_by("-version").values("pk")[:1]
            ),
        )
    )
    ids = list(qs.order_by("implementation_code").values_list("pk", "export_version"))
    workbook = Workbook(write_only=True)
    item_sheet = workbook.create_sheet(ITEM_SHEET)
    material_sheet = workbook.create_sheet(MATERIAL_SHEET)
    item_sheet.append([c.header for c in ITEM_COLUMNS])
    material_sheet.append([c.header for c in MATERIAL_COLUMNS])
    count = 0
    for start in range(0, len(ids), 1000):
        chunk = [(pk, vid) for pk, vid in ids[start : start + 1000] if vid is not None]
        versions = ItemVersion.objects.filter(pk__in=[vid for _, vid in chunk]).prefetch_related(
            "legal_basis__law",
            "themes",
            Prefetch(
                "materials",
                queryset=Material.objects.order_by("order", "id").prefetch_related("legal_basis__law"),
            ),
        )
        version_of = {v.pk: v for v in versions}
        item_of = Item.objects.select_related("department", "parent").in_bulk([pk for pk, _ in chunk])
        for pk, vid in chunk:
            item, version = item_of[pk], version_of[vid]
            item_sheet.append(_item_values(item, version))
            for material in version.materials.all():
                material_sheet.append(_material_values(item, material))
            count += 1
    workbook.save(destination)
    return count


def write_error_report(destination: str | Path | IO[bytes], errors: Iterable[RowError]) -> None:
    """The import report as an .xlsx: one row per problem."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("导入错误")
    sheet.append(["工作表", "行号", "列", "错误代码", "错误说明", "Error"])
    for e in errors:
        sheet.append([e.sheet, e.row, e.column, e.code, e.message_zh, e.message_en])
    workbook.save(destination)
