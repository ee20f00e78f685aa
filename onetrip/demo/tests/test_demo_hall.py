"""The demo district hall hosts every department that runs demo items or bundles (进驻部门), city-level
centres included, so the demo clerk's comprehensive window accepts all of them."""

from __future__ import annotations

import pytest

from onetrip.bundles.models import BundleVersion
from onetrip.catalog.models import Item
from onetrip.demo.loader import DemoSummary
from onetrip.demo.organisations import HALL
from onetrip.orgs.models import Department, Role, RoleAssignment, ServiceHall
from onetrip.orgs.permissions import clerk_covers, clerk_filter

pytestmark = pytest.mark.django_db


def test_the_demo_clerk_covers_every_demo_item_and_bundle(demo: DemoSummary) -> None:
    assignment = RoleAssignment.objects.select_related("window", "user").get(role=Role.CLERK)
    clerk, window = assignment.user, assignment.window
    assert window is not None and window.department_id is None  # a comprehensive window
    departments = set(Item.objects.values_list("department_id", flat=True)) | set(
        BundleVersion.objects.values_list("lead_department_id", flat=True)
    )
    fund = Department.objects.get(code="ls-gjj")
    assert fund.pk in departments  # the city housing-fund centre leads 公积金组合贷款
    uncovered = [d for d in departments if not clerk_covers(clerk, d, window=window)]
    assert uncovered == []
    assert set(clerk_filter(Item.objects.all(), clerk, window=window)) == set(Item.objects.all())


def test_the_city_bureaus_that_run_nothing_here_are_not_stationed(demo: DemoSummary) -> None:
    hall = ServiceHall.objects.get(name=HALL.name)
    stationed = set(hall.departments.values_list("code", flat=True))
    assert stationed == set(HALL.stationed)
    clerk = RoleAssignment.objects.select_related("user").get(role=Role.CLERK).user
    assert not clerk_covers(clerk, Department.objects.get(code="ls-rsj").pk)
