"""Flow writes: dispatching accepted cases, every department operation, the timeout sweep, results and
delivery. Each runs in one transaction: the instance row is locked (SELECT … FOR UPDATE), the expected version
checked, the pure engine applied, and the state, task rows, events, case status and audit record written
together. The state UPDATE is also guarded by the version, so a lost lock (SQLite) still cannot advance twice.

Engine identities are prefixed strings: `d<department pk>` for departments, `u<user pk>` for users; roles are
the orgs Role values (handler, leader, supervisor …).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from onetrip.bundles.critical_path import combined_limit
from onetrip.bundles.models import BundleVersion
from onetrip.bundles.process import bundle_definition, bundle_key, item_definition, item_key
from onetrip.bundles.selectors import computed, snapshot_members, version_edges, version_members
from onetrip.catalog.models import HandlingKind, Item, ItemVersion, ResultType
from onetrip.core.audit import audit_record
from onetrip.core.errors import Conflict, DomainError, ErrorDetail, Forbidden, NotFound
from onetrip.flow.engine import (
    Actor,
    DefinitionError,
    Engine,
    EngineError,
    Event,
    Instance,
    Outcome,
    ProcessDef,
    Registry,
    StepDef,
    StepKind,
    WorkdaysCalculator,
    compile_process,
    from_template,
)
from onetrip.flow.engine.model import (
    CONSULT,
    DETACHED,
    ESCALATED,
    PAUSED,
    RETURNED,
    TERMINAL,
    TIMED_OUT,
    VERIFY,
    Status,
    Task,
)
from onetrip.flow.models import (
    OPEN_TASK_STATUSES,
    CaseResult,
    Delivery,
    DeliveryMethod,
    DeliveryStatus,
    FlowEvent,
    ProcessDefinitionRecord,
    ProcessInstanceRecord,
    ResultKind,
    TaskKind,
    TaskRecord,
    TaskStatus,
)
from onetrip.intake.models import Case, CaseEvent, CaseStatus, Deficiency, DeficiencyStatus, StoredFile
from onetrip.orgs.models import Department, Role, RoleAssignment, User, Window
from onetrip.orgs.permissions import scope_for
from onetrip.sharing.models import HolderKind, LicenceType
from onetrip.sharing.services import licence_issue
from onetrip.stats.services import stats_record
from onetrip.workdays.core import (
    SHANGHAI,
    CalendarError,
    ClockRecord,
    ClockState,
    Extension,
    Pause,
    PauseKind,
    Unit,
)
from onetrip.workdays.selectors import calendar_current

logger = logging.getLogger(__name__)

UTC = dt.UTC
ACCEPT_STEP = "accept"
ISSUE_STEP = "issue"


# ------------------------------------------------------------------------------------------ identities


def dept_ref(pk: int) -> str:
    return f"d{pk}"


def user_ref(pk: int) -> str:
    return f"u{pk}"


def ref_id(ref: str | None, prefix: str) -> int | None:
    if ref and ref[0] == prefix and ref[1:].isdigit():
        return int(ref[1:])
    return None


def actor_of(user: User, case: Case) -> Actor:
    """The engine actor for `user` on `case`: their departments as handler/leader, their roles there, and
    the supervisor role only when the case's lead department is in their supervision scope."""
    rows = list(RoleAssignment.objects.filter(user=user).values_list("role", "department_id"))
    departments: set[str] = set()
    roles: set[str] = set()
    for role, department_id in rows:
        if role in (Role.HANDLER, Role.LEADER) and department_id is not None:
            departments.add(dept_ref(department_id))
            roles.add(role)
    if any(role == Role.SUPERVISOR for role, _ in rows) and scope_for(
        user, Role.SUPERVISOR
    ).allows_department(case.lead_department_id):
        roles.add(Role.SUPERVISOR)
    return Actor(user_ref(user.pk), frozenset(departments), frozenset(roles))


# ------------------------------------------------------------------------------------------ errors


def _conflict(code: str, zh: str, en: str, field: str | None = None) -> Conflict:
    return Conflict(ErrorDetail(code, zh, en, field))


def _bad(code: str, zh: str, en: str, field: str | None = None) -> DomainError:
    return DomainError(ErrorDetail(code, zh, en, field))


def domain_error(exc: EngineError) -> DomainError:
    """The engine's refusal as the platform's error: 409 for conflicts, 403 when forbidden, else 400."""
    detail = ErrorDetail(exc.code, exc.message_zh, exc.message_en, exc.field)
    if exc.conflict:
        return Conflict(detail)
    if exc.forbidden:
        return Forbidden(detail)
    return DomainError(detail)


def _stale(current: int, expected: int) -> Conflict:
    return _conflict(
        "stale_version",
        "办件已被他人更新，请刷新后重试",
        f"The case has changed (version {current}, expected {expected}); reload and retry",
        "expected_version",
    )


# ------------------------------------------------------------------------------------------ definitions

_registry = Registry()
_registry_lock = threading.Lock()


def _step_source(s: StepDef) -> dict[str, Any]:
    out: dict[str, Any] = {
        "code": s.code,
        "name": s.name,
        "kind": s.kind.value,
        "department": s.department,
        "role": s.role,
        "limit": s.limit,
        "limit_unit": s.unit,
        "countersign": s.countersign.value,
        "timeout_policy": s.timeout.value,
    }
    if s.signers:
        out["signers"] = list(s.signers)
    if s.absence_default:
        out["absence_default"] = True
    if s.simulate_until is not None:
        out["simulate_until"] = s.simulate_until
    if s.commitment:
        out["commitment"] = True
    if s.skip_unless is not None:
        out["skip_unless"] = s.skip_unless
    if s.process is not None:
        out["process"] = list(s.process)
    return out


def _source(pd: ProcessDef) -> dict[str, Any]:
    return {
        "steps": [_step_source(s) for s in pd.steps],
        "transitions": [
            {"source": t.source, "target": t.target, "condition": t.condition} for t in pd.transitions
        ],
    }


def _definition_error(exc: DefinitionError) -> DomainError:
    return DomainError(
        *(ErrorDetail(e.code, e.message_zh, e.message_en, e.field or "process") for e in exc.errors)
    )


def _store_definition(pd: ProcessDef) -> ProcessDefinitionRecord:
    """Compile (refusing a broken graph) and store once; a concurrent creator's row wins."""
    try:
        compile_process(pd)
    except DefinitionError as exc:
        raise _definition_error(exc) from None
    try:
        with transaction.atomic():
            return ProcessDefinitionRecord.objects.create(
                key=pd.key, version=pd.version, name=pd.name, source=_source(pd)
            )
    except IntegrityError:
        return ProcessDefinitionRecord.objects.get(key=pd.key, version=pd.version)


def load_definition(key: str, version: int) -> None:
    """Make (key, version) and its subprocesses available in the process-wide registry. Definitions never
    change once stored, so the compiled form is cached for the life of the process."""
    if (key, version) in _registry:
        return
    record = ProcessDefinitionRecord.objects.filter(key=key, version=version).first()
    if record is None:
        raise NotFound(
            ErrorDetail("unknown_definition", "流程定义不存在", "Process definition not found", "definition")
        )
    for step in record.source["steps"]:
        if step.get("process"):
            load_definition(str(step["process"][0]), int(step["process"][1]))
    pd = from_template(key, version, record.source["steps"], record.source["transitions"], name=record.name)
    with _registry_lock:
        if (key, version) not in _registry:
            _registry.add(pd)


def definitions_forget() -> None:
    """Empty the process-wide registry. Stored definitions never change within one database, so only a
    process that moves to another database (the test suite, whose rolled-back data is made again with other
    department keys) needs this."""
    with _registry_lock:
        _registry._defs.clear()


def _item_definition(iv: ItemVersion) -> ProcessDefinitionRecord:
    found = ProcessDefinitionRecord.objects.filter(key=item_key(iv), version=iv.version).first()
    if found is not None:
        return found
    try:
        pd = item_definition(iv, department=dept_ref)
    except (ValueError, EngineError) as exc:
        raise _bad(
            "invalid_process", "事项流程模板无效", f"Invalid process template: {exc}", "process"
        ) from None
    return _store_definition(pd)


def _bundle_definition(bv: BundleVersion) -> ProcessDefinitionRecord:
    """The combined process, built as bundle publishing checked it (onetrip.bundles.process)."""
    found = ProcessDefinitionRecord.objects.filter(key=bundle_key(bv), version=bv.version).first()
    if found is not None:
        return found
    pins = []
    for m in version_members(bv):
        if m.item_version is None:
            raise _bad(
                "bundle_not_published", "一件事版本未发布", "The bundle version is not published", "bundle"
            )
        pins.append((m, m.item_version, m.situation))
    try:
        pd, _ = bundle_definition(bv, pins, version_edges(bv), department=dept_ref)
    except (ValueError, EngineError) as exc:
        raise _bad(
            "invalid_process", "事项流程模板无效", f"Invalid process template: {exc}", "process"
        ) from None
    for _, iv, _ in pins:
        record = _item_definition(iv)
        load_definition(record.key, record.version)
    return _store_definition(pd)


