"""Data-sharing writes: the source registry, exchange requests, prefill (which writes the access log),
and the e-licence register (issue, revoke; verify is read-only).

Prefill reads the requested data elements for one subject from every entitled source that provides them:
HTTP sources concurrently on a thread pool, each within its own timeout, while the local tables are read in
the caller's thread. The authority rank decides between sources (lower wins) and disagreements are reported;
a source that fails is listed as degraded and its fields are left for the applicant (`complete=False`).
Every read, successful or not, is an `AccessLogEntry`, written with the daily rollup in one transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from stdnum.cn import ric
from stdnum.cn import uscc as uscc_mod
from stdnum.exceptions import ValidationError as StdnumError

from onetrip.catalog.models import DataElement, Sensitivity
from onetrip.core import clock
from onetrip.core.audit import audit_record
from onetrip.core.errors import DomainError, ErrorDetail, Forbidden
from onetrip.orgs.models import ApplicantKind, Department, Role, RoleAssignment
from onetrip.orgs.permissions import STAFF_ROLES, roles_of, scope_for
from onetrip.sharing.adapters import (
    LOCAL_TABLES,
    HttpConfig,
    SourceDataError,
    SourceUnavailable,
    Subject,
    adapter_for,
    local_table_fields,
)
from onetrip.sharing.models import (
    AccessDailyCount,
    AccessLogEntry,
    AccessOutcome,
    AccessPurpose,
    DataSource,
    ExchangeRequest,
    ExchangeStatus,
    HolderKind,
    HouseholdMember,
    HouseholdRelation,
    Licence,
    LicenceStatus,
    LicenceType,
    SourceElement,
    SourceEntitlement,
    SourceKind,
    StaffRecord,
)

HTTP_POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="sharing-http")
DEFAULT_TIMEOUT = 2.0
SECRET_CONFIG_KEYS = ("password", "secret", "token", "api_key", "apikey", "authorization")


def _err(code: str, zh: str, en: str, field_name: str | None = None) -> ErrorDetail:
    return ErrorDetail(code, zh, en, field_name)


# ------------------------------------------------------------------------------------------ subjects


def subject_hash(key: str) -> str:
    """HMAC-SHA256 of an ID number or USCC under SECRET_KEY: the log is searchable by subject, yet holds no
    number in clear (and the hash cannot be reversed by enumerating numbers without the key)."""
    normalised = key.strip().upper()
    return hmac.new(settings.SECRET_KEY.encode(), normalised.encode(), hashlib.sha256).hexdigest()


def subject_from(*, id_number: str | None, uscc: str | None) -> Subject:
    if bool(id_number) == bool(uscc):
        raise DomainError(
            _err(
                "subject_required",
                "请提供且只提供一个查询对象：公民身份号码或统一社会信用代码",
                "Give exactly one subject: an ID number or a USCC",
                "subject",
            )
        )
    if id_number:
        try:
            return Subject(id_number=ric.validate(id_number.strip().upper()))
        except StdnumError:
            raise DomainError(
                _err(
                    "invalid_id_number",
                    "公民身份号码格式或校验位不正确",
                    "Invalid ID number",
                    "subject_id_number",
                )
            ) from None
    try:
        return Subject(uscc=uscc_mod.validate(str(uscc).strip().upper()))
    except StdnumError:
        raise DomainError(
            _err("invalid_uscc", "统一社会信用代码格式或校验位不正确", "Invalid USCC", "subject_uscc")
        ) from None


# ------------------------------------------------------------------------------------ source registry


@dataclass(frozen=True)
class ElementBinding:
    element: str  # data element code
    field: str  # the source's field
    authority_rank: int = 10
    authoritative: bool = False


@transaction.atomic
def source_register(
    *,
    code: str,
    name: str,
    department: Department,
    kind: str,
    sensitivity: str,
    subject_kind: str,
    config: Mapping[str, Any],
    elements: Sequence[ElementBinding],
    actor: Any,
    description: str = "",
) -> DataSource:
    """Create or replace a data source with the elements it provides. The configuration names credentials
    by reference (an environment variable); a secret written into it is refused."""
    errors: list[ErrorDetail] = []
    if kind not in SourceKind.values:
        errors.append(_err("invalid_kind", "数据源类型无效", "Unknown source kind", "kind"))
    if sensitivity not in Sensitivity.values:
        errors.append(_err("invalid_sensitivity", "敏感级别无效", "Unknown sensitivity", "sensitivity"))
    if subject_kind not in ("person", "company"):
        errors.append(_err("invalid_subject_kind", "查询对象无效", "Unknown subject kind", "subject_kind"))
    leaked = [k for k in config if any(s in k.lower() for s in SECRET_CONFIG_KEYS)]
    if leaked:
        errors.append(
            _err(
                "secret_in_config",
                "连接配置中不得写入密钥，请用 credentials_ref 指向环境变量",
                "Do not put secrets in the configuration; use credentials_ref",
                "config",
            )
        )
    available: set[str] | None = None
    if kind == SourceKind.HTTP:
        try:
            HttpConfig.from_dict(dict(config))
        except (TypeError, ValueError):
            errors.append(
                _err(
                    "invalid_config",
                    "接口配置无效（需 http(s) 地址、数值型超时与重试）",
                    "Bad HTTP config",
                    "config",
                )
            )
    elif kind == SourceKind.LOCAL_TABLE:
        table = str(config.get("table", ""))
        if table not in LOCAL_TABLES:
            errors.append(_err("unknown_table", "本地共享表不存在", "Unknown local table", "config.table"))
        else:
            available = local_table_fields(table)
    known = {e.code: e for e in DataElement.objects.filter(code__in=[b.element for b in elements])}
    for i, b in enumerate(elements):
        if b.element not in known:
            errors.append(
                _err(
                    "unknown_element",
                    f"数据元“{b.element}”不存在",
                    f"Unknown data element {b.element!r}",
                    f"elements[{i}]",
                )
            )
        if available is not None and b.field not in available:
            errors.append(
                _err(
                    "unknown_field",
                    f"本地表没有字段“{b.field}”",
                    f"Unknown field {b.field!r}",
                    f"elements[{i}]",
                )
            )
    if errors:
        raise DomainError(*errors)
    source, _ = DataSource.objects.update_or_create(
        code=code,
        defaults={
            "name": name,
            "department": department,
            "kind": kind,
            "sensitivity": sensitivity,
            "subject_kind": subject_kind,
            "config": dict(config),
            "description": description,
        },
    )
    SourceElement.objects.filter(source=source).delete()
    SourceElement.objects.bulk_create(
        SourceElement(
            source=source,
            element=known[b.element],
            field=b.field,
            authority_rank=b.authority_rank,
            authoritative=b.authoritative,
        )
        for b in elements
    )
    audit_record(
        actor=actor,
        action="sharing.source_register",
        object_type="sharing.DataSource",
        object_id=source.pk,
        data={"code": code, "kind": kind, "elements": [b.element for b in elements]},
    )
    return source


def entitlement_grant(
    *,
    source: DataSource,
    role: str,
    actor: Any,
    department: Department | None = None,
    applicant_kind: str = "",
    own_data_only: bool = False,
) -> SourceEntitlement:
    if role not in Role.values:
        raise DomainError(_err("invalid_role", "角色无效", "Unknown role", "role"))
    with transaction.atomic():
        ent, _ = SourceEntitlement.objects.get_or_create(
            source=source,
            role=role,
            department=department,
            applicant_kind=applicant_kind,
            own_data_only=own_data_only,
        )
        audit_record(
            actor=actor,
            action="sharing.entitlement_grant",
            object_type="sharing.DataSource",
            object_id=source.pk,
            data={"role": role, "department": getattr(department, "code", None)},
        )
    return ent


# ------------------------------------------------------------------------------ exchange requests


def exchange_request_create(
    *,
    source: DataSource,
    requester: Any,
    reason: str,
    case: Any = None,
    application: Any = None,
    task_ref: str = "",
) -> ExchangeRequest:
    errors = []
    if not reason.strip():
        errors.append(_err("required", "请填写交换事由", "A reason is required", "reason"))
    if case is None and application is None and not task_ref:
        errors.append(_purpose_binding_error())
    if errors:
        raise DomainError(*errors)
    with transaction.atomic():
        request = ExchangeRequest.objects.create(
            source=source,
            requester=requester,
            reason=reason.strip(),
            case=case,
            application=application,
            task_ref=task_ref,
            created_at=clock.now(),
        )
        audit_record(
            actor=requester,
            action="sharing.exchange_request",
            object_type="sharing.ExchangeRequest",
            object_id=request.pk,
            data={"source": source.code},
        )
    return request


def exchange_request_decide(
    *, request: ExchangeRequest, approver: Any, approve: bool, valid_until: Any = None
) -> ExchangeRequest:
    """A leader of the source's owner department (or a system admin) approves or rejects."""
    is_owner_leader = RoleAssignment.objects.filter(
        user=approver, role=Role.LEADER, department_id=request.source.department_id
    ).exists()
    if not (is_owner_leader or Role.SYSTEM_ADMIN in roles_of(approver)):
        raise Forbidden(
            _err(
                "not_source_leader",
                "只有数据提供部门负责人可以审批数据交换",
                "Only the source owner's leader may decide",
            )
        )
    if approver.pk == request.requester_id:
        raise Forbidden(_err("self_approval", "不能审批本人的交换申请", "You cannot decide your own request"))
    with transaction.atomic():
        locked = ExchangeRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != ExchangeStatus.PENDING:
            raise DomainError(
                _err("already_decided", "该申请已审批", "This request has been decided", "status")
            )
        locked.status = ExchangeStatus.APPROVED if approve else ExchangeStatus.REJECTED
        locked.decided_by, locked.decided_at, locked.valid_until = approver, clock.now(), valid_until
        locked.save(update_fields=["status", "decided_by", "decided_at", "valid_until"])
        audit_record(
            actor=approver,
            action="sharing.exchange_decide",
            object_type="sharing.ExchangeRequest",
            object_id=locked.pk,
            data={"status": locked.status},
        )
    return locked


