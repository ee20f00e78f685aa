"""Load the demo data, idempotently: every row is keyed by a stable code (region code, department code,
window number, theme code, data-element code, law name + article, username, implementation code) and only
missing rows are created, so a second run changes nothing and says so.

Items go through the catalogue services (item_create → item_version_update → item_version_publish, which
runs the guide linter); situations, materials, steps and transitions, for which the services have no
writer, are bulk-created on the draft before it is published. Everything runs in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction

from onetrip.bundles import services as bundle_services
from onetrip.bundles.models import Bundle
from onetrip.catalog import services as catalog_services
from onetrip.catalog.codes import implementation_code
from onetrip.catalog.models import (
    DataElement,
    HandlingForm,
    Item,
    ItemVersion,
    Law,
    LegalReference,
    Material,
    ProcessStep,
    ProcessTransition,
    Situation,
    SituationQuestion,
    StepKind,
    Theme,
)
from onetrip.demo.bundles import BUNDLES, BundleSpec
from onetrip.demo.dictionary import DATA_ELEMENTS, LAWS, THEMES
from onetrip.demo.items import ITEMS
from onetrip.demo.organisations import DEPARTMENTS, HALL, REGIONS, WINDOWS
from onetrip.demo.people import DEMO_PASSWORD, USERS, UserSpec
from onetrip.demo.spec import Fld, ItemSpec, Ref
from onetrip.orgs.models import Department, Region, RoleAssignment, ServiceHall, User, Window
from onetrip.orgs.services import hall_departments_set
from onetrip.sharing.demo import sharing_demo_load

CONSULTATION = "咨询电话：12345；浙江政务服务网、浙里办“在线咨询”"
COMPLAINT = "12345政务服务热线；浙江政务服务网“好差评”；莲都区跑改办效能监督"


@dataclass
class Count:
    label: str
    total: int = 0
    created: int = 0


@dataclass
class DemoSummary:
    counts: list[Count] = field(default_factory=list)
    logins: list[tuple[str, str, str, str]] = field(default_factory=list)  # username, name, roles, note

    @property
    def changed(self) -> bool:
        return any(c.created for c in self.counts)


@transaction.atomic
def load_demo() -> DemoSummary:
    summary = DemoSummary()
    regions = _regions(summary)
    departments = _departments(summary, regions)
    windows = _hall(summary, regions, departments)
    _themes(summary)
    elements = _elements(summary)
    references = _laws(summary)
    users = _users(summary, regions, departments, windows)
    # Shared records, sources and e-licences of the demo people (needs the departments and data elements).
    summary.counts += [Count(label, total, created) for label, total, created in sharing_demo_load().counts]
    _items(summary, departments, elements, references, users["shixiang"])
    _bundles(summary, departments, users["shixiang"])
    return summary


def load_demo_activity(summary: DemoSummary) -> DemoSummary:
    """What happens on the demo catalogue: notification settings, alert rules, about forty cases over the
    past two months through the real services (some late, some still open), a supervision order and
    deputies' suggestions, ratings with a rectification; then one supervision sweep and one rollup, so the
    warning board and the dashboard show figures at once. Each part is idempotent."""
    from onetrip.core import clock
    from onetrip.notify.demo import notify_demo_load
    from onetrip.orders.demo import orders_demo_load
    from onetrip.ratings.demo import ratings_demo_load
    from onetrip.stats.demo import stats_demo_load
    from onetrip.stats.services import stats_rollup
    from onetrip.supervision.demo import supervision_demo_load
    from onetrip.supervision.services import supervision_sweep

    summary.counts += [
        Count(label, total, created) for label, total, created in supervision_demo_load().counts
    ]
    history = stats_demo_load()
    summary.counts.append(Count("演示办件", history.created + history.skipped, history.created))
    # Notifications last: every demo user (including the ones the parts above add) gets the welcome message.
    for part in (orders_demo_load(), ratings_demo_load(), notify_demo_load()):
        summary.counts += [Count(label, total, created) for label, total, created in part.counts]
    summary.logins += [
        ("daibiao1", "王建平", "人大代表", "结对监督市场监管、人社事项，提建议"),
        ("daibiao2", "林秀英", "人大代表", "结对监督税务、残联事项，提建议"),
    ]
    supervision_sweep(now=clock.now())
    stats_rollup()
    return summary


# ------------------------------------------------------------------------------------------ organisations


def _regions(summary: DemoSummary) -> dict[str, Region]:
    existing = {r.code: r for r in Region.objects.filter(code__in=[s.code for s in REGIONS])}
    created = 0
    for level in sorted({s.level for s in REGIONS}):  # parents before children
        new = [
            Region(code=s.code, name=s.name, level=s.level, parent=existing.get(s.parent or ""))
            for s in REGIONS
            if s.level == level and s.code not in existing
        ]
        for region in Region.objects.bulk_create(new):
            existing[region.code] = region
        created += len(new)
    summary.counts.append(Count("行政区划", len(REGIONS), created))
    return existing


def _departments(summary: DemoSummary, regions: dict[str, Region]) -> dict[str, Department]:
    existing = {d.code: d for d in Department.objects.filter(code__in=[s.code for s in DEPARTMENTS])}
    created = 0
    for with_parent in (False, True):
        new = [
            Department(
                code=s.code,
                name=s.name,
                short_name=s.short_name,
                uscc=s.uscc,
                level=s.level,
                region=regions[s.region],
                parent=existing.get(s.parent or ""),
                responsibilities=s.responsibilities,
            )
            for s in DEPARTMENTS
            if (s.parent is not None) == with_parent and s.code not in existing
        ]
        for dept in Department.objects.bulk_create(new):
            existing[dept.code] = dept
        created += len(new)
    summary.counts.append(Count("部门", len(DEPARTMENTS), created))
    return existing


def _hall(
    summary: DemoSummary, regions: dict[str, Region], departments: dict[str, Department]
) -> dict[str, Window]:
    hall, hall_created = ServiceHall.objects.get_or_create(
        name=HALL.name,
        region=regions[HALL.region],
        defaults={"address": HALL.address, "opening_hours": HALL.opening_hours, "phone": HALL.phone},
    )
    summary.counts.append(Count("办事大厅", 1, int(hall_created)))
    # Station what the spec lists, keeping whatever an admin added since (a re-load never removes).
    before = set(hall.departments.all())
    stationed = before | {departments[code] for code in HALL.stationed}
    hall_departments_set(hall=hall, departments=sorted(stationed, key=lambda d: d.code), actor=None)
    summary.counts.append(Count("进驻部门", len(stationed), len(stationed) - len(before)))
    existing = {w.number: w for w in Window.objects.filter(hall=hall)}
    new = [
        Window(
            hall=hall,
            number=s.number,
            name=s.name,
            category=s.category,
            department=departments[s.department] if s.department else None,
        )
        for s in WINDOWS
        if s.number not in existing
    ]
    for window in Window.objects.bulk_create(new):
        existing[window.number] = window
    summary.counts.append(Count("窗口", len(WINDOWS), len(new)))
    return existing


# ----------------------------------------------------------------------------- themes, dictionary, laws


def _themes(summary: DemoSummary) -> None:
    existing = set(Theme.objects.filter(code__in=[t.code for t in THEMES]).values_list("code", flat=True))
    new = [
        Theme(code=t.code, name=t.name, audience=t.audience, order=t.order)
        for t in THEMES
        if t.code not in existing
    ]
    Theme.objects.bulk_create(new)
    summary.counts.append(Count("主题", len(THEMES), len(new)))


def _elements(summary: DemoSummary) -> dict[str, DataElement]:
    existing = {e.code: e for e in DataElement.objects.filter(code__in=[s.code for s in DATA_ELEMENTS])}
    new = [
        DataElement(
            code=s.code,
            name=s.name,
            data_type=s.data_type,
            max_length=s.max_length,
            options=[{"value": v, "label": label} for v, label in s.options],
            description=s.description,
            sensitivity=s.sensitivity,
        )
        for s in DATA_ELEMENTS
        if s.code not in existing
    ]
    for element in DataElement.objects.bulk_create(new):
        existing[element.code] = element
    summary.counts.append(Count("数据元", len(DATA_ELEMENTS), len(new)))
    return existing


def _laws(summary: DemoSummary) -> dict[Ref, LegalReference]:
    laws = {law.name: law for law in Law.objects.filter(name__in=[s.name for s in LAWS])}
    new_laws = [
        Law(name=s.name, issuer=s.issuer, effective_date=s.effective) for s in LAWS if s.name not in laws
    ]
    for law in Law.objects.bulk_create(new_laws):
        laws[law.name] = law
    summary.counts.append(Count("法律法规", len(LAWS), len(new_laws)))

    # Every article the items cite, plus the articles listed with each law.
    wanted: dict[Ref, str] = {}
    by_key = {s.key: s for s in LAWS}
    for s in LAWS:
        for article, excerpt in s.articles.items():
            wanted[(s.key, article)] = excerpt
    for spec in ITEMS:
        for ref in (*spec.basis, *(r for m in spec.materials for r in m.basis)):
            wanted.setdefault(ref, by_key[ref[0]].articles.get(ref[1], ""))
    law_of = {key: laws[s.name] for key, s in by_key.items()}
    existing: dict[Ref, LegalReference] = {}
    stored = LegalReference.objects.filter(law__in=list(law_of.values())).select_related("law")
    key_of = {law.pk: key for key, law in law_of.items()}
    for ref in stored:
        existing.setdefault((key_of[ref.law_id], ref.article), ref)
    new = [
        LegalReference(law=law_of[key], article=article, excerpt=excerpt)
        for (key, article), excerpt in wanted.items()
        if (key, article) not in existing
    ]
    for ref in LegalReference.objects.bulk_create(new):
        existing[(key_of[ref.law_id], ref.article)] = ref
    summary.counts.append(Count("法律依据条款", len(wanted), len(new)))
    return existing


# ------------------------------------------------------------------------------------------------- users


def _users(
    summary: DemoSummary,
    regions: dict[str, Region],
    departments: dict[str, Department],
    windows: dict[str, Window],
) -> dict[str, User]:
    existing = {u.username: u for u in User.objects.filter(username__in=[s.username for s in USERS])}
    missing = [s for s in USERS if s.username not in existing]
    if missing:
        password = make_password(DEMO_PASSWORD)  # one hash (PBKDF2 is slow by design) shared by all
        new = [_user(s, password) for s in missing]
        for user in User.objects.bulk_create(new):
            existing[user.username] = user
    summary.counts.append(Count("用户", len(USERS), len(missing)))

    have = set(
        RoleAssignment.objects.filter(user__in=list(existing.values())).values_list(
            "user_id", "role", "department_id", "region_id"
        )
    )
    grants = []
    for s in USERS:
        user = existing[s.username]
        for g in s.grants:
            dept = departments[g.department] if g.department else None
            region = regions[g.region] if g.region else None
            key = (user.pk, str(g.role), dept.pk if dept else None, region.pk if region else None)
            if key not in have:
                window = windows[g.window] if g.window else None
                grants.append(
                    RoleAssignment(user=user, role=g.role, department=dept, region=region, window=window)
                )
    RoleAssignment.objects.bulk_create(grants)
    summary.counts.append(Count("角色授权", sum(len(s.grants) for s in USERS), len(grants)))
    for s in USERS:
        roles = "、".join(str(g.role.label) if hasattr(g.role, "label") else g.role for g in s.grants)
        summary.logins.append((s.username, s.display_name, roles, s.note))
    return existing


def _user(s: UserSpec, password: str) -> User:
    return User(
        username=s.username,
        password=password,
        display_name=s.display_name,
        is_staff=s.staff or s.superuser,
        is_superuser=s.superuser,
        applicant_kind=s.applicant_kind,
        id_number=s.id_number,
        phone=s.phone,
        organisation_code=s.organisation_code,
        organisation_name=s.organisation_name,
    )


# ------------------------------------------------------------------------------------------------- items


def _items(
    summary: DemoSummary,
    departments: dict[str, Department],
    elements: dict[str, DataElement],
    references: dict[Ref, LegalReference],
    author: User,
) -> None:
    def code_of(spec: ItemSpec) -> str:
        dept = departments[spec.dept]
        return implementation_code(department_uscc=dept.uscc, level=dept.level, basic_code=spec.basic_code)

    existing = {
        i.implementation_code: i
        for i in Item.objects.filter(implementation_code__in=[code_of(s) for s in ITEMS])
    }
    by_basic = {s.basic_code: s for s in ITEMS}
    created = 0
    for spec in ITEMS:
        if code_of(spec) in existing:
            continue
        parent = existing[code_of(by_basic[spec.parent])] if spec.parent else None
        item = _create_item(spec, parent, departments, elements, references, author)
        existing[item.implementation_code] = item
        created += 1
    summary.counts.append(Count("事项（已发布）", len(ITEMS), created))


def _create_item(
    spec: ItemSpec,
    parent: Item | None,
    departments: dict[str, Department],
    elements: dict[str, DataElement],
    references: dict[Ref, LegalReference],
    author: User,
) -> Item:
    dept = departments[spec.dept]
    item = catalog_services.item_create(
        department=dept,
        basic_code=spec.basic_code,
        item_type=spec.item_type,
        name=spec.name,
        parent=parent,
        user=author,
    )
    version = ItemVersion.objects.get(item=item, version=1)
    catalog_services.item_version_update(
        version=version, data=_guide_data(spec, departments, references), user=author
    )
    _create_parts(version, spec, dept, departments, elements, references)
    catalog_services.item_version_publish(version=version, user=author)
    item.refresh_from_db()
    return item


def _guide_data(
    spec: ItemSpec, departments: dict[str, Department], references: dict[Ref, LegalReference]
) -> dict[str, Any]:
    online = HandlingForm.ONLINE in spec.forms
    # Online depth: 4 = fully online (zero trips), 3 = online with one visit; offline items keep their own.
    depth = (4 if spec.trips == 0 else 3) if online else spec.depth
    places = []
    if HandlingForm.WINDOW in spec.forms:
        places.append(f"{HALL.name}综合受理窗口")
    if online or HandlingForm.MOBILE in spec.forms:
        places.append("浙江政务服务网、浙里办")
    step_names = [s.name for s in spec.process.steps if s.kind == StepKind.TASK]
    data: dict[str, Any] = {
        "power_source": spec.power_source,
        "legal_basis": [references[r].pk for r in spec.basis],
        "joint_departments": [departments[c].pk for c in spec.joint],
        "service_objects": list(spec.objects),
        "handling_kind": spec.kind,
        "acceptance_conditions": spec.conditions,
        "procedure": spec.procedure or "→".join(step_names),
        "handling_forms": list(spec.forms),
        "place": "；".join(places),
        "hours": HALL.opening_hours,
        "statutory_limit": spec.statutory[0] if spec.statutory else None,
        "statutory_limit_note": spec.statutory_note or ("" if spec.statutory else "法律法规未规定办理时限"),
        "promised_limit": spec.promised[0] if spec.promised else None,
        "promised_limit_note": spec.promised_note,
        "trips": spec.trips,
        "fee_required": False,
        "fee_basis": spec.fee_basis or "不收费",
        "special_procedures": list(spec.special_procedures),
        "result_type": spec.result[0],
        "result_name": spec.result[1],
        "online_depth": depth,
        "post_delivery": spec.post_delivery,
        "online_payment": False,
        "appointment": spec.appointment,
        "service_scope": spec.scope,
        "themes": list(spec.themes),
        "consultation": CONSULTATION,
        "complaint": COMPLAINT,
        "form_fields": [_form_field(f) for f in spec.fields],
    }
    if spec.statutory:
        data["statutory_limit_unit"] = spec.statutory[1]
    if spec.promised:
        data["promised_limit_unit"] = spec.promised[1]
    return data


def _form_field(f: str | Fld) -> dict[str, Any]:
    if isinstance(f, str):
        return {"code": f, "data_element": f}
    return {
        "code": f.code,
        "label": f.label,
        "field_type": f.field_type,
        "data_element": f.element,
        "subject": f.subject,
        "required": f.required,
        "options": [{"value": v, "label": label} for v, label in f.options],
    }


def _create_parts(
    version: ItemVersion,
    spec: ItemSpec,
    dept: Department,
    departments: dict[str, Department],
    elements: dict[str, DataElement],
    references: dict[Ref, LegalReference],
) -> None:
    SituationQuestion.objects.bulk_create(
        SituationQuestion(
            version=version,
            order=i,
            code=q.code,
            text=q.text,
            options=[{"value": v, "label": label} for v, label in q.options],
        )
        for i, q in enumerate(spec.questions, 1)
    )
    situations = {
        s.code: s
        for s in Situation.objects.bulk_create(
            Situation(
                version=version,
                order=i,
                code=s.code,
                name=s.name,
                description=s.description,
                conditions={q: list(values) for q, values in s.conditions},
            )
            for i, s in enumerate(spec.situations, 1)
        )
    }
    materials = Material.objects.bulk_create(
        Material(
            version=version,
            order=i,
            code=m.code,
            name=m.name,
            kind=m.kind,
            necessity=m.necessity,
            deficiency_allowed=m.deficiency,
            source=m.source,
            source_note=m.source_note,
            licence_type=m.licence_type,
            paper_copies=m.copies,
            paper_size="A4" if m.copies else "",
            blank_form=m.blank_form,
            filling_notes=m.notes,
            acceptance_standard=m.standard,
        )
        for i, m in enumerate(spec.materials, 1)
    )
    basis_links, situation_links, element_links = [], [], []
    for material, m in zip(materials, spec.materials, strict=True):
        for ref in m.basis or spec.basis[:1]:
            basis_links.append(
                Material.legal_basis.through(material_id=material.pk, legalreference_id=references[ref].pk)
            )
        for code in m.situations:
            situation_links.append(
                Material.situations.through(material_id=material.pk, situation_id=situations[code].pk)
            )
        for code in m.elements:
            element_links.append(
                Material.data_elements.through(material_id=material.pk, dataelement_id=elements[code].pk)
            )
    Material.legal_basis.through.objects.bulk_create(basis_links)
    Material.situations.through.objects.bulk_create(situation_links)
    Material.data_elements.through.objects.bulk_create(element_links)

    steps = {
        s.code: s
        for s in ProcessStep.objects.bulk_create(
            ProcessStep(
                version=version,
                order=i,
                code=s.code,
                name=s.name,
                kind=s.kind,
                department=(departments[s.dept] if s.dept else dept) if s.kind == StepKind.TASK else None,
                role=s.role,
                limit=s.limit,
                limit_unit=s.unit,
                countersign=s.countersign,
                timeout_policy=s.timeout,
            )
            for i, s in enumerate(spec.process.steps, 1)
        )
    }
    ProcessTransition.objects.bulk_create(
        ProcessTransition(version=version, order=i, source=steps[a], target=steps[b])
        for i, (a, b) in enumerate(spec.process.edges, 1)
    )


# ----------------------------------------------------------------------------------------------- bundles


def _bundles(summary: DemoSummary, departments: dict[str, Department], author: User) -> None:
    """Each one-thing through the bundle services (create → members → process → publish, which validates
    and stores the merged form, materials, limit and figures); bundles already there are left alone."""
    existing = set(Bundle.objects.filter(code__in=[b.code for b in BUNDLES]).values_list("code", flat=True))
    by_basic = {s.basic_code: s for s in ITEMS}
    wanted = {m.item for b in BUNDLES if b.code not in existing for m in b.members}
    codes = {
        basic: implementation_code(
            department_uscc=departments[by_basic[basic].dept].uscc,
            level=departments[by_basic[basic].dept].level,
            basic_code=basic,
        )
        for basic in wanted
    }
    items = {i.implementation_code: i for i in Item.objects.filter(implementation_code__in=codes.values())}
    created = 0
    for spec in BUNDLES:
        if spec.code in existing:
            continue
        _create_bundle(spec, departments, {b: items[c] for b, c in codes.items()}, author)
        created += 1
    summary.counts.append(Count("一件事（已发布）", len(BUNDLES), created))


def _create_bundle(
    spec: BundleSpec, departments: dict[str, Department], items: dict[str, Item], author: User
) -> None:
    bundle = bundle_services.bundle_create(
        code=spec.code,
        name=spec.name,
        kind=spec.kind,
        lead_department=departments[spec.lead],
        description=spec.description,
        themes=spec.themes,
        service_objects=spec.objects,
        user=author,
    )
    version = bundle.versions.get(version=1)
    stated = spec.stated
    figures: dict[str, Any] = {"stated_note": stated.note, "stated_limit_unit": stated.limit_unit}
    for measure in ("trips", "materials", "fields", "steps", "limit"):
        before, after = getattr(stated, measure)
        figures[f"stated_{measure}_before"] = before
        figures[f"stated_{measure}_after"] = after
    bundle_services.bundle_version_update(version=version, data=figures, user=author)
    for order, member in enumerate(spec.members, 1):
        bundle_services.bundle_member_add(
            version=version,
            item=items[member.item],
            code=member.code,
            situation_code=member.situation,
            optional=member.optional,
            depends_on=member.depends_on,
            order=order,
            user=author,
        )
    if spec.edges:
        bundle_services.bundle_process_set(version=version, edges=spec.edges, user=author)
    bundle_services.bundle_version_publish(version=version, user=author)