def definition_for_case(case: Case) -> ProcessDefinitionRecord:
    if case.bundle_version_id is not None:
        return _bundle_definition(
            BundleVersion.objects.select_related("bundle").get(pk=case.bundle_version_id)
        )
    assert case.item_version_id is not None  # the model's check constraint: exactly one target
    return _item_definition(ItemVersion.objects.select_related("item").get(pk=case.item_version_id))


def engine() -> Engine:
    return Engine(
        _registry,
        WorkdaysCalculator(calendar_current()),
        leader_role=Role.LEADER.value,
        supervisor_role=Role.SUPERVISOR.value,
    )


def load_instance(record: ProcessInstanceRecord) -> Instance:
    key, version = record.state["d"]
    load_definition(key, version)
    for sc in record.state.get("sc") or ():
        load_definition(sc[1], sc[2])
    return Instance.from_state(record.state, _registry)


# ------------------------------------------------------------------------------------------ persistence

_CASE_STATUS = {
    Status.RUNNING: CaseStatus.IN_PROGRESS,
    Status.CORRECTION: CaseStatus.CORRECTION,
    Status.SUSPENDED: CaseStatus.IN_PROGRESS,
    Status.SPECIAL: CaseStatus.IN_PROGRESS,
    Status.HELD: CaseStatus.IN_PROGRESS,
    Status.COMPLETED: CaseStatus.COMPLETED,
    Status.REJECTED: CaseStatus.COMPLETED,  # 不予许可 is a decision: the case is 办结 with a denial
    Status.WITHDRAWN: CaseStatus.WITHDRAWN,
    Status.TERMINATED: CaseStatus.TERMINATED,
}

# Applicant-visible milestones (intake's CaseEvent timeline); the full trace is FlowEvent.
_MILESTONES = {
    "returned_to_applicant": "退回补正，请按告知补正材料",
    "resubmitted": "补正材料已提交，恢复办理",
    "suspended": "办件中止办理",
    "resumed": "办件恢复办理",
    "special_procedure_started": "进入特别程序，期间不计入办理时限",
    "special_procedure_ended": "特别程序结束，恢复办理",
    "extended": "经批准延长办理时限",
    "held": "审批已完成，待补齐容缺材料后出件",
    "completed": "审批办结",
    "rejected": "审批办结：不予许可",
    "withdrawn_by_applicant": "申请人撤回申请",
    "terminated": "办件终止办理",
}


def _instant(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, UTC)


def _json_safe(data: Mapping[str, Any] | None) -> dict[str, Any]:
    if not data:
        return {}
    return json.loads(
        json.dumps(
            data, ensure_ascii=False, default=lambda o: o.isoformat() if hasattr(o, "isoformat") else str(o)
        )
    )


def wake_at(inst: Instance) -> dt.datetime | None:
    """The earliest instant `Engine.sweep` can find something due (mirrors its rules)."""
    if inst.status in TERMINAL and inst.status is not Status.COMPLETED:
        return None
    paused = inst.status in PAUSED
    dues = [
        t.due
        for t in inst.tasks.values()
        if t.due is not None and not t.flags & (TIMED_OUT | RETURNED) and (t.flags & DETACHED or not paused)
    ]
    if inst.status not in TERMINAL:
        dues += [d.due for d in inst.deficiencies.values()]
    return _instant(min(dues)) if dues else None


def _task_fields(inst: Instance, t: Task) -> dict[str, Any]:
    step = inst.scopes[t.scope].process.nodes[t.node].step
    department = ref_id(t.department, "d") or ref_id(t.assignee, "d") or ref_id(step.department, "d")
    return {
        "kind": TaskKind.CONSULT
        if t.flags & CONSULT
        else TaskKind.VERIFY
        if t.flags & VERIFY
        else TaskKind.FLOW,
        "step_code": inst.step_of(t)[:80],
        "step_name": ("协办" if t.flags & CONSULT else step.name)[:128],
        "department_id": department,
        "assignee_id": ref_id(t.assignee, "u"),
        "delegator_id": ref_id(t.delegator, "u"),
        "candidate_role": step.role or "",
        "countersign": bool(t.group),
        "status": TaskStatus.RETURNED if t.flags & RETURNED else TaskStatus.OPEN,
        "created_at": _instant(t.created),
        "due_at": _instant(t.due) if t.due is not None else None,
        "escalated": bool(t.flags & ESCALATED),
        "timed_out": bool(t.flags & TIMED_OUT),
        "reminders": t.reminders,
    }


_CLOSING = {
    "task_approved": TaskStatus.APPROVED,
    "verification_passed": TaskStatus.APPROVED,
    "consult_replied": TaskStatus.APPROVED,
    "task_rejected": TaskStatus.REJECTED,
    "verification_failed": TaskStatus.REJECTED,
    "task_cancelled": TaskStatus.CANCELLED,
}


def _sync_tasks(
    record: ProcessInstanceRecord, inst: Instance, events: Sequence[Event], now: dt.datetime
) -> None:
    open_rows = {
        r.task_id: r for r in TaskRecord.objects.filter(instance=record, status__in=OPEN_TASK_STATUSES)
    }
    closing: dict[int, Event] = {}
    for e in events:
        if e.task is not None and e.kind in _CLOSING:
            closing[e.task] = e
    reopened = [tid for tid in inst.tasks if tid not in open_rows]
    existing = (
        {r.task_id: r for r in TaskRecord.objects.filter(instance=record, task_id__in=reopened)}
        if reopened
        else {}
    )
    create: list[TaskRecord] = []
    update: list[TaskRecord] = []
    changed_fields: set[str] = set()
    for tid, t in inst.tasks.items():
        values = _task_fields(inst, t)
        row = open_rows.pop(tid, None) or existing.get(tid)
        if row is None:
            create.append(TaskRecord(instance=record, case_id=record.case_id, task_id=tid, **values))
            continue
        if row.status not in OPEN_TASK_STATUSES:  # 撤回: the task is open again
            values.update(closed_at=None, closed_by_id=None, opinion="", deemed=False, watched=False)
        diff = {k: v for k, v in values.items() if getattr(row, k) != v}
        if diff:
            for k, v in diff.items():
                setattr(row, k, v)
            changed_fields |= diff.keys()
            update.append(row)
    # Tasks created and closed within this one operation (e.g. the window's acceptance at dispatch).
    transient = [
        e for e in events if e.kind == "task_created" and e.task is not None and e.task not in inst.tasks
    ]
    if transient:
        known = set(
            TaskRecord.objects.filter(instance=record, task_id__in=[e.task for e in transient]).values_list(
                "task_id", flat=True
            )
        )
        for e in transient:
            if e.task in known or e.task in open_rows:
                continue
            d = e.data or {}
            closed = closing.get(e.task)  # type: ignore[arg-type]
            cdata = (closed.data or {}) if closed is not None else {}
            create.append(
                TaskRecord(
                    instance=record,
                    case_id=record.case_id,
                    task_id=e.task,
                    kind=TaskKind.CONSULT
                    if d.get("step") == "consult"
                    else TaskKind.VERIFY
                    if str(d.get("step") or "").startswith("verify:")
                    else TaskKind.FLOW,
                    step_code=str(d.get("step") or "")[:80],
                    step_name=str(d.get("name") or "")[:128],
                    department_id=ref_id(d.get("department"), "d") or ref_id(d.get("assignee"), "d"),
                    assignee_id=ref_id(d.get("assignee"), "u"),
                    candidate_role=d.get("role") or "",
                    status=_CLOSING[closed.kind] if closed is not None else TaskStatus.CANCELLED,
                    created_at=e.at,
                    due_at=d.get("due"),
                    closed_at=now,
                    closed_by_id=ref_id(closed.actor, "u") if closed is not None else None,
                    opinion=str(cdata.get("opinion") or cdata.get("reason") or ""),
                    deemed=bool(cdata.get("deemed")),
                )
            )
    for tid, row in open_rows.items():
        e = closing.get(tid)
        row.status = _CLOSING[e.kind] if e is not None else TaskStatus.CANCELLED
        row.closed_at = now
        data = (e.data or {}) if e is not None else {}
        row.closed_by_id = ref_id(e.actor, "u") if e is not None else None
        row.opinion = str(data.get("opinion") or data.get("reason") or "")
        row.deemed = bool(data.get("deemed"))
        changed_fields |= {"status", "closed_at", "closed_by_id", "opinion", "deemed"}
        update.append(row)
    if create:
        TaskRecord.objects.bulk_create(create)
    if update:
        TaskRecord.objects.bulk_update(update, sorted(changed_fields))


def _write_events(case: Case, events: Sequence[Event]) -> None:
    FlowEvent.objects.bulk_create(
        [
            FlowEvent(
                case=case,
                at=e.at,
                kind=e.kind[:40],
                actor_id=ref_id(e.actor, "u"),
                actor_label="" if ref_id(e.actor, "u") else "系统",
                task_id=e.task,
                data=_json_safe(e.data),
            )
            for e in events
        ]
    )


