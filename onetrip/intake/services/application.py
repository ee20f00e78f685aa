"""Applying (申请): start a draft, save it as the applicant types, upload materials, pre-check, submit,
and resubmit after a one-time notice.

Decisions (the issue is silent on these):
- Channels. online / mobile: the applicant types (entered_by is empty or the applicant). window: a clerk
  types for the applicant (entered_by must hold the clerk role). proxy (代办): entered_by is the agent's
  account, and a valid authorisation record is required. api: another system, entered_by empty.
- Drafts keep what was typed, valid or not; a save returns the field errors. A value that is not plain
  JSON text/number/list of text, longer than 10,000 characters, or a key the form does not have, is
  refused with nothing saved.
- Submission is blocked by: unanswered questions, empty required fields, invalid values (every channel);
  and, for the channels with nobody at a counter (online, mobile, api), by a missing key material. Missing
  non-key materials never block: at acceptance the clerk accepts with deficiency (容缺) where allowed, or
  issues the one-time notice. At a window or through a proxy a missing key material does not block either:
  the clerk sees the paper at the counter and decides.
- Resubmission after a notice: counts one more trip when a clerk (not the applicant) resubmits it, since
  that means the applicant came to the window; the 5-working-day answer period starts again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from onetrip.bundles.models import Bundle, BundleVersion
from onetrip.catalog.models import Item, ItemVersion, VersionStatus
from onetrip.core import clock
from onetrip.core.audit import audit_record
from onetrip.core.errors import Conflict, DomainError, ErrorDetail, Forbidden, not_found
from onetrip.core.masking import mask_text
from onetrip.core.models import AuditEvent
from onetrip.intake.checklist import ChecklistEntry, checklist_for, checklist_sync
from onetrip.intake.formspec import (
    FormDefinition,
    answer_errors,
    field_errors,
    form_definition,
    storable_error,
    unknown_keys,
)
from onetrip.intake.models import (
    TRIP_CHANNELS,
    Application,
    ApplicationMaterial,
    ApplicationStatus,
    Case,
    CaseEvent,
    CaseStatus,
    Channel,
    MaterialState,
    StoredFile,
)
from onetrip.intake.selectors import RowShape, application_visible, bundle_version_pinned
from onetrip.intake.services.files import clean_file_name, file_store
from onetrip.intake.services.prefill import prefill_for, prefill_guard
from onetrip.orgs.models import ApiKey, ApplicantKind, Department, Role, RoleAssignment, User
from onetrip.orgs.permissions import has_role
from onetrip.workdays.core import Unit
from onetrip.workdays.selectors import calendar_current

ACCEPT_ANSWER_WORKING_DAYS = 5  # 行政许可法 第三十二条
ONLINE_CHANNELS = frozenset({Channel.ONLINE, Channel.MOBILE, Channel.API})
IDEMPOTENCY_KEY_RE = re.compile(r"[A-Za-z0-9_.:\-]{8,64}")


class StaleDraft(Conflict):
    """The draft changed since the page loaded it; carries the current revision so the page can reload."""

    def __init__(self, current_revision: int) -> None:
        self.current_revision = current_revision
        super().__init__(
            ErrorDetail(
                "stale_draft",
                "草稿已在其他页面更新，请刷新后再保存（您填写的内容仍保留在本页）",
                "The draft was changed elsewhere; reload it before saving",
                "revision",
            )
        )

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "current_revision": self.current_revision}


@dataclass(frozen=True)
class SaveResult:
    application: Application
    field_errors: list[ErrorDetail]
    checklist: list[ChecklistEntry]


def _err(code: str, zh: str, en: str, field: str | None = None) -> ErrorDetail:
    return ErrorDetail(code, zh, en, field)


# -------------------------------------------------------------------------------------------- start


def proxy_authorisation_clean(data: dict[str, Any] | None) -> dict[str, Any]:
    """Check a 代办 authorisation: agent name, agent ID number (stdnum.cn.ric), scope, valid until (a date
    not in the past), and the signed authorisation (a stored file's SHA-256, or a paper reference)."""
    data = data or {}
    errors: list[ErrorDetail] = []
    name = str(data.get("agent_name") or "").strip()
    if not name or len(name) > 64:
        errors.append(_err("required", "请填写代办人姓名", "Agent name is required", "proxy.agent_name"))
    id_number = str(data.get("agent_id_number") or "").strip().upper()
    try:
        id_number = ric.validate(id_number)
    except StdnumError:
        errors.append(
            _err(
                "invalid_id_number",
                "代办人身份证号码不正确",
                "Invalid agent ID number",
                "proxy.agent_id_number",
            )
        )
    scope = str(data.get("scope") or "").strip()
    if not scope or len(scope) > 255:
        errors.append(_err("required", "请填写委托事项范围", "Authorised scope is required", "proxy.scope"))
    valid_until: dt.date | None = None
    raw_until = str(data.get("valid_until") or "")
    try:
        valid_until = (
            dt.date.fromisoformat(raw_until) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw_until) else None
        )
    except ValueError:
        valid_until = None
    today = clock.now().astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    if valid_until is None:
        errors.append(
            _err(
                "invalid_date",
                "授权有效期格式应为 YYYY-MM-DD",
                "Valid-until must be YYYY-MM-DD",
                "proxy.valid_until",
            )
        )
    elif valid_until < today:
        errors.append(
            _err(
                "authorisation_expired",
                "授权已过有效期",
                "The authorisation has expired",
                "proxy.valid_until",
            )
        )
    file_sha = str(data.get("file_sha256") or "").strip().lower()
    reference = str(data.get("reference") or "").strip()
    if file_sha:
        if not StoredFile.objects.filter(sha256=file_sha).exists():
            errors.append(
                _err("not_found", "授权委托书文件不存在", "Authorisation file not found", "proxy.file_sha256")
            )
    elif not reference or len(reference) > 128:
        errors.append(
            _err(
                "required",
                "请上传签字的授权委托书，或填写纸质委托书编号",
                "Upload the signed authorisation or give its paper reference",
                "proxy.reference",
            )
        )
    if errors:
        raise DomainError(*errors)
    return {
        "agent_name": name,
        "agent_id_number": id_number,
        "scope": scope,
        "valid_until": valid_until.isoformat() if valid_until else "",
        "file_sha256": file_sha,
        "reference": reference,
    }