# --------------------------------------------------------------------------------- authorisation


def _purpose_binding_error() -> ErrorDetail:
    return _err(
        "purpose_required",
        "读取共享数据必须关联办件、审批任务或正在填写的申请",
        "Reading shared data needs a case, a task or an application being filled in",
        "purpose",
    )


def check_purpose(*, purpose: str, case: Any, application: Any, task: Any) -> None:
    errors = []
    if not purpose:
        errors.append(_err("purpose_required", "请说明读取用途", "A purpose is required", "purpose"))
    elif purpose not in AccessPurpose.values:
        errors.append(_err("invalid_purpose", "读取用途无效", "Unknown purpose", "purpose"))
    if case is None and application is None and task is None:
        errors.append(_purpose_binding_error())
    if errors:
        raise DomainError(*errors)


@dataclass
class Grant:
    department_id: int | None = None
    exchange_request: ExchangeRequest | None = None


def _assignments(actor: Any) -> list[tuple[str, int | None]]:
    cached = getattr(actor, "_sharing_assignments", None)
    if cached is None:
        cached = list(RoleAssignment.objects.filter(user=actor).values_list("role", "department_id"))
        if Role.APPLICANT not in {r for r, _ in cached} and not roles_of(actor) & STAFF_ROLES:
            cached.append((Role.APPLICANT, None))  # a signed-in person with no role applies for themself
        actor._sharing_assignments = cached
    return cached