def _sync_case(
    case: Case, inst: Instance, events: Sequence[Event], user: User | None, now: dt.datetime
) -> None:
    status = _CASE_STATUS[inst.status]
    # 容缺受理: the result stays held from acceptance until every committed material is supplied (and a
    # simulated approval is formal), not only once the flow has ended in HELD; an ended case holds nothing.
    held = inst.status is Status.HELD or (
        inst.status not in TERMINAL and bool(inst.deficiencies or inst.simulated)
    )
    # Live deadlines: a pause that ended or an extension moves the promised date (and re-issues the receipt).
    fields, promise = _refresh_promise(case, inst, events)
    if inst.status in (Status.COMPLETED, Status.REJECTED) and case.completed_at is None:
        # 办结 only with every result (a deemed approval or a refusal waits here for its results/decision).
        if results_missing(case, rejected=inst.status is Status.REJECTED):
            status = CaseStatus.IN_PROGRESS
        else:
            fields.update(_complete_case(case, outcome=inst.status.value, now=now, user=user))
    elif inst.status in TERMINAL and case.completed_at is None:
        fields["completed_at"] = now
        stats_record(case_id=case.pk, kind="completed", at=now, data={"outcome": inst.status.value})
    if case.status != status:
        fields["status"] = status
    if case.result_held != held:
        fields["result_held"] = held
    moved = fields.get("promised_due_at")
    if fields:
        Case.objects.filter(pk=case.pk).update(row_version=F("row_version") + 1, **fields)
        for k, v in fields.items():
            setattr(case, k, v)
    milestones = []
    for e in events:
        if e.kind == "suspended":
            milestones.append(
                CaseEvent(
                    case=case,
                    at=now,
                    kind="case_suspended",
                    title="办件中止办理，中止期间不计入办理时限，恢复后重新计算承诺办结时间",
                    actor=user,
                    data={"promised_due_at": _iso(case.promised_due_at)},
                )
            )
        elif e.kind == "resumed":
            title = "办件恢复办理"
            if case.promised_due_at is not None:
                title += f"，承诺办结时间为{_date_text(case.promised_due_at)}"
            milestones.append(
                CaseEvent(case=case, at=now, kind="case_resumed", title=title, actor=user, data=promise)
            )
        elif e.kind in _MILESTONES:
            milestones.append(
                CaseEvent(
                    case=case, at=now, kind=f"flow_{e.kind}"[:32], title=_MILESTONES[e.kind], actor=user
                )
            )
    if moved is not None and not any(e.kind == "resumed" for e in events):
        milestones.append(
            CaseEvent(
                case=case,
                at=now,
                kind="promised_date_changed",
                title=f"承诺办结时间调整为{_date_text(moved)}，受理回执已重新出具",
                actor=user,
                data=promise,
            )
        )
    if milestones:
        CaseEvent.objects.bulk_create(milestones)
    overdue = [(e.data or {}).get("material") for e in events if e.kind == "deficiency_overdue"]
    if overdue:
        Deficiency.objects.filter(
            case=case, material_key__in=overdue, status=DeficiencyStatus.PENDING
        ).update(status=DeficiencyStatus.OVERDUE)


def _persist(
    record: ProcessInstanceRecord,
    outcome: Outcome,
    *,
    user: User | None,
    now: dt.datetime,
    action: str,
    data: Mapping[str, Any] | None = None,
) -> None:
    inst, events = outcome
    before = record.version
    if inst.version != before:
        state = inst.to_state()
        updated = ProcessInstanceRecord.objects.filter(pk=record.pk, version=before).update(
            state=state,
            version=inst.version,
            status=inst.status.value,
            wake_at=wake_at(inst),
            ended_at=_instant(inst.ended) if inst.ended else None,
            updated_at=now,
        )
        if updated != 1:
            raise _stale(before + 1, before)
        record.state, record.version, record.status = state, inst.version, inst.status.value
        _sync_tasks(record, inst, events, now)
    _write_events(record.case, events)
    _sync_case(record.case, inst, events, user, now)
    audit_record(
        actor=user,
        action=f"flow.{action}",
        object_type="case",
        object_id=record.case_id,
        data={"version": inst.version, "events": [e.kind for e in events], **(data or {})},
    )


# ------------------------------------------------------------------------------------------ dispatch


def _deficiency_due(day: dt.date) -> dt.datetime:
    """A supplement date counts to the end of that day in Asia/Shanghai."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), SHANGHAI)


def _case_limit(case: Case) -> tuple[int, str] | None:
    # The limit acceptance dated the case by, so the engine's extensions count in the same unit.
    return case_limits(case).promised


@dataclass
class _Dispatch:
    record: ProcessInstanceRecord
    created: bool


def case_dispatch(*, case: Case, actor: User | None, now: dt.datetime) -> ProcessInstanceRecord:
    """按责转办: start the accepted case's flow (`actor` None: deemed acceptance by the system). Idempotent:
    a dispatched case returns its instance and nothing changes."""
    try:
        record = _dispatch(case=case, actor=actor, now=now).record
    except IntegrityError:
        # A concurrent dispatch of the same case won the one-to-one row.
        record = ProcessInstanceRecord.objects.get(case_id=case.pk)
    case.refresh_from_db(fields=["status", "row_version", "result_held", "completed_at"])
    return record


@transaction.atomic
def _dispatch(*, case: Case, actor: User | None, now: dt.datetime) -> _Dispatch:
    case = Case.objects.select_for_update(of=("self",)).get(pk=case.pk)
    existing = ProcessInstanceRecord.objects.filter(case=case).first()
    if existing is not None:
        return _Dispatch(existing, False)
    if case.status not in (CaseStatus.ACCEPTED, CaseStatus.ACCEPTED_DEFICIENT):
        raise _conflict(
            "case_not_accepted", "办件尚未受理，不能转办", "The case has not been accepted", "case"
        )
    definition = definition_for_case(case)
    load_definition(definition.key, definition.version)
    application = case.application
    variables: dict[str, Any] = dict(application.answers or {})
    for code in application.chosen_members or ():
        variables[f"chosen.{code}"] = True
    deficiencies = [
        (d.material_key, _deficiency_due(d.due_date))
        for d in case.deficiencies.filter(status=DeficiencyStatus.PENDING).order_by("id")
    ]
    eng = engine()
    lead = dept_ref(case.lead_department_id)
    clerk = (
        Actor(user_ref(actor.pk), frozenset(), frozenset({Role.CLERK.value}))
        if actor is not None
        else Actor("system", system=True)
    )
    try:
        outcome = eng.start(
            key=definition.key,
            version=definition.version,
            now=now,
            actor=clerk,
            applicant=user_ref(case.applicant_id),
            lead=lead,
            variables=variables,
            limit=_case_limit(case),
            deficiencies=deficiencies,
        )
        inst, events = outcome
        if case.bundle_version_id is not None:
            # 一窗受理: the window has accepted on behalf of the lead department; record that step as done.
            accept = next(t for t in inst.tasks.values() if inst.step_of(t) == ACCEPT_STEP)
            window = Actor(clerk.user, frozenset({lead}), clerk.roles)
            more = eng.approve(inst, task=accept.id, actor=window, now=now, opinion="综合窗口已受理")
            outcome = Outcome(more.instance, [*events, *more.events])
    except EngineError as exc:
        raise domain_error(exc) from None
    inst = outcome.instance
    record = ProcessInstanceRecord.objects.create(
        case=case,
        definition=definition,
        state=inst.to_state(),
        version=inst.version,
        status=inst.status.value,
        wake_at=wake_at(inst),
        started_at=now,
    )
    record.case = case
    _sync_tasks(record, inst, outcome.events, now)
    _write_events(case, outcome.events)
    CaseEvent.objects.create(
        case=case, at=now, kind="flow_dispatched", title="已按责转办至承办部门", actor=actor
    )
    _sync_case(case, inst, outcome.events, actor, now)
    audit_record(
        actor=actor,
        action="flow.dispatch",
        object_type="case",
        object_id=case.pk,
        data={"definition": [definition.key, definition.version], "version": inst.version},
    )
    return _Dispatch(record, True)


# ------------------------------------------------------------------------------------------ operations

Operation = Callable[[Engine, Instance, Actor], Outcome]


def _locked(case_id: int) -> ProcessInstanceRecord:
    record = (
        ProcessInstanceRecord.objects.select_for_update(of=("self",))
        .select_related("case")
        .filter(case_id=case_id)
        .first()
    )
    if record is None:
        raise NotFound(ErrorDetail("not_dispatched", "办件尚未进入审批流程", "The case has no flow", "case"))
    return record


# ------------------------------------------------------------------------------------------ live deadlines

# Events after which the case's promised date is recomputed: a pause ends (the time it took is given back)
# or the limit is extended.
_CLOCK_EVENTS = frozenset({"resumed", "special_procedure_ended", "resubmitted", "extended"})
_PAUSE_KINDS = {"correction": PauseKind.CORRECTION, "suspension": PauseKind.SUSPENSION}


@dataclass(frozen=True)
class CaseLimits:
    """The case's promised and statutory limits (count, unit), as acceptance computed its dates from them."""

    promised: tuple[int, str] | None
    statutory: tuple[int, str] | None


