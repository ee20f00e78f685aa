from decimal import Decimal

import pytest

from onetrip.bundles import selectors, services
from onetrip.bundles.models import BundleMember, BundleVersion
from onetrip.bundles.tests import factories as bf
from onetrip.catalog.models import DataType, FormField, ImmutableVersionError, VersionStatus
from onetrip.catalog.services import item_version_new_draft, item_version_publish
from onetrip.catalog.tests import factories as f
from onetrip.core.errors import Conflict, DomainError
from onetrip.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def codes(exc: DomainError) -> set[str]:
    return {e.code for e in exc.errors}


@pytest.fixture
def items():
    d1, d2 = f.make_department(), f.make_department()
    return [
        f.make_published_item(department=d1),
        f.make_published_item(department=d1),
        f.make_published_item(department=d2),
    ]


def test_publish_pins_members_and_stores_the_computed_snapshot(items):
    version = bf.make_bundle(
        items=items,
        optional=["m3"],
        edges=[("m1", "m2")],
        stated_materials_before=317,
        stated_materials_after=167,
    )
    published = services.bundle_version_publish(version=version)
    assert published.status == VersionStatus.PUBLISHED
    members = list(published.bundlemembers.order_by("order"))
    assert [m.item_version_id for m in members] == [i.current_version_id for i in items]
    snap = published.computed
    # every factory item has person.name, person.id_number, person.phone + one item-specific field
    assert snap["form"]["fields_before"] == 12
    assert snap["form"]["fields_after"] == 6
    # 3 × (application form, ID e-licence, power of attorney) → form, ID, power of attorney
    assert snap["materials"]["before"] == 9 and snap["materials"]["distinct"] == 3
    assert snap["materials"]["duplication_rate"] == "66.67"
    assert snap["materials"]["after"] == 2  # the ID card comes from the e-licence
    # promised 5 working days each: m1 → m2 serial (10), m3 parallel (5)
    assert snap["limit"]["critical_days"] == "10" and snap["limit"]["sum_days"] == "15"
    stated = {x["measure"]: x for x in snap["figures"]["stated"]}
    assert stated["materials"]["rate"] == "47.32"
    bundle = published.bundle
    bundle.refresh_from_db()
    assert bundle.is_published and bundle.current_version_id == published.pk
    assert AuditEvent.objects.filter(action="bundles.version_publish", object_id=str(published.pk)).exists()


def test_reading_a_published_snapshot_is_one_query(items, django_assert_num_queries):
    version = bf.make_published_bundle(items=items)
    code = version.bundle.code
    loaded = selectors.published_version(code)
    with django_assert_num_queries(0):
        form = selectors.merged_form(loaded)
        materials = selectors.merged_materials(loaded)
    assert form["fields_after"] == 6 and materials["distinct"] == 3


def test_projections_from_the_published_version(items):
    version = bf.make_published_bundle(items=items, optional=["m3"])
    values = {"person.name": "李四", "person.id_number": "330702199001011234", "person.phone": "13800000000"}
    out = selectors.projections(version, values=values, chosen=["m3"], answers={"agent": "no"})
    assert [len(d.forms) for d in out] == [2, 1]
    assert out[0].forms[0].fields[0].value == "李四"
    with pytest.raises(DomainError) as exc:
        selectors.projections(version, values=values, chosen=["m1"])
    assert codes(exc.value) == {"unknown_optional_member"}


def test_publish_reports_every_problem_at_once_and_changes_nothing(items):
    unpublished = f.make_item()
    version = bf.make_bundle(items=[*items, unpublished], optional=["m2"])
    m1 = version.bundlemembers.get(code="m1")
    services.bundle_member_update(member=m1, depends_on=["m2"])
    services.bundle_member_update(member=version.bundlemembers.get(code="m3"), situation_code="nope")
    # a conflicting definition of person.name in m3's item
    v3 = items[2].current_version
    draft = item_version_new_draft(item=items[2], user=None)
    FormField.objects.filter(version=draft, code="name").update(field_type=DataType.TEXT)
    item_version_publish(version=draft)
    assert v3.pk != draft.pk
    with pytest.raises(DomainError) as exc:
        services.bundle_version_publish(version=version)
    assert codes(exc.value) == {
        "member_not_published",
        "optional_dependency",
        "situation_not_found",
        "conflicting_element",
    }
    fields = {e.field for e in exc.value.errors}
    assert "members.m4.item" in fields and "members.m1.depends_on" in fields
    assert "members.m1.fields.name|members.m3.fields.name" in fields
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT and version.computed == {}
    assert not BundleMember.objects.filter(version=version, item_version__isnull=False).exists()
    assert services.bundle_version_check(version=version)


