"""The public guide (办事指南) of one item version: a view-model shared by the web page and the PDF, and the
flow chart (一图) of its process drawn as inline SVG on the server.

`guide_load` reads a published (or, for history, retired) version with a fixed handful of queries.
`flow_layout` is plain Python: a layered drawing of the process graph — longest-path layers from the start,
parallel steps side by side, long edges routed through waypoints so they never cross a box.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.core.cache import cache
from django.db.models import Prefetch
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from onetrip.catalog.models import (
    CountersignMode,
    FormField,
    HandlingForm,
    HandlingKind,
    Item,
    ItemVersion,
    LegalReference,
    LimitUnit,
    Material,
    MaterialSource,
    ProcessStep,
    ProcessTransition,
    ServiceObject,
    Situation,
    StepKind,
    TimeoutPolicy,
    VersionStatus,
)
from onetrip.catalog.subjects import SUBJECT_SECTIONS
from onetrip.core.errors import ErrorDetail, NotFound

PUBLIC_STATUSES = (VersionStatus.PUBLISHED, VersionStatus.RETIRED)
# Short enough that a renamed department or a corrected law title shows up soon.
GUIDE_CACHE_SECONDS = 300

# Materials the applicant never hands in: the office fetches them itself (三不提交).
NO_SUBMIT_SOURCES = frozenset({MaterialSource.SHARED_DATA, MaterialSource.E_LICENCE})

ONLINE_DEPTH_LABELS = {
    0: "不可网办",
    1: "一级：网上咨询、表格下载",
    2: "二级：网上预审",
    3: "三级：网上受理",
    4: "四级：全程网办",
}


# ----------------------------------------------------------------------------------------------------------
# Flow chart layout (pure)
# ----------------------------------------------------------------------------------------------------------

NODE_W = 168
NODE_H = 64
DUMMY_W = 12
GAP_X = 28
GAP_Y = 44
MARGIN = 16
FONT_SIZE = 14
META_FONT_SIZE = 11
NAME_LINE_EM = 10.5  # how many 1-em characters fit on one name line inside a node


@dataclass(frozen=True)
class StepSpec:
    key: str
    name: str
    kind: str = StepKind.TASK
    meta: str = ""


@dataclass(frozen=True)
class EdgeSpec:
    source: str
    target: str
    condition: str = ""


@dataclass
class FlowNode:
    key: str
    name_lines: list[str]
    meta: str
    kind: str
    layer: int
    x: float = 0.0
    y: float = 0.0
    w: float = NODE_W
    h: float = NODE_H
    dummy: bool = False

    @property
    def cx(self) -> float:
        return self.x + self.w / 2


@dataclass
class FlowEdge:
    points: list[tuple[float, float]]
    condition: str = ""
    back: bool = False


@dataclass
class FlowChart:
    nodes: list[FlowNode]
    edges: list[FlowEdge]
    width: float
    height: float
    layers: int

    def svg(self, *, title: str = "办理流程图") -> SafeString:
        return render_svg(self, title=title)


def _em_width(text: str) -> float:
    """Rough text width in em: CJK and full-width characters are 1 em, ASCII about half."""
    return sum(0.55 if ord(ch) < 0x2E80 else 1.0 for ch in text)


def _wrap(text: str, max_em: float, max_lines: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for ch in text:
        if _em_width(current + ch) > max_em:
            lines.append(current)
            current = ch
        else:
            current += ch
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        kept = lines[:max_lines]
        last = kept[-1]
        while last and _em_width(last + "…") > max_em:
            last = last[:-1]
        kept[-1] = last + "…"
        return kept
    return lines or [""]


def _truncate(text: str, max_em: float) -> str:
    if _em_width(text) <= max_em:
        return text
    while text and _em_width(text + "…") > max_em:
        text = text[:-1]
    return text + "…"


def _back_edges(keys: list[str], starts: list[str], succ: dict[str, list[str]]) -> set[tuple[str, str]]:
    """Edges that close a cycle, found by depth-first search from the start steps (iterative)."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    back: set[tuple[str, str]] = set()
    for root in [*starts, *keys]:
        if root in state:
            continue
        state[root] = 1
        stack: list[tuple[str, int]] = [(root, 0)]
        while stack:
            node, i = stack[-1]
            children = succ[node]
            if i < len(children):
                stack[-1] = (node, i + 1)
                child = children[i]
                if state.get(child) == 1:
                    back.add((node, child))
                elif child not in state:
                    state[child] = 1
                    stack.append((child, 0))
            else:
                state[node] = 2
                stack.pop()
    return back