def case_limits(case: Case) -> CaseLimits:
    """An item: its promised limit, else its statutory one (an immediate item: the same day), and its statutory
    limit; a bundle: the critical path over the members taking part, in whole working days, and the same path
    over the members' statutory limits (unknown when one has none). The same rules as acceptance's dates."""
    if case.item_version_id is not None:
        iv = ItemVersion.objects.get(pk=case.item_version_id)
        statutory = (iv.statutory_limit, iv.statutory_limit_unit) if iv.statutory_limit is not None else None
        if iv.promised_limit is not None:
            promised: tuple[int, str] | None = (iv.promised_limit, iv.promised_limit_unit)
        elif statutory is not None:
            promised = statutory
        elif iv.handling_kind == HandlingKind.IMMEDIATE:
            promised = (0, Unit.WORKING.value)
        else:
            promised = None
        return CaseLimits(promised, statutory)
    snapshot = computed(BundleVersion.objects.get(pk=case.bundle_version_id))
    members = snapshot_members(snapshot)
    edges = [(a, b) for a, b in snapshot.get("edges", ())]
    chosen = list(case.application.chosen_members or ())
    limit = combined_limit(members, edges, chosen=chosen)
    legal = combined_limit([replace(m, promised_limit=None) for m in members], edges, chosen=chosen)
    return CaseLimits(
        (math.ceil(limit.critical_days), Unit.WORKING.value),
        None if legal.unknown else (math.ceil(legal.critical_days), Unit.WORKING.value),
    )


@dataclass(frozen=True)
class LiveDates:
    promised: dt.datetime | None
    statutory: dt.datetime | None
    provisional: bool


def _clock(
    accepted_at: dt.datetime,
    limit: tuple[int, str],
    pauses: Sequence[Pause],
    extensions: Sequence[tuple[int, int]],
) -> ClockState:
    unit = Unit(limit[1])
    record = ClockRecord(
        accepted_at,
        limit[0],
        unit,
        pauses=tuple(pauses),
        extensions=tuple(Extension(count, _instant(at)) for count, at in extensions),
    )
    return calendar_current().clock(record)


def _pauses(inst: Instance, *, until: dt.datetime | None = None) -> list[Pause]:
    """The instance's clock stops as the calendar's pauses; an open one ends at `until` when given."""
    out = []
    for p in inst.pauses:
        end = _instant(p.end) if p.end is not None else until
        out.append(Pause(_PAUSE_KINDS.get(p.kind, PauseKind.SPECIAL_PROCEDURE), _instant(p.start), end))
    return out


def live_dates(
    case: Case,
    inst: Instance,
    *,
    limits: CaseLimits | None = None,
    until: dt.datetime | None = None,
) -> LiveDates | None:
    """The case's promised and statutory dates from its clock: acceptance, the limit, every pause given back
    (an open one as if it ended at `until`), every extension added. None while the clock stands or without
    an acceptance; a date is provisional only when it reaches a year with no loaded calendar."""
    if case.accepted_at is None:
        return None
    limits = limits or case_limits(case)
    pauses = _pauses(inst, until=until)
    promised = _clock(case.accepted_at, limits.promised, pauses, inst.extensions) if limits.promised else None
    # Pauses stop the statutory clock too; an extension is bounded by it, not added to it.
    statutory = _clock(case.accepted_at, limits.statutory, pauses, ()) if limits.statutory else None
    states = [s for s in (promised, statutory) if s is not None]
    if any(s.deadline is None for s in states):
        return None  # paused
    return LiveDates(
        promised.deadline if promised else None,
        statutory.deadline if statutory else None,
        any(s.provisional for s in states),
    )


def _date_text(at: dt.datetime) -> str:
    local = at.astimezone(SHANGHAI)
    return f"{local.year}年{local.month}月{local.day}日"


def _iso(at: dt.datetime | None) -> str | None:
    return at.isoformat() if at else None


def _receipt_version(case: Case) -> int:
    """受理回执的版本: 1 at acceptance, one more each time the promised date moved."""
    last = (
        CaseEvent.objects.filter(case=case, kind__in=_DATE_EVENT_KINDS, data__has_key="receipt_version")
        .order_by("-id")
        .values_list("data", flat=True)
        .first()
    )
    return int(last["receipt_version"]) if last else 1


_DATE_EVENT_KINDS = ("case_resumed", "promised_date_changed")


def _refresh_promise(
    case: Case, inst: Instance, events: Sequence[Event]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The case fields to update when the clock moved the dates, and the data for the event telling it."""
    if not any(e.kind in _CLOCK_EVENTS for e in events) or inst.status in TERMINAL:
        return {}, {}
    try:
        dates = live_dates(case, inst)
    except (CalendarError, ValueError):  # beyond the calendar's range: keep the last good dates
        logger.warning("flow: case %s dates not recomputed (outside the calendar)", case.pk)
        return {}, {}
    if dates is None:
        return {}, {}
    fields: dict[str, Any] = {}
    if dates.promised is not None and dates.promised != case.promised_due_at:
        fields["promised_due_at"] = dates.promised
    if dates.statutory is not None and dates.statutory != case.statutory_due_at:
        fields["statutory_due_at"] = dates.statutory
    if fields and dates.provisional != case.due_provisional:
        fields["due_provisional"] = dates.provisional
    data: dict[str, Any] = {"promised_due_at": _iso(dates.promised or case.promised_due_at)}
    if "promised_due_at" in fields:
        data["previous"] = case.promised_due_at.isoformat() if case.promised_due_at else None
        data["receipt_version"] = _receipt_version(case) + 1
        data["provisional"] = dates.provisional
    return fields, data


def _check_extension(case: Case, inst: Instance, count: int, now: dt.datetime) -> None:
    """After an extension of `count` (already in `inst`): the promised date may not pass the statutory one
    (paused time given back to both); without a statutory limit, the extensions together may not exceed the
    promised limit itself."""
    limits = case_limits(case)
    if limits.promised is None:
        return  # no case limit: only the task's own limit moves, checked against it by the engine
    too_far = _bad(
        "extension_beyond_statutory",
        f"延长{count}个{_UNIT_ZH.get(limits.promised[1], '工作日')}超出法定办结时限，不能延长",
        "The extension goes beyond the statutory limit",
        "count",
    )
    if limits.statutory is None:
        if sum(c for c, _ in inst.extensions) > limits.promised[0]:
            raise _bad(
                "extension_beyond_limit",
                f"未设法定时限的办件，延长合计不得超过承诺时限（{limits.promised[0]}个"
                f"{_UNIT_ZH.get(limits.promised[1], '工作日')}）",
                "Without a statutory limit, extensions may not exceed the promised limit",
                "count",
            )
        return
    try:
        dates = live_dates(case, inst, limits=limits, until=now)
    except CalendarError as exc:
        if exc.code == "date_out_of_range":
            raise too_far from None
        logger.warning("flow: case %s extension not checked: %s", case.pk, exc.code)
        return
    if dates is not None and dates.promised and dates.statutory and dates.promised > dates.statutory:
        raise _bad(
            "extension_beyond_statutory",
            f"延长后的承诺办结时间（{_date_text(dates.promised)}）晚于法定办结时间"
            f"（{_date_text(dates.statutory)}），不能延长",
            "The extension goes beyond the statutory limit",
            "count",
        )


_UNIT_ZH = {"working": "工作日", "natural": "自然日", "hours": "工作小时"}
# An extension is counted in days or hours of the case's limit; no statutory limit is longer than this.
MAX_EXTENSION = 365


# ------------------------------------------------------------------------------------------ results rule


def _result_items(case: Case) -> dict[int, ItemVersion]:
    """The case's items that produce a result (the catalogue's result type is not 无)."""
    return {k: iv for k, iv in _case_items(case).items() if iv.result_type != ResultType.NONE}


def results_missing(case: Case, *, rejected: bool = False) -> list[Item]:
    """The items still without a result: for a decision to grant, every result-producing item needs its
    licence, approval document or certificate; a refusal needs its refusal decision (reasons, legal basis)."""
    items = _result_items(case)
    if not items:
        return []
    kinds = dict(CaseResult.objects.filter(case=case).values_list("item_id", "kind"))
    if rejected:
        if ResultKind.DENIAL in kinds.values():
            return []
        return sorted((iv.item for iv in items.values()), key=lambda i: i.pk)
    return sorted(
        (iv.item for k, iv in items.items() if kinds.get(k) in (None, ResultKind.DENIAL)),
        key=lambda i: i.pk,
    )


def _missing_error(missing: Sequence[Item]) -> Conflict:
    names = "、".join(f"“{i.name}”" for i in missing)
    return _conflict(
        "results_missing",
        f"以下事项尚未出具办理结果，不能办结：{names}。请先出具证照、批准文书、证明或不予许可决定",
        "Some items have no result yet; issue them before completing: "
        + ", ".join(str(i.pk) for i in missing),
        "result",
    )


def _complete_case(case: Case, *, outcome: str, now: dt.datetime, user: User | None) -> dict[str, Any]:
    """办结 once the flow has decided and every result exists: the applicant's events and the fact for the
    statistics (written here, read by them later); returns the case fields to set."""
    stats_record(case_id=case.pk, kind="completed", at=now, data={"outcome": outcome})
    title = "办件已办结：不予许可" if outcome == Status.REJECTED.value else "办件已办结"
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(
                case=case, at=now, kind="case_completed", title=title, actor=user, data={"outcome": outcome}
            ),
            CaseEvent(
                case=case,
                at=now,
                kind="result_ready",
                title="办理结果已出具，可在办件详情中查看，并按送达方式领取",
                actor=user,
                data={"results": list(CaseResult.objects.filter(case=case).values_list("pk", flat=True))},
            ),
        ]
    )
    return {"completed_at": now}


def _final_step_open(inst: Instance, item_key: str) -> bool:
    """Whether an open flow task of the item's process is at a step that leads straight to its end."""
    for t in inst.tasks.values():
        if t.flags & (CONSULT | VERIFY | DETACHED):
            continue
        process = inst.scopes[t.scope].process
        if process.key != item_key:
            continue
        node = process.nodes[t.node]
        targets = [*node.out, *(target for _, target in node.choices)]
        if node.default is not None:
            targets.append(node.default)
        if targets and all(process.nodes[i].step.kind is StepKind.END for i in targets):
            return True
    return False