def test_empty_bundle_cannot_be_published():
    version = bf.make_bundle(items=[])
    with pytest.raises(DomainError) as exc:
        services.bundle_version_publish(version=version)
    assert codes(exc.value) == {"empty_bundle"}


def test_process_cycle_is_refused(items):
    version = bf.make_bundle(items=items)
    with pytest.raises(DomainError) as exc:
        services.bundle_process_set(version=version, edges=[("m1", "m2"), ("m2", "m3"), ("m3", "m1")])
    assert codes(exc.value) == {"process_cycle"}
    with pytest.raises(DomainError) as exc:
        services.bundle_process_set(version=version, edges=[("m1", "zz")])
    assert codes(exc.value) == {"unknown_member"}


def test_stage_cycles_and_unpublished_stages(items):
    phase1 = bf.make_published_bundle(items=items[:1]).bundle
    phase2 = bf.make_published_bundle(items=items[1:2]).bundle
    draft_only = bf.make_bundle(items=items[2:]).bundle
    project = bf.make_bundle(items=[])
    a = services.bundle_stage_add(version=project, code="lixiang", name="立项", stage_bundle=phase1)
    b = services.bundle_stage_add(
        version=project, code="guihua", name="规划许可", stage_bundle=phase2, predecessors=["lixiang"]
    )
    services.bundle_stage_add(
        version=project, code="shigong", name="施工许可", stage_bundle=draft_only, predecessors=["guihua"]
    )
    services.bundle_stage_set_predecessors(stage=a, predecessors=["guihua"])
    with pytest.raises(DomainError) as exc:
        services.bundle_version_publish(version=project)
    assert codes(exc.value) == {"stage_cycle", "stage_not_published"}
    services.bundle_stage_set_predecessors(stage=a, predecessors=[])
    services.bundle_stage_remove(stage=project.bundlestages.get(code="shigong"))
    published = services.bundle_version_publish(version=project)
    assert [s["code"] for s in published.computed["stages"]] == ["lixiang", "guihua"]
    assert published.computed["stages"][1]["predecessors"] == ["lixiang"]
    assert b.__class__.objects.get(pk=b.pk).stage_version_id == phase2.current_version_id
    with pytest.raises(DomainError) as exc:
        services.bundle_stage_add(version=project, code="self", name="自身", stage_bundle=project.bundle)
    assert "version_not_editable" in codes(exc.value)


def test_bundle_used_as_its_own_stage_is_refused():
    version = bf.make_bundle(items=[])
    with pytest.raises(DomainError) as exc:
        services.bundle_stage_add(version=version, code="x", name="自身", stage_bundle=version.bundle)
    assert codes(exc.value) == {"stage_cycle"}


def test_published_version_is_immutable(items):
    version = bf.make_published_bundle(items=items)
    version.name = "改名"
    with pytest.raises(ImmutableVersionError):
        version.save()
    member = version.bundlemembers.first()
    member.optional = True
    with pytest.raises(ImmutableVersionError):
        member.save()
    with pytest.raises(ImmutableVersionError):
        member.delete()
    with pytest.raises(Conflict) as exc:
        services.bundle_member_add(version=version, item=f.make_published_item())
    assert codes(exc.value) == {"version_not_editable"}
    with pytest.raises(Conflict):
        services.bundle_version_update(version=version, data={"name": "改名"})