def grant_for(
    *,
    actor: Any,
    source: DataSource,
    subject: Subject,
    case: Any,
    application: Any,
    task_ref: str,
    entitlements: Sequence[SourceEntitlement] | None = None,
) -> Grant | None:
    """How the actor may read the source for this case, or None when it may not."""
    if source.sensitivity == Sensitivity.CLASSIFIED:
        approved = ExchangeRequest.objects.filter(
            requester=actor, source=source, status=ExchangeStatus.APPROVED
        ).order_by("-decided_at")
        now = clock.now()
        for request in approved:
            if request.valid_until is not None and request.valid_until < now:
                continue
            bound = (
                (case is not None and request.case_id == case.pk)
                or (application is not None and request.application_id == application.pk)
                or (task_ref and request.task_ref == task_ref)
            )
            if bound:
                return Grant(exchange_request=request)
        return None
    own_keys = {k for k in (getattr(actor, "id_number", ""), getattr(actor, "organisation_code", "")) if k}
    rows = entitlements if entitlements is not None else list(source.entitlements.all())
    assignments = _assignments(actor)
    for ent in rows:
        for role, department_id in assignments:
            if role != ent.role:
                continue
            if ent.department_id is not None and ent.department_id != department_id:
                continue
            if ent.applicant_kind and getattr(actor, "applicant_kind", "") != ent.applicant_kind:
                continue
            if ent.own_data_only and subject.key not in own_keys and not _staff_of_actor(actor, subject):
                continue
            return Grant(department_id=department_id)
    return None


def _staff_of_actor(actor: Any, subject: Subject) -> bool:
    """An office applicant (机关单位) acts for the staff on its own establishment (机关内部办事)."""
    unit = getattr(actor, "organisation_code", "")
    if getattr(actor, "applicant_kind", "") != ApplicantKind.OFFICE or not unit or not subject.id_number:
        return False
    cache = actor.__dict__.setdefault("_sharing_staff_of", {})
    if subject.id_number not in cache:
        cache[subject.id_number] = StaffRecord.objects.filter(
            id_number=subject.id_number, unit_uscc=unit
        ).exists()
    return bool(cache[subject.id_number])


