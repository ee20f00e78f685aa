"""The engine definitions of items and bundles, built once here for both their users: bundle publishing
checks them (a bundle that publishes can run) and flow dispatch runs them, so the two cannot disagree.

Only the pure engine core (`onetrip.flow.engine`, plain Python with no Django and no flow models) is used:
the data still flows one way, catalog → bundles → flow.

* An item's definition is its catalogue process template, the steps of the window's acceptance at its head
  left out (统一受理, see `after_window_acceptance`): a task step with no department is the implementing
  department's, and one with no role is for its handlers.
* A bundle's definition is `bundle_process`: the window's acceptance, each member's item definition as a
  subprocess (optional members run only when chosen, 点单), the process edges between members, and the
  lead department's 统一出件.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from onetrip.bundles.models import BundleMember, BundleVersion
from onetrip.catalog.models import ItemVersion, Situation
from onetrip.core.errors import ErrorDetail
from onetrip.flow.engine import (
    EngineError,
    MemberDef,
    ProcessDef,
    StepDef,
    after_window_acceptance,
    bundle_problems,
    bundle_process,
    from_template,
)
from onetrip.orgs.models import Role

ACCEPT_STEP = "accept"
ISSUE_STEP = "issue"
WINDOW_ROLE = Role.CLERK.value


def department_ref(pk: int) -> str:
    """A department as the engine names it (flow's identities: `d<pk>`)."""
    return f"d{pk}"


def item_key(iv: ItemVersion) -> str:
    return f"item:{iv.item.implementation_code}"


def bundle_key(bv: BundleVersion) -> str:
    return f"bundle:{bv.bundle.code}"


def item_definition(iv: ItemVersion, *, department: Callable[[int], str] = department_ref) -> ProcessDef:
    """The departments' process of an item version; raises ValueError or EngineError for a template the
    engine cannot read (an unknown kind, countersign mode or timeout policy)."""
    fallback = department(iv.implementing_department_id)
    steps = list(iv.processsteps.order_by("order", "id"))
    step_dicts: list[dict[str, Any]]
    if steps:
        step_dicts = [
            {
                "code": s.code,
                "name": s.name,
                "kind": s.kind,
                "department": (department(s.department_id) if s.department_id else fallback)
                if s.kind == "task"
                else None,
                "role": s.role or None,
                "limit": s.limit,
                "limit_unit": s.limit_unit,
                "countersign": s.countersign,
                "timeout_policy": s.timeout_policy,
            }
            for s in steps
        ]
        transitions = [
            {"source": t.source.code, "target": t.target.code, "condition": t.condition}
            for t in iv.processtransitions.select_related("source", "target").order_by("order", "id")
        ]
    else:
        # An item without an internal process template: one review step by the implementing department.
        step_dicts = [
            {"code": "start", "name": "开始", "kind": "start"},
            {"code": "review", "name": "审查决定", "kind": "task", "department": fallback},
            {"code": "end", "name": "办结", "kind": "end"},
        ]
        transitions = [{"source": "start", "target": "review"}, {"source": "review", "target": "end"}]
    template = from_template(item_key(iv), iv.version, step_dicts, transitions, name=iv.name)
    return after_window_acceptance(template, window_role=WINDOW_ROLE)


Pin = tuple[BundleMember, ItemVersion, Situation | None]  # a member, its item version and situation


def member_name(iv: ItemVersion, situation: Situation | None) -> str:
    return f"{iv.name}（{situation.name}）" if situation is not None else iv.name


def bundle_definition(
    bv: BundleVersion,
    pins: Sequence[Pin],
    edges: Sequence[tuple[str, str]],
    *,
    department: Callable[[int], str] = department_ref,
) -> tuple[ProcessDef, dict[tuple[str, int], ProcessDef]]:
    """The combined process of a bundle version whose members are pinned to `pins`, with the process `edges` between member codes; and the members' item definitions by (key, version)."""
    lead = department(bv.lead_department_id)
    items: dict[tuple[str, int], ProcessDef] = {}
    members = []
    for m, iv, situation in pins:
        item = item_definition(iv, department=department)
        items[(item.key, item.version)] = item
        members.append(
            MemberDef(m.code, (item.key, item.version), name=member_name(iv, situation), optional=m.optional)
        )
    combined = bundle_process(
        bundle_key(bv),
        bv.version,
        members=members,
        accept=StepDef(ACCEPT_STEP, "综合窗口受理", department=lead),
        issue=StepDef(ISSUE_STEP, "统一出件", department=lead, limit=1),
        edges=edges,
        name=bv.name,
    )
    return combined, items


def bundle_process_errors(
    bv: BundleVersion, pins: Sequence[Pin], edges: Sequence[tuple[str, str]]
) -> list[ErrorDetail]:
    """What the engine would refuse in this version's combined process, for every choice of optional
    members, in people's words (the member by its name, the step by its name)."""
    errors: list[ErrorDetail] = []
    for m, iv, situation in pins:
        try:
            item_definition(iv)
        except (ValueError, EngineError):
            errors.append(
                ErrorDetail(
                    "invalid_process",
                    f"成员“{member_name(iv, situation)}”的事项办理流程无法读取（环节类型、会签方式或超时策略无效）",
                    f"Member {m.code!r}: its item's process template is invalid",
                    f"members.{m.code}.process",
                )
            )
    if errors:
        return errors
    combined, items = bundle_definition(bv, pins, edges)
    return [
        ErrorDetail(e.code, e.message_zh, e.message_en, e.field or "process")
        for e in bundle_problems(combined, items)
    ]
