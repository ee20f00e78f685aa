"""Builders for intake tests (usable from any app's tests; need the database).

    from onetrip.intake.tests import factories as itf

    item = itf.make_intake_item()                  # published item, materials below
    applicant = itf.make_applicant()               # citizen with a valid ID number and phone
    app = itf.make_draft_application(applicant=applicant, item=item)   # complete, ready to submit
    case = itf.make_submitted_case()               # Case in status submitted (online, no number yet)
    clerk = itf.make_clerk(region=case.region)     # clerk role scoped to the case's region

`make_intake_item` publishes the catalogue's complete guide (see catalog/tests/factories.py) plus one more
material, so it has:
- `application` 申请表: key, uploaded by the applicant;
- `id_card` 居民身份证: key, from the e-licence library (not asked: 三不提交);
- `power_of_attorney` 授权委托书: non-key, 容缺-able, only in situation `agent` (answer agent=yes);
- `household_register` 户口簿: non-key, 容缺-able, every situation (the one to leave out for 容缺受理);
- `site_photo` 现场照片: non-key, NOT 容缺-able, every situation.
Form fields: person.name, person.id_number, person.phone (required), `reason` (optional text).
`make_draft_application(..., complete=True)` answers agent=no, fills the form and uploads `application`,
`site_photo`; `household_register` stays missing unless `upload_all=True`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from onetrip.bundles.models import BundleVersion
from onetrip.bundles.tests import factories as bf
from onetrip.catalog.models import Item, Material, MaterialKind, MaterialNecessity, MaterialSource
from onetrip.catalog.tests import factories as f
from onetrip.intake.models import Application, Case, Channel
from onetrip.orgs.models import (
    ApplicantKind,
    Department,
    HallDepartment,
    Region,
    Role,
    RoleAssignment,
    ServiceHall,
    User,
    Window,
)

_seq = itertools.count(1)

# Minimal files whose content passes the upload check (magic bytes).
PDF_BYTES = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002"
    "00000500010d0a2db40000000049454e44ae426082"
)
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def make_id_number(*, birth: str = "19900307", region: str = "330102", male: bool = True) -> str:
    """A valid 18-digit resident ID number (stdnum.cn.ric check digit), unique per call."""
    from stdnum.cn import ric

    n = next(_seq) % 500
    seq = n * 2 + (1 if male else 0)  # the 17th digit is odd for men
    body = f"{region}{birth}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")  # the function expects a placeholder check digit


def make_applicant(
    *,
    kind: str = ApplicantKind.CITIZEN,
    display_name: str | None = None,
    id_number: str | None = None,
    phone: str = "13800138000",
    **fields: Any,
) -> User:
    """An applicant user (role applicant) with a valid ID number; a company one also has a USCC and name."""
    n = next(_seq)
    if kind != ApplicantKind.CITIZEN:
        fields.setdefault("organisation_code", f.make_uscc(serial=900000 + n))
        fields.setdefault("organisation_name", f"测试有限公司{n}")
    user = f.make_user(
        username=fields.pop("username", None) or f"applicant{n}",
        display_name=display_name or f"申请人{n}",
        id_number=id_number or make_id_number(),
        phone=phone,
        applicant_kind=kind,
        **fields,
    )
    RoleAssignment.objects.create(user=user, role=Role.APPLICANT)
    return user


def station_departments(hall: ServiceHall, *, region: Region | None = None) -> ServiceHall:
    """Station in `hall` (进驻部门) every department that exists now in `region` (default: the hall's) and
    below; call it again after creating more departments."""
    region = region or hall.region
    departments = Department.objects.filter(region__code__startswith=region.prefix)
    HallDepartment.objects.bulk_create(
        [HallDepartment(hall=hall, department=d) for d in departments], ignore_conflicts=True
    )
    return hall


def make_clerk(*, region: Region | None = None, window: Window | None = None) -> User:
    """A window clerk (综合窗口) of `region`'s hall, where every department existing now in the region and
    below is stationed (进驻); without region or window, of a new county whose hall hosts none of the other
    factories' departments (an outsider). With `window`, posted at it (its hall's stationing is left as is)."""
    user = f.make_user(display_name=f"窗口人员{next(_seq)}")
    if window is None and region is None:
        # A county of its own: the catalogue factories' regions all share the prefix 330000.
        region = f.make_region(code=f"35{next(_seq) % 10000:04d}000000")
    if window is None and region is not None:
        hall = ServiceHall.objects.filter(region=region).first() or ServiceHall.objects.create(
            name=f"{region.name}政务服务中心", region=region
        )
        station_departments(hall)
    RoleAssignment.objects.create(user=user, role=Role.CLERK, region=region, window=window)
    return user


def add_intake_materials(version: Any) -> None:
    """Add `household_register` (non-key, 容缺-able) and `site_photo` (non-key) to a draft version."""
    basis = f.make_legal_reference(article="第三十条")
    household = Material.objects.create(
        version=version,
        order=4,
        code="household_register",
        name="户口簿",
        kind=MaterialKind.COPY,
        necessity=MaterialNecessity.NON_KEY,
        deficiency_allowed=True,
        source=MaterialSource.APPLICANT,
        paper_copies=1,
    )
    photo = Material.objects.create(
        version=version,
        order=5,
        code="site_photo",
        name="现场照片",
        kind=MaterialKind.ORIGINAL,
        necessity=MaterialNecessity.NON_KEY,
        deficiency_allowed=False,
        source=MaterialSource.APPLICANT,
    )
    household.legal_basis.add(basis)
    photo.legal_basis.add(basis)


def make_intake_item(*, department: Department | None = None, **item_kwargs: Any) -> Item:
    """A published item with the materials listed in the module docstring."""
    from onetrip.catalog.services import item_version_publish

    version = f.make_complete_draft(department=department, **item_kwargs)
    add_intake_materials(version)
    item_version_publish(version=version)
    version.item.refresh_from_db()
    return version.item


def make_intake_bundle(
    *, members: int = 2, optional: Sequence[str] = (), lead_department: Department | None = None
) -> BundleVersion:
    """A published bundle of `members` intake items (m1, m2, …), each from its own department."""
    items = [make_intake_item() for _ in range(members)]
    return bf.make_published_bundle(items=items, optional=list(optional), lead_department=lead_department)


def complete_form(applicant: User) -> dict[str, Any]:
    return {
        "person.name": applicant.display_name,
        "person.id_number": applicant.id_number,
        "person.phone": applicant.phone or "13800138000",
    }


def make_draft_application(
    *,
    applicant: User | None = None,
    item: Item | None = None,
    bundle: BundleVersion | None = None,
    channel: str = Channel.ONLINE,
    entered_by: User | None = None,
    complete: bool = True,
    upload_all: bool = False,
) -> Application:
    """A draft application through the services; `complete` answers, fills and uploads (see docstring)."""
    from onetrip.intake.services.application import (
        application_material_upload,
        application_save,
        application_start,
    )

    applicant = applicant or make_applicant()
    if bundle is None and item is None:
        item = make_intake_item()
    if channel == Channel.WINDOW and entered_by is None:
        region = item.department.region if item else bundle.lead_department.region  # type: ignore[union-attr]
        entered_by = make_clerk(region=region)
    application = application_start(
        applicant=applicant,
        item=item,
        bundle=bundle.bundle if bundle is not None else None,
        channel=channel,
        entered_by=entered_by,
    )
    if not complete:
        return application
    from onetrip.intake.checklist import checklist_for

    answers = {q.key: "no" for q in _questions(application)}
    result = application_save(
        application=application,
        revision=application.revision,
        form_data=complete_form(applicant),
        answers=answers,
    )
    application = result.application
    for entry in checklist_for(application=application):
        if not entry.asked:
            continue
        if upload_all or entry.key.endswith(("application", "site_photo")) or entry.key.startswith("merged"):
            application_material_upload(
                application=application,
                key=entry.key,
                data=PDF_BYTES + str(next(_seq)).encode(),
                declared_name=f"{entry.name}.pdf",
                actor=entered_by or applicant,
            )
    application.refresh_from_db()
    return application


def _questions(application: Application) -> list[Any]:
    from onetrip.intake.formspec import form_definition

    return list(form_definition(application=application).questions)


def make_submitted_case(
    *,
    applicant: User | None = None,
    item: Item | None = None,
    bundle: BundleVersion | None = None,
    channel: str = Channel.ONLINE,
    upload_all: bool = False,
    idempotency_key: str | None = None,
) -> Case:
    """A submitted case (status submitted, no number yet) from a complete draft."""
    from onetrip.intake.services.application import application_submit

    application = make_draft_application(
        applicant=applicant, item=item, bundle=bundle, channel=channel, upload_all=upload_all
    )
    actor = application.entered_by or application.applicant
    return application_submit(
        application=application,
        idempotency_key=idempotency_key or f"factory-key-{next(_seq):06d}",
        actor=actor,
    )
