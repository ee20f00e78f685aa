from decimal import Decimal

from onetrip.bundles.critical_path import combined_limit, limit_in_working_days, member_duration, step_counts
from onetrip.bundles.spec import MemberSpec, StepSpec


def m(code, limit=None, unit="working", optional=False, dept=1, steps=(), **kw):
    return MemberSpec(
        code=code,
        item_code=code,
        item_name=code,
        department_id=dept,
        department_name=f"部门{dept}",
        optional=optional,
        promised_limit=limit,
        promised_limit_unit=unit,
        steps=tuple(steps),
        **kw,
    )


def test_serial_adds_and_parallel_takes_the_longest():
    # a(2) → {b(5), c(3)} → d(1): critical a-b-d = 8; sum 11
    members = [m("a", 2), m("b", 5), m("c", 3), m("d", 1)]
    edges = [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]
    out = combined_limit(members, edges)
    assert out.errors == []
    assert out.critical_days == Decimal(8)
    assert out.sum_days == Decimal(11)
    assert out.critical_path == ["a", "b", "d"]
    starts = {s.member: (s.start, s.finish) for s in out.schedule}
    assert starts["c"] == (Decimal(2), Decimal(5)) and starts["d"] == (Decimal(7), Decimal(8))


def test_members_without_edges_all_run_in_parallel():
    out = combined_limit([m("a", 4), m("b", 7), m("c", 1)], [])
    assert out.critical_days == Decimal(7) and out.sum_days == Decimal(12) and out.critical_path == ["b"]


def test_hours_convert_at_eight_a_day_and_natural_days_one_for_one():
    assert limit_in_working_days(4, "hours") == Decimal("0.5")
    assert limit_in_working_days(30, "natural") == Decimal(30)
    out = combined_limit([m("a", 12, "hours"), m("b", 1)], [("a", "b")])
    assert out.critical_days == Decimal("2.5")


def test_fallbacks_statutory_then_immediate_then_unknown():
    assert member_duration(m("a", None, statutory_limit=20)) == Decimal(20)
    assert member_duration(m("b", None, immediate=True)) == Decimal(0)
    out = combined_limit([m("c", None), m("d", 3)], [("c", "d")])
    assert out.unknown == ["c"] and out.critical_days == Decimal(3)


def test_optional_members_take_part_only_when_chosen():
    members = [m("a", 2), m("b", 9, optional=True)]
    edges = [("a", "b")]
    assert combined_limit(members, edges, chosen=()).critical_days == Decimal(2)
    assert combined_limit(members, edges, chosen=["b"]).critical_days == Decimal(11)
    assert combined_limit(members, edges).critical_days == Decimal(11)  # None: every member


def test_a_cycle_is_an_error():
    out = combined_limit([m("a", 1), m("b", 1), m("c", 1)], [("a", "b"), ("b", "c"), ("c", "b")])
    assert [e.code for e in out.errors] == ["process_cycle"]
    assert "b" in out.errors[0].message_en and "c" in out.errors[0].message_en


def test_step_counts_share_acceptance_and_delivery():
    def steps(*names, dept=None):
        return (
            [StepSpec("start", "开始", "start")]
            + [StepSpec(code, name, "task", dept) for code, name in names]
            + [StepSpec("end", "结束", "end")]
        )

    a = m(
        "a",
        1,
        dept=1,
        steps=steps(("accept", "受理"), ("review", "审核"), ("decide", "审批"), ("finish", "办结")),
    )
    b = m("b", 1, dept=1, steps=steps(("accept", "受理"), ("review", "审核"), ("issue", "发证")))
    c = m("c", 1, dept=2, steps=steps(("accept", "受理"), ("review", "审核")))
    counts = step_counts([a, b, c])
    # before: 4 + 3 + 2 task steps; after: 1 acceptance + dept1 {审核, 审批} + dept2 {审核} + 1 delivery
    assert counts.before == 9
    assert counts.after == 5
    assert step_counts([]).as_dict() == {"before": 0, "after": 0}


def test_a_bundle_started_inside_a_department_gets_no_window_steps_it_never_had():
    def steps(*names):
        return [StepSpec(code, name, "task", 1) for code, name in names]

    a = m("a", 1, steps=steps(("apply", "单位申报"), ("review", "审核")))
    b = m("b", 1, steps=steps(("apply", "单位申报"), ("pay", "发放")))
    counts = step_counts([a, b])
    assert counts.before == 4
    assert counts.after == 3  # 单位申报 done once, 审核, 发放: no acceptance or delivery added