def _run(
    *,
    case_id: int,
    user: User,
    now: dt.datetime,
    expected_version: int,
    action: str,
    op: Operation,
    data: Mapping[str, Any] | None = None,
) -> ProcessInstanceRecord:
    with transaction.atomic():
        record = _locked(case_id)
        if expected_version != record.version:
            raise _stale(record.version, expected_version)
        inst = load_instance(record)
        try:
            outcome = op(engine(), inst, actor_of(user, record.case))
        except EngineError as exc:
            raise domain_error(exc) from None
        _persist(record, outcome, user=user, now=now, action=action, data=data)
    return record


def _note(
    *,
    case_id: int,
    user: User,
    now: dt.datetime,
    action: str,
    notes: Callable[[Engine, Instance, Actor], list[Event]],
) -> list[FlowEvent]:
    """Comments and copies only add events: no lock on the state, no version change."""
    with transaction.atomic():
        record = ProcessInstanceRecord.objects.select_related("case").filter(case_id=case_id).first()
        if record is None:
            raise NotFound(
                ErrorDetail("not_dispatched", "办件尚未进入审批流程", "The case has no flow", "case")
            )
        inst = load_instance(record)
        try:
            events = notes(engine(), inst, actor_of(user, record.case))
        except EngineError as exc:
            raise domain_error(exc) from None
        _write_events(record.case, events)
        audit_record(
            actor=user,
            action=f"flow.{action}",
            object_type="case",
            object_id=case_id,
            data={"version": inst.version},
        )
        return list(FlowEvent.objects.filter(case_id=case_id).order_by("-id")[: len(events)])


def task_claim(
    *, task: TaskRecord, actor: User, now: dt.datetime, expected_version: int
) -> ProcessInstanceRecord:
    return _run(
        case_id=task.case_id,
        user=actor,
        now=now,
        expected_version=expected_version,
        action="task_claim",
        op=lambda e, i, a: e.claim(i, task=task.task_id, actor=a, now=now),
    )


def task_approve(
    *,
    task: TaskRecord,
    actor: User,
    now: dt.datetime,
    expected_version: int,
    opinion: str = "",
    variables: Mapping[str, Any] | None = None,
) -> ProcessInstanceRecord:
    return _run(
        case_id=task.case_id,
        user=actor,
        now=now,
        expected_version=expected_version,
        action="task_approve",
        op=lambda e, i, a: _require_results(
            task.case_id,
            e.approve(i, task=task.task_id, actor=a, now=now, opinion=opinion, variables=variables),
        ),
    )


def _require_results(case_id: int, outcome: Outcome) -> Outcome:
    """The approval that would end the case (the last step, 统一出件) is refused while an item that produces
    a result has none: nothing is written, and the message names the items."""
    if outcome.instance.status in (Status.COMPLETED, Status.HELD):
        missing = results_missing(Case.objects.get(pk=case_id))
        if missing:
            raise _missing_error(missing)
    return outcome


def task_reject(
    *, task: TaskRecord, actor: User, now: dt.datetime, expected_version: int, reason: str
) -> ProcessInstanceRecord:
    return _run(
        case_id=task.case_id,
        user=actor,
        now=now,
        expected_version=expected_version,
        action="task_reject",
        op=lambda e, i, a: e.reject(i, task=task.task_id, actor=a, now=now, reason=reason),
    )


def task_return(
    *,
    task: TaskRecord,
    actor: User,
    now: dt.datetime,
    expected_version: int,
    reason: str,
    to_step: str | None = None,
    items: Sequence[str] = (),
) -> ProcessInstanceRecord:
    """退回: to the applicant for correction (补正, `items` listed in one notice), or to an earlier step."""
    if to_step:
        op: Operation = lambda e, i, a: e.return_to_step(  # noqa: E731
            i, task=task.task_id, step=to_step, actor=a, now=now, reason=reason
        )
    else:
        op = lambda e, i, a: e.return_to_applicant(  # noqa: E731
            i, task=task.task_id, actor=a, now=now, reason=reason, items=list(items)
        )
    return _run(
        case_id=task.case_id,
        user=actor,
        now=now,
        expected_version=expected_version,
        action="task_return",
        op=op,
        data={"to_step": to_step or "applicant"},
    )


# ------------------------------------------------------------------------------------------ recipients


def _case_party_ids(case: Case) -> tuple[set[int], set[str]]:
    """The case's applicant and agent: their user ids (the applicant, whoever typed a proxy application) and
    ID numbers (the applicant's, the authorised agent's), so another account of the same person counts too."""
    application = case.application
    users = {case.applicant_id}
    numbers = {n for n in (getattr(case.applicant, "id_number", ""),) if n}
    if application.channel == "proxy" and application.entered_by_id is not None:
        users.add(application.entered_by_id)
    agent = str((application.proxy_authorisation or {}).get("agent_id_number") or "").strip().upper()
    if agent:
        numbers.add(agent)
    return users, numbers


def _case_departments(case: Case) -> set[int]:
    """The departments entitled to work the case: its lead department, every department with a task on it,
    and the implementing department of each of its items."""
    ids = set(
        TaskRecord.objects.filter(case=case, department__isnull=False).values_list("department_id", flat=True)
    )
    ids |= {iv.implementing_department_id for iv in _case_items(case).values()}
    ids.add(case.lead_department_id)
    return ids


def _check_recipients(
    *,
    case: Case,
    users: Sequence[User] = (),
    departments: Sequence[Department] = (),
    entitled: set[int],
    field: str,
) -> None:
    """A task (or a copy of it) goes only to active departments and to active handlers or leaders of the
    `entitled` departments, never to the case's applicant or agent: they would read (and could decide) their
    own case. Every problem is listed at once."""
    errors: list[ErrorDetail] = []
    for d in departments:
        if not d.is_active:
            errors.append(
                ErrorDetail(
                    "department_inactive", f"部门“{d.name}”已停用", "The department is not active", field
                )
            )
    if users:
        party_users, party_numbers = _case_party_ids(case)
        staff_of = {
            (user_id, department_id)
            for user_id, department_id in RoleAssignment.objects.filter(
                user__in=[u.pk for u in users], role__in=(Role.HANDLER, Role.LEADER), department__isnull=False
            ).values_list("user_id", "department_id")
        }
        for u in users:
            if u.pk in party_users or (u.id_number and u.id_number.upper() in party_numbers):
                errors.append(
                    ErrorDetail(
                        "recipient_is_party",
                        "不能交给本件的申请人或代办人",
                        "The applicant or agent of the case cannot receive its task",
                        field,
                    )
                )
            elif not u.is_active or not any((u.pk, d) in staff_of for d in entitled):
                errors.append(
                    ErrorDetail(
                        "recipient_not_entitled",
                        f"“{u}”不是有权办理本件的部门在岗工作人员",
                        "Only active staff of a department entitled to the task may receive it",
                        field,
                    )
                )
    if errors:
        raise DomainError(*errors)


def task_transfer(
    *,
    task: TaskRecord,
    actor: User,
    now: dt.datetime,
    expected_version: int,
    department: Department,
    user: User | None = None,
    reason: str = "",
) -> ProcessInstanceRecord:
    if not department.is_active:
        raise _bad("department_inactive", "目标部门已停用", "The department is not active", "department")
    if user is not None:
        _check_recipients(case=task.case, users=[user], entitled={department.pk}, field="user")
    return _run(
        case_id=task.case_id,
        user=actor,
        now=now,
        expected_version=expected_version,
        action="task_transfer",
        op=lambda e, i, a: e.transfer(
            i,
            task=task.task_id,
            actor=a,
            now=now,
            department=dept_ref(department.pk),
            user=user_ref(user.pk) if user else None,
            reason=reason,
        ),
    )