def _bound(*, case: Any, application: Any, task: Any) -> tuple[Any, Any]:
    """The case and application a read is for, made consistent: a task stands for its case, a case for its
    application. A task of another case, or a case of another application, is refused."""
    if task is not None:
        if case is not None and task.case_id != case.pk:
            raise DomainError(
                _err("task_not_in_case", "任务不属于该办件", "The task is of another case", "task")
            )
        case = task.case
    if case is not None:
        if application is not None and case.application_id != application.pk:
            raise DomainError(
                _err(
                    "application_not_in_case",
                    "申请不属于该办件",
                    "The application is of another case",
                    "application",
                )
            )
        application = case.application
    if application is None:
        raise Forbidden(_purpose_binding_error())
    return case, application


def _party_keys(case: Any, application: Any) -> set[str]:
    """The ID numbers and USCCs of the case's parties: the applicant (person or organisation), the authorised
    agent, and every person or organisation the application names (an office applicant names the staff member
    it acts for)."""
    keys: set[str] = set()
    for user in (application.applicant, getattr(case, "applicant", None)):
        if user is not None:
            keys |= {k.strip().upper() for k in (user.id_number, user.organisation_code) if k}
    agent = (application.proxy_authorisation or {}).get("agent_id_number")
    if agent:
        keys.add(str(agent).strip().upper())
    for value in (application.form_data or {}).values():
        if isinstance(value, str) and len(value.strip()) == 18:
            keys.add(value.strip().upper())
    return keys


def _reader_in_scope(*, actor: Any, case: Any, application: Any) -> bool:
    """The applicant, whoever typed the application (a window clerk, an agent), the clerk who accepted the
    case or a clerk whose window accepts for its department, staff of a department handling it (the lead
    department or a department with a task on it), and whoever holds one of its tasks."""
    if actor.pk in (application.applicant_id, application.entered_by_id):
        return True
    if case is not None and actor.pk in (case.applicant_id, case.accepted_by_id):
        return True
    from onetrip.intake.selectors import _lead_department_id

    lead = case.lead_department_id if case is not None else _lead_department_id(application)
    if Role.CLERK in roles_of(actor) and scope_for(actor, Role.CLERK).allows_department(lead):
        return True
    departments = set(
        RoleAssignment.objects.filter(
            user=actor, role__in=(Role.HANDLER, Role.LEADER), department__isnull=False
        ).values_list("department_id", flat=True)
    )
    if lead in departments:
        return True
    if case is None:
        return False
    from django.db.models import Q

    from onetrip.flow.models import TaskRecord

    return (
        TaskRecord.objects.filter(case_id=case.pk)
        .filter(Q(department_id__in=departments) | Q(assignee_id=actor.pk) | Q(delegator_id=actor.pk))
        .exists()
    )


def check_binding(*, actor: Any, subject: Subject, case: Any, application: Any, task: Any) -> tuple[Any, Any]:
    """A shared-data read is for a case, an application or a task that exists, that the reader may work on
    (`_reader_in_scope`), and whose parties include the subject. Returns the (case, application) read for;
    Forbidden otherwise, whatever the reader's role."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise Forbidden(_err("forbidden", "无权读取共享数据", "Not allowed to read shared data"))
    case, application = _bound(case=case, application=application, task=task)
    if not _reader_in_scope(actor=actor, case=case, application=application):
        raise Forbidden(
            _err(
                "not_your_case",
                "只能为本人经办或本部门办理的办件读取共享数据",
                "You do not work on this case",
                "case" if case is not None else "application",
            )
        )
    if subject.key not in _party_keys(case, application) and not _staff_of_actor(
        application.applicant, subject
    ):
        raise Forbidden(
            _err(
                "subject_not_party",
                "查询对象不是该办件的申请人、代办人或申请中载明的当事人",
                "The subject is not a party to this case",
                "subject",
            )
        )
    return case, application


# ------------------------------------------------------------------------------------------ prefill


@dataclass
class Candidate:
    source: str
    value: Any
    rank: int


@dataclass
class ElementConflict:
    element: str
    chosen_source: str
    candidates: list[Candidate]


@dataclass
class DegradedSource:
    source: str
    name: str
    reason: str  # timeout, unreachable, http_error, circuit_open, malformed, credentials_missing


@dataclass
class PrefillResult:
    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # element → source code
    source_labels: dict[str, str] = field(default_factory=dict)  # source code → “名称（部门）”
    authoritative: list[str] = field(default_factory=list)
    conflicts: list[ElementConflict] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    degraded: list[DegradedSource] = field(default_factory=list)
    denied: list[str] = field(default_factory=list)  # sources providing a requested element, not entitled

    @property
    def complete(self) -> bool:
        """Every requested element was filled and every source answered."""
        return not self.missing and not self.degraded

    def label(self, element: str) -> str:
        return self.source_labels.get(self.sources.get(element, ""), "")

    def as_prefilled(self) -> dict[str, dict[str, Any]]:
        """For Application.prefilled: element → source code, label and whether the applicant may change it."""
        authoritative = set(self.authoritative)
        return {
            e: {"source": s, "label": self.source_labels[s], "authoritative": e in authoritative}
            for e, s in self.sources.items()
        }

    def as_pairs(self) -> dict[str, tuple[Any, str]]:
        """element → (value, source label): the shape of intake's user-record prefill."""
        return {e: (v, self.label(e)) for e, v in self.values.items()}

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["complete"] = self.complete
        out["prefilled"] = self.as_prefilled()
        return out


