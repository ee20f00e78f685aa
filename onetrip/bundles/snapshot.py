"""Everything a published bundle version shows, computed once from plain member data.

`compute()` runs the merge, the combined limit, the step counts and the reform figures, returns the JSON
snapshot stored on `BundleVersion.computed` and the problems publishing must refuse. Drafts are previewed
with the same function, so a draft's page shows what publishing would store.

Trips: before = the sum of the members' trips (each item visited on its own); after = the largest trips of
any one member (one visit to the one window serves every member).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from onetrip.bundles.critical_path import combined_limit, member_duration, step_counts
from onetrip.bundles.figures import figures
from onetrip.bundles.merge import merge_form, merge_materials
from onetrip.bundles.spec import MemberSpec, member_to_dict
from onetrip.core.errors import ErrorDetail

SNAPSHOT_SCHEMA = 1


def merged_form_name(bundle_name: str) -> str:
    """“企业职工退休”一件事 → “企业职工退休”一件事联办申请表; a plain name gets the 一件事 suffix."""
    return f"{bundle_name}联办申请表" if "一件事" in bundle_name else f"{bundle_name}一件事联办申请表"


def compute(
    *,
    name: str,
    members: Sequence[MemberSpec],
    edges: Iterable[tuple[str, str]],
    stated: dict[str, int | None] | None = None,
) -> tuple[dict[str, Any], list[ErrorDetail]]:
    edge_list = [(a, b) for a, b in edges]
    form = merge_form(members)
    materials = merge_materials(members, merged_form_name=merged_form_name(name))
    limit = combined_limit(members, edge_list)
    limit_mandatory = combined_limit(members, edge_list, chosen=())
    steps = step_counts(members)
    trips_before = sum(m.trips for m in members)
    trips_after = max((m.trips for m in members), default=0)
    before: dict[str, Decimal | int | None] = {
        "trips": trips_before,
        "materials": materials.before,
        "fields": form.fields_before,
        "steps": steps.before,
        "limit": limit.sum_days,
    }
    after: dict[str, Decimal | int | None] = {
        "trips": trips_after,
        "materials": materials.after,
        "fields": form.fields_after,
        "steps": steps.after,
        "limit": limit.critical_days,
    }
    stated = stated or {}
    stated_before = {m: stated.get(f"{m}_before") for m in ("trips", "materials", "fields", "steps", "limit")}
    stated_after = {m: stated.get(f"{m}_after") for m in ("trips", "materials", "fields", "steps", "limit")}
    per_member = []
    for m in members:
        duration = member_duration(m)
        per_member.append(
            {
                "member": m.code,
                "item_code": m.item_code,
                "item_name": m.item_name,
                "department_name": m.department_name,
                "optional": m.optional,
                "trips": m.trips,
                "materials": len(m.materials),
                "fields": len(m.fields),
                "steps": sum(1 for s in m.steps if s.kind == "task"),
                "limit_days": None if duration is None else str(duration),
            }
        )
    snapshot = {
        "schema": SNAPSHOT_SCHEMA,
        "members": [member_to_dict(m) for m in members],
        "edges": [list(e) for e in edge_list],
        "form": form.as_dict(),
        "materials": materials.as_dict(),
        "limit": limit.as_dict(),
        "limit_mandatory": limit_mandatory.as_dict(),
        "steps": steps.as_dict(),
        "figures": {
            "computed": [f.as_dict() for f in figures(before, after)],
            "stated": [f.as_dict() for f in figures(stated_before, stated_after)],
            "stated_limit_unit": stated.get("limit_unit"),
            "members": per_member,
        },
    }
    return snapshot, [*form.errors, *limit.errors]