def task_delegate(
    *, task: TaskRecord, actor: User, now: dt.datetime, expected_version: int, to_user: User, note: str = ""
) -> ProcessInstanceRecord:
    """委派: a colleague of the task's department does the work; the result comes back to the delegator."""
    entitled = {task.department_id} if task.department_id is not None else set()
    _check_recipients(case=task.case, users=[to_user], entitled=entitled, field="to_user")
    return _run(
        case_id=task.case_id,
        user=actor,
        now=now,
        expected_version=expected_version,
        action="task_delegate",
        op=lambda e, i, a: e.delegate(
            i, task=task.task_id, actor=a, now=now, to_user=user_ref(to_user.pk), note=note
        ),
    )


def _check_targets(*, task: TaskRecord, to: Sequence[User | Department], field: str) -> None:
    """Added signers and copies: active departments, and staff of the departments working the case (or of
    a department named in the same request)."""
    departments = [d for d in to if isinstance(d, Department)]
    users = [u for u in to if isinstance(u, User)]
    entitled = _case_departments(task.case) | {d.pk for d in departments}
    _check_recipients(case=task.case, users=users, departments=departments, entitled=entitled, field=field)


def _signer_refs(signers: Iterable[User | Department]) -> list[str]:
    return [dept_ref(s.pk) if isinstance(s, Department) else user_ref(s.pk) for s in signers]


def task_add_signers(
    *,
    task: TaskRecord,
    actor: User,
    now: dt.datetime,
    expected_version: int,
    signers: Sequence[User | Department],
) -> ProcessInstanceRecord:
    _check_targets(task=task, to=signers, field="signers")
    refs = _signer_refs(signers)
    return _run(
        case_id=task.case_id,
        user=actor,
        now=now,
        expected_version=expected_version,
        action="task_add_signers",
        op=lambda e, i, a: e.add_signers(i, task=task.task_id, actor=a, now=now, signers=refs),
    )


def task_remove_signers(
    *,
    task: TaskRecord,
    actor: User,
    now: dt.datetime,
    expected_version: int,
    signers: Sequence[User | Department],
) -> ProcessInstanceRecord:
    refs = _signer_refs(signers)
    return _run(
        case_id=task.case_id,
        user=actor,
        now=now,
        expected_version=expected_version,
        action="task_remove_signers",
        op=lambda e, i, a: e.remove_signers(i, task=task.task_id, actor=a, now=now, signers=refs),
    )


def task_withdraw(
    *, task: TaskRecord, actor: User, now: dt.datetime, expected_version: int, reason: str = ""
) -> ProcessInstanceRecord:
    return _run(
        case_id=task.case_id,
        user=actor,
        now=now,
        expected_version=expected_version,
        action="task_withdraw",
        op=lambda e, i, a: e.withdraw(i, task=task.task_id, actor=a, now=now, reason=reason),
    )


def task_remind(
    *, task: TaskRecord, actor: User, now: dt.datetime, expected_version: int, note: str = ""
) -> ProcessInstanceRecord:
    return _run(
        case_id=task.case_id,
        user=actor,
        now=now,
        expected_version=expected_version,
        action="task_remind",
        op=lambda e, i, a: e.remind(i, task=task.task_id, actor=a, now=now, note=note),
    )


def task_copy(
    *, task: TaskRecord, actor: User, now: dt.datetime, to: Sequence[User | Department], note: str = ""
) -> list[FlowEvent]:
    if not to:
        raise _bad("required", "请选择抄送对象", "Choose whom to copy", "to")
    _check_targets(task=task, to=to, field="to")
    refs = _signer_refs(to)
    return _note(
        case_id=task.case_id,
        user=actor,
        now=now,
        action="task_copy",
        notes=lambda e, i, a: e.copy(i, actor=a, now=now, to=refs, task=task.task_id, note=note),
    )


def task_comment(
    *,
    case: Case,
    actor: User,
    now: dt.datetime,
    text: str,
    task: TaskRecord | None = None,
    attachments: Sequence[StoredFile] = (),
) -> list[FlowEvent]:
    if task is not None and task.case_id != case.pk:
        raise _bad("task_not_in_case", "任务不属于该办件", "The task belongs to another case", "task")
    files = [f.sha256 for f in attachments]
    return _note(
        case_id=case.pk,
        user=actor,
        now=now,
        action="task_comment",
        notes=lambda e, i, a: e.comment(
            i, actor=a, now=now, text=text, task=task.task_id if task else None, attachments=files
        ),
    )


def case_suspend(
    *, case: Case, actor: User, now: dt.datetime, expected_version: int, reason: str
) -> ProcessInstanceRecord:
    return _run(
        case_id=case.pk,
        user=actor,
        now=now,
        expected_version=expected_version,
        action="case_suspend",
        op=lambda e, i, a: e.suspend(i, actor=a, now=now, reason=reason),
    )


def case_resume(*, case: Case, actor: User, now: dt.datetime, expected_version: int) -> ProcessInstanceRecord:
    return _run(
        case_id=case.pk,
        user=actor,
        now=now,
        expected_version=expected_version,
        action="case_resume",
        op=lambda e, i, a: e.resume(i, actor=a, now=now),
    )


def case_extend(
    *,
    case: Case,
    actor: User,
    now: dt.datetime,
    expected_version: int,
    count: int,
    reason: str,
    task: TaskRecord | None = None,
) -> ProcessInstanceRecord:
    """延期: `count` units of the case's limit added to the case and to `task`'s step, with a leader's
    approval; never past the statutory limit. The promised date moves with it (see `_sync_case`)."""
    if task is None:
        raise _bad(
            "task_required", "延长时限须指定办理环节", "An extension needs the task it extends", "task"
        )
    if task.case_id != case.pk:
        raise _bad("task_not_in_case", "任务不属于该办件", "The task belongs to another case", "task")
    if type(count) is not int or count <= 0:
        raise _bad(
            "invalid_count", "延长时限数必须是正整数", "The extension must be a positive integer", "count"
        )
    if count > MAX_EXTENSION:
        raise _bad(
            "extension_beyond_statutory",
            f"延长{count}超出法定办结时限，不能延长",
            "The extension goes beyond the statutory limit",
            "count",
        )

    def op(e: Engine, i: Instance, a: Actor) -> Outcome:
        outcome = e.extend(i, actor=a, now=now, count=count, reason=reason, task=task.task_id)
        _check_extension(case, outcome.instance, count, now)
        return outcome

    return _run(
        case_id=case.pk,
        user=actor,
        now=now,
        expected_version=expected_version,
        action="case_extend",
        op=op,
    )


def case_special_start(
    *, case: Case, actor: User, now: dt.datetime, expected_version: int, procedure: str, note: str = ""
) -> ProcessInstanceRecord:
    return _run(
        case_id=case.pk,
        user=actor,
        now=now,
        expected_version=expected_version,
        action="case_special_start",
        op=lambda e, i, a: e.special_start(i, actor=a, now=now, procedure=procedure, note=note),
    )


def case_special_end(
    *, case: Case, actor: User, now: dt.datetime, expected_version: int, outcome: str = ""
) -> ProcessInstanceRecord:
    return _run(
        case_id=case.pk,
        user=actor,
        now=now,
        expected_version=expected_version,
        action="case_special_end",
        op=lambda e, i, a: e.special_end(i, actor=a, now=now, outcome=outcome),
    )


def case_withdraw(
    *, case: Case, actor: User, now: dt.datetime, expected_version: int, reason: str = ""
) -> ProcessInstanceRecord:
    """The applicant withdraws (撤回申请) before the decision."""
    return _run(
        case_id=case.pk,
        user=actor,
        now=now,
        expected_version=expected_version,
        action="case_withdraw",
        op=lambda e, i, a: e.applicant_withdraw(i, actor=a, now=now, reason=reason),
    )


def case_terminate(
    *, case: Case, actor: User, now: dt.datetime, expected_version: int, reason: str
) -> ProcessInstanceRecord:
    return _run(
        case_id=case.pk,
        user=actor,
        now=now,
        expected_version=expected_version,
        action="case_terminate",
        op=lambda e, i, a: e.terminate(i, actor=a, now=now, reason=reason),
    )


def case_resubmit(
    *,
    case: Case,
    actor: User,
    now: dt.datetime,
    expected_version: int,
    variables: Mapping[str, Any] | None = None,
) -> ProcessInstanceRecord:
    """The applicant's correction after a return (补正): the returned task reopens, the clock runs again."""
    return _run(
        case_id=case.pk,
        user=actor,
        now=now,
        expected_version=expected_version,
        action="case_resubmit",
        op=lambda e, i, a: e.resubmit(i, actor=a, now=now, variables=variables),
    )


