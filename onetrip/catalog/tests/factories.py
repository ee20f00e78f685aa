"""Plain factory functions for catalogue tests (usable from any app's tests).

All functions need a database (`@pytest.mark.django_db` or the `db` fixture) and take keyword arguments
only. Every call makes fresh, unique codes, so tests can call them repeatedly.

    from onetrip.catalog.tests import factories as f

    dept = f.make_department()                       # a county-level department with a valid USCC
    item = f.make_item(department=dept)              # Item + empty draft ItemVersion v1 (not lint-clean)
    version = f.make_complete_draft(department=dept) # Item + draft v1 that passes the guide linter
    item = f.make_published_item()                   # the same, published through the services
    version.item, version.situations.all(), version.materials.all(), version.processsteps.all() ...

`make_complete_draft` builds: legal basis (a Law with an article), one theme, a situation question
(`agent`: 本人办理 / 委托代理人办理) with two situations (`self`, `agent`), three materials (an application
form, an ID card copy from shared data, and a power of attorney for the `agent` situation — non-key and
容缺-able), form fields bound to data elements `person.name`, `person.id_number`, `person.phone` plus one
item-specific field, and the process start → accept (受理) → review (审核) → decide (审批) → end, every task
step with the implementing department.
"""

from __future__ import annotations

import itertools
from typing import Any

from stdnum.cn import uscc as uscc_mod

from onetrip.catalog.codes import implementation_code
from onetrip.catalog.models import (
    DataElement,
    DataType,
    FormField,
    HandlingForm,
    HandlingKind,
    Item,
    ItemType,
    ItemVersion,
    Law,
    LegalReference,
    LimitUnit,
    Material,
    MaterialKind,
    MaterialNecessity,
    MaterialSource,
    ProcessStep,
    ProcessTransition,
    ServiceObject,
    Situation,
    SituationQuestion,
    StepKind,
    Theme,
    ThemeAudience,
)
from onetrip.orgs.models import Department, DepartmentLevel, Region, RegionLevel, Role, RoleAssignment, User

_seq = itertools.count(1)


def _next() -> int:
    return next(_seq)


def make_uscc(*, serial: int | None = None, region_code: str = "330783") -> str:
    """A valid 18-character USCC of a government body (11 = 机构编制 / 机关) in the given region."""
    n = _next() if serial is None else serial
    body = f"11{region_code}{n:09d}"
    return body + uscc_mod.calc_check_digit(body)


def make_region(
    *, code: str | None = None, name: str | None = None, level: int = RegionLevel.COUNTY
) -> Region:
    n = _next()
    return Region.objects.create(code=code or f"33{n:010d}", name=name or f"测试区划{n}", level=level)


def make_department(
    *,
    name: str | None = None,
    code: str | None = None,
    level: int = DepartmentLevel.COUNTY,
    region: Region | None = None,
    uscc: str | None = None,
) -> Department:
    n = _next()
    return Department.objects.create(
        code=code or f"DEPT{n:05d}",
        name=name or f"测试县第{n}局",
        uscc=uscc or make_uscc(serial=n),
        level=level,
        region=region or make_region(),
    )


def make_basic_code(*, item_type: str = ItemType.LICENSING) -> str:
    """A 12-digit basic code: type prefix + 5-digit main number + 000 + 00."""
    return f"{item_type}{_next():05d}00000"


def make_law(*, name: str | None = None) -> Law:
    return Law.objects.create(name=name or f"测试条例{_next()}", issuer="浙江省人民代表大会常务委员会")


def make_legal_reference(*, law: Law | None = None, article: str = "第十二条") -> LegalReference:
    return LegalReference.objects.create(law=law or make_law(), article=article, excerpt="条文内容。")


def make_theme(
    *, code: str | None = None, name: str = "就业", audience: str = ThemeAudience.CITIZEN
) -> Theme:
    return Theme.objects.create(code=code or f"theme-{_next()}", name=name, audience=audience)