def test_new_draft_copies_members_and_picks_up_newer_item_versions(items):
    v1 = bf.make_published_bundle(items=items, optional=["m3"], edges=[("m1", "m2")])
    newer = item_version_new_draft(item=items[0], user=None)
    item_version_publish(version=newer)
    v2 = services.bundle_version_new_draft(bundle=v1.bundle)
    assert v2.version == 2 and v2.status == VersionStatus.DRAFT and v2.computed == {}
    assert [(m.code, m.optional, m.item_version_id) for m in v2.bundlemembers.order_by("order")] == [
        ("m1", False, None),
        ("m2", False, None),
        ("m3", True, None),
    ]
    assert selectors.version_edges(v2) == [("m1", "m2")]
    with pytest.raises(Conflict) as exc:
        services.bundle_version_new_draft(bundle=v1.bundle)
    assert codes(exc.value) == {"draft_exists"}
    services.bundle_version_submit(version=v2)
    v2 = services.bundle_version_publish(version=v2, require_review=True)
    v1.refresh_from_db()
    assert v1.status == VersionStatus.RETIRED
    assert v2.bundlemembers.get(code="m1").item_version_id == newer.pk
    assert v1.bundlemembers.get(code="m1").item_version_id != newer.pk  # the old version keeps its pin


def test_draft_preview_matches_what_publishing_stores(items):
    version = bf.make_bundle(items=[*items, f.make_item()])
    snap = selectors.computed(version)
    assert snap["unresolved"] == ["m4"]
    assert snap["form"]["fields_after"] == 6


def test_create_validation_and_duplicates():
    dept = f.make_department()
    with pytest.raises(DomainError) as exc:
        services.bundle_create(code="bad code", name="", kind="x", lead_department=dept, themes=["nope"])
    assert codes(exc.value) == {"invalid_code", "required", "invalid_kind", "unknown_theme"}
    services.bundle_create(
        code="retire", name="退休一件事", kind="many_depts_many_items", lead_department=dept
    )
    with pytest.raises(Conflict) as exc:
        services.bundle_create(code="retire", name="退休", kind="many_depts_many_items", lead_department=dept)
    assert codes(exc.value) == {"duplicate_code"}


def test_member_add_validation(items):
    version = bf.make_bundle(items=items[:1])
    with pytest.raises(DomainError) as exc:
        services.bundle_member_add(version=version, item=items[0], code="m1", depends_on=["zz"])
    assert codes(exc.value) == {"duplicate_member", "unknown_member"}
    member = services.bundle_member_add(version=version, item=items[1], depends_on=["m1"])
    assert member.code == "m2" and [d.code for d in member.depends_on.all()] == ["m1"]
    services.bundle_member_remove(member=version.bundlemembers.get(code="m1"))
    assert list(version.bundlemembers.values_list("code", flat=True)) == ["m2"]
    assert not member.depends_on.exists()


def test_retire_and_sync(items):
    version = bf.make_published_bundle(items=items)
    services.bundle_version_retire(version=version)
    version.bundle.refresh_from_db()
    assert not version.bundle.is_published and version.bundle.current_version is None
    with pytest.raises(Conflict) as exc:
        services.bundle_version_retire(version=version)
    assert codes(exc.value) == {"version_not_published"}


def test_require_review_and_update(items):
    version = bf.make_bundle(items=items)
    with pytest.raises(Conflict) as exc:
        services.bundle_version_publish(version=version, require_review=True)
    assert codes(exc.value) == {"version_not_in_review"}
    theme = f.make_theme()
    services.bundle_version_update(
        version=version, data={"themes": [theme.code], "stated_trips_before": 5, "stated_trips_after": 0}
    )
    with pytest.raises(DomainError) as exc:
        services.bundle_version_update(version=version, data={"stated_trips_before": -1, "bogus": 1})
    assert codes(exc.value) == {"invalid_number", "unknown_field"}
    published = services.bundle_version_publish(version=version)
    trips = next(x for x in published.computed["figures"]["stated"] if x["measure"] == "trips")
    assert trips == {"measure": "trips", "before": 5, "after": 0, "reduction": 5, "rate": "100.00"}
    assert list(BundleVersion.objects.get(pk=version.pk).themes.values_list("code", flat=True)) == [
        theme.code
    ]
    assert Decimal(published.computed["limit"]["critical_days"]) == Decimal(5)
