"""The flow-chart layout and the guide PDF ("一图一册一清单")."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from onetrip.catalog.guide import EdgeSpec, StepSpec, flow_layout, guide_load
from onetrip.catalog.pdf import guide_pdf_html
from onetrip.catalog.tests import factories as f


def _chart(steps, edges):
    return flow_layout([StepSpec(*s) for s in steps], [EdgeSpec(*e) for e in edges])


def test_layers_follow_the_longest_path_from_the_start():
    chart = _chart(
        [("s", "开始", "start"), ("a", "受理"), ("b", "审查"), ("c", "决定"), ("e", "办结", "end")],
        [("s", "a"), ("a", "b"), ("b", "c"), ("a", "c"), ("c", "e")],
    )
    layer = {n.key: n.layer for n in chart.nodes}
    assert layer == {"s": 0, "a": 1, "b": 2, "c": 3, "e": 4}
    assert chart.layers == 5


def test_parallel_steps_sit_side_by_side_and_the_join_waits_below():
    chart = _chart(
        [
            ("s", "开始", "start"),
            ("a", "受理"),
            ("p1", "消防审查"),
            ("p2", "环保审查"),
            ("p3", "规划审查"),
            ("j", "联合决定"),
            ("e", "办结", "end"),
        ],
        [
            ("s", "a"),
            ("a", "p1"),
            ("a", "p2"),
            ("a", "p3"),
            ("p1", "j"),
            ("p2", "j"),
            ("p3", "j"),
            ("j", "e"),
        ],
    )
    nodes = {n.key: n for n in chart.nodes}
    assert {nodes[k].layer for k in ("p1", "p2", "p3")} == {2}
    assert len({nodes[k].y for k in ("p1", "p2", "p3")}) == 1
    xs = sorted(nodes[k].x for k in ("p1", "p2", "p3"))
    assert all(b - a >= nodes["p1"].w for a, b in zip(xs, xs[1:], strict=False))  # no overlap
    assert nodes["j"].y > nodes["p1"].y and nodes["e"].y > nodes["j"].y
    assert chart.width >= 3 * nodes["p1"].w


def test_boxes_in_a_row_never_overlap_and_edges_end_on_their_target():
    chart = _chart(
        [("s", "开始", "start"), ("a", "受理"), ("b", "审查"), ("c", "核查"), ("e", "办结", "end")],
        [("s", "a"), ("a", "b"), ("a", "c"), ("a", "e", "不予受理"), ("b", "e"), ("c", "e")],
    )
    by_row: dict[int, list] = {}
    for n in chart.nodes:
        by_row.setdefault(n.layer, []).append(n)
    for row in by_row.values():
        row.sort(key=lambda n: n.x)
        for left, right in zip(row, row[1:], strict=False):
            assert left.x + left.w <= right.x
    end = next(n for n in chart.nodes if n.key == "e")
    long_edge = next(e for e in chart.edges if e.condition == "不予受理")
    assert long_edge.points[-1] == (end.cx, end.y)
    assert len(long_edge.points) > 2  # routed through the middle row, not across a box


def test_a_cycle_is_drawn_as_a_dashed_return_without_breaking_the_layout():
    chart = _chart(
        [("s", "开始", "start"), ("a", "受理"), ("b", "审查"), ("e", "办结", "end")],
        [("s", "a"), ("a", "b"), ("b", "a", "退回补正"), ("b", "e")],
    )
    assert [e.back for e in chart.edges].count(True) == 1
    svg = chart.svg()
    assert "stroke-dasharray" in svg and "退回补正" in svg


def test_svg_escapes_step_names():
    chart = _chart([("s", "<script>x</script>", "start")], [])
    svg = str(chart.svg())
    assert "<script>" not in svg and "&lt;script&gt;" in svg


@pytest.mark.django_db
def test_guide_pdf_has_chart_handbook_and_checklist_with_embedded_chinese_fonts(client):
    item = f.make_published_item(name="食品经营许可证核发")
    response = client.get(f"/items/{item.implementation_code}/guide.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) >= 3
    first_page = reader.pages[0].extract_text()
    assert "食品经营许可证核发" in first_page
    assert "一图" in first_page and "受理" in first_page
    text = "".join(page.extract_text() for page in reader.pages)
    assert "一册" in text and "一清单" in text and "授权委托书" in text
    embedded: set[str] = set()
    for page in reader.pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            descriptor = (
                font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
                if "/DescendantFonts" in font
                else font["/FontDescriptor"]
            ).get_object()
            if any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                embedded.add(str(font["/BaseFont"]).replace("-", ""))
    assert any("NotoSansCJKSC" in name for name in embedded), embedded
    assert any("NotoSerifCJKSC" in name for name in embedded), embedded


@pytest.mark.django_db
def test_guide_pdf_html_loads_nothing_from_outside():
    item = f.make_published_item()
    html = guide_pdf_html(guide_load(implementation_code=item.implementation_code))
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html and "<link" not in html and "src=" not in html


@pytest.mark.django_db
def test_guide_pdf_for_an_unknown_item_is_a_404(client):
    assert client.get("/items/330000000000000000/guide.pdf").status_code == 404