def _published_target(
    item: Item | None, bundle: Bundle | None
) -> tuple[ItemVersion | None, BundleVersion | None]:
    if (item is None) == (bundle is None):
        raise DomainError(
            _err("one_target", "请选择一个事项或一件事", "Choose exactly one item or bundle", "item")
        )
    if item is not None:
        version = ItemVersion.objects.filter(item=item, status=VersionStatus.PUBLISHED).first()
        if version is None:
            raise DomainError(_err("not_published", "该事项未发布，暂不能申请", "Item not published", "item"))
        return version, None
    bundle_version = (
        BundleVersion.objects.filter(bundle=bundle, status=VersionStatus.PUBLISHED)
        .select_related("lead_department")
        .first()
    )
    if bundle_version is None:
        raise DomainError(
            _err("not_published", "该一件事未发布，暂不能申请", "Bundle not published", "bundle")
        )
    return None, bundle_version


def _check_channel(channel: str, applicant: User, entered_by: User | None) -> None:
    if channel not in Channel.values:
        raise DomainError(_err("invalid_channel", "申请渠道不正确", "Unknown channel", "channel"))
    if channel == Channel.WINDOW and (entered_by is None or not has_role(entered_by, Role.CLERK)):
        raise Forbidden(
            _err(
                "clerk_required", "窗口申请须由综合窗口人员录入", "A window application is entered by a clerk"
            )
        )
    if channel == Channel.PROXY and entered_by is None:
        raise DomainError(
            _err("agent_required", "代办申请须记录代办人账户", "A proxy needs the agent's account")
        )
    if channel in (Channel.ONLINE, Channel.MOBILE) and entered_by not in (None, applicant):
        raise Forbidden(
            _err(
                "applicant_only",
                "网上申请只能由申请人本人填写",
                "Online applications are typed by the applicant",
            )
        )
    if channel == Channel.API and entered_by is not None:
        raise DomainError(
            _err("invalid_channel", "系统接口申请不记录录入人", "API applications have no typist")
        )


def _prefill(application: Application, definition: FormDefinition) -> None:
    # Only the applicant's own fields: a child's or the deceased's are never filled from the applicant.
    by_element = definition.applicant_elements()
    known = prefill_for(applicant=application.applicant, element_codes=by_element, application=application)
    for element, (value, source) in known.items():
        key = by_element[element]
        application.form_data[key] = value
        application.prefilled[key] = source
    application.prefilled.update(known.record(by_element))


