"""The catalogue tree (目录树) as an Excel workbook: one row per item → material → data element → source,
then one row per item → form field element → source, and a coverage sheet per published bundle."""

from __future__ import annotations

import io

from openpyxl import Workbook

from onetrip.catalog.models import Sensitivity
from onetrip.sharing.selectors import ItemNode, bundles_coverage, catalogue_tree

TREE_HEADER = ["实施编码", "事项名称", "实施主体", "节点", "材料/字段", "电子证照类型", "发证部门", "数据元编码",
               "数据元名称", "数据源编码", "数据源", "提供部门", "敏感级别", "权威等级", "权威来源"]  # fmt: skip
COVERAGE_HEADER = ["一件事编码", "一件事", "字段数", "共享字段数", "字段共享率%", "材料数", "共享材料数",
                   "材料共享率%", "数据共享率%", "未覆盖字段", "未覆盖材料"]  # fmt: skip


def _rows(item: ItemNode) -> list[list[object]]:
    rows: list[list[object]] = []
    head = [item.code, item.name, item.department]
    sensitivity = dict(Sensitivity.choices)
    for material in item.materials:
        base = [*head, "材料", material.name, material.licence_type, material.licence_issuer]
        if not material.elements:
            rows.append([*base, "", "", "", "", "", "", "", ""])
        for element in material.elements:
            if not element.sources:
                rows.append([*base, element.code, element.name, "", "", "", "", "", ""])
            for s in element.sources:
                rows.append([*base, element.code, element.name, s.code, s.name, s.department,
                             sensitivity.get(s.sensitivity, s.sensitivity), s.authority_rank, "是" if s.authoritative else ""])  # fmt: skip
    for element in item.fields:
        base = [*head, "表单字段", element.name, "", "", element.code, element.name]
        if not element.sources:
            rows.append([*base, "", "", "", "", "", ""])
        for s in element.sources:
            rows.append([*base, s.code, s.name, s.department, sensitivity.get(s.sensitivity, s.sensitivity),
                         s.authority_rank, "是" if s.authoritative else ""])  # fmt: skip
    return rows


def catalogue_tree_workbook() -> bytes:
    wb = Workbook(write_only=True)
    tree = wb.create_sheet("目录树")
    tree.append(TREE_HEADER)
    after: str | None = None
    while True:
        page = catalogue_tree(after=after, limit=500)
        for item in page.items:
            for row in _rows(item):
                tree.append(row)
        if page.next_after is None:
            break
        after = page.next_after
    coverage = wb.create_sheet("一件事共享率")
    coverage.append(COVERAGE_HEADER)
    for c in bundles_coverage():
        coverage.append([c.bundle_code, c.bundle_name, c.fields, c.fields_covered,
                         None if c.fields_rate is None else float(c.fields_rate), c.materials, c.materials_covered,
                         None if c.materials_rate is None else float(c.materials_rate),
                         None if c.rate is None else float(c.rate), "、".join(c.uncovered_fields),
                         "、".join(c.uncovered_materials)])  # fmt: skip
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