def make_data_element(
    *, code: str, name: str | None = None, data_type: str = DataType.STRING, max_length: int | None = None
) -> DataElement:
    """Get or create the data element with this code (data elements are shared, so not duplicated)."""
    element, _ = DataElement.objects.get_or_create(
        code=code, defaults={"name": name or code, "data_type": data_type, "max_length": max_length}
    )
    return element


def make_user(*, username: str | None = None, password: str | None = None, **fields: Any) -> User:
    """A user; without a password it has an unusable one (fast: no hashing). Log in with client.force_login."""
    return User.objects.create_user(username=username or f"user{_next()}", password=password, **fields)


def make_catalog_admin(*, department: Department | None = None, username: str | None = None) -> User:
    """A user with role catalog_admin, scoped to `department` (or everywhere when None)."""
    user = make_user(username=username)
    RoleAssignment.objects.create(user=user, role=Role.CATALOG_ADMIN, department=department)
    return user


def make_item(
    *,
    department: Department | None = None,
    name: str | None = None,
    item_type: str = ItemType.LICENSING,
    basic_code: str | None = None,
    level: int | None = None,
    **version_fields: Any,
) -> Item:
    """An Item with a bare draft ItemVersion v1 (only the fields the model requires; not lint-clean)."""
    department = department or make_department()
    level = level if level is not None else department.level
    basic_code = basic_code or make_basic_code(item_type=item_type)
    name = name or f"测试事项{_next()}"
    item = Item.objects.create(
        basic_code=basic_code,
        implementation_code=implementation_code(
            department_uscc=department.uscc, level=level, basic_code=basic_code
        ),
        department=department,
        name=name,
        item_type=item_type,
        level=level,
    )
    fields: dict[str, Any] = {
        "name": name,
        "item_type": item_type,
        "implementing_department": department,
        "handling_kind": HandlingKind.PROMISED,
    }
    fields.update(version_fields)
    ItemVersion.objects.create(item=item, version=1, **fields)
    return item


