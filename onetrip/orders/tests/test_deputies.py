"""代表结对监督 (三门县): deputies pair with items, submit suggestions after each activity, the item's department
answers with a rectification plan within 7 working days; overdue plans are flagged and notified."""

from __future__ import annotations

import datetime as dt

import pytest

from onetrip.catalog.tests import factories as f
from onetrip.core.errors import Conflict, DomainError, Forbidden, NotFound
from onetrip.core.models import AuditEvent
from onetrip.flow.tests.casebuilders import NOW
from onetrip.notify.models import Notification
from onetrip.orders.models import DeputyPairing, DeputySuggestion, SuggestionStatus
from onetrip.orders.selectors import pairings_visible, suggestions_visible
from onetrip.orders.services import (
    orders_sweep,
    pairing_create,
    pairing_end,
    suggestion_close,
    suggestion_plan,
    suggestion_send_back,
    suggestion_submit,
)
from onetrip.ratings.tests.builders import (
    deputy,
    handler,
    leader,
    load_calendar,
    outside_supervisor,
    supervisor,
)
from onetrip.workdays.core import SHANGHAI

pytestmark = pytest.mark.django_db


def paired():
    item = f.make_published_item()
    member = deputy()
    boss = supervisor(department=item.department)
    pairing = pairing_create(deputy=member, item=item, actor=boss, now=NOW)
    return item, member, boss, pairing


def submit(member, item, **kw):
    kw.setdefault("activity", "unannounced")
    kw.setdefault("activity_date", dt.date(2026, 3, 1))
    kw.setdefault("content", "窗口仍要求提供已可共享的户籍证明")
    kw.setdefault("now", NOW)
    return suggestion_submit(deputy=member, item_id=item.pk, **kw)


def test_a_suggestion_goes_to_the_items_department_with_a_plan_due_in_7_working_days():
    load_calendar()
    item, member, boss, pairing = paired()
    chief = leader(item.department)
    suggestion = submit(member, item)
    assert suggestion.department_id == item.department_id and suggestion.pairing_id == pairing.pk
    # Submitted Monday 2026-03-02: 7 working days → Wednesday 03-11 at the close of office.
    assert suggestion.plan_due_at == dt.datetime(2026, 3, 11, 17, 30, tzinfo=SHANGHAI)
    assert Notification.objects.filter(recipient=chief, kind="suggestion.received").count() == 1
    suggestion = suggestion_plan(
        suggestion=suggestion, actor=chief, plan="一、停止索要户籍证明；二、培训", now=NOW
    )
    assert suggestion.status == SuggestionStatus.PLANNED and not suggestion.plan_overdue
    assert Notification.objects.filter(recipient=member, kind="suggestion.planned").count() == 1
    suggestion = suggestion_close(suggestion=suggestion, actor=member, note="满意", now=NOW)
    assert suggestion.status == SuggestionStatus.CLOSED and suggestion.closed_by == member
    assert AuditEvent.objects.filter(object_type="deputy_suggestion").count() == 3


def test_a_plan_after_closure_is_refused_and_a_second_plan_too():
    item, member, boss, _ = paired()
    staff = handler(item.department)
    first = submit(member, item)
    suggestion_plan(suggestion=first, actor=staff, plan="整改方案", now=NOW)
    with pytest.raises(Conflict) as err:
        suggestion_plan(suggestion=first, actor=staff, plan="第二份方案", now=NOW)
    assert err.value.errors[0].code == "already_planned"
    second = submit(member, item)
    suggestion_close(suggestion=second, actor=boss, note="已并入其他建议办理", now=NOW)
    with pytest.raises(Conflict) as err:
        suggestion_plan(suggestion=second, actor=staff, plan="迟到的方案", now=NOW)
    assert err.value.errors[0].code == "suggestion_closed"
    with pytest.raises(Conflict):
        suggestion_close(suggestion=second, actor=boss, now=NOW)
    second.refresh_from_db()
    assert second.plan == "" and second.status == SuggestionStatus.CLOSED