@transaction.atomic
def application_start(
    *,
    applicant: User,
    item: Item | None = None,
    bundle: Bundle | None = None,
    channel: str,
    entered_by: User | None = None,
    proxy_authorisation: dict[str, Any] | None = None,
    api_key: ApiKey | None = None,
) -> Application:
    """A new draft pinned to the current published version, prefilled from what the platform knows.

    Another system (channel api, `api_key`) applies only with the applicant's signed authorisation (the same
    shape as a 代办 authorisation), only for its own department's items when the key is bound to one, and
    gets no prefill: a key never receives personal data the platform holds about somebody."""
    _check_channel(channel, applicant, entered_by)
    if (channel == Channel.API) != (api_key is not None):
        raise DomainError(
            _err("invalid_channel", "api 渠道仅供系统接口使用", "Channel api is for API keys", "channel")
        )
    if not applicant.is_active:
        raise DomainError(
            _err("inactive_applicant", "申请人账户已停用", "Applicant account is inactive", "applicant")
        )
    authorisation: dict[str, Any] = {}
    if channel in (Channel.PROXY, Channel.API):
        authorisation = proxy_authorisation_clean(proxy_authorisation)
    elif proxy_authorisation:
        raise DomainError(
            _err(
                "proxy_not_expected",
                "只有代办申请需要授权委托",
                "Only proxy applications carry an authorisation",
                "proxy",
            )
        )
    item_version, bundle_version = _published_target(item, bundle)
    if api_key is not None and api_key.department_id is not None:
        lead = (
            item_version.implementing_department_id
            if item_version is not None
            else bundle_version.lead_department_id  # type: ignore[union-attr]
        )
        if lead != api_key.department_id:
            raise Forbidden(
                _err(
                    "key_department",
                    "该密钥只能为本部门的事项提交申请",
                    "This key applies only for its own department's items",
                    "item_code" if item_version is not None else "bundle_code",
                )
            )
    application = Application(
        applicant=applicant,
        item=item if item_version else None,
        item_version=item_version,
        bundle=bundle if bundle_version else None,
        bundle_version=bundle_version,
        channel=channel,
        entered_by=entered_by,
        proxy_authorisation=authorisation,
        form_data={},
        prefilled={},
        answers={},
        chosen_members=[],
    )
    application.save()  # first: every shared-data read is logged against the application
    if api_key is None:
        _prefill(application, form_definition(application=application))
        application.save(update_fields=["form_data", "prefilled"])
    checklist_sync(application=application)
    audit_record(
        actor=entered_by or (None if api_key is not None else applicant),
        action="application.start",
        object_type="intake.application",
        object_id=application.pk,
        data={
            "channel": channel,
            "item_version": item_version.pk if item_version else None,
            "bundle_version": bundle_version.pk if bundle_version else None,
            "prefilled": sorted(application.prefilled),
        },
    )
    return application


# --------------------------------------------------------------------------------------------- save


def _editable(application: Application) -> None:
    if application.status == ApplicationStatus.DRAFT:
        return
    if application.status == ApplicationStatus.SUBMITTED:
        status = Case.objects.filter(application=application).values_list("status", flat=True).first()
        if status == CaseStatus.CORRECTION:
            return  # being corrected after a one-time notice
    raise Conflict(
        _err("application_not_editable", "申请已提交，不能再修改", "The application can no longer be changed")
    )


def _lock(application: Application, *, for_submit: bool = False) -> Application:
    """The draft's row, locked. The bundle version comes without its `computed` snapshot: readers take the
    per-process cached snapshot of the (immutable) published version instead of decoding it again. For a
    submission the applicant and the lead department come in the same query."""
    related: list[str] = []
    if for_submit:
        related.append("applicant")
        if application.item_version_id is not None:
            related.append("item_version__implementing_department")
    if application.item_version_id is None:
        related.append("bundle_version__lead_department" if for_submit else "bundle_version")
    qs = Application.objects.select_for_update(of=("self",))
    if related:
        qs = qs.select_related(*related)
    if application.item_version_id is None:
        qs = qs.defer("bundle_version__computed")
    return qs.get(pk=application.pk)