def flow_layout(steps: Sequence[StepSpec], edges: Sequence[EdgeSpec]) -> FlowChart:
    """Lay the process graph out top to bottom: one row per layer, parallel steps side by side."""
    keys = [s.key for s in steps]
    known = set(keys)
    edges = [e for e in edges if e.source in known and e.target in known and e.source != e.target]
    succ: dict[str, list[str]] = {k: [] for k in keys}
    for e in edges:
        succ[e.source].append(e.target)
    starts = [s.key for s in steps if s.kind == StepKind.START]
    back = _back_edges(keys, starts, succ)
    forward = [e for e in edges if (e.source, e.target) not in back]

    # Longest-path layering over the acyclic forward edges (Kahn's order).
    indegree = {k: 0 for k in keys}
    fsucc: dict[str, list[str]] = {k: [] for k in keys}
    for e in forward:
        indegree[e.target] += 1
        fsucc[e.source].append(e.target)
    layer = {k: 0 for k in keys}
    queue = [k for k in keys if indegree[k] == 0]
    queue.sort(key=lambda k: (k not in starts, keys.index(k)))
    head = 0
    while head < len(queue):
        node = queue[head]
        head += 1
        for child in fsucc[node]:
            layer[child] = max(layer[child], layer[node] + 1)
            indegree[child] -= 1
            if indegree[child] == 0:
                queue.append(child)
    # End steps sit on the last row, so the chart always finishes at the bottom.
    last = max(layer.values(), default=0)
    for s in steps:
        if s.kind == StepKind.END and not fsucc[s.key]:
            layer[s.key] = last

    nodes: dict[str, FlowNode] = {}
    for s in steps:
        nodes[s.key] = FlowNode(
            key=s.key,
            name_lines=_wrap(s.name, NAME_LINE_EM, 2),
            meta=_truncate(s.meta, NODE_W / META_FONT_SIZE - 1.5),
            kind=s.kind,
            layer=layer[s.key],
        )

    # Split edges spanning several layers into a chain of waypoints (one per crossed layer).
    chains: list[tuple[EdgeSpec, list[str]]] = []
    for idx, e in enumerate(forward):
        chain = [e.source]
        for lay in range(layer[e.source] + 1, layer[e.target]):
            dkey = f"\x00{idx}:{lay}"
            nodes[dkey] = FlowNode(
                key=dkey, name_lines=[], meta="", kind="dummy", layer=lay, w=DUMMY_W, dummy=True
            )
            chain.append(dkey)
        chain.append(e.target)
        chains.append((e, chain))

    rows: dict[int, list[str]] = defaultdict(list)
    for key, node in nodes.items():
        rows[node.layer].append(key)
    n_layers = max(rows) + 1 if rows else 0
    preds: dict[str, list[str]] = defaultdict(list)
    succs: dict[str, list[str]] = defaultdict(list)
    for _, chain in chains:
        for a, b in zip(chain, chain[1:], strict=False):
            succs[a].append(b)
            preds[b].append(a)

    # Order within rows: start in step order, then a few barycentre sweeps down and up.
    first_seen = {k: i for i, k in enumerate(nodes)}
    for lay in range(n_layers):
        rows[lay].sort(key=first_seen.__getitem__)
    for _sweep in range(4):
        for lay in range(1, n_layers):
            _sort_by_barycentre(rows[lay], rows[lay - 1], preds)
        for lay in range(n_layers - 2, -1, -1):
            _sort_by_barycentre(rows[lay], rows[lay + 1], succs)

    # Coordinates: rows centred first, then each box pulled towards the mean of its neighbours in the
    # row above/below while keeping its order and spacing (a few sweeps settle it).
    centre: dict[str, float] = {}
    for lay in range(n_layers):
        x = 0.0
        for key in rows[lay]:
            centre[key] = x + nodes[key].w / 2
            x += nodes[key].w + GAP_X
        shift = -x / 2
        for key in rows[lay]:
            centre[key] += shift
    for _sweep in range(6):
        for lay in range(1, n_layers):
            _pull_row(rows[lay], preds, centre, nodes)
        for lay in range(n_layers - 2, -1, -1):
            _pull_row(rows[lay], succs, centre, nodes)
    left = min((centre[k] - nodes[k].w / 2 for k in nodes), default=0.0)
    right = max((centre[k] + nodes[k].w / 2 for k in nodes), default=NODE_W)
    for key, node in nodes.items():
        node.x = MARGIN + centre[key] - node.w / 2 - left
        node.y = MARGIN + node.layer * (NODE_H + GAP_Y)

    flow_edges: list[FlowEdge] = []
    for e, chain in chains:
        points = [(nodes[chain[0]].cx, nodes[chain[0]].y + NODE_H)]
        for key in chain[1:-1]:
            points += [(nodes[key].cx, nodes[key].y), (nodes[key].cx, nodes[key].y + NODE_H)]
        points.append((nodes[chain[-1]].cx, nodes[chain[-1]].y))
        flow_edges.append(FlowEdge(points=points, condition=e.condition))
    width = right - left + 2 * MARGIN
    # Edges that loop back (returns for correction) leave below their box, climb a lane on the right and
    # come down into the target from just above it, so they cross lines but never a box.
    back_edges = [e for e in edges if (e.source, e.target) in back]
    for i, e in enumerate(back_edges):
        src, dst = nodes[e.source], nodes[e.target]
        lane = width + 6 + 12 * i
        below, above = src.y + NODE_H + 8 + 4 * i, dst.y - 8 - 4 * i
        flow_edges.append(
            FlowEdge(
                points=[
                    (src.cx + 24, src.y + NODE_H),
                    (src.cx + 24, below),
                    (lane, below),
                    (lane, above),
                    (dst.cx + 24, above),
                    (dst.cx + 24, dst.y),
                ],
                condition=e.condition,
                back=True,
            )
        )
    if back_edges:
        label_room = 64 if any(e.condition for e in back_edges) else 0
        width += 6 + 12 * len(back_edges) + label_room
    height = 2 * MARGIN + n_layers * NODE_H + max(n_layers - 1, 0) * GAP_Y
    real_nodes = [n for n in nodes.values() if not n.dummy]
    return FlowChart(nodes=real_nodes, edges=flow_edges, width=width, height=height, layers=n_layers)