def _same(a: Any, b: Any) -> bool:
    return str(a).strip() == str(b).strip()


def prefill(
    *,
    subject_id_number: str | None = None,
    subject_uscc: str | None = None,
    element_codes: Iterable[str],
    purpose: str,
    actor: Any,
    case: Any = None,
    application: Any = None,
    task: Any = None,
) -> PrefillResult:
    """Read the elements for one subject, for one case, application or task (flow's TaskRecord) that the
    reader works on and whose parties include the subject; every read is logged with its reader."""
    check_purpose(purpose=purpose, case=case, application=application, task=task)
    subject = subject_from(id_number=subject_id_number, uscc=subject_uscc)
    task_ref = str(task.pk) if task is not None else ""
    codes = list(dict.fromkeys(element_codes))
    known = set(DataElement.objects.filter(code__in=codes).values_list("code", flat=True))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise DomainError(
            *(
                _err("unknown_element", f"数据元“{c}”不存在", f"Unknown data element {c!r}", "element_codes")
                for c in unknown
            )
        )
    case, application = check_binding(
        actor=actor, subject=subject, case=case, application=application, task=task
    )

    bindings = list(
        SourceElement.objects.filter(
            element__code__in=codes, source__is_active=True, source__subject_kind=subject.kind
        )
        .select_related("source", "source__department", "element")
        .order_by("authority_rank", "source__code")
    )
    by_source: dict[int, list[SourceElement]] = {}
    sources: dict[int, DataSource] = {}
    for b in bindings:
        by_source.setdefault(b.source_id, []).append(b)
        sources[b.source_id] = b.source
    entitlements: dict[int, list[SourceEntitlement]] = {sid: [] for sid in sources}
    for ent in SourceEntitlement.objects.filter(source_id__in=sources):
        entitlements[ent.source_id].append(ent)

    result = PrefillResult()
    grants: dict[int, Grant] = {}
    for sid, source in sources.items():
        grant = grant_for(
            actor=actor,
            source=source,
            subject=subject,
            case=case,
            application=application,
            task_ref=task_ref,
            entitlements=entitlements[sid],
        )
        if grant is None:
            result.denied.append(source.code)
        else:
            grants[sid] = grant

    # HTTP sources start first and run while the local tables are read in this thread.
    futures: dict[int, Future[dict[str, Any]]] = {}
    started = time.monotonic()
    answers: dict[int, dict[str, Any] | Exception] = {}
    for sid in grants:
        source = sources[sid]
        fields = [b.field for b in by_source[sid]]
        if source.kind == SourceKind.HTTP:
            try:
                adapter = adapter_for(source)
            except SourceDataError as exc:
                answers[sid] = exc
                continue
            timeout = float((source.config or {}).get("timeout", DEFAULT_TIMEOUT))
            futures[sid] = HTTP_POOL.submit(adapter.fetch, subject, fields, timeout)
    for sid in grants:
        source = sources[sid]
        if source.kind != SourceKind.HTTP:
            try:
                answers[sid] = adapter_for(source).fetch(
                    subject, [b.field for b in by_source[sid]], DEFAULT_TIMEOUT
                )
            except (SourceUnavailable, SourceDataError) as exc:
                answers[sid] = exc
    for sid, future in futures.items():
        timeout = float((sources[sid].config or {}).get("timeout", DEFAULT_TIMEOUT))
        # The adapter enforces its own deadline; this bound only guards against a stuck thread.
        remaining = max(0.0, timeout + 0.5 - (time.monotonic() - started))
        try:
            answers[sid] = future.result(timeout=remaining)
        except FutureTimeout:
            answers[sid] = SourceUnavailable("timeout")
        except (SourceUnavailable, SourceDataError) as exc:
            answers[sid] = exc

    candidates: dict[str, list[tuple[SourceElement, Any]]] = {}
    outcomes: dict[int, str] = {}
    for sid, answer in answers.items():
        source = sources[sid]
        result.source_labels[source.code] = f"{source.name}（{source.department.name}）"
        if isinstance(answer, Exception):
            outcomes[sid] = AccessOutcome.FAILED
            result.degraded.append(
                DegradedSource(source.code, source.name, getattr(answer, "reason", "malformed"))
            )
            continue
        outcomes[sid] = AccessOutcome.OK if answer else AccessOutcome.NO_RECORD
        for b in by_source[sid]:
            if b.field in answer:
                candidates.setdefault(b.element.code, []).append((b, answer[b.field]))

    authoritative = []
    for code in codes:
        found = candidates.get(code)
        if not found:
            result.missing.append(code)
            continue
        found.sort(key=lambda bv: (bv[0].authority_rank, bv[0].source.code))
        best, value = found[0]
        result.values[code] = value
        result.sources[code] = best.source.code
        if best.authoritative:
            authoritative.append(code)
        if any(not _same(v, value) for _, v in found[1:]):
            result.conflicts.append(
                ElementConflict(
                    code,
                    best.source.code,
                    [Candidate(b.source.code, v, b.authority_rank) for b, v in found],
                )
            )
    result.authoritative = authoritative

    access_log_write(
        entries=[
            AccessLogEntry(
                actor=actor,
                actor_label=_actor_label(actor),
                actor_department_id=grants[sid].department_id,
                source=sources[sid],
                subject_hash=subject_hash(subject.key),
                elements=[b.element.code for b in by_source[sid]],
                case=case,
                application=application,
                task_ref=task_ref,
                exchange_request=grants[sid].exchange_request,
                purpose=purpose,
                outcome=outcome,
            )
            for sid, outcome in outcomes.items()
        ]
    )
    return result