def _merge(target: dict[str, Any], changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value.strip() if isinstance(value, str) and value.strip() == "" else value


@transaction.atomic
def application_save(
    *,
    application: Application,
    revision: int,
    form_data: dict[str, Any] | None = None,
    answers: dict[str, Any] | None = None,
    chosen_members: list[str] | None = None,
    actor: User | None = None,
) -> SaveResult:
    """Save what was typed (merged into the draft: a key set to None is cleared), valid or not.

    Refused with nothing saved: a stale `revision` (StaleDraft, 409, with the current revision), a key the
    form does not have, a value that cannot be stored, an unknown optional member. Returns the field errors
    of every value now in the draft, and the checklist (rebuilt when answers or chosen members changed).
    """
    locked = _lock(application)
    _editable(locked)
    if revision != locked.revision:
        raise StaleDraft(locked.revision)
    errors: list[ErrorDetail] = []
    if chosen_members is not None:
        if locked.bundle_version_id is None:
            if chosen_members:
                errors.append(
                    _err(
                        "not_a_bundle",
                        "单个事项没有可选成员",
                        "An item has no optional members",
                        "chosen_members",
                    )
                )
        else:
            allowed = {code for code, _ in form_definition(application=locked).optional_members}
            for code in chosen_members:
                if code not in allowed:
                    errors.append(
                        _err(
                            "unknown_optional_member",
                            "所选成员不是本一件事的可选事项",
                            "Not an optional member of this bundle",
                            "chosen_members",
                        )
                    )
                    break
        if errors:
            raise DomainError(*errors)
        locked.chosen_members = list(dict.fromkeys(chosen_members))
    definition = form_definition(application=locked)
    for prefix, changes, known in (
        ("form", form_data, [f.key for f in definition.fields]),
        ("answers", answers, [q.key for q in definition.questions]),
    ):
        if not changes:
            continue
        if not isinstance(changes, dict):
            raise DomainError(
                _err("invalid_value_type", "提交的数据格式不正确", "An object is expected", prefix)
            )
        errors += unknown_keys(known, changes, prefix)
        errors += [e for k, v in changes.items() if (e := storable_error(v, f"{prefix}.{k}")) is not None]
    if errors:
        raise DomainError(*errors)
    changed = sorted(form_data or {})
    kept: list[ErrorDetail] = []
    if form_data:
        form_data = dict(form_data)
        by_element = definition.applicant_elements()
        kept = prefill_guard(application=locked, changes=form_data, by_element=by_element)
        _merge(locked.form_data, form_data)
    if answers:
        _merge(locked.answers, answers)
    locked.revision += 1
    locked.save(
        update_fields=["form_data", "answers", "chosen_members", "prefilled", "revision", "updated_at"]
    )
    if answers or chosen_members is not None:
        checklist = checklist_sync(application=locked)
    else:
        checklist = checklist_for(application=locked)
    audit_record(
        actor=actor,
        action="application.save",
        object_type="intake.application",
        object_id=locked.pk,
        data={"revision": locked.revision, "fields": changed, "answers": sorted(answers or {})},
    )
    result_errors = (
        kept
        + field_errors(definition, locked.form_data, required=False)
        + answer_errors(definition, locked.answers, required=False)
    )
    return SaveResult(locked, result_errors, checklist)


# ------------------------------------------------------------------------------------------ materials


def _entry(application: Application, key: str) -> ChecklistEntry:
    for entry in checklist_for(application=application):
        if entry.key == key:
            return entry
    raise DomainError(
        _err(
            "unknown_material", "本申请不需要这份材料", "This application does not need this material", "key"
        )
    )


@transaction.atomic
def application_material_upload(
    *, application: Application, key: str, data: bytes | Any, declared_name: str, actor: User | None
) -> ApplicationMaterial:
    """Upload the file for one checklist entry (replacing an earlier upload)."""
    locked = _lock(application)
    _editable(locked)
    entry = _entry(locked, key)
    if not entry.asked:
        raise DomainError(
            _err(
                "material_not_asked",
                f"“{entry.name}”由{entry.requirement.source_note or '政府部门'}提供，无需上传",
                "This material is obtained by the platform and is not asked for",
                "key",
            )
        )
    stored = file_store(data=data, declared_name=declared_name)
    row, _ = ApplicationMaterial.objects.update_or_create(
        application=locked,
        key=key,
        defaults={
            "name": entry.name[:255],
            "state": MaterialState.UPLOADED,
            "file": stored,
            "file_name": clean_file_name(declared_name, stored.content_type),
            "source_note": "",
        },
    )
    audit_record(
        actor=actor,
        action="application.material_upload",
        object_type="intake.application",
        object_id=locked.pk,
        data={"key": key, "sha256": stored.sha256, "size": stored.size, "type": stored.content_type},
    )
    return row


@transaction.atomic
def application_material_set_state(
    *, application: Application, key: str, state: str, actor: User | None
) -> ApplicationMaterial:
    """Mark a checklist entry: commitment (告知承诺, non-key materials only), paper (handed in at the window:
    a clerk only), or missing (withdraw an upload, commitment or paper)."""
    locked = _lock(application)
    _editable(locked)
    entry = _entry(locked, key)
    if not entry.asked:
        raise DomainError(
            _err(
                "material_not_asked", "这份材料由平台获取，无需提供", "This material is not asked for", "key"
            )
        )
    if state == MaterialState.COMMITMENT:
        if not entry.requirement.commitment_allowed:
            raise DomainError(
                _err(
                    "commitment_not_allowed",
                    f"“{entry.name}”是关键材料（或申请表），不能以告知承诺代替",
                    "A key material (or the application form) cannot be replaced by a commitment",
                    "state",
                )
            )
    elif state == MaterialState.PAPER:
        if actor is None or not has_role(actor, Role.CLERK):
            raise Forbidden(
                _err(
                    "clerk_required",
                    "纸质材料由窗口人员确认收取",
                    "Only a clerk records paper materials",
                    "state",
                )
            )
    elif state != MaterialState.MISSING:
        raise DomainError(_err("invalid_state", "材料状态不正确", "Invalid material state", "state"))
    row, _ = ApplicationMaterial.objects.update_or_create(
        application=locked,
        key=key,
        defaults={"name": entry.name[:255], "state": state, "file": None, "file_name": ""},
    )
    audit_record(
        actor=actor,
        action="application.material_state",
        object_type="intake.application",
        object_id=locked.pk,
        data={"key": key, "state": state},
    )
    return row


# ------------------------------------------------------------------------------------------ pre-check


def application_precheck(*, application: Application) -> list[ErrorDetail]:
    """Online pre-check (预审): every problem at once, so the applicant knows before travelling.

    Codes: required / invalid_* (form fields and questions), material_missing_key (blocks online
    submission), material_missing_deficiency_allowed (may be accepted with deficiency, 容缺),
    material_missing (a non-key material the clerk may ask for in a one-time notice)."""
    definition = form_definition(application=application)
    problems = answer_errors(definition, application.answers or {}, required=True)
    problems += field_errors(definition, application.form_data or {}, required=True)
    for entry in checklist_for(application=application):
        if not entry.missing:
            continue
        field = f"materials.{entry.key}"
        if entry.requirement.is_key:
            problems.append(
                _err(
                    "material_missing_key",
                    f"缺少关键材料：{entry.name}",
                    f"Key material missing: {entry.name}",
                    field,
                )
            )
        elif entry.requirement.deficiency_allowed:
            problems.append(
                _err(
                    "material_missing_deficiency_allowed",
                    f"缺少材料：{entry.name}（可容缺受理，承诺限期补交）",
                    f"Missing: {entry.name} (may be accepted with a commitment to supply it)",
                    field,
                )
            )
        else:
            problems.append(
                _err("material_missing", f"缺少材料：{entry.name}", f"Material missing: {entry.name}", field)
            )
    return problems


def blocking_problems(application: Application) -> list[ErrorDetail]:
    """The pre-check problems that block submission through this application's channel."""
    blocking = []
    for p in application_precheck(application=application):
        if p.code in ("material_missing_deficiency_allowed", "material_missing"):
            continue
        if p.code == "material_missing_key" and application.channel not in ONLINE_CHANNELS:
            continue
        blocking.append(p)
    return blocking


# ------------------------------------------------------------------------------------------- submit


def _check_key(idempotency_key: str) -> str:
    key = (idempotency_key or "").strip()
    if not IDEMPOTENCY_KEY_RE.fullmatch(key):
        raise DomainError(
            _err(
                "invalid_idempotency_key",
                "提交幂等键应为 8–64 位字母、数字或 _.:-",
                "Idempotency-Key must be 8-64 characters of letters, digits, _.:-",
                "idempotency_key",
            )
        )
    return key


def _reused() -> Conflict:
    return Conflict(
        _err(
            "idempotency_key_reused",
            "该提交幂等键已用于另一份申请",
            "This Idempotency-Key was already used for another application",
            "idempotency_key",
        )
    )


def _existing_case(key: str, application_id: int) -> Case | None:
    case = Case.objects.filter(idempotency_key=key).first()
    if case is None:
        return None
    if case.application_id != application_id:
        raise _reused()
    return case


def applicant_name(application: Application) -> str:
    user = application.applicant
    data = application.form_data or {}
    if user.applicant_kind != ApplicantKind.CITIZEN:
        name = data.get("enterprise.name") or user.organisation_name
    else:
        name = data.get("person.name") or user.display_name
    return str(name or user.display_name or user.username)[:128]


def accept_due(at: dt.datetime) -> dt.datetime:
    """The end of the 5-working-day period to answer a submission (else it counts as accepted)."""
    return calendar_current().add(at, ACCEPT_ANSWER_WORKING_DAYS, Unit.WORKING).at


def _channel_label(channel: str) -> str:
    return Channel(channel).label


@dataclass(frozen=True)
class SubmitResult:
    case: Case
    created: bool  # False: the key's earlier submission answered (a retry, or the loser of a race)


def application_submit(*, application: Application, idempotency_key: str, actor: User | None) -> Case:
    """Submit a draft: a Case in status submitted. The same key returns the same case (also when two
    requests race); a key used for another application is refused (409 idempotency_key_reused)."""
    return application_submit_result(
        application_id=application.pk, idempotency_key=idempotency_key, actor=actor
    ).case


def application_submit_result(
    *, application_id: int, idempotency_key: str, actor: User | None, principal: Any = None
) -> SubmitResult:
    """application_submit, also telling whether this call made the case (201) or found it (a retry, 200).

    `principal` is who asks (a signed-in user or an API key; `actor` is None for a key): when given, the draft
    must be one it may change (intake.selectors.application_visible, write), checked on the locked row —
    otherwise NotFound, before anything else is looked at, as the other endpoints answer."""
    try:
        return _submit(application_id, idempotency_key, actor, principal)
    except IntegrityError:
        # The key is taken: by a concurrent request for this application that won the race (its case is the
        # answer), or by another application (409). The key was checked before the insert that failed.
        existing = _existing_case(idempotency_key.strip(), application_id)
        if existing is None:
            raise
        return SubmitResult(existing, False)


# The submission hot path (issue 5: ≥ 300 bundle submissions per second from one process). A submission is
# five round trips: BEGIN; the draft row locked and read with its applicant (one hand-written SELECT: no ORM
# query to compile); its material rows (checklist.checklist_for); on PostgreSQL one statement that inserts the
# case, marks the draft submitted, and inserts the timeline event and the audit record (other databases: the
# ORM, a statement each); COMMIT. The published version the draft is pinned to comes from the per-process
# cache of frozen versions (intake.selectors.bundle_version_pinned), and with it the form definition and the
# checklist shape, so nothing about the version is read or rebuilt. Rows are model instances, adapted field
# by field as the ORM's INSERT adapts them.

_SUBMIT_APPLICANT_FIELDS = frozenset(
    {
        "id",
        "username",
        "display_name",
        "applicant_kind",
        "organisation_name",
        "organisation_code",
        "id_number",
    }
)
_shapes: dict[tuple[str, str], Any] = {}


def _lock_statement(db: BaseDatabaseWrapper) -> tuple[RowShape, RowShape, str]:
    """The draft and applicant shapes and the locking SELECT (built once per database vendor)."""
    cached = _shapes.get(("submit_lock", db.vendor))
    if cached is None:
        qn = db.ops.quote_name
        draft = RowShape.of(Application, "a", db=db)
        user = RowShape.of(User, "u", _SUBMIT_APPLICANT_FIELDS, db=db)
        lock = f" FOR UPDATE OF {qn('a')}" if db.features.has_select_for_update_of else ""
        sql = (
            f"SELECT {', '.join(draft.columns + user.columns)} "
            f"FROM {qn(Application._meta.db_table)} {qn('a')} INNER JOIN {qn(User._meta.db_table)} {qn('u')} "
            f"ON {qn('u')}.{qn(User._meta.pk.column)} = {qn('a')}.{qn('applicant_id')} "
            f"WHERE {qn('a')}.{qn(Application._meta.pk.column)} = %s{lock}"
        )
        cached = _shapes[("submit_lock", db.vendor)] = (draft, user, sql)
    return cached  # type: ignore[no-any-return]


def _lock_for_submit(application_id: int, db: BaseDatabaseWrapper) -> Application | None:
    """The draft's row, locked, with its applicant and the version it is pinned to (a bundle version from the
    per-process cache; an item version read) attached."""
    draft_shape, user_shape, sql = _lock_statement(db)
    with db.cursor() as cursor:
        cursor.execute(sql, [application_id])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(draft_shape.columns)
    locked = draft_shape.build(row[:split], db)
    Application.applicant.field.set_cached_value(locked, user_shape.build(row[split:], db))
    if locked.item_version_id is not None:
        version = ItemVersion.objects.get(pk=locked.item_version_id)
        Application.item_version.field.set_cached_value(locked, version)
    else:
        version = bundle_version_pinned(locked.bundle_version_id)
        Application.bundle_version.field.set_cached_value(locked, version)
    return locked  # type: ignore[no-any-return]


@transaction.atomic
def _submit(application_id: int, idempotency_key: str, actor: User | None, principal: Any) -> SubmitResult:
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: each attribute read through the proxy costs
    locked = _lock_for_submit(application_id, db)
    if principal is not None and (
        locked is None or not application_visible(actor=principal, application=locked, write=True)
    ):
        raise not_found("申请", "Application", "application_id")
    key = _check_key(idempotency_key)
    if locked is None:
        raise Application.DoesNotExist(f"application {application_id}")
    if locked.status != ApplicationStatus.DRAFT:
        existing = _existing_case(key, locked.pk)  # a retry, possibly one that waited for the first's lock
        if existing is not None:
            return SubmitResult(existing, False)
        raise Conflict(
            _err(
                "application_already_submitted",
                "该申请已提交",
                "This application was already submitted",
            )
        )
    # A locked draft has no case yet, so the key can only be taken by another application: the Case insert
    # below then fails on the unique key and application_submit answers 409. Looked up here only when the
    # draft has problems, so that a reused key is still reported before them.
    problems = blocking_problems(locked)
    if problems:
        _existing_case(key, locked.pk)
        raise DomainError(*problems)
    if locked.item_version_id is not None:
        title, lead_id = locked.item_version.name, locked.item_version.implementing_department_id
    else:
        title, lead_id = locked.bundle_version.name, locked.bundle_version.lead_department_id
    now = clock.now()
    case = Case(
        application=locked,
        idempotency_key=key,
        applicant=locked.applicant,
        applicant_name=applicant_name(locked),
        item_version_id=locked.item_version_id,
        bundle_version_id=locked.bundle_version_id,
        title=title[:255],
        lead_department_id=lead_id,
        channel=locked.channel,
        trips=1 if locked.channel in TRIP_CHANNELS else 0,
        status=CaseStatus.SUBMITTED,
        submission=1,
        submitted_at=now,
        accept_due_at=accept_due(now),
    )
    locked.status = ApplicationStatus.SUBMITTED
    event = CaseEvent(
        at=now,
        kind="submitted",
        title=f"提交申请（{_channel_label(locked.channel)}）",
        actor=actor,
        data={"submission": 1, "channel": locked.channel},
    )
    audit = {"application": locked.pk, "channel": locked.channel, "trips": case.trips}
    write = _submit_write_postgres if db.vendor == "postgresql" else _submit_write_orm
    write(db, locked, case, event, actor, audit)
    return SubmitResult(case, True)


def _submit_write_orm(
    db: BaseDatabaseWrapper,
    locked: Application,
    case: Case,
    event: CaseEvent,
    actor: User | None,
    audit: dict[str, Any],
) -> None:
    """The case (its region: the lead department's, read now), the draft marked submitted, the timeline event
    and the audit record: a statement each."""
    case.region_id = Department.objects.values_list("region_id", flat=True).get(pk=case.lead_department_id)
    case.save(force_insert=True)
    locked.save(update_fields=["status", "updated_at"])
    event.case = case
    event.save(force_insert=True)
    audit_record(actor=actor, action="case.submit", object_type="intake.case", object_id=case.pk, data=audit)


# Field classes whose adaptation (get_db_prep_save) returns a value of this exact type, or None, unchanged,
# and whose pre_save only reads the attribute. (A foreign key: when its target's key is an integer.)
_UNCHANGED: dict[type[Any], type[Any]] = {
    models.CharField: str,
    models.TextField: str,
    models.IntegerField: int,
    models.BigIntegerField: int,
    models.SmallIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveBigIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.BooleanField: bool,
}
_INTEGER_KEYS = frozenset({"AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField"})


def _unchanged_type(field: Any) -> type[Any] | None:
    if isinstance(field, models.ForeignKey):
        return int if field.target_field.get_internal_type() in _INTEGER_KEYS else None
    return _UNCHANGED.get(type(field))


def _insert_fields(model: type[Any], *, exclude: Iterable[str] = ()) -> list[tuple[Any, type[Any] | None]]:
    """The fields an ORM INSERT of `model` sends — all but the auto primary key (and `exclude`d attnames) —
    each with the type of value it sends unchanged (None: always adapt)."""
    skip = set(exclude)
    return [
        (f, _unchanged_type(f))
        for f in model._meta.local_concrete_fields
        if not (f.primary_key or f.generated or f.attname in skip)
    ]


def _insert_values(
    fields: Sequence[tuple[Any, type[Any] | None]], instance: Any, db: BaseDatabaseWrapper
) -> list[Any]:
    """What the ORM would send for `instance`: pre_save (defaults, auto_now), then adapted for the database —
    skipped for the values that adaptation leaves unchanged (plain text, numbers, ids and None)."""
    values = []
    for f, unchanged in fields:
        if unchanged is not None:
            value = getattr(instance, f.attname)
            if value is None or type(value) is unchanged:
                values.append(value)
                continue
        values.append(f.get_db_prep_save(f.pre_save(instance, True), db))
    return values


def _submit_statement(db: BaseDatabaseWrapper) -> tuple[Any, Any, Any, int, str]:
    """The fields of the case, the event and the audit record, the position of the case's region, and the one
    statement that writes them (built once per database vendor). The region is the lead department's, read
    inside the statement: the parameter in its place is the lead department's id."""
    cached = _shapes.get(("submit_write", db.vendor))
    if cached is None:
        qn = db.ops.quote_name

        def insert(model: type[Any], fields: Sequence[Any], sql_for: dict[str, str]) -> str:
            """INSERT … VALUES with a placeholder per field, or the SQL given for its attname."""
            columns = [qn(f.column) for f, _ in fields]
            values = [sql_for.get(f.attname, "%s") for f, _ in fields]
            extra = [name for name in sql_for if name not in {f.attname for f, _ in fields}]
            columns = [qn(model._meta.get_field(name).column) for name in extra] + columns
            values = [sql_for[name] for name in extra] + values
            return (
                f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(columns)}) VALUES ({', '.join(values)})"
            )

        case_fields = _insert_fields(Case)
        event_fields = _insert_fields(CaseEvent, exclude=["case_id"])
        audit_fields = _insert_fields(AuditEvent, exclude=["object_id"])
        region_at = [f.attname for f, _ in case_fields].index("region_id")
        region = Department._meta.get_field("region").column
        lead_region = f"(SELECT {qn(region)} FROM {qn(Department._meta.db_table)} WHERE {qn('id')} = %s)"
        case_id = f"(SELECT {qn('id')} FROM {qn('c')})"
        app = Application._meta
        status, touched = qn(app.get_field("status").column), qn(app.get_field("updated_at").column)
        sql = (
            f"WITH {qn('c')} AS ({insert(Case, case_fields, {'region_id': lead_region})} "
            f"RETURNING {qn('id')}, {qn(Case._meta.get_field('region').column)}), "
            f"{qn('u')} AS (UPDATE {qn(app.db_table)} SET {status} = %s, {touched} = %s "
            f"WHERE {qn(app.pk.column)} = %s), "
            f"{qn('e')} AS ({insert(CaseEvent, event_fields, {'case': case_id})}), "
            f"{qn('r')} AS ({insert(AuditEvent, audit_fields, {'object_id': case_id + '::text'})}) "
            f"SELECT * FROM {qn('c')}"
        )
        cached = (case_fields, event_fields, audit_fields, region_at, sql)
        _shapes[("submit_write", db.vendor)] = cached
    return cached  # type: ignore[no-any-return]