def test_a_supervisor_sends_a_weak_plan_back_for_rectification_again():
    load_calendar()
    item, member, boss, _ = paired()
    staff = handler(item.department)
    suggestion = submit(member, item)
    suggestion_plan(suggestion=suggestion, actor=staff, plan="加强管理", now=NOW)
    with pytest.raises(Conflict):
        suggestion_close(suggestion=submit(member, item), actor=member, now=NOW)  # no plan yet
    later = dt.datetime(2026, 3, 9, 10, 0, tzinfo=SHANGHAI)
    suggestion = suggestion_send_back(suggestion=suggestion, actor=boss, note="方案不具体", now=later)
    assert suggestion.status == SuggestionStatus.AWAITING_PLAN and suggestion.rounds == 1
    assert suggestion.plan_due_at == dt.datetime(2026, 3, 18, 17, 30, tzinfo=SHANGHAI)
    assert suggestion.history[0]["plan"] == "加强管理"
    suggestion = suggestion_plan(suggestion=suggestion, actor=staff, plan="明确三项措施和完成时间", now=later)
    assert suggestion.status == SuggestionStatus.PLANNED


def test_pairings_are_unique_while_active_and_by_a_supervisor_in_scope():
    item, member, boss, pairing = paired()
    with pytest.raises(Conflict) as err:
        pairing_create(deputy=member, item=item, actor=boss, now=NOW)
    assert err.value.errors[0].code == "already_paired"
    with pytest.raises(Forbidden):
        pairing_create(deputy=deputy(), item=item, actor=outside_supervisor(), now=NOW)
    with pytest.raises(DomainError) as err:
        pairing_create(deputy=f.make_user(), item=item, actor=boss, now=NOW)
    assert err.value.errors[0].code == "not_deputy"
    draft_item = f.make_item(department=item.department)
    with pytest.raises(DomainError) as err:
        pairing_create(deputy=member, item=draft_item, actor=boss, now=NOW)
    assert err.value.errors[0].code == "item_not_published"
    pairing_end(pairing=pairing, actor=boss, now=NOW)
    with pytest.raises(Conflict):
        pairing_end(pairing=pairing, actor=boss, now=NOW)
    again = pairing_create(deputy=member, item=item, actor=boss, now=NOW)
    assert again.is_active and DeputyPairing.objects.filter(deputy=member, item=item).count() == 2


def test_only_a_deputy_paired_with_the_item_submits_and_input_is_checked():
    item, member, boss, pairing = paired()
    with pytest.raises(Forbidden) as err:
        submit(deputy(), item)
    assert err.value.errors[0].code == "not_paired"
    with pytest.raises(Forbidden) as err:
        submit(handler(item.department), item)
    assert err.value.errors[0].code == "not_deputy"
    with pytest.raises(NotFound):
        suggestion_submit(
            deputy=member,
            item_id=999_999,
            activity="daily",
            activity_date=dt.date(2026, 3, 1),
            content="x",
            now=NOW,
        )
    with pytest.raises(DomainError) as err:
        submit(member, item, activity="party", activity_date=dt.date(2026, 3, 9), content=" ")
    assert {e.field for e in err.value.errors} == {"activity", "activity_date", "content"}
    pairing_end(pairing=pairing, actor=boss, now=NOW)
    with pytest.raises(Forbidden):
        submit(member, item)
    assert not DeputySuggestion.objects.exists()


def test_overdue_plans_are_flagged_once_and_told_to_the_department_and_supervisors():
    load_calendar()
    item, member, boss, _ = paired()
    chief = leader(item.department)
    suggestion = submit(member, item)
    assert orders_sweep(now=dt.datetime(2026, 3, 11, 17, 0, tzinfo=SHANGHAI)).plans_overdue == 0
    assert orders_sweep(now=dt.datetime(2026, 3, 12, 9, 0, tzinfo=SHANGHAI)).plans_overdue == 1
    assert orders_sweep(now=dt.datetime(2026, 3, 12, 10, 0, tzinfo=SHANGHAI)).plans_overdue == 0
    suggestion.refresh_from_db()
    assert suggestion.plan_overdue
    assert Notification.objects.filter(kind="suggestion.overdue", recipient=chief).count() == 1
    assert Notification.objects.filter(kind="suggestion.overdue", recipient=boss).count() == 1
    late = suggestion_plan(
        suggestion=suggestion, actor=chief, plan="方案", now=dt.datetime(2026, 3, 12, 11, 0, tzinfo=SHANGHAI)
    )
    assert late.plan_overdue


def test_who_sees_what():
    item, member, boss, pairing = paired()
    suggestion = submit(member, item)
    other_item, other_member, _, _ = paired()
    submit(other_member, other_item)
    assert list(pairings_visible(member)) == [pairing]
    assert list(suggestions_visible(member)) == [suggestion]
    assert set(suggestions_visible(handler(item.department))) == {suggestion}
    assert suggestions_visible(boss).count() == 2, "the catalogue factories' departments share one region"
    assert not suggestions_visible(outside_supervisor()).exists()
    assert not suggestions_visible(f.make_user()).exists()
