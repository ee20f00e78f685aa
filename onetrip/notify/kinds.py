"""Notification kinds the platform knows by name: their Chinese label and whether they are urgent.

A kind not listed here still works (it is shown by its code). Urgent kinds cannot be muted: a person may
not put them on a channel's muted list, and when every external channel is switched off they still go out
over the first channel that has an address (email, then SMS), so an overdue warning always leaves the inbox.
In-app-only kinds (system messages) are never sent externally.
"""

from __future__ import annotations

KIND_LABELS: dict[str, str] = {
    # 办件 (applicants; folded from the case timeline by onetrip.notify.observe)
    "case_submitted": "申请提交通知",
    "case_accepted": "受理通知",
    "case_refused": "不予受理通知",
    "case_correction": "补正告知",
    "deficiency_due": "容缺补交提醒",
    "deficiency_overdue": "容缺逾期通知",
    "deficiency_supplied": "容缺补交确认",
    "deficiency_rejected": "补交材料退回",
    "case_suspended": "中止办理通知",
    "case_resumed": "恢复办理通知",
    "case_deadline": "办理时限变更",
    "case_terminated": "终止办理通知",
    "case_completed": "办结通知",
    "result_ready": "出件通知",
    "result_delivered": "送达通知",
    "delivery_received": "签收确认",
    "rating_invite": "邀请评价",
    # 待办 (staff; folded from the workflow's events)
    "task_assigned": "新的待办",
    "task_returned": "退回重办",
    "task_transferred": "转办待办",
    "task_delegated": "委派待办",
    "task_delegation_returned": "委派办回",
    "task_resubmitted": "补正到达",
    # 效能预警 (supervision sweeps)
    "task_reminder": "办理提醒",
    "task_warning": "临期预警",
    "task_overdue": "超期告警",
    # 督办与代表监督 (orders)
    "order.issued": "督办通知",
    "order.due": "督办临期",
    "order.overdue": "督办逾期",
    "order.responded": "督办反馈",
    "order.sent_back": "督办退回",
    "order.closed": "督办办结",
    "pairing.created": "结对监督",
    "suggestion.received": "监督建议",
    "suggestion.planned": "建议办理计划",
    "suggestion.sent_back": "建议退回",
    "suggestion.closed": "建议办结",
    "suggestion.overdue": "建议逾期",
    # 好差评与整改 (ratings)
    "rating.bad": "差评",
    "rating.follow_up": "追加评价",
    "rating.rectified": "整改完成",
    "rating.appeal": "评价申诉",
    "rating.appeal_decided": "申诉结果",
    "rating.voided": "评价作废",
    "rectification.callback-overdue": "回访逾期",
    "rectification.rectify-overdue": "整改逾期",
    # 系统
    "welcome": "系统消息",
}

# Cannot be muted (see above): overdue work and supervision orders.
URGENT_KINDS: frozenset[str] = frozenset(
    {
        "task_overdue",
        "order.issued",
        "order.overdue",
        "suggestion.overdue",
        "rectification.callback-overdue",
        "rectification.rectify-overdue",
    }
)
# Kinds that stay in the inbox and never go out over email, SMS or a robot.
IN_APP_ONLY_KINDS: frozenset[str] = frozenset({"welcome"})


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def is_urgent(kind: str) -> bool:
    return kind in URGENT_KINDS