def _submit_write_postgres(
    db: BaseDatabaseWrapper,
    locked: Application,
    case: Case,
    event: CaseEvent,
    actor: User | None,
    audit: dict[str, Any],
) -> None:
    """_submit_write_orm in one statement: the same rows (the audit record as onetrip.core.audit.audit_record
    makes it), keyed to the new case's id inside the statement."""
    case_fields, event_fields, audit_fields, region_at, sql = _submit_statement(db)
    updated_at = Application._meta.get_field("updated_at")
    touched = updated_at.get_db_prep_save(updated_at.pre_save(locked, False), db)
    record = AuditEvent(
        at=clock.now(),
        actor_id=getattr(actor, "pk", None),
        actor_label=str(actor) if actor is not None else "系统",
        action="case.submit",
        object_type="intake.case",
        data=json.loads(mask_text(json.dumps(audit, ensure_ascii=False, default=str))),
    )
    case_values = _insert_values(case_fields, case, db)
    case_values[region_at] = case.lead_department_id
    params = [
        *case_values,
        locked.status,
        touched,
        locked.pk,
        *_insert_values(event_fields, event, db),
        *_insert_values(audit_fields, record, db),
    ]
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        case.pk, case.region_id = cursor.fetchone()
    case._state.adding = False
    case._state.db = db.alias
    event.case = case