def _pull_row(
    row: list[str], neighbours: dict[str, list[str]], centre: dict[str, float], nodes: dict[str, FlowNode]
) -> None:
    if not row:
        return
    wanted = []
    for key in row:
        linked = [centre[n] for n in neighbours.get(key, [])]
        wanted.append(sum(linked) / len(linked) if linked else centre[key])
    gaps = [(nodes[a].w + nodes[b].w) / 2 + GAP_X for a, b in zip(row, row[1:], strict=False)]
    # Closest spaced positions from the left and from the right; their mean is spaced too.
    from_left = [wanted[0]]
    for i in range(1, len(row)):
        from_left.append(max(wanted[i], from_left[-1] + gaps[i - 1]))
    from_right = [wanted[-1]]
    for i in range(len(row) - 2, -1, -1):
        from_right.insert(0, min(wanted[i], from_right[0] - gaps[i]))
    for key, a, b in zip(row, from_left, from_right, strict=True):
        centre[key] = (a + b) / 2


def _sort_by_barycentre(row: list[str], fixed: list[str], neighbours: dict[str, list[str]]) -> None:
    position = {k: i for i, k in enumerate(fixed)}
    current = {k: i for i, k in enumerate(row)}

    def centre(key: str) -> float:
        linked = [position[n] for n in neighbours.get(key, []) if n in position]
        return sum(linked) / len(linked) if linked else float(current[key])

    row.sort(key=lambda k: (centre(k), current[k]))


