"""The shapes the demo catalogue is written in, and builders for the parts many items share (identity
documents, the proxy situation, the usual processes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

from onetrip.catalog.models import (
    CountersignMode,
    DataType,
    HandlingForm,
    HandlingKind,
    LimitUnit,
    MaterialKind,
    MaterialNecessity,
    MaterialSource,
    ServiceObject,
    ServiceScope,
    StepKind,
    TimeoutPolicy,
)

Ref = tuple[str, str]  # (law key, article; "" for the law as a whole)

WORKING, NATURAL, HOURS = LimitUnit.WORKING_DAYS, LimitUnit.NATURAL_DAYS, LimitUnit.HOURS
CITIZEN, COMPANY, OFFICE = ServiceObject.CITIZEN, ServiceObject.COMPANY, ServiceObject.OFFICE
IMMEDIATE, PROMISED = HandlingKind.IMMEDIATE, HandlingKind.PROMISED
ALL_FORMS = (HandlingForm.WINDOW, HandlingForm.ONLINE, HandlingForm.MOBILE, HandlingForm.POST)
WINDOW_ONLINE = (HandlingForm.WINDOW, HandlingForm.ONLINE, HandlingForm.MOBILE)
ONLINE_ONLY = (HandlingForm.ONLINE, HandlingForm.MOBILE)


@dataclass(frozen=True)
class Mat:
    code: str
    name: str
    kind: str = MaterialKind.ORIGINAL
    necessity: str = MaterialNecessity.KEY
    deficiency: bool = False
    source: str = MaterialSource.APPLICANT
    licence_type: str = ""
    source_note: str = ""
    copies: int = 1
    basis: tuple[Ref, ...] = ()  # empty: the item's first legal basis
    situations: tuple[str, ...] = ()  # empty: every situation
    elements: tuple[str, ...] = ()
    notes: str = ""
    standard: str = ""
    blank_form: str = ""


@dataclass(frozen=True)
class Fld:
    """An item-specific form field (no data element) or a data element with its own label."""

    code: str
    label: str
    field_type: str = DataType.STRING
    element: str | None = None
    required: bool = True
    options: tuple[tuple[str, str], ...] = ()
    subject: str = "applicant"  # whose data (catalog FieldSubject): child, deceased, spouse …


@dataclass(frozen=True)
class Question:
    code: str
    text: str
    options: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Sit:
    code: str
    name: str
    conditions: tuple[tuple[str, tuple[str, ...]], ...]
    description: str = ""


@dataclass(frozen=True)
class Step:
    code: str
    name: str
    dept: str | None = None  # None: the item's implementing department (task steps)
    role: str = "handler"
    limit: int | None = None
    unit: str = WORKING
    timeout: str = TimeoutPolicy.REMIND
    countersign: str = CountersignMode.SINGLE
    kind: str = StepKind.TASK


@dataclass(frozen=True)
class Process:
    steps: tuple[Step, ...]
    edges: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ItemSpec:
    basic_code: str
    name: str
    dept: str
    objects: tuple[str, ...]
    kind: str
    promised: tuple[int, str] | None
    statutory: tuple[int, str] | None
    basis: tuple[Ref, ...]
    conditions: str
    materials: tuple[Mat, ...]
    fields: tuple[str | Fld, ...]
    process: Process
    themes: tuple[str, ...]
    result: tuple[str, str]  # (result type, result name)
    parent: str | None = None  # basic code of the main item
    forms: tuple[str, ...] = WINDOW_ONLINE
    depth: int = 4
    trips: int = 0
    questions: tuple[Question, ...] = ()
    situations: tuple[Sit, ...] = ()
    joint: tuple[str, ...] = ()
    scope: str = ServiceScope.CITY
    power_source: str = "法定本级行使"
    statutory_note: str = ""
    promised_note: str = ""
    procedure: str = ""
    fee_basis: str = ""
    special_procedures: tuple[str, ...] = ()
    post_delivery: bool = True
    appointment: bool = True
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def item_type(self) -> str:
        return self.basic_code[:2]


# ------------------------------------------------------------------------------------------ shared parts

AGENT_QUESTION = Question("agent", "是否委托他人代为办理？", (("no", "本人办理"), ("yes", "委托代理人办理")))
AGENT_SITUATIONS = (
    Sit("self", "本人办理", (("agent", ("no",)),), "申请人本人到场或在线办理"),
    Sit("agent", "委托代理人办理", (("agent", ("yes",)),), "申请人书面委托代理人办理"),
)
POA_BASIS: tuple[Ref, ...] = (("mfd", "第一百六十五条"),)


def id_card(who: str = "申请人", code: str = "id-card", situations: tuple[str, ...] = ()) -> Mat:
    return Mat(
        code,
        f"{who}居民身份证",
        kind=MaterialKind.E_LICENCE,
        source=MaterialSource.E_LICENCE,
        licence_type="居民身份证",
        source_note="通过浙江省电子证照库调取，无需提交纸质件",
        copies=0,
        situations=situations,
        elements=("person.id_number", "person.name", "person.gender", "person.birth_date"),
        standard="证件在有效期内，与申请人信息一致",
    )


def agent_materials() -> tuple[Mat, ...]:
    return (
        Mat(
            "power-of-attorney",
            "授权委托书",
            basis=POA_BASIS,
            situations=("agent",),
            notes="载明代理人姓名、代理事项、权限和期限，由委托人签名或者盖章",
            standard="委托事项、权限和期限明确，委托人签名或者盖章",
        ),
        Mat(
            "agent-id-card",
            "委托代理人居民身份证",
            kind=MaterialKind.E_LICENCE,
            source=MaterialSource.E_LICENCE,
            licence_type="居民身份证",
            copies=0,
            basis=POA_BASIS,
            situations=("agent",),
            elements=("person.id_number", "person.name"),
        ),
    )


def household_register(who: str = "申请人") -> Mat:
    return Mat(
        "household-register",
        f"{who}居民户口簿",
        kind=MaterialKind.E_LICENCE,
        source=MaterialSource.E_LICENCE,
        licence_type="居民户口簿",
        copies=0,
        elements=("person.household_register",),
    )


def business_licence() -> Mat:
    return Mat(
        "business-licence",
        "营业执照",
        kind=MaterialKind.E_LICENCE,
        source=MaterialSource.E_LICENCE,
        licence_type="营业执照",
        copies=0,
        elements=("enterprise.uscc", "enterprise.name", "enterprise.legal_representative"),
    )


def marriage_certificate(situations: tuple[str, ...] = ()) -> Mat:
    return Mat(
        "marriage-certificate",
        "结婚证",
        kind=MaterialKind.E_LICENCE,
        source=MaterialSource.E_LICENCE,
        licence_type="结婚证",
        copies=0,
        situations=situations,
        elements=("marriage.status", "marriage.certificate_no"),
    )


def shared(code: str, name: str, note: str, elements: tuple[str, ...] = (), **kw: object) -> Mat:
    """A material the office fetches from another department's data (三不提交: not asked of the applicant)."""
    return Mat(
        code,
        name,
        source=MaterialSource.SHARED_DATA,
        source_note=note,
        copies=0,
        elements=elements,
        **kw,  # type: ignore[arg-type]
    )


