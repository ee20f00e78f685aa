"""The public view of a published one-thing (一件事), shared by the guide page and the API.

Everything comes from the version's stored snapshot (one row, computed at publish); the applicant's 点单
choice is applied here with the pure merge and critical-path functions over the snapshot's members, so the
material list, the form and the combined limit always match what the chosen members need.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from onetrip.bundles.critical_path import CombinedLimit, combined_limit
from onetrip.bundles.figures import MEASURE_LABELS
from onetrip.bundles.merge import MergedForm, MergedMaterials, merge_form, merge_materials
from onetrip.bundles.models import BundleVersion
from onetrip.bundles.selectors import published_version, snapshot_members
from onetrip.bundles.snapshot import merged_form_name
from onetrip.bundles.spec import MemberSpec
from onetrip.catalog.guide import EdgeSpec, FlowChart, StepSpec, flow_layout
from onetrip.catalog.models import StepKind, Theme, ThemeAudience, VersionStatus
from onetrip.core.errors import DomainError, ErrorDetail

MAX_PAGE = 100
START, END = "\x00start", "\x00end"


def _days(value: Decimal | str | None) -> str:
    """Working days as the page shows them: 2.5 → “2.5 个工作日”, 0 → “即办”."""
    if value is None:
        return "—"
    number = Decimal(str(value)).normalize()
    if number == 0:
        return "即办"
    return f"{number:f} 个工作日"


@dataclass
class Choice:
    """The bundle as the applicant chose it: mandatory members plus the chosen optional ones."""

    chosen: list[str]
    taking: list[MemberSpec]
    form: MergedForm
    materials: MergedMaterials
    limit: CombinedLimit

    @property
    def critical_text(self) -> str:
        return _days(self.limit.critical_days)

    @property
    def sum_text(self) -> str:
        return _days(self.limit.sum_days)


@dataclass
class BundleGuide:
    version: BundleVersion
    snapshot: dict[str, Any]
    members: list[MemberSpec]
    edges: list[tuple[str, str]]

    @property
    def optional(self) -> list[MemberSpec]:
        return [m for m in self.members if m.optional]

    @property
    def departments(self) -> list[str]:
        return list(dict.fromkeys(m.department_name for m in self.members))

    def member_label(self, code: str) -> str:
        for m in self.members:
            if m.code == code:
                return f"{m.item_name}（{m.situation_name}）" if m.situation_name else m.item_name
        return code

    def choose(self, chosen: Iterable[str]) -> Choice:
        picked = set(chosen)
        taking = [m for m in self.members if not m.optional or m.code in picked]
        return Choice(
            chosen=[m.code for m in self.members if m.optional and m.code in picked],
            taking=taking,
            form=merge_form(taking),
            materials=merge_materials(taking, merged_form_name=merged_form_name(self.version.name)),
            limit=combined_limit(self.members, self.edges, chosen=picked),
        )

    def parse_members(self, raw: Sequence[str]) -> list[str]:
        """`?members=a,b` (or repeated) → chosen optional member codes; unknown codes are a 400."""
        codes = [c.strip() for value in raw for c in value.split(",") if c.strip()]
        optional = {m.code for m in self.optional}
        unknown = [c for c in dict.fromkeys(codes) if c not in optional]
        if unknown:
            raise DomainError(
                *(
                    ErrorDetail(
                        "unknown_optional_member",
                        f"“{c[:64]}”不是本一件事的可选成员",
                        f"'{c[:64]}' is not an optional member of this bundle",
                        "members",
                    )
                    for c in unknown
                )
            )
        return list(dict.fromkeys(codes))

    def figures(self) -> list[dict[str, Any]]:
        """Computed and stated figures side by side, one row per measure."""
        figures = self.snapshot.get("figures", {})
        stated = {f["measure"]: f for f in figures.get("stated", [])}
        rows = []
        for f in figures.get("computed", []):
            s = stated.get(f["measure"], {})
            rows.append(
                {
                    "measure": f["measure"],
                    "label": MEASURE_LABELS.get(f["measure"], f["measure"]),
                    "computed": f,
                    "stated": s if s.get("before") is not None or s.get("after") is not None else None,
                }
            )
        return rows

    def chart(self, choice: Choice) -> FlowChart:
        """The combined process: members as steps, parallel where no edge orders them."""
        codes = {m.code for m in choice.taking}
        edges = [(a, b) for a, b in self.edges if a in codes and b in codes]
        has_in = {b for _, b in edges}
        has_out = {a for a, _ in edges}
        durations = {s.member: s.duration for s in choice.limit.schedule}
        steps = [StepSpec(key=START, name="一窗受理", kind=StepKind.START)]
        for m in choice.taking:
            name = self.member_label(m.code)
            meta = " · ".join(p for p in [m.department_name, _days(durations.get(m.code))] if p)
            steps.append(StepSpec(key=m.code, name=name, kind=StepKind.TASK, meta=meta))
        steps.append(StepSpec(key=END, name="统一出件", kind=StepKind.END))
        flow = [EdgeSpec(START, m.code) for m in choice.taking if m.code not in has_in]
        flow += [EdgeSpec(a, b) for a, b in edges]
        flow += [EdgeSpec(m.code, END) for m in choice.taking if m.code not in has_out]
        return flow_layout(steps, flow)


def bundle_guide(code: str) -> BundleGuide:
    """The current published version of a bundle with its snapshot; NotFound when not published."""
    version = published_version(code)
    snapshot = version.computed or {}
    return BundleGuide(
        version=version,
        snapshot=snapshot,
        members=snapshot_members(snapshot),
        edges=[(a, b) for a, b in snapshot.get("edges", [])],
    )


# ------------------------------------------------------------------------------------------------ lists


def _listing() -> QuerySet[BundleVersion]:
    return (
        BundleVersion.objects.filter(status=VersionStatus.PUBLISHED)
        .select_related("bundle", "lead_department")
        .prefetch_related(Prefetch("themes", queryset=Theme.objects.order_by("audience", "order")))
        .annotate(
            member_count=Count("bundlemembers", distinct=True),
            optional_count=Count("bundlemembers", filter=Q(bundlemembers__optional=True), distinct=True),
        )
        .defer("computed")
    )


def encode_cursor(version: BundleVersion) -> str:
    raw = f"{version.name}\x1f{version.bundle.code}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[str, str]:
    bad = DomainError(ErrorDetail("invalid_cursor", "分页游标无效", "Invalid pagination cursor", "after"))
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise bad from None
    name, sep, code = text.partition("\x1f")
    if not sep or not code:
        raise bad
    return name, code


def bundle_list(
    *, theme: str | None = None, audience: str | None = None, after: str | None = None, limit: int = 20
) -> tuple[list[BundleVersion], str | None]:
    """Published bundles by name then code, keyset-paginated; filters by theme code or theme audience."""
    errors = []
    if audience and audience not in ThemeAudience.values:
        errors.append(
            ErrorDetail("invalid_audience", "对象无效", "Unknown audience", "audience")  # citizen/company/…
        )
    if not 1 <= limit <= MAX_PAGE:
        errors.append(ErrorDetail("invalid_limit", "每页条数应为1至100", "limit must be 1 to 100", "limit"))
    if errors:
        raise DomainError(*errors)
    qs = _listing().order_by("name", "bundle__code")
    if theme:
        qs = qs.filter(
            bundle__in=BundleVersion.objects.filter(
                status=VersionStatus.PUBLISHED, themes__code=theme
            ).values("bundle")
        )
    if audience:
        qs = qs.filter(
            bundle__in=BundleVersion.objects.filter(
                status=VersionStatus.PUBLISHED, themes__audience=audience
            ).values("bundle")
        )
    if after:
        name, code = _decode_cursor(after)
        qs = qs.filter(Q(name__gt=name) | Q(name=name, bundle__code__gt=code))
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1]) if more and rows else None


def bundles_by_theme() -> list[tuple[str, list[tuple[Theme | None, list[BundleVersion]]]]]:
    """Every published bundle under each of its themes, grouped by audience; bundles with no theme last."""
    versions = list(_listing().order_by("name", "bundle__code"))
    themes = list(Theme.objects.all())
    groups = []
    for audience, label in ThemeAudience.choices:
        rows = []
        for theme in themes:
            if theme.audience != audience:
                continue
            members = [v for v in versions if any(t.pk == theme.pk for t in v.themes.all())]
            if members:
                rows.append((theme, members))
        if rows:
            groups.append((str(label), rows))
    loose = [v for v in versions if not v.themes.all()]
    if loose:
        groups.append(("其他", [(None, loose)]))
    return groups