_NODE_STYLE = {
    StepKind.START: ("#e8f6ee", "#1a7f46"),
    StepKind.END: ("#eef0f3", "#4b5563"),
    StepKind.TASK: ("#eaf2ff", "#1f5fbf"),
}


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def render_svg(chart: FlowChart, *, title: str) -> SafeString:
    """Inline SVG of the chart. Every text is escaped; arrowheads are drawn as triangles (no markers), which
    renders the same in browsers and in WeasyPrint."""
    w, h = _num(chart.width), _num(chart.height)
    out = [
        f'<svg class="flow-svg" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" role="img" aria-label="{escape(title)}" '
        f'font-family="Noto Sans CJK SC, Noto Sans SC, PingFang SC, Microsoft YaHei, sans-serif">',
        f"<title>{escape(title)}</title>",
    ]
    for edge in chart.edges:
        d = _edge_path(edge)
        dash = ' stroke-dasharray="5 4"' if edge.back else ""
        out.append(f'<path d="{d}" fill="none" stroke="#6b7280" stroke-width="1.6"{dash}/>')
        x2, y2 = edge.points[-1]
        out.append(_arrowhead(x2, y2))
        if edge.condition:
            label = escape(_truncate(edge.condition, 9))
            if edge.back:
                lx, ly = edge.points[2][0] + 4, (edge.points[2][1] + edge.points[3][1]) / 2
            else:
                lx, ly = x2 + 5, y2 - GAP_Y / 2 + 14
            out.append(
                f'<text x="{_num(lx)}" y="{_num(ly)}" font-size="{META_FONT_SIZE}" fill="#92400e">{label}</text>'
            )
    for node in chart.nodes:
        fill, stroke = _NODE_STYLE.get(node.kind, _NODE_STYLE[StepKind.TASK])
        radius = NODE_H / 2 if node.kind in (StepKind.START, StepKind.END) else 8
        out.append(
            f'<g class="flow-node flow-{escape(node.kind)}"><rect x="{_num(node.x)}" y="{_num(node.y)}" '
            f'width="{_num(node.w)}" height="{_num(node.h)}" rx="{_num(radius)}" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="1.5"/>'
        )
        lines = node.name_lines
        block = len(lines) * (FONT_SIZE + 3) + (META_FONT_SIZE + 4 if node.meta else 0)
        y = node.y + (NODE_H - block) / 2 + FONT_SIZE
        for line in lines:
            out.append(
                f'<text x="{_num(node.cx)}" y="{_num(y)}" text-anchor="middle" font-size="{FONT_SIZE}" '
                f'font-weight="bold" fill="#111827">{escape(line)}</text>'
            )
            y += FONT_SIZE + 3
        if node.meta:
            out.append(
                f'<text x="{_num(node.cx)}" y="{_num(y + 2)}" text-anchor="middle" '
                f'font-size="{META_FONT_SIZE}" fill="#4b5563">{escape(node.meta)}</text>'
            )
        out.append("</g>")
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 — every interpolated text above is escaped


def _edge_path(edge: FlowEdge) -> str:
    if edge.back:
        return "M" + " L".join(f"{_num(x)} {_num(y)}" for x, y in edge.points)
    # Orthogonal elbows: down, across in the gap between rows, down into the next box.
    (x0, y0) = edge.points[0]
    parts = [f"M{_num(x0)} {_num(y0)}"]
    for (xa, ya), (xb, yb) in zip(edge.points, edge.points[1:], strict=False):
        if xa == xb:
            parts.append(f"V{_num(yb)}")
        else:
            mid = ya + (yb - ya) / 2
            parts.append(f"V{_num(mid)} H{_num(xb)} V{_num(yb)}")
    return " ".join(parts)


def _arrowhead(x2: float, y2: float) -> str:
    # Every edge enters its box from above, so the head always points down.
    size = 6.0
    pts = [(x2, y2), (x2 - size, y2 - size * 1.4), (x2 + size, y2 - size * 1.4)]
    return '<polygon points="{}" fill="#6b7280"/>'.format(" ".join(f"{_num(x)},{_num(y)}" for x, y in pts))


# ----------------------------------------------------------------------------------------------------------
# The guide view-model
# ----------------------------------------------------------------------------------------------------------


def limit_text(value: int | None, unit: str) -> str:
    if value is None:
        return "无"
    if value == 0:
        return "即办"
    return f"{value} 个{LimitUnit(unit).label}"


def trips_text(trips: int) -> str:
    return {0: "零跑动", 1: "最多跑一次"}.get(trips, f"{trips} 次及以上")


def step_meta(step: ProcessStep) -> str:
    parts: list[str] = []
    if step.department is not None:
        parts.append(step.department.short_name or step.department.name)
    if step.limit:
        parts.append(f"{step.limit}{LimitUnit(step.limit_unit).label}")
    if step.countersign != CountersignMode.SINGLE:
        parts.append(CountersignMode(step.countersign).label)
    return " · ".join(parts)