def _actor_label(actor: Any) -> str:
    return (getattr(actor, "display_name", "") or getattr(actor, "username", "") or "系统")[:150]


def prefill_for(
    *, applicant: Any, element_codes: Iterable[str], application: Any = None, case: Any = None
) -> dict[str, tuple[Any, str]]:
    """Drop-in for intake's user-record prefill: the applicant's own data (ID number, or the organisation's
    USCC) for their application, as element → (value, source label)."""
    id_number = getattr(applicant, "id_number", "") or None
    uscc = None if id_number else (getattr(applicant, "organisation_code", "") or None)
    return prefill(
        subject_id_number=id_number,
        subject_uscc=uscc,
        element_codes=element_codes,
        purpose=AccessPurpose.PREFILL,
        actor=applicant,
        case=case,
        application=application,
    ).as_pairs()


# ---------------------------------------------------------------------------------- household members

HOUSEHOLD_TABLE = "household"
# The data elements a household-register entry provides for a relative (what the access log records).
RELATIVE_ELEMENTS = ("person.name", "person.id_number", "person.gender", "person.birth_date")
KINSHIPS = ("child", "spouse", "mother", "father")


@dataclass(frozen=True)
class Relative:
    """A relative of the subject found in the household register (户籍), as a form may be prefilled with."""

    name: str
    id_number: str
    gender: str
    birth_date: str
    source_label: str

    def element_values(self) -> dict[str, str]:
        return {
            "person.name": self.name,
            "person.id_number": self.id_number,
            "person.gender": self.gender,
            "person.birth_date": self.birth_date,
        }


def _kin(me: HouseholdMember, others: Sequence[HouseholdMember], kinship: str) -> list[HouseholdMember]:
    """The members of `me`'s household who are `me`'s child / spouse / mother / father, read from each
    member's relationship to the head of household (与户主关系)."""
    rel = HouseholdRelation
    if kinship == "child":
        wanted = {rel.HEAD: {rel.CHILD}, rel.SPOUSE: {rel.CHILD}, rel.PARENT: {rel.HEAD}}.get(
            me.relation, set()
        )
        return [m for m in others if m.relation in wanted]
    if kinship == "spouse":
        wanted = {rel.HEAD: {rel.SPOUSE}, rel.SPOUSE: {rel.HEAD}}.get(me.relation, set())
        return [m for m in others if m.relation in wanted]
    gender = "2" if kinship == "mother" else "1"
    wanted = {rel.CHILD: {rel.HEAD, rel.SPOUSE}, rel.HEAD: {rel.PARENT}}.get(me.relation, set())
    return [m for m in others if m.relation in wanted and m.gender == gender]