@transaction.atomic
def case_resubmit(*, case: Case, actor: User | None, idempotency_key: str) -> Case:
    """Resubmit a case after its one-time notice (status correction): submission + 1, back to submitted,
    a new 5-working-day answer period. The same key again returns the case unchanged."""
    key = _check_key(idempotency_key)
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.events.filter(kind="resubmitted", data__idempotency_key=key).exists():
        return locked
    if locked.status != CaseStatus.CORRECTION:
        raise Conflict(
            _err(
                "case_not_in_correction",
                "该办件不在待补正状态，不能重新提交",
                "The case is not awaiting correction",
            )
        )
    application = Application.objects.select_related("applicant").get(pk=locked.application_id)
    problems = blocking_problems(application)
    if problems:
        raise DomainError(*problems)
    now = clock.now()
    at_window = actor is not None and actor.pk != locked.applicant_id and has_role(actor, Role.CLERK)
    locked.submission += 1
    locked.status = CaseStatus.SUBMITTED
    locked.submitted_at = now
    locked.accept_due_at = accept_due(now)
    locked.trips += 1 if at_window else 0
    locked.row_version += 1
    locked.save(
        update_fields=["submission", "status", "submitted_at", "accept_due_at", "trips", "row_version"]
    )
    CaseEvent.objects.create(
        case=locked,
        at=now,
        kind="resubmitted",
        title=f"补正后重新提交（第{locked.submission}次提交）",
        actor=actor,
        data={"submission": locked.submission, "idempotency_key": key, "at_window": at_window},
    )
    audit_record(
        actor=actor,
        action="case.resubmit",
        object_type="intake.case",
        object_id=locked.pk,
        data={"submission": locked.submission, "trips": locked.trips},
    )
    return locked