def case_deficiency_supplied(
    *, case: Case, material_key: str, actor: User, now: dt.datetime
) -> ProcessInstanceRecord:
    """容缺 material supplied (called by intake when it records the supplement): a held result is released
    when nothing else is outstanding. The lead department acts; the caller is the clerk or handler."""
    with transaction.atomic():
        record = _locked(case.pk)
        inst = load_instance(record)
        found = [d for d in inst.deficiencies.values() if d.material == material_key]
        if not found:
            raise _conflict(
                "deficiency_not_open", "该容缺材料不存在或已补齐", "No such open deficiency", "material_key"
            )
        lead = Actor(user_ref(actor.pk), frozenset({dept_ref(case.lead_department_id)}))
        try:
            outcome = engine().satisfy_deficiency(inst, actor=lead, now=now, deficiency=found[0].id)
        except EngineError as exc:
            raise domain_error(exc) from None
        _persist(
            record,
            outcome,
            user=actor,
            now=now,
            action="deficiency_supplied",
            data={"material": material_key},
        )
    return record


def case_formalise(
    *,
    case: Case,
    actor: User,
    now: dt.datetime,
    expected_version: int,
    variables: Mapping[str, Any] | None = None,
) -> ProcessInstanceRecord:
    """模拟审批转正式 in one action once the precondition holds."""
    return _run(
        case_id=case.pk,
        user=actor,
        now=now,
        expected_version=expected_version,
        action="case_formalise",
        op=lambda e, i, a: e.formalise(i, actor=a, now=now, variables=variables),
    )


def case_pull_in(
    *, case: Case, actor: User, now: dt.datetime, expected_version: int, department: Department, note: str
) -> ProcessInstanceRecord:
    """首问责任: the lead department asks another department to contribute."""
    return _run(
        case_id=case.pk,
        user=actor,
        now=now,
        expected_version=expected_version,
        action="case_pull_in",
        op=lambda e, i, a: e.pull_in(i, actor=a, now=now, department=dept_ref(department.pk), note=note),
    )


@dataclass
class BatchResult:
    approved: list[int] = field(default_factory=list)  # TaskRecord ids
    errors: dict[int, list[ErrorDetail]] = field(default_factory=dict)


def tasks_batch_approve(
    *, tasks: Sequence[tuple[TaskRecord, int]], actor: User, now: dt.datetime, opinion: str = "同意"
) -> BatchResult:
    """批量审批: each (task, expected version) approved in its own transaction; failures are reported per
    task and change nothing. Only simple tasks qualify: a single handler's flow task (no countersign)."""
    result = BatchResult()
    moved: dict[int, tuple[int, int]] = {}  # case → (version listed, version after our own approvals)
    for task, expected in tasks:
        if task.kind != TaskKind.FLOW or task.countersign:
            result.errors[task.pk] = [
                ErrorDetail("not_simple_task", "会签或核查任务不能批量审批", "Not a simple task", "tasks")
            ]
            continue
        listed = moved.get(task.case_id)
        if listed is not None and listed[0] == expected:
            expected = listed[1]  # our own earlier approval in this batch moved the case on
        try:
            record = task_approve(task=task, actor=actor, now=now, expected_version=expected, opinion=opinion)
        except DomainError as exc:
            result.errors[task.pk] = list(exc.errors)
            continue
        moved[task.case_id] = (listed[0] if listed else expected, record.version)
        result.approved.append(task.pk)
    return result


# ------------------------------------------------------------------------------------------ sweep


@dataclass
class SweepReport:
    instances: int = 0
    actions: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


def flow_sweep(*, now: dt.datetime, batch: int = 100) -> SweepReport:
    """Apply every timeout action due at `now` (remind, deem approved, reject, escalate, absence default,
    an overdue 容缺 date). Instances are taken in batches by `wake_at`; on PostgreSQL with SKIP LOCKED, so
    several workers share the work and never wait on a case someone is editing."""
    report = SweepReport()
    seen: set[int] = set()
    skip_locked = connection.features.has_select_for_update_skip_locked
    while True:
        with transaction.atomic():
            qs = (
                ProcessInstanceRecord.objects.filter(wake_at__lte=now)
                .exclude(pk__in=seen)
                .order_by("wake_at", "pk")
            )
            if skip_locked:
                qs = qs.select_for_update(skip_locked=True, of=("self",))
            records = list(qs.select_related("case")[:batch])
            for record in records:
                seen.add(record.pk)
                try:
                    with transaction.atomic():
                        _sweep_one(record, now, report)
                except DomainError as exc:  # one bad case must not stop the others
                    logger.warning("flow sweep: case %s skipped: %s", record.case_id, exc.errors[0].code)
        if len(records) < batch:
            return report


def _sweep_one(record: ProcessInstanceRecord, now: dt.datetime, report: SweepReport) -> None:
    eng = engine()
    inst = load_instance(record)
    events: list[Event] = []
    applied = 0
    # Apply one at a time: an action (a rejection, a deemed approval) can make the others moot.
    for _ in range(len(inst.tasks) + len(inst.deficiencies) + 1):
        actions = eng.sweep(inst, now)
        if not actions:
            break
        action = actions[0]
        try:
            inst, more = eng.apply_timeout(inst, action, now=now)
        except EngineError as exc:
            logger.warning("flow sweep: case %s action %s refused: %s", record.case_id, action.kind, exc.code)
            break
        events += more
        applied += 1
        report.by_kind[action.kind] = report.by_kind.get(action.kind, 0) + 1
    report.instances += 1
    report.actions += applied
    with transaction.atomic():
        if applied:
            _persist(record, Outcome(inst, events), user=None, now=now, action="timeout")
        else:
            # Nothing due any more (e.g. paused): move the wake-up on so the case is not read again.
            wake = wake_at(inst)
            ProcessInstanceRecord.objects.filter(pk=record.pk).update(
                wake_at=wake if wake is not None and wake > now else None
            )


# ------------------------------------------------------------------------------------------ results


def _case_items(case: Case) -> dict[int, ItemVersion]:
    if case.item_version_id is not None:
        iv = ItemVersion.objects.select_related("item").get(pk=case.item_version_id)
        return {iv.item_id: iv}
    chosen = set(case.application.chosen_members or ())
    return {
        m.item_version.item_id: m.item_version
        for m in version_members(BundleVersion.objects.get(pk=case.bundle_version_id))
        if m.item_version is not None and (not m.optional or m.code in chosen)
    }


def case_items(case: Case) -> list[Item]:
    """The items that each take a result in this case (a bundle's chosen members), in a stable order."""
    return sorted((iv.item for iv in _case_items(case).values()), key=lambda i: i.pk)


def _departments_of(user: User) -> set[int]:
    return set(
        RoleAssignment.objects.filter(
            user=user, role__in=(Role.HANDLER, Role.LEADER), department__isnull=False
        ).values_list("department_id", flat=True)
    )


_DECIDED = (Status.COMPLETED.value, Status.HELD.value, Status.REJECTED.value)