def form(code: str, name: str, elements: tuple[str, ...] = (), **kw: object) -> Mat:
    """The application form (申请表) with a blank form to download."""
    return Mat(code, name, kind=MaterialKind.FORM, elements=elements, blank_form=f"{name}（空白表格）", **kw)  # type: ignore[arg-type]


def serial(*tasks: Step) -> Process:
    """start → tasks one after another → end."""
    steps = (
        Step("start", "开始", kind=StepKind.START, role=""),
        *tasks,
        Step("end", "结束", kind=StepKind.END, role=""),
    )
    return Process(steps, tuple((a.code, b.code) for a, b in pairwise(steps)))


def accept(limit: int = 1, unit: str = WORKING, dept: str | None = None) -> Step:
    """受理 by the window (综合窗口): the guide shows it, and the case's acceptance at the window is this step
    (统一受理), so the departments' process starts after it (onetrip/bundles/process.py)."""
    return Step("accept", "受理", dept=dept, role="clerk", limit=limit, unit=unit)


def review(limit: int, unit: str = WORKING, name: str = "审核", dept: str | None = None) -> Step:
    return Step("review", name, dept=dept, role="handler", limit=limit, unit=unit)


def decide(limit: int, unit: str = WORKING, name: str = "审批决定", dept: str | None = None) -> Step:
    return Step(
        "decide", name, dept=dept, role="leader", limit=limit, unit=unit, timeout=TimeoutPolicy.ESCALATE
    )


def finish(limit: int = 1, unit: str = WORKING, name: str = "办结出件") -> Step:
    """The department's own completion step (its handlers issue the result; 统一出件 is the window's)."""
    return Step("finish", name, role="handler", limit=limit, unit=unit)


def immediate_process() -> Process:
    """即办件: accepted and finished on the spot."""
    return serial(accept(1, HOURS), Step("finish", "当场办结", role="handler", limit=1, unit=HOURS))


def standard_process(review_days: int, decide_days: int = 1) -> Process:
    return serial(accept(), review(review_days), decide(decide_days), finish())


def parallel_process(
    before: tuple[Step, ...], branches: tuple[Step, ...], after: tuple[Step, ...]
) -> Process:
    """start → before (serial) → branches in parallel (并联) → after (serial, the first joins) → end."""
    start = Step("start", "开始", kind=StepKind.START, role="")
    end = Step("end", "结束", kind=StepKind.END, role="")
    edges: list[tuple[str, str]] = []
    chain = [start, *before]
    edges += [(a.code, b.code) for a, b in pairwise(chain)]
    for b in branches:
        edges.append((chain[-1].code, b.code))
        edges.append((b.code, after[0].code))
    tail = [*after, end]
    edges += [(a.code, b.code) for a, b in pairwise(tail)]
    return Process((start, *before, *branches, *after, end), tuple(edges))


ONE_DAY = (1, WORKING)