def household_relatives(
    *,
    subject_id_number: str,
    kinship: str,
    purpose: str,
    actor: Any,
    case: Any = None,
    application: Any = None,
) -> list[Relative]:
    """The subject's relatives of one kinship (child, spouse, mother, father) in the household register
    source, for the case or application being handled. Entitlements as for prefill; the read is logged
    against the subject, and against each relative whose data it returns (they can see who read it).
    No source, no entitlement or no household entry: an empty list (the applicant types the fields)."""
    check_purpose(purpose=purpose, case=case, application=application, task=None)
    if kinship not in KINSHIPS:
        raise DomainError(_err("invalid_kinship", "亲属关系无效", "Unknown kinship", "kinship"))
    subject = subject_from(id_number=subject_id_number, uscc=None)
    case, application = check_binding(
        actor=actor, subject=subject, case=case, application=application, task=None
    )
    source = (
        DataSource.objects.filter(
            is_active=True, kind=SourceKind.LOCAL_TABLE, subject_kind="person", config__table=HOUSEHOLD_TABLE
        )
        .select_related("department")
        .order_by("code")
        .first()
    )
    if source is None:
        return []
    grant = grant_for(
        actor=actor, source=source, subject=subject, case=case, application=application, task_ref=""
    )
    if grant is None:
        return []
    me = HouseholdMember.objects.filter(id_number=subject.key).first()
    found: list[HouseholdMember] = []
    if me is not None:
        others = HouseholdMember.objects.filter(household_number=me.household_number).exclude(pk=me.pk)
        found = sorted(
            _kin(me, list(others.order_by("birth_date", "id")), kinship), key=lambda m: m.birth_date
        )
    label = f"{source.name}（{source.department.name}）"

    def entry(key: str, outcome: str) -> AccessLogEntry:
        return AccessLogEntry(
            actor=actor,
            actor_label=_actor_label(actor),
            actor_department_id=grant.department_id,
            source=source,
            subject_hash=subject_hash(key),
            elements=list(RELATIVE_ELEMENTS),
            case=case,
            application=application,
            purpose=purpose,
            outcome=outcome,
        )

    access_log_write(
        entries=[
            entry(subject.key, AccessOutcome.OK if found else AccessOutcome.NO_RECORD),
            *(entry(m.id_number, AccessOutcome.OK) for m in found),
        ]
    )
    return [Relative(m.name, m.id_number, m.gender, m.birth_date.isoformat(), label) for m in found]


@dataclass(frozen=True)
class Disagreement:
    field: str
    element: str
    submitted: Any
    prefilled: Any
    source: str


def prefill_disagreements(
    form_data: Mapping[str, Any],
    prefill_result: PrefillResult,
    *,
    field_elements: Mapping[str, str] | None = None,
) -> list[Disagreement]:
    """Authoritative values the submitted form changed: flagged to the clerk. Form keys are element codes
    (the merged form) unless `field_elements` maps field keys to element codes."""
    mapping = field_elements if field_elements is not None else {e: e for e in prefill_result.values}
    authoritative = set(prefill_result.authoritative)
    out = []
    for key, element in mapping.items():
        if element not in authoritative or key not in form_data:
            continue
        submitted, value = form_data[key], prefill_result.values[element]
        if not _same(submitted, value):
            out.append(Disagreement(key, element, submitted, value, prefill_result.sources[element]))
    return out


# ------------------------------------------------------------------------------------- access log


def access_log_write(*, entries: Sequence[AccessLogEntry]) -> None:
    """Append the entries and add them to the per-source daily counts, in one transaction."""
    if not entries:
        return
    now = clock.now()
    for e in entries:
        if e.at is None:
            e.at = now
    rollup: dict[tuple[Any, int], list[int]] = {}
    for e in entries:
        key = (timezone.localtime(e.at).date(), e.source_id)
        counts = rollup.setdefault(key, [0, 0, 0])
        counts[0] += 1
        counts[1] += len(e.elements) if e.outcome == AccessOutcome.OK else 0
        counts[2] += e.outcome == AccessOutcome.FAILED
    table = AccessDailyCount._meta.db_table
    rows = sorted(rollup.items(), key=lambda kv: (kv[0][0], kv[0][1]))  # a fixed order: no deadlocks
    values_sql = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
    params: list[Any] = []
    for (day, source_id), (calls, elements, failures) in rows:
        params += [connection.ops.adapt_datefield_value(day), source_id, calls, elements, failures]
    # One upsert for every (day, source); the same statement on PostgreSQL and SQLite (≥ 3.24).
    sql = (
        f"INSERT INTO {table} (day, source_id, calls, elements, failures) VALUES {values_sql} "
        f"ON CONFLICT (day, source_id) DO UPDATE SET calls = {table}.calls + excluded.calls, "
        f"elements = {table}.elements + excluded.elements, failures = {table}.failures + excluded.failures"
    )
    with transaction.atomic():
        AccessLogEntry.objects.bulk_create(entries)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