def flow_chart_for(steps: Iterable[ProcessStep], transitions: Iterable[ProcessTransition]) -> FlowChart:
    step_list = list(steps)
    key_of = {s.pk: s.code for s in step_list}
    return flow_layout(
        [
            StepSpec(
                key=s.code, name=s.name, kind=s.kind, meta=step_meta(s) if s.kind == StepKind.TASK else ""
            )
            for s in step_list
        ],
        [
            EdgeSpec(source=key_of[t.source_id], target=key_of[t.target_id], condition=t.condition)
            for t in transitions
            if t.source_id in key_of and t.target_id in key_of
        ],
    )


@dataclass(frozen=True)
class MaterialRow:
    number: int
    name: str
    kind: str
    copies: str
    necessity: str
    is_key: bool
    deficiency_allowed: bool
    source: str
    no_submit: bool
    situations: list[str]
    notes: str
    legal_basis: list[str]


@dataclass(frozen=True)
class StepRow:
    name: str
    kind: str
    department: str
    role: str
    limit: str
    countersign: str
    timeout_policy: str


@dataclass(frozen=True)
class FormSection:
    title: str
    fields: list[FormField]


@dataclass(frozen=True)
class HistoryEntry:
    number: int
    status: str
    status_label: str
    effective_from: date | None
    effective_to: date | None
    is_shown: bool


@dataclass
class Guide:
    item: Item
    version: ItemVersion
    is_current: bool
    history: list[HistoryEntry]
    legal_basis: list[LegalReference]
    service_objects: list[str]
    handling_forms: list[str]
    themes: list[str]
    joint_departments: list[str]
    situations: list[Situation]
    materials: list[MaterialRow]
    form_sections: list[FormSection]
    steps: list[StepRow]
    chart: FlowChart
    statutory_limit: str
    promised_limit: str
    trips: str
    online_depth: str
    fee_items: list[str] = field(default_factory=list)
    special_procedures: list[str] = field(default_factory=list)
    intermediary_services: list[str] = field(default_factory=list)

    @property
    def no_submit_count(self) -> int:
        return sum(1 for m in self.materials if m.no_submit)

    @property
    def chart_svg(self) -> SafeString:
        return self.chart.svg(title=f"{self.version.name} 办理流程图")


def _describe(entry: object) -> str:
    """JSON list entries (fees, special procedures, intermediaries) are strings or small objects."""
    if isinstance(entry, dict):
        name = str(entry.get("name") or entry.get("title") or "")
        rest = [
            str(v)
            for k, v in entry.items()
            if k not in ("name", "title") and v not in (None, "", [], {}) and not isinstance(v, (dict, list))
        ]
        return "：".join(p for p in [name, "，".join(rest)] if p)
    return str(entry)


def _not_found() -> NotFound:
    return NotFound(
        ErrorDetail(
            "item_not_found",
            "未找到该事项，或该事项尚未发布",
            "No published item with this implementation code",
            "implementation_code",
        )
    )


def guide_load(*, implementation_code: str, version_number: int | None = None) -> Guide:
    """The guide of the item's current published version, or of an older published/retired version.

    Drafts and versions under review are never public. A public version's content is frozen, so the built
    guide is cached under a key that changes with the version's status (publishing a successor retires it);
    a cached guide costs one indexed query, a fresh one thirteen, whatever the size of the guide.
    """
    rows = ItemVersion.objects.filter(item__implementation_code=implementation_code)
    if version_number is None:
        rows = rows.filter(status=VersionStatus.PUBLISHED)
    else:
        rows = rows.filter(version=version_number, status__in=PUBLIC_STATUSES)
    ref = rows.order_by().values_list("pk", "status", "published_at", "retired_at")[:1]
    found = list(ref)
    if not found:
        raise _not_found()
    pk, status, published_at, retired_at = found[0]
    stamp = f"{implementation_code}:{pk}:{status}:{published_at}:{retired_at}"
    key = "guide:" + hashlib.sha256(stamp.encode()).hexdigest()
    guide: Guide | None = cache.get(key)
    if guide is None:
        guide = _build(_load_version(pk))
        cache.set(key, guide, GUIDE_CACHE_SECONDS)
    return guide


