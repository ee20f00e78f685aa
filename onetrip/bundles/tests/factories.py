"""Factories for bundle tests (usable from any app's tests; need the database).

from onetrip.bundles.tests import factories as bf

items = [f.make_published_item() for _ in range(3)]
version = bf.make_bundle(items=items)                  # draft v1 with members m1, m2, m3
version = bf.make_published_bundle(items=items, optional=["m3"], edges=[("m1", "m2")])
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from onetrip.bundles import services
from onetrip.bundles.models import BundleKind, BundleVersion
from onetrip.catalog.models import Item
from onetrip.catalog.tests import factories as f
from onetrip.orgs.models import Department

_seq = itertools.count(1)


def make_bundle(
    *,
    items: Sequence[Item] = (),
    code: str | None = None,
    name: str | None = None,
    kind: str = BundleKind.MANY_DEPTS_MANY_ITEMS,
    lead_department: Department | None = None,
    optional: Sequence[str] = (),
    edges: Sequence[tuple[str, str]] = (),
    **version_fields: Any,
) -> BundleVersion:
    """A bundle with a draft v1 whose members m1, m2, … are `items` in order (codes in `optional` are 点单)."""
    n = next(_seq)
    lead = lead_department or (items[0].department if items else f.make_department())
    bundle = services.bundle_create(
        code=code or f"bundle-{n}", name=name or f"测试一件事{n}", kind=kind, lead_department=lead
    )
    version = bundle.versions.get(version=1)
    for i, item in enumerate(items, start=1):
        services.bundle_member_add(version=version, item=item, code=f"m{i}", optional=f"m{i}" in optional)
    if edges:
        services.bundle_process_set(version=version, edges=list(edges))
    if version_fields:
        services.bundle_version_update(version=version, data=version_fields)
    version.refresh_from_db()
    return version


def make_published_bundle(**kwargs: Any) -> BundleVersion:
    version = make_bundle(**kwargs)
    return services.bundle_version_publish(version=version)
