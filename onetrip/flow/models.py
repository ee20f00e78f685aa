"""Persistence of the workflow engine (onetrip/flow/engine), results and delivery.

* `ProcessDefinitionRecord`: a compiled-once definition, by (key, version), as the plain data the engine's
  `from_template` reads. Item cases use `item:<implementation code>` / the item version number; bundle cases
  `bundle:<code>` / the bundle version number, whose members are subprocesses on their items' definitions.
* `ProcessInstanceRecord`: one per dispatched case: the engine's compact `to_state()` and its optimistic
  `version`; every change goes through a row lock (SELECT … FOR UPDATE) and an UPDATE guarded by the version.
  `wake_at` is the earliest instant a timeout can fall due, so the sweep reads an index, not every case.
* `TaskRecord`: a row per task (open or closed) for the department inbox; `FlowEvent`: append-only rows of
  the engine's events (who, when, why).
* `CaseResult` (approval document, licence, denial) and `Delivery` (pickup with a notice, post with a
  tracking number, electronic) with the applicant's confirmation of receipt.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from onetrip.catalog.models import Item
from onetrip.intake.models import Case, StoredFile
from onetrip.orgs.models import Department, Window


class ProcessDefinitionRecord(models.Model):
    key = models.CharField("流程标识", max_length=96)
    version = models.PositiveIntegerField("版本")
    name = models.CharField("名称", max_length=255, blank=True)
    source = models.JSONField(
        "定义", help_text='{"steps": [...], "transitions": [...]}，按 engine.from_template 的格式'
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "流程定义"
        constraints = [models.UniqueConstraint(fields=["key", "version"], name="flow_definition_unique")]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"


class InstanceStatus(models.TextChoices):
    RUNNING = "running", "办理中"
    CORRECTION = "correction", "补正中"
    SUSPENDED = "suspended", "已中止"
    SPECIAL = "special", "特别程序中"
    HELD = "held", "待出件"
    COMPLETED = "completed", "已办结"
    REJECTED = "rejected", "不予许可"
    WITHDRAWN = "withdrawn", "已撤回"
    TERMINATED = "terminated", "已终止"


class ProcessInstanceRecord(models.Model):
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="flow")
    definition = models.ForeignKey(ProcessDefinitionRecord, on_delete=models.PROTECT, related_name="+")
    state = models.JSONField("实例状态")
    version = models.PositiveIntegerField("版本", default=0, help_text="乐观锁，与引擎实例的 version 一致")
    status = models.CharField("状态", max_length=16, choices=InstanceStatus.choices)
    wake_at = models.DateTimeField("下次超时检查", null=True, blank=True)
    started_at = models.DateTimeField("开始时间")
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "流程实例"
        indexes = [
            models.Index(fields=["wake_at"], condition=Q(wake_at__isnull=False), name="flow_instance_wake"),
            models.Index(fields=["status"]),
        ]

    def __str__(self) -> str:
        return f"{self.case} · {self.get_status_display()}"


class TaskKind(models.TextChoices):
    FLOW = "flow", "办理"
    VERIFY = "verify", "承诺核查"
    CONSULT = "consult", "协办"


class TaskStatus(models.TextChoices):
    OPEN = "open", "待办"
    RETURNED = "returned", "退回补正中"
    APPROVED = "approved", "已通过"
    REJECTED = "rejected", "不予通过"
    CANCELLED = "cancelled", "已取消"


OPEN_TASK_STATUSES = (TaskStatus.OPEN, TaskStatus.RETURNED)


class TaskRecord(models.Model):
    instance = models.ForeignKey(ProcessInstanceRecord, on_delete=models.CASCADE, related_name="tasks")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="flow_tasks")
    task_id = models.PositiveIntegerField("任务号", help_text="引擎内的任务编号")
    kind = models.CharField("类别", max_length=8, choices=TaskKind.choices, default=TaskKind.FLOW)
    step_code = models.CharField("环节编码", max_length=80)
    step_name = models.CharField("环节名称", max_length=128, blank=True)
    department = models.ForeignKey(
        Department, verbose_name="办理部门", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="办理人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    delegator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="委派人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    candidate_role = models.CharField("办理角色", max_length=32, blank=True)
    countersign = models.BooleanField("会签任务", default=False)
    status = models.CharField("状态", max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    created_at = models.DateTimeField("创建时间")
    due_at = models.DateTimeField("办理期限", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opinion = models.TextField("意见", blank=True)
    deemed = models.BooleanField("超时默认", default=False, help_text="超时或缺席视为同意，该部门承担责任")
    escalated = models.BooleanField("已上报", default=False)
    timed_out = models.BooleanField("已超时处理", default=False)
    reminders = models.PositiveSmallIntegerField("催办次数", default=0)
    # Supervision (效能监管): False until onetrip.supervision's sweep has seen the task; flow never sets it, so a
    # new row is found through the small partial index `flow_task_unwatched` without any hook in flow.
    watched = models.BooleanField("已纳入监管", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "办理任务"
        constraints = [models.UniqueConstraint(fields=["instance", "task_id"], name="flow_task_unique")]
        indexes = [
            models.Index(fields=["department", "status", "due_at"], name="flow_task_dept_inbox"),
            models.Index(fields=["assignee", "status", "due_at"], name="flow_task_user_inbox"),
            models.Index(fields=["case", "task_id"], name="flow_task_case"),
            models.Index(fields=["id"], condition=Q(watched=False), name="flow_task_unwatched"),
        ]

    def __str__(self) -> str:
        return f"{self.case} · {self.step_name or self.step_code}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TASK_STATUSES


class FlowEvent(models.Model):
    """Append-only: what the engine reported, who did it and why (opinions and reasons are in `data`)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="flow_events")
    at = models.DateTimeField("时间")
    kind = models.CharField("事件", max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField("操作人", max_length=64, blank=True, help_text="系统操作时为“系统”")
    task_id = models.PositiveIntegerField("任务号", null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "流程事件"
        indexes = [models.Index(fields=["case", "id"], name="flow_event_case")]

    def __str__(self) -> str:
        return f"{self.case} {self.kind}"


class ResultKind(models.TextChoices):
    APPROVAL = "approval", "准予许可决定书"
    LICENCE = "licence", "电子证照"
    CERTIFICATE = "certificate", "证明文书"
    DENIAL = "denial", "不予许可决定书"


class CaseResult(models.Model):
    """One result per item of a case: an approval document, an e-licence (also registered in the e-licence
    register, `licence`), a certificate, or a refusal decision with its reasons and legal basis."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="results")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("结果类型", max_length=16, choices=ResultKind.choices)
    document_number = models.CharField("文号/证照编号", max_length=64)
    title = models.CharField("结果名称", max_length=255)
    reasons = models.TextField("理由", blank=True, help_text="不予许可必须写明理由")
    legal_basis = models.TextField("法律依据", blank=True, help_text="不予许可必须写明法律依据")
    licence_type = models.CharField("证照类型", max_length=64, blank=True)
    licence = models.ForeignKey(
        "sharing.Licence",
        verbose_name="电子证照",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="证照类结果登记到电子证照库的记录",
    )
    issued_at = models.DateTimeField("出具时间")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    file = models.ForeignKey(StoredFile, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "办理结果"
        constraints = [
            models.UniqueConstraint(fields=["case", "item"], name="flow_result_one_per_item"),
            models.UniqueConstraint(fields=["department", "document_number"], name="flow_result_number"),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.document_number}）"


class DeliveryMethod(models.TextChoices):
    PICKUP = "pickup", "窗口领取"
    POST = "post", "邮寄送达"
    ELECTRONIC = "electronic", "电子送达"


class DeliveryStatus(models.TextChoices):
    READY = "ready", "待领取"
    SENT = "sent", "已寄出/已送达"
    RECEIVED = "received", "已签收"


class Delivery(models.Model):
    """统一出件: how the case's results reach the applicant, and their confirmation of receipt."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="delivery")
    method = models.CharField("送达方式", max_length=16, choices=DeliveryMethod.choices)
    status = models.CharField("状态", max_length=16, choices=DeliveryStatus.choices)
    window = models.ForeignKey(
        Window, verbose_name="领取窗口", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    carrier = models.CharField("快递公司", max_length=32, blank=True)
    tracking_number = models.CharField("运单号", max_length=64, blank=True)
    notice = models.TextField("领取/送达通知")
    created_at = models.DateTimeField("创建时间")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField("签收时间", null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "结果送达"
        constraints = [
            models.CheckConstraint(
                condition=~Q(method="post") | ~Q(tracking_number=""), name="flow_post_needs_tracking"
            ),
            models.CheckConstraint(
                condition=~Q(method="pickup") | Q(window__isnull=False), name="flow_pickup_needs_window"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} · {self.get_method_display()}"