def fill_complete_guide(version: ItemVersion) -> ItemVersion:
    """Fill a bare draft with every element the linter requires, plus situations, materials, form, process."""
    law = make_law()
    item_basis = make_legal_reference(law=law, article="第十二条")
    material_basis = make_legal_reference(law=law, article="第二十九条")
    theme = make_theme()

    version.power_source = "法定本级行使"
    version.service_objects = [ServiceObject.CITIZEN]
    version.handling_kind = HandlingKind.PROMISED
    version.acceptance_conditions = "申请人为本县户籍居民，且申请材料齐全、符合法定形式。"
    version.procedure = "申请、受理、审查、决定、送达。"
    version.handling_forms = [HandlingForm.WINDOW, HandlingForm.ONLINE]
    version.place = "县行政服务中心一楼综合窗口"
    version.hours = "工作日 9:00-12:00，13:30-17:00"
    version.statutory_limit = 20
    version.statutory_limit_unit = LimitUnit.WORKING_DAYS
    version.promised_limit = 5
    version.promised_limit_unit = LimitUnit.WORKING_DAYS
    version.trips = 0
    version.online_depth = 4
    version.result_type = "证照"
    version.result_name = "许可证"
    version.consultation = "0579-12345"
    version.complaint = "12345"
    version.save()
    version.legal_basis.add(item_basis)
    version.themes.add(theme)

    question = SituationQuestion.objects.create(
        version=version,
        order=1,
        code="agent",
        text="是否委托代理人办理？",
        options=[{"value": "no", "label": "本人办理"}, {"value": "yes", "label": "委托代理人办理"}],
    )
    Situation.objects.create(
        version=version, order=1, code="self", name="本人办理", conditions={question.code: ["no"]}
    )
    agent = Situation.objects.create(
        version=version, order=2, code="agent", name="委托代理人办理", conditions={question.code: ["yes"]}
    )

    name_el = make_data_element(code="person.name", name="姓名", max_length=64)
    id_el = make_data_element(
        code="person.id_number", name="身份证号", data_type=DataType.ID_NUMBER, max_length=18
    )
    phone_el = make_data_element(code="person.phone", name="手机号", data_type=DataType.PHONE, max_length=11)

    form = Material.objects.create(
        version=version,
        order=1,
        code="application",
        name="申请表",
        kind=MaterialKind.FORM,
        necessity=MaterialNecessity.KEY,
        source=MaterialSource.APPLICANT,
        paper_copies=1,
        paper_size="A4",
        acceptance_standard="填写完整并签名。",
    )
    id_copy = Material.objects.create(
        version=version,
        order=2,
        code="id_card",
        name="居民身份证",
        kind=MaterialKind.E_LICENCE,
        necessity=MaterialNecessity.KEY,
        source=MaterialSource.E_LICENCE,
        licence_type="居民身份证",
        acceptance_standard="证件在有效期内。",
    )
    proxy = Material.objects.create(
        version=version,
        order=3,
        code="power_of_attorney",
        name="授权委托书",
        kind=MaterialKind.ORIGINAL,
        necessity=MaterialNecessity.NON_KEY,
        deficiency_allowed=True,
        source=MaterialSource.APPLICANT,
        paper_copies=1,
    )
    for material in (form, id_copy, proxy):
        material.legal_basis.add(material_basis)
    form.data_elements.add(name_el, id_el)
    id_copy.data_elements.add(id_el)
    proxy.situations.add(agent)

    FormField.objects.create(
        version=version,
        order=1,
        code="name",
        data_element=name_el,
        label="姓名",
        field_type=DataType.STRING,
        max_length=64,
    )
    FormField.objects.create(
        version=version,
        order=2,
        code="id_number",
        data_element=id_el,
        label="身份证号",
        field_type=DataType.ID_NUMBER,
    )
    FormField.objects.create(
        version=version,
        order=3,
        code="phone",
        data_element=phone_el,
        label="联系电话",
        field_type=DataType.PHONE,
    )
    FormField.objects.create(
        version=version,
        order=4,
        code="reason",
        label="申请事由",
        field_type=DataType.TEXT,
        required=False,
        max_length=500,
    )

    make_process(version=version, steps=[("accept", "受理"), ("review", "审核"), ("decide", "审批")])
    return version


def make_process(
    *, version: ItemVersion, steps: list[tuple[str, str]], department: Department | None = None
) -> dict[str, ProcessStep]:
    """A serial process start → steps… → end; returns the steps by code (incl. "start" and "end")."""
    department = department or version.implementing_department
    by_code: dict[str, ProcessStep] = {}
    by_code["start"] = ProcessStep.objects.create(
        version=version, order=0, code="start", name="开始", kind=StepKind.START
    )
    for i, (code, name) in enumerate(steps, start=1):
        by_code[code] = ProcessStep.objects.create(
            version=version,
            order=i,
            code=code,
            name=name,
            kind=StepKind.TASK,
            department=department,
            role=Role.HANDLER,
            limit=1,
        )
    by_code["end"] = ProcessStep.objects.create(
        version=version, order=len(steps) + 1, code="end", name="办结", kind=StepKind.END
    )
    chain = [by_code["start"], *(by_code[c] for c, _ in steps), by_code["end"]]
    for i, (source, target) in enumerate(itertools.pairwise(chain)):
        ProcessTransition.objects.create(version=version, order=i, source=source, target=target)
    return by_code


def make_complete_draft(*, department: Department | None = None, **item_kwargs: Any) -> ItemVersion:
    """An Item with a draft v1 that passes the guide linter (see module docstring)."""
    item = make_item(department=department, **item_kwargs)
    version = item.versions.get(version=1)
    return fill_complete_guide(version)


def make_published_item(*, department: Department | None = None, **item_kwargs: Any) -> Item:
    """An Item whose complete v1 is published through catalog.services (search fields filled)."""
    from onetrip.catalog.services import item_version_publish

    version = make_complete_draft(department=department, **item_kwargs)
    item_version_publish(version=version)
    version.item.refresh_from_db()
    return version.item
