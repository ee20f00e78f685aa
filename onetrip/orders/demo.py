"""Demo data for 督办 and 代表结对监督 (莲都区), idempotent: two deputies of the district people's congress
(`daibiao1`, `daibiao2`, password `onetrip-demo`) each paired with two published demo items (三门县: at least two
each), one suggestion after an unannounced visit, and one supervision order from 区跑改办 (`paogaiban`) to
区市场监管局. Everything goes through the services (audited, notified); a second run creates nothing.

Call after the demo organisations, people and items are loaded (onetrip.demo.loader).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction

from onetrip.catalog.models import Item
from onetrip.core import clock
from onetrip.demo.organisations import DISTRICT
from onetrip.demo.people import DEMO_PASSWORD
from onetrip.orders.models import ActivityKind, DeputyPairing, DeputySuggestion, OrderTarget, SupervisionOrder
from onetrip.orders.selectors import local_date
from onetrip.orders.services import order_issue, pairing_create, suggestion_submit
from onetrip.orgs.models import Department, Region, Role, RoleAssignment, User

DEPUTIES = (
    ("daibiao1", "王建平", ("ld-scjg", "ld-rsj")),  # username, name, departments of the paired items
    ("daibiao2", "林秀英", ("ld-swj", "ld-cl")),
)
ORDER_TITLE = "企业开办“一日办结”落实情况督办"
ORDER_CONTENT = (
    "近期群众反映企业开办在窗口仍被要求重复提交已可共享的材料。请区市场监管局对照“三不提交”要求自查，"
    "于期限内反馈整改措施和落实情况。"
)
SUGGESTION = (
    "明察暗访发现：办理该事项时，窗口仍要求群众提供户籍证明复印件，而该信息已可通过数据共享获取。"
    "建议对照“最多跑一次”事项清单，停止索要可共享材料，并对窗口人员开展培训。"
)


@dataclass
class OrdersDemoSummary:
    counts: list[tuple[str, int, int]] = field(default_factory=list)  # label, total, created

    @property
    def changed(self) -> bool:
        return any(created for _, _, created in self.counts)


def _deputies() -> tuple[list[User], int]:
    existing = {u.username: u for u in User.objects.filter(username__in=[d[0] for d in DEPUTIES])}
    password = make_password(DEMO_PASSWORD) if len(existing) < len(DEPUTIES) else ""
    created = 0
    users = []
    for username, name, _ in DEPUTIES:
        user = existing.get(username)
        if user is None:
            user = User.objects.create(username=username, password=password, display_name=name)
            created += 1
        # A deputy has no department or region scope: what they see comes from their pairings.
        RoleAssignment.objects.get_or_create(user=user, role=Role.DEPUTY, department=None, region=None)
        users.append(user)
    return users, created


def _supervisor() -> User | None:
    """区跑改办's supervisor; its grant names its own office, so a district-wide grant is added for the demo
    (a supervisor's region scope, see the report on orgs.permissions)."""
    user = User.objects.filter(username="paogaiban").first()
    district = Region.objects.filter(code=DISTRICT).first()
    if user is None or district is None:
        return None
    RoleAssignment.objects.get_or_create(user=user, role=Role.SUPERVISOR, department=None, region=district)
    user.__dict__.pop("_onetrip_roles", None)
    user.__dict__.pop("_onetrip_scope", None)
    return user


def _items_of(department_codes: tuple[str, ...]) -> list[Item]:
    chosen = []
    for code in department_codes:
        item = (
            Item.objects.filter(department__code=code, is_published=True, parent__isnull=True)
            .order_by("implementation_code")
            .first()
        )
        if item is not None:
            chosen.append(item)
    return chosen


@transaction.atomic
def orders_demo_load(*, now: dt.datetime | None = None) -> OrdersDemoSummary:
    now = now or clock.now()
    summary = OrdersDemoSummary()
    deputies, created = _deputies()
    summary.counts.append(("人大代表", len(deputies), created))
    boss = _supervisor()
    if boss is None:
        raise RuntimeError("load the demo organisations and people first (paogaiban is missing)")

    pairings: list[DeputyPairing] = []
    made = 0
    for user, (_, _, codes) in zip(deputies, DEPUTIES, strict=True):
        for item in _items_of(codes):
            pairing = DeputyPairing.objects.filter(deputy=user, item=item, is_active=True).first()
            if pairing is None:
                pairing = pairing_create(deputy=user, item=item, actor=boss, now=now)
                made += 1
            pairings.append(pairing)
    summary.counts.append(("代表结对事项", len(pairings), made))

    first = next((p for p in pairings if p.deputy_id == deputies[0].pk), None)
    made = 0
    if first is not None and not DeputySuggestion.objects.filter(pairing__deputy=deputies[0]).exists():
        suggestion_submit(
            deputy=deputies[0],
            item_id=first.item_id,
            activity=ActivityKind.UNANNOUNCED,
            activity_date=local_date(now),
            content=SUGGESTION,
            now=now,
        )
        made = 1
    summary.counts.append(
        ("代表意见建议", DeputySuggestion.objects.filter(deputy__in=deputies).count(), made)
    )

    made = 0
    department = Department.objects.filter(code="ld-scjg").first()
    if department is not None and not SupervisionOrder.objects.filter(title=ORDER_TITLE).exists():
        order_issue(
            issued_by=boss,
            target=OrderTarget.DEPARTMENT,
            department_id=department.pk,
            title=ORDER_TITLE,
            content=ORDER_CONTENT,
            working_days=5,
            now=now,
        )
        made = 1
    summary.counts.append(("督办单", SupervisionOrder.objects.filter(title=ORDER_TITLE).count(), made))
    return summary
