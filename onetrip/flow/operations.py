"""The workflow's operation table, defined once: name → service, input schema and Chinese label.

Both adapters read this table: the REST API (flow/api.py) mounts one endpoint per operation with its schema
as the body, and the task page (flow/views.py) validates the posted form with the same schema (the form's
own field names are accepted as aliases). Every check — who may act, on which task, to whom, in which state —
is in the service the entry calls (onetrip.flow.services); an adapter only parses and renders.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_origin

from django.http import QueryDict
from ninja import Schema
from pydantic import AliasChoices, Field, ValidationError, field_validator

from onetrip.core.errors import DomainError, ErrorDetail
from onetrip.flow import services
from onetrip.flow.models import TaskRecord
from onetrip.intake.models import Case
from onetrip.orgs.models import Department, User

MAX_ID = 2**63 - 1


def _ids(name: str, *aliases: str, title: str) -> Any:
    return Field(
        default_factory=list,
        max_length=50,
        validation_alias=AliasChoices(name, *aliases),
        title=title,
    )


# ------------------------------------------------------------------------------------------ inputs


class VersionIn(Schema):
    expected_version: int = Field(
        ..., ge=0, le=2**31 - 1, title="办件版本", description="读取任务时的办件版本；已被他人更新时返回 409"
    )


class OpinionIn(VersionIn):
    opinion: str = Field("", max_length=2000, title="审批意见")


class ReasonIn(VersionIn):
    reason: str = Field("", max_length=2000, title="理由")


class ReturnIn(ReasonIn):
    to_step: str | None = Field(
        None, max_length=64, title="退回到的环节", description="为空表示退回申请人补正"
    )
    items: list[str] = Field(default_factory=list, max_length=100, title="补正事项清单（一次性告知）")

    @field_validator("items", mode="before")
    @classmethod
    def _lines(cls, value: Any) -> Any:
        # The page sends one textarea (one item a line); the API a list.
        if isinstance(value, str):
            return [line.strip() for line in value.splitlines() if line.strip()]
        return value

    @field_validator("to_step", mode="before")
    @classmethod
    def _empty_is_applicant(cls, value: Any) -> Any:
        return value or None


class TransferIn(ReasonIn):
    department_id: int = Field(
        ..., ge=1, le=MAX_ID, validation_alias=AliasChoices("department_id", "department"), title="转办部门"
    )
    user_id: int | None = Field(None, ge=1, le=MAX_ID, title="转办人员")


class DelegateIn(VersionIn):
    user_id: int = Field(
        ..., ge=1, le=MAX_ID, validation_alias=AliasChoices("user_id", "to_user"), title="受委派人"
    )
    note: str = Field("", max_length=2000, title="说明")


class SignersIn(VersionIn):
    signer_user_ids: list[int] = _ids("signer_user_ids", title="加签人员")
    signer_department_ids: list[int] = _ids("signer_department_ids", "signers", title="加签部门")


class NoteIn(VersionIn):
    note: str = Field("", max_length=2000, title="说明")


class CopyIn(Schema):
    to_user_ids: list[int] = _ids("to_user_ids", title="抄送人员")
    to_department_ids: list[int] = _ids("to_department_ids", "to", title="抄送部门")
    note: str = Field("", max_length=2000, title="附言")


class CommentIn(Schema):
    text: str = Field(..., min_length=1, max_length=5000, title="意见")


class ExtendIn(ReasonIn):
    count: int = Field(..., ge=1, le=10000, title="延长的工作日数")
    task_id: int | None = Field(None, ge=1, le=MAX_ID, title="任务")


class SpecialStartIn(NoteIn):
    procedure: str = Field(
        ..., max_length=32, title="特别程序", description="hearing / testing / expert_review / public_notice"
    )


class SpecialEndIn(VersionIn):
    outcome: str = Field("", max_length=2000, title="结果")


# ------------------------------------------------------------------------------------------ lookups


def _department(pk: int, field: str) -> Department:
    found = Department.objects.filter(pk=pk).first()
    if found is None:
        raise DomainError(ErrorDetail("unknown_department", "部门不存在", "Unknown department", field))
    return found


def _departments(ids: list[int], field: str) -> list[Department]:
    found = {d.pk: d for d in Department.objects.filter(pk__in=ids)}
    if len(found) != len(set(ids)):
        raise DomainError(ErrorDetail("unknown_department", "部门不存在", "Unknown department", field))
    return [found[i] for i in dict.fromkeys(ids)]


def _users(ids: list[int], field: str) -> list[User]:
    found = {u.pk: u for u in User.objects.filter(pk__in=ids)}
    if len(found) != len(set(ids)):
        raise DomainError(ErrorDetail("unknown_user", "人员不存在", "Unknown user", field))
    return [found[i] for i in dict.fromkeys(ids)]


def _signers(body: SignersIn) -> list[User | Department]:
    signers = [
        *_users(body.signer_user_ids, "signer_user_ids"),
        *_departments(body.signer_department_ids, "signer_department_ids"),
    ]
    if not signers:
        raise DomainError(ErrorDetail("required", "请至少选择一个部门或人员", "Choose a signer", "signers"))
    return signers


def _case_task(case: Case, task_id: int | None) -> TaskRecord | None:
    if task_id is None:
        return None
    task = TaskRecord.objects.filter(pk=task_id, case=case).first()
    if task is None:
        raise DomainError(
            ErrorDetail("task_not_in_case", "任务不属于该办件", "Task not in this case", "task_id")
        )
    return task


# ------------------------------------------------------------------------------------------ the table


@dataclass(frozen=True)
class Operation:
    """One workflow operation. `run(target, actor, now, body)` calls its service; `target` is the task (or,
    for a case operation, the case). `result` says what the service returns: the case's new version, or
    the events it added (comments and copies change no state)."""

    name: str  # the URL segment, the same in the API and on the page
    label: str  # what it is called, in Chinese
    done: str  # the message after it succeeded
    schema: type[Schema]
    run: Callable[[Any, User, dt.datetime, Any], Any]
    target: Literal["task", "case"] = "task"
    result: Literal["version", "events"] = "version"

    @property
    def key(self) -> str:
        """The name as an identifier (for templates)."""
        return self.name.replace("-", "_")

    def parse(self, data: Mapping[str, Any] | QueryDict) -> Any:
        """The validated input from a posted form or a JSON body; a DomainError naming each bad field."""
        if isinstance(data, QueryDict):
            data = _form_data(self.schema, data)
        try:
            return self.schema.model_validate(dict(data))
        except ValidationError as exc:
            raise _invalid(self.schema, exc) from None


def _form_data(schema: type[Schema], data: QueryDict) -> dict[str, Any]:
    """A posted form as the schema's input: list fields (and their aliases) from every value posted, empty
    values left out (so a required field left empty is reported as missing)."""
    lists: set[str] = set()
    for name, f in schema.model_fields.items():
        if get_origin(f.annotation) is list:
            lists.add(name)
            if isinstance(f.validation_alias, AliasChoices):
                lists |= {c for c in f.validation_alias.choices if isinstance(c, str)}
    out: dict[str, Any] = {}
    for key in data:
        if key in lists:
            out[key] = [v for v in data.getlist(key) if v != ""]
        elif data.get(key) not in ("", None):
            out[key] = data.get(key)
    return out


def _invalid(schema: type[Schema], exc: ValidationError) -> DomainError:
    details = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else ""
        field = schema.model_fields.get(name)
        title = (field.title if field is not None else None) or "输入"
        missing = error["type"] == "missing"
        details.append(
            ErrorDetail(
                "required" if missing else "invalid",
                f"请填写{title}" if missing else f"{title}不正确",
                f"{name} is required" if missing else f"{name} is invalid",
                name or None,
            )
        )
    return DomainError(*details)


def _ops(*ops: Operation) -> dict[str, Operation]:
    return {op.name: op for op in ops}


TASK_OPERATIONS: dict[str, Operation] = _ops(
    Operation(
        "claim",
        "签收",
        "已签收",
        VersionIn,
        lambda t, u, n, b: services.task_claim(task=t, actor=u, now=n, expected_version=b.expected_version),
    ),
    Operation(
        "approve",
        "审批通过",
        "已审批通过",
        OpinionIn,
        lambda t, u, n, b: services.task_approve(
            task=t, actor=u, now=n, expected_version=b.expected_version, opinion=b.opinion
        ),
    ),
    Operation(
        "reject",
        "不予通过",
        "已作出不予通过决定",
        ReasonIn,
        lambda t, u, n, b: services.task_reject(
            task=t, actor=u, now=n, expected_version=b.expected_version, reason=b.reason
        ),
    ),
    Operation(
        "return",
        "退回",
        "已退回",
        ReturnIn,
        lambda t, u, n, b: services.task_return(
            task=t,
            actor=u,
            now=n,
            expected_version=b.expected_version,
            reason=b.reason,
            to_step=b.to_step,
            items=b.items,
        ),
    ),
    Operation(
        "transfer",
        "转办",
        "已转办",
        TransferIn,
        lambda t, u, n, b: services.task_transfer(
            task=t,
            actor=u,
            now=n,
            expected_version=b.expected_version,
            department=_department(b.department_id, "department_id"),
            user=_users([b.user_id], "user_id")[0] if b.user_id else None,
            reason=b.reason,
        ),
    ),
    Operation(
        "delegate",
        "委派",
        "已委派，办理后结果回到您",
        DelegateIn,
        lambda t, u, n, b: services.task_delegate(
            task=t,
            actor=u,
            now=n,
            expected_version=b.expected_version,
            to_user=_users([b.user_id], "user_id")[0],
            note=b.note,
        ),
    ),
    Operation(
        "add-signers",
        "加签",
        "已加签",
        SignersIn,
        lambda t, u, n, b: services.task_add_signers(
            task=t, actor=u, now=n, expected_version=b.expected_version, signers=_signers(b)
        ),
    ),
    Operation(
        "remove-signers",
        "减签",
        "已减签",
        SignersIn,
        lambda t, u, n, b: services.task_remove_signers(
            task=t, actor=u, now=n, expected_version=b.expected_version, signers=_signers(b)
        ),
    ),
    Operation(
        "withdraw",
        "撤回",
        "已撤回，任务回到您的待办",
        ReasonIn,
        lambda t, u, n, b: services.task_withdraw(
            task=t, actor=u, now=n, expected_version=b.expected_version, reason=b.reason
        ),
    ),
    Operation(
        "remind",
        "催办",
        "已催办",
        NoteIn,
        lambda t, u, n, b: services.task_remind(
            task=t, actor=u, now=n, expected_version=b.expected_version, note=b.note
        ),
    ),
    Operation(
        "copy",
        "抄送",
        "已抄送",
        CopyIn,
        lambda t, u, n, b: services.task_copy(
            task=t,
            actor=u,
            now=n,
            to=[
                *_users(b.to_user_ids, "to_user_ids"),
                *_departments(b.to_department_ids, "to_department_ids"),
            ],
            note=b.note,
        ),
        result="events",
    ),
    Operation(
        "comment",
        "填写意见",
        "意见已保存",
        CommentIn,
        lambda t, u, n, b: services.task_comment(case=t.case, task=t, actor=u, now=n, text=b.text),
        result="events",
    ),
)

CASE_OPERATIONS: dict[str, Operation] = _ops(
    Operation(
        "suspend",
        "中止",
        "办件已中止，期间不计时",
        ReasonIn,
        lambda c, u, n, b: services.case_suspend(
            case=c, actor=u, now=n, expected_version=b.expected_version, reason=b.reason
        ),
        target="case",
    ),
    Operation(
        "resume",
        "恢复办理",
        "办件已恢复办理",
        VersionIn,
        lambda c, u, n, b: services.case_resume(case=c, actor=u, now=n, expected_version=b.expected_version),
        target="case",
    ),
    Operation(
        "extend",
        "延长时限",
        "已延长办理时限",
        ExtendIn,
        lambda c, u, n, b: services.case_extend(
            case=c,
            actor=u,
            now=n,
            expected_version=b.expected_version,
            count=b.count,
            reason=b.reason,
            task=_case_task(c, b.task_id),
        ),
        target="case",
    ),
    Operation(
        "special-start",
        "启动特别程序",
        "已进入特别程序，期间不计时",
        SpecialStartIn,
        lambda c, u, n, b: services.case_special_start(
            case=c, actor=u, now=n, expected_version=b.expected_version, procedure=b.procedure, note=b.note
        ),
        target="case",
    ),
    Operation(
        "special-end",
        "结束特别程序",
        "特别程序已结束",
        SpecialEndIn,
        lambda c, u, n, b: services.case_special_end(
            case=c, actor=u, now=n, expected_version=b.expected_version, outcome=b.outcome
        ),
        target="case",
    ),
    Operation(
        "withdraw",
        "撤回申请",
        "申请已撤回",
        ReasonIn,
        lambda c, u, n, b: services.case_withdraw(
            case=c, actor=u, now=n, expected_version=b.expected_version, reason=b.reason
        ),
        target="case",
    ),
    Operation(
        "terminate",
        "终止办理",
        "办件已终止",
        ReasonIn,
        lambda c, u, n, b: services.case_terminate(
            case=c, actor=u, now=n, expected_version=b.expected_version, reason=b.reason
        ),
        target="case",
    ),
    Operation(
        "resubmit",
        "补正后重新提交",
        "已重新提交",
        VersionIn,
        lambda c, u, n, b: services.case_resubmit(
            case=c, actor=u, now=n, expected_version=b.expected_version
        ),
        target="case",
    ),
)


def page_operation(name: str) -> Operation | None:
    """The operation a task page posts: the task's own first, else one on its case (a lead department's
    suspend, extend, special procedure …)."""
    return TASK_OPERATIONS.get(name) or CASE_OPERATIONS.get(name)
