"""Demo data for 好差评 (莲都区), idempotent: the district's rectification limits (Zhejiang's 1 and 15 working
days) with 区行政服务中心 answering for the comprehensive windows, and a rating by its applicant on every
completed demo case that has none — one of them a bad rating (不满意) whose rectification the department has
already called back. Through the services (audited, statistics facts, notifications); a second run creates
nothing. Call after the demo history (completed cases) is loaded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction

from onetrip.core import clock
from onetrip.demo.organisations import DISTRICT
from onetrip.intake.models import Case, CaseStatus
from onetrip.orgs.models import Department, Region, Role, RoleAssignment, User
from onetrip.ratings.models import (
    BAD_LEVELS,
    Rating,
    RatingKind,
    RatingPolicy,
    Rectification,
    RectificationStatus,
)
from onetrip.ratings.services import case_rate, rating_policy_set, rectification_callback

GOOD = (
    (5, "网上申请，材料一次提交，很快就办好了。"),
    (4, "窗口工作人员耐心，一次性告知清楚。"),
    (5, "全程网办，零跑腿。"),
    (3, ""),
)
BAD = (2, "窗口要求我补交已经提交过的材料，来回跑了两趟。")
CALLBACK = "已电话回访申请人，核实系窗口未调取共享数据所致；已向申请人致歉并安排培训。"


@dataclass
class RatingsDemoSummary:
    counts: list[tuple[str, int, int]] = field(default_factory=list)  # label, total, created

    @property
    def changed(self) -> bool:
        return any(created for _, _, created in self.counts)


def _policy(admin: User | None) -> int:
    district = Region.objects.filter(code=DISTRICT).first()
    if district is None or admin is None or RatingPolicy.objects.filter(region=district).exists():
        return 0
    rating_policy_set(
        region=district,
        callback_days=1,
        rectify_days=15,
        service_centre=Department.objects.filter(code="ld-zwfw").select_related("region").first(),
        actor=admin,
    )
    return 1


def _department_officer(department_id: int) -> User | None:
    row = (
        RoleAssignment.objects.filter(department_id=department_id, role__in=[Role.LEADER, Role.HANDLER])
        .select_related("user")
        .order_by("role", "user_id")
        .first()
    )
    return row.user if row else None


@transaction.atomic
def ratings_demo_load(*, now: dt.datetime | None = None) -> RatingsDemoSummary:
    now = now or clock.now()
    summary = RatingsDemoSummary()
    summary.counts.append(("好差评整改时限", 1, _policy(User.objects.filter(username="admin").first())))

    district_prefix = DISTRICT[:6]
    completed = list(
        Case.objects.filter(
            status=CaseStatus.COMPLETED, completed_at__isnull=False, region__code__startswith=district_prefix
        )
        .exclude(ratings__kind=RatingKind.INITIAL)
        .select_related("lead_department__region", "applicant")
        .order_by("completed_at", "pk")
    )
    rectifications = Rectification.objects.filter(department__region__code__startswith=district_prefix)
    rectifications_before = rectifications.count()
    need_bad = not Rating.objects.filter(
        level__in=sorted(BAD_LEVELS), case__region__code__startswith=district_prefix
    ).exists()
    created = 0
    for n, case in enumerate(completed):
        at = min(case.completed_at + dt.timedelta(hours=2), now)  # type: ignore[operator]
        level, comment = BAD if need_bad else GOOD[n % len(GOOD)]
        rating = case_rate(case=case, rater=case.applicant, level=level, comment=comment, now=at)
        created += 1
        if need_bad:
            need_bad = False
            officer = _department_officer(case.lead_department_id)
            rect = Rectification.objects.get(rating=rating)
            if officer is not None and rect.status == RectificationStatus.AWAITING_CALLBACK:
                rectification_callback(
                    rectification=rect, actor=officer, note=CALLBACK, now=min(at + dt.timedelta(hours=3), now)
                )
    total = Rating.objects.filter(case__region__code__startswith=district_prefix).count()
    summary.counts.append(("好差评", total, created))
    after = rectifications.count()
    summary.counts.append(("差评整改", after, after - rectifications_before))
    return summary