# ------------------------------------------------------------------------------------- e-licences


def _holder_key(holder: Any) -> str:
    if isinstance(holder, str):
        return holder.strip().upper()
    return (getattr(holder, "id_number", "") or getattr(holder, "organisation_code", "") or "").upper()


def licence_issue(
    *,
    licence_type: LicenceType,
    holder: str,
    holder_name: str,
    valid_from: Any,
    actor: Any,
    valid_to: Any = None,
    number: str = "",
    issuer: Department | None = None,
    file_sha256: str = "",
    file_ref: str = "",
    case: Any = None,
) -> Licence:
    errors = []
    key = holder.strip().upper()
    validator = ric if licence_type.holder_kind == HolderKind.PERSON else uscc_mod
    try:
        key = validator.validate(key)
    except StdnumError:
        errors.append(_err("invalid_holder", "持证主体证件号不正确", "Invalid holder number", "holder"))
    if not holder_name.strip():
        errors.append(_err("required", "请填写持证主体名称", "Holder name is required", "holder_name"))
    if valid_to is not None and valid_to < valid_from:
        errors.append(
            _err("invalid_validity", "有效期止不得早于有效期起", "valid_to is before valid_from", "valid_to")
        )
    if file_sha256 and (len(file_sha256) != 64 or any(c not in "0123456789abcdef" for c in file_sha256)):
        errors.append(
            _err(
                "invalid_sha256",
                "文件摘要须为64位小写十六进制",
                "file_sha256 must be 64 hex digits",
                "file_sha256",
            )
        )
    number = (
        number.strip() or f"{licence_type.code.upper()}-{clock.now():%Y%m%d}-{secrets.token_hex(4).upper()}"
    )
    if Licence.objects.filter(licence_type=licence_type, number=number).exists():
        errors.append(_err("duplicate_number", "证照编号已存在", "Licence number already exists", "number"))
    if errors:
        raise DomainError(*errors)
    with transaction.atomic():
        licence = Licence.objects.create(
            licence_type=licence_type,
            holder=key,
            holder_name=holder_name.strip(),
            number=number,
            issuer=issuer or licence_type.issuer,
            valid_from=valid_from,
            valid_to=valid_to,
            file_sha256=file_sha256,
            file_ref=file_ref,
            issued_at=clock.now(),
            case=case,
        )
        audit_record(
            actor=actor,
            action="sharing.licence_issue",
            object_type="sharing.Licence",
            object_id=licence.pk,
            data={"type": licence_type.code, "number": number},
        )
    return licence


def licence_revoke(*, licence: Licence, reason: str, actor: Any) -> Licence:
    if not reason.strip():
        raise DomainError(_err("required", "请填写注销原因", "A reason is required", "reason"))
    with transaction.atomic():
        locked = Licence.objects.select_for_update().get(pk=licence.pk)
        if locked.status == LicenceStatus.REVOKED:
            raise DomainError(_err("already_revoked", "证照已注销", "Licence already revoked", "status"))
        locked.status, locked.revoked_at, locked.revoke_reason = (
            LicenceStatus.REVOKED,
            clock.now(),
            reason.strip(),
        )
        locked.save(update_fields=["status", "revoked_at", "revoke_reason"])
        audit_record(
            actor=actor,
            action="sharing.licence_revoke",
            object_type="sharing.Licence",
            object_id=locked.pk,
            data={"reason": reason.strip()},
        )
    return locked


@dataclass(frozen=True)
class LicenceCheck:
    valid: bool
    reason: str  # valid, not_found, holder_mismatch, revoked, expired, not_yet_valid
    licence: Licence | None


def licence_verify(*, licence_type_code: str, number: str, holder: str | None = None) -> LicenceCheck:
    """Is this licence genuine and in force today? A holder given must match (no enumeration by number)."""
    licence = (
        Licence.objects.select_related("licence_type", "issuer")
        .filter(licence_type__code=licence_type_code, number=number.strip())
        .first()
    )
    if licence is None:
        return LicenceCheck(False, "not_found", None)
    if holder is not None and _holder_key(holder) != licence.holder:
        return LicenceCheck(False, "holder_mismatch", None)
    if licence.status == LicenceStatus.REVOKED:
        return LicenceCheck(False, "revoked", licence)
    today = timezone.localtime(clock.now()).date()
    if licence.status == LicenceStatus.EXPIRED or (licence.valid_to is not None and licence.valid_to < today):
        return LicenceCheck(False, "expired", licence)
    if licence.valid_from > today:
        return LicenceCheck(False, "not_yet_valid", licence)
    return LicenceCheck(True, "valid", licence)
