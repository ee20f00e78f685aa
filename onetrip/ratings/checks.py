"""A system check: the default rectification limits in settings (RATINGS_CALLBACK_WORKDAYS,
RATINGS_RECTIFY_WORKDAYS; Zhejiang's 1 and 15 working days when unset) must be valid."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register

from onetrip.ratings.selectors import default_policy, policy_errors


@register()
def rating_limits_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    policy = default_policy()
    return [
        Error(
            f"RATINGS_{'CALLBACK' if e.field == 'callback_days' else 'RECTIFY'}_WORKDAYS: {e.message_zh}",
            hint=e.message_en,
            id="ratings.E001",
        )
        for e in policy_errors(policy.callback_days, policy.rectify_days)
    ]