# ------------------------------------------------------------------------------- applicant by ID number


@transaction.atomic
def applicant_for_id_number(*, id_number: str, name: str = "", phone: str = "", actor: Any = None) -> User:
    """The applicant with this resident ID number, created when the platform does not know them yet (a
    walk-in at the window, or a person named by another system through the API). An existing account is
    never changed here. New accounts get an unusable password and a username derived from a hash of the
    ID number, so the number itself appears nowhere but in the id_number column."""
    try:
        number = ric.validate((id_number or "").strip().upper())
    except StdnumError:
        raise DomainError(
            _err("invalid_id_number", "身份证号码不正确", "Invalid resident ID number", "applicant_id_number")
        ) from None
    existing = User.objects.filter(id_number=number).order_by("pk").first()
    if existing is not None:
        return existing
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise DomainError(
            _err("required", "请填写申请人姓名", "Applicant name is required", "applicant_name")
        )
    phone = (phone or "").strip()
    if phone and not re.fullmatch(r"1[3-9]\d{9}", phone):
        raise DomainError(
            _err("invalid_phone", "请填写11位手机号码", "An 11-digit mobile number", "applicant_phone")
        )
    digest = hashlib.sha256(number.encode()).hexdigest()[:24]
    user = User.objects.create_user(
        username=f"idn-{digest}", password=None, display_name=name, id_number=number, phone=phone
    )
    RoleAssignment.objects.create(user=user, role=Role.APPLICANT)
    audit_record(actor=actor, action="applicant.create", object_type="orgs.user", object_id=user.pk, data={})
    return user
