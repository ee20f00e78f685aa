from decimal import Decimal

from onetrip.bundles.figures import Figure, duplication_rate, figures, percentage, reduction_rate


def test_reduction_rate_as_the_documents_state_it():
    assert reduction_rate(317, 167) == Decimal("47.32")


def test_duplication_rate_as_the_documents_state_it():
    assert duplication_rate(10, 43) == Decimal("23.26")


def test_rounding_is_half_up_not_bankers():
    # 1/8 = 12.5% exactly → 12.50; 1/400 = 0.25%; 0.125% (1/800) rounds half-up to 0.13, banker's gives 0.12
    assert percentage(1, 800) == Decimal("0.13")
    assert percentage(3, 800) == Decimal("0.38")


def test_undefined_rates_are_none():
    assert reduction_rate(0, 0) is None
    assert reduction_rate(None, 3) is None
    assert duplication_rate(0, 0) is None


def test_figure_reduction_and_dict():
    fig = Figure("materials", 43, 13)
    assert fig.reduction == 30
    assert fig.as_dict() == {
        "measure": "materials",
        "before": 43,
        "after": 13,
        "reduction": 30,
        "rate": "69.77",
    }


def test_figures_keep_a_fixed_order_and_tolerate_missing_measures():
    out = figures({"materials": 317, "limit": Decimal("20")}, {"materials": 167, "limit": Decimal("4.5")})
    assert [f.measure for f in out] == ["trips", "materials", "fields", "steps", "limit"]
    assert out[0].rate is None
    assert out[1].rate == Decimal("47.32")
    assert out[4].as_dict()["after"] == "4.5"
    assert out[4].rate == Decimal("77.50")
