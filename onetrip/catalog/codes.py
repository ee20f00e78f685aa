"""Item codes of the national implementation list.

- Basic code (基本编码), 12 digits: the two-digit item-type code (ItemType value, e.g. 01 行政许可), a five-digit
  main-item number, a three-digit sub-item number (000 for a main item) and a two-digit extension.
- Implementation code (实施编码), 31 characters: the implementing body's 18-character unified social credit
  code, the one-digit level at which it exercises the power (DepartmentLevel), and the basic code.
"""

from __future__ import annotations

import re

from stdnum.cn import uscc

from onetrip.core.errors import ErrorDetail

BASIC_CODE_RE = re.compile(r"^\d{12}$")
ITEM_TYPE_CODES = {"01", "04", "05", "07", "09", "10", "20"}


def basic_code_errors(
    code: str, *, item_type: str | None = None, field: str = "basic_code"
) -> list[ErrorDetail]:
    if not BASIC_CODE_RE.match(code or ""):
        return [
            ErrorDetail("invalid_basic_code", "基本编码应为12位数字", "Basic code must be 12 digits", field)
        ]
    if code[:2] not in ITEM_TYPE_CODES:
        return [
            ErrorDetail(
                "invalid_basic_code",
                f"基本编码前两位“{code[:2]}”不是有效的事项类型代码",
                "Unknown item-type prefix",
                field,
            )
        ]
    if item_type is not None and code[:2] != item_type:
        return [
            ErrorDetail(
                "basic_code_type_mismatch",
                f"基本编码前两位“{code[:2]}”与事项类型代码“{item_type}”不一致",
                "Basic code prefix does not match the item type",
                field,
            )
        ]
    return []


def uscc_errors(code: str, *, field: str = "uscc") -> list[ErrorDetail]:
    if not uscc.is_valid(code or ""):
        return [
            ErrorDetail(
                "invalid_uscc",
                "统一社会信用代码无效（应为18位且校验位正确）",
                "Invalid unified social credit code",
                field,
            )
        ]
    return []


def implementation_code(*, department_uscc: str, level: int, basic_code: str) -> str:
    return f"{department_uscc}{level}{basic_code}"


def implementation_code_errors(
    code: str,
    *,
    department_uscc: str | None = None,
    level: int | None = None,
    basic_code: str | None = None,
    field: str = "implementation_code",
) -> list[ErrorDetail]:
    if len(code or "") != 31:
        return [
            ErrorDetail(
                "invalid_implementation_code",
                "实施编码应为31位",
                "Implementation code must be 31 characters",
                field,
            )
        ]
    errors = uscc_errors(code[:18], field=field)
    if errors:
        return [
            ErrorDetail(
                "invalid_implementation_code",
                "实施编码前18位不是有效的统一社会信用代码",
                "The first 18 characters are not a valid unified social credit code",
                field,
            )
        ]
    if code[18] not in "123456":
        return [
            ErrorDetail(
                "invalid_implementation_code",
                "实施编码第19位（行使层级）应为1至6",
                "Level digit must be 1-6",
                field,
            )
        ]
    errors = basic_code_errors(code[19:], field=field)
    if errors:
        return errors
    expected = [
        (department_uscc, code[:18], "实施主体统一社会信用代码", "implementing body's credit code"),
        (str(level) if level is not None else None, code[18], "行使层级", "level"),
        (basic_code, code[19:], "基本编码", "basic code"),
    ]
    for want, got, zh, en in expected:
        if want is not None and want != got:
            return [
                ErrorDetail(
                    "implementation_code_mismatch",
                    f"实施编码中的{zh}与事项信息不一致",
                    f"Implementation code: {en} does not match",
                    field,
                )
            ]
    return []