def _load_version(pk: int) -> ItemVersion:
    return (
        ItemVersion.objects.select_related(
            "item__department", "item__parent", "implementing_department", "delegating_department"
        )
        .prefetch_related(
            Prefetch("legal_basis", queryset=LegalReference.objects.select_related("law")),
            "joint_departments",
            "themes",
            "situations",
            Prefetch(
                "materials",
                queryset=Material.objects.prefetch_related(
                    Prefetch("legal_basis", queryset=LegalReference.objects.select_related("law")),
                    "situations",
                ),
            ),
            Prefetch("formfields", queryset=FormField.objects.select_related("data_element")),
            Prefetch("processsteps", queryset=ProcessStep.objects.select_related("department")),
            "processtransitions",
        )
        .get(pk=pk)
    )


def _build(version: ItemVersion) -> Guide:
    item = version.item
    history_rows = (
        ItemVersion.objects.filter(item=item, status__in=PUBLIC_STATUSES)
        .order_by("-version")
        .values_list("version", "status", "effective_from", "effective_to")
    )
    history = [
        HistoryEntry(
            number=n,
            status=s,
            status_label=VersionStatus(s).label,
            effective_from=ef,
            effective_to=et,
            is_shown=n == version.version,
        )
        for n, s, ef, et in history_rows
    ]
    materials = []
    for number, m in enumerate(version.materials.all(), start=1):
        copies = (
            f"{m.paper_copies} 份" + (f"（{m.paper_size}）" if m.paper_size else "")
            if m.paper_copies
            else "—"
        )
        source = MaterialSource(m.source).label
        detail = m.licence_type or m.source_note
        materials.append(
            MaterialRow(
                number=number,
                name=m.name,
                kind=m.get_kind_display(),
                copies=copies,
                necessity=m.get_necessity_display(),
                is_key=m.necessity == "key",
                deficiency_allowed=m.deficiency_allowed,
                source=f"{source}（{detail}）" if detail else source,
                no_submit=m.source in NO_SUBMIT_SOURCES,
                situations=[s.name for s in m.situations.all()],
                notes="；".join(p for p in [m.acceptance_standard, m.filling_notes] if p),
                legal_basis=[str(ref) for ref in m.legal_basis.all()],
            )
        )
    sections: dict[str, list[FormField]] = {}
    for f in version.formfields.all():
        sections.setdefault(f.section or SUBJECT_SECTIONS.get(f.subject, "基本信息"), []).append(f)
    steps = list(version.processsteps.all())
    step_rows = [
        StepRow(
            name=s.name,
            kind=s.get_kind_display(),
            department=s.department.name if s.department else "",
            role=_role_label(s.role),
            limit=f"{s.limit} 个{LimitUnit(s.limit_unit).label}" if s.limit else "",
            countersign=s.get_countersign_display(),
            timeout_policy=TimeoutPolicy(s.timeout_policy).label,
        )
        for s in steps
        if s.kind == StepKind.TASK
    ]
    return Guide(
        item=item,
        version=version,
        is_current=version.status == VersionStatus.PUBLISHED,
        history=history,
        legal_basis=list(version.legal_basis.all()),
        service_objects=[_label(ServiceObject, v) for v in version.service_objects],
        handling_forms=[_label(HandlingForm, v) for v in version.handling_forms],
        themes=[t.name for t in version.themes.all()],
        joint_departments=[d.name for d in version.joint_departments.all()],
        situations=list(version.situations.all()),
        materials=materials,
        form_sections=[FormSection(title=k, fields=v) for k, v in sections.items()],
        steps=step_rows,
        chart=flow_chart_for(steps, version.processtransitions.all()),
        statutory_limit=limit_text(version.statutory_limit, version.statutory_limit_unit),
        promised_limit="即办"
        if version.handling_kind == HandlingKind.IMMEDIATE and not version.promised_limit
        else limit_text(version.promised_limit, version.promised_limit_unit),
        trips=trips_text(version.trips),
        online_depth=ONLINE_DEPTH_LABELS.get(version.online_depth, str(version.online_depth)),
        fee_items=[_describe(e) for e in version.fee_items or []],
        special_procedures=[_describe(e) for e in version.special_procedures or []],
        intermediary_services=[_describe(e) for e in version.intermediary_services or []],
    )


def _label(choices: type, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _role_label(role: str) -> str:
    from onetrip.orgs.models import Role

    return _label(Role, role) if role else ""