@transaction.atomic
def result_issue(
    *,
    case: Case,
    item: Item,
    kind: str,
    actor: User,
    now: dt.datetime,
    document_number: str = "",
    title: str = "",
    reasons: str = "",
    legal_basis: str = "",
    licence_type: str = "",
    valid_to: dt.date | None = None,
    file: StoredFile | None = None,
) -> CaseResult:
    """出具结果: one per item of the case, by a handler or leader of the item's implementing department, at the
    item's final step (before approving it: the case cannot complete without it), at 统一出件, or once the
    flow has decided. An e-licence takes its type from the register (`licence_type` is its code) and what the
    case knows (holder, name, dates) and is registered there; a refusal decision needs its reasons and legal
    basis. The result that completes a decided case completes it (办结)."""
    record = _locked(case.pk)
    case = record.case
    items = _case_items(case)
    iv = items.get(item.pk)
    errors: list[ErrorDetail] = []
    if iv is None:
        raise _bad("item_not_in_case", "该事项不属于本办件", "The item is not part of this case", "item")
    if iv.implementing_department_id not in _departments_of(actor):
        raise Forbidden(
            ErrorDetail(
                "not_entitled",
                "只有实施部门可以出具结果",
                "Only the implementing department may issue",
                "item",
            )
        )
    if CaseResult.objects.filter(case=case, item=item).exists():
        raise _conflict("result_exists", "该事项已出具结果", "A result for this item exists", "item")
    running = record.status == Status.RUNNING.value
    open_flow = TaskRecord.objects.filter(instance=record, status__in=OPEN_TASK_STATUSES, kind=TaskKind.FLOW)
    decided = (
        record.status in _DECIDED
        or (running and not open_flow.exclude(step_code=ISSUE_STEP).exists())
        or (running and _final_step_open(load_instance(record), f"item:{iv.item.implementation_code}"))
    )
    if not decided:
        raise _conflict(
            "not_decided",
            "审批尚未到最后环节，不能出具结果",
            "The item has not reached its final step",
            "case",
        )
    try:
        result_kind = ResultKind(kind)
    except ValueError:
        raise _bad("invalid_kind", "请选择结果类型", "Invalid result kind", "kind") from None
    rejected = record.status == Status.REJECTED.value
    if rejected != (result_kind is ResultKind.DENIAL):
        errors.append(
            ErrorDetail(
                "kind_mismatch",
                "不予许可的办件只能出具不予许可决定书，准予的办件不能出具不予许可决定书",
                "A rejected case takes a denial; an approved one cannot",
                "kind",
            )
        )
    document_number, title = document_number.strip(), title.strip()
    register_as: LicenceType | None = None
    if result_kind is ResultKind.LICENCE:
        code = licence_type.strip()
        register_as = LicenceType.objects.filter(code=code).first() if code else None
        if not code:
            errors.append(
                ErrorDetail(
                    "required", "请从电子证照库选择证照类型", "Choose the licence type", "licence_type"
                )
            )
        elif register_as is None:
            errors.append(
                ErrorDetail(
                    "unknown_licence_type",
                    "所选证照类型未在电子证照库登记，请从列表中选择",
                    "This licence type is not in the e-licence register",
                    "licence_type",
                )
            )
        title = title or (register_as.name if register_as else "")
    elif not document_number:
        errors.append(
            ErrorDetail("required", "请填写文号或证照编号", "Document number required", "document_number")
        )
    if not title:  # the catalogue's result name, except for a refusal, which is its own document
        title = ResultKind.DENIAL.label if result_kind is ResultKind.DENIAL else iv.result_name
        title = title or ResultKind(result_kind).label
    if result_kind is ResultKind.DENIAL:
        if not reasons.strip():
            errors.append(
                ErrorDetail("reason_required", "不予许可须写明理由", "A denial needs reasons", "reasons")
            )
        if not legal_basis.strip():
            errors.append(
                ErrorDetail(
                    "legal_basis_required",
                    "不予许可须写明法律依据",
                    "A denial needs its legal basis",
                    "legal_basis",
                )
            )
    if errors:
        raise DomainError(*errors)
    licence = None
    if register_as is not None:
        # Into the e-licence register, so later cases take it instead of a paper copy; holder from the case.
        applicant = case.applicant
        person = register_as.holder_kind == HolderKind.PERSON
        licence = licence_issue(
            licence_type=register_as,
            holder=applicant.id_number if person else applicant.organisation_code,
            holder_name=case.applicant_name
            if person
            else (applicant.organisation_name or case.applicant_name),
            valid_from=timezone.localtime(now).date(),
            valid_to=valid_to,
            actor=actor,
            number=document_number,
            issuer=Department.objects.get(pk=iv.implementing_department_id),
            case=case,
        )
        document_number = licence.number
    try:
        with transaction.atomic():
            result = CaseResult.objects.create(
                case=case,
                item=item,
                kind=result_kind,
                document_number=document_number,
                title=title,
                reasons=reasons.strip(),
                legal_basis=legal_basis.strip() if result_kind is ResultKind.DENIAL else "",
                licence_type=register_as.name if register_as else "",
                licence=licence,
                issued_at=now,
                issued_by=actor,
                department_id=iv.implementing_department_id,
                file=file,
            )
    except IntegrityError:
        raise _conflict(
            "duplicate_number", "文号已被本部门使用", "The document number is already used", "document_number"
        ) from None
    CaseEvent.objects.create(
        case=case,
        at=now,
        kind="result_issued",
        title=f"已出具结果：{title}",
        actor=actor,
        data={"kind": kind},
    )
    FlowEvent.objects.create(
        case=case,
        at=now,
        kind="result_issued",
        actor=actor,
        data={"item": item.pk, "kind": kind, "number": document_number},
    )
    if (
        record.status in (Status.COMPLETED.value, Status.REJECTED.value)
        and case.completed_at is None
        and not results_missing(case, rejected=rejected)
    ):
        fields = _complete_case(case, outcome=record.status, now=now, user=actor)
        fields["status"] = CaseStatus.COMPLETED
        Case.objects.filter(pk=case.pk).update(row_version=F("row_version") + 1, **fields)
    audit_record(
        actor=actor,
        action="flow.result_issue",
        object_type="case",
        object_id=case.pk,
        data={"item": item.pk, "kind": kind, "number": document_number},
    )
    return result


def _is_clerk_for(user: User, case: Case) -> bool:
    return scope_for(user, Role.CLERK).allows_department(case.lead_department_id)


@transaction.atomic
def delivery_create(
    *,
    case: Case,
    method: str,
    actor: User,
    now: dt.datetime,
    window: Window | None = None,
    carrier: str = "",
    tracking_number: str = "",
) -> Delivery:
    """统一出件: every item has its result and nothing is held; by the window (clerk of the case's region)
    or the lead department."""
    record = _locked(case.pk)
    case = record.case
    if not (_is_clerk_for(actor, case) or case.lead_department_id in _departments_of(actor)):
        raise Forbidden(ErrorDetail("not_entitled", "无权办理出件", "You may not deliver this case", "case"))
    if record.status == Status.HELD.value or case.result_held:
        raise _conflict(
            "result_held", "容缺材料未补齐或模拟审批未转正式，结果暂缓发放", "The result is held", "case"
        )
    missing = results_missing(case, rejected=record.status == Status.REJECTED.value)
    if record.status == Status.RUNNING.value and (
        TaskRecord.objects.filter(instance=record, status__in=OPEN_TASK_STATUSES, kind=TaskKind.FLOW)
        .exclude(step_code=ISSUE_STEP)
        .exists()
    ):
        raise _conflict("not_decided", "审批尚未完成，不能送达", "The decision is not made yet", "case")
    if record.status not in (Status.COMPLETED.value, Status.REJECTED.value, Status.RUNNING.value) or missing:
        raise _conflict("results_missing", "尚有事项未出具结果", "Some items have no result yet", "case")
    if Delivery.objects.filter(case=case).exists():
        raise _conflict("delivery_exists", "该办件已安排送达", "The case already has a delivery", "case")
    try:
        how = DeliveryMethod(method)
    except ValueError:
        raise _bad("invalid_method", "送达方式无效", "Invalid delivery method", "method") from None
    number = case.number or ""
    if how is DeliveryMethod.PICKUP:
        window = window or case.window
        if window is None:
            raise _bad("window_required", "请选择领取窗口", "Choose the pickup window", "window")
        notice = (
            f"您的办件{number}“{case.title}”已办结，请携带有效身份证件到{window.hall.name}{window.number}号窗口"
            f"（{window.name}）领取办理结果。"
        )
        status = DeliveryStatus.READY
    elif how is DeliveryMethod.POST:
        carrier, tracking_number = carrier.strip(), tracking_number.strip()
        if not tracking_number:
            raise _bad(
                "tracking_required",
                "邮寄送达须填写运单号",
                "A tracking number is required",
                "tracking_number",
            )
        notice = (
            f"您的办件{number}“{case.title}”办理结果已由{carrier or '快递'}寄出，运单号{tracking_number}。"
        )
        status = DeliveryStatus.SENT
        window = None
    else:
        notice = f"您的办件{number}“{case.title}”办理结果已电子送达，请在办件详情中查看和下载。"
        status = DeliveryStatus.SENT
        window = None
    delivery = Delivery.objects.create(
        case=case,
        method=how,
        status=status,
        window=window,
        carrier=carrier if how is DeliveryMethod.POST else "",
        tracking_number=tracking_number if how is DeliveryMethod.POST else "",
        notice=notice,
        created_at=now,
        created_by=actor,
    )
    CaseEvent.objects.create(case=case, at=now, kind="delivery_created", title=notice[:255], actor=actor)
    FlowEvent.objects.create(
        case=case, at=now, kind="delivery_created", actor=actor, data={"method": how.value}
    )
    audit_record(
        actor=actor,
        action="flow.delivery_create",
        object_type="case",
        object_id=case.pk,
        data={"method": how.value},
    )
    return delivery


@transaction.atomic
def delivery_confirm(*, delivery: Delivery, actor: User, now: dt.datetime) -> Delivery:
    """签收: the applicant confirms receipt (online, or by signing at the window, recorded by the clerk).
    Collecting at the window is a trip to the hall and is counted as one."""
    delivery = Delivery.objects.select_for_update().select_related("case").get(pk=delivery.pk)
    case = delivery.case
    by_applicant = actor.pk == case.applicant_id
    at_window = delivery.method == DeliveryMethod.PICKUP and _is_clerk_for(actor, case)
    if not (by_applicant or at_window):
        raise Forbidden(
            ErrorDetail(
                "not_applicant", "只有申请人可以确认签收", "Only the applicant may confirm", "delivery"
            )
        )
    if delivery.status == DeliveryStatus.RECEIVED:
        raise _conflict("already_received", "已确认签收", "Receipt already confirmed", "delivery")
    delivery.status = DeliveryStatus.RECEIVED
    delivery.confirmed_at = now
    delivery.confirmed_by = actor
    delivery.save(update_fields=["status", "confirmed_at", "confirmed_by"])
    trips = 1 if delivery.method == DeliveryMethod.PICKUP else 0
    Case.objects.filter(pk=case.pk).update(trips=F("trips") + trips, row_version=F("row_version") + 1)
    CaseEvent.objects.create(case=case, at=now, kind="delivery_received", title="办理结果已签收", actor=actor)
    FlowEvent.objects.create(
        case=case, at=now, kind="delivery_received", actor=actor, data={"trips_added": trips}
    )
    audit_record(
        actor=actor,
        action="flow.delivery_confirm",
        object_type="case",
        object_id=case.pk,
        data={"trips_added": trips},
    )
    return delivery
