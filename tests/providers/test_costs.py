"""The meter providers charge before each paid call, and settle when a call reports its cost."""

from __future__ import annotations

from decimal import Decimal

import pytest

from providers.costs import Charge, CostMeter


def test_a_settled_estimate_adds_one_line_of_the_difference_so_the_total_is_the_actual():
    seen: list[Charge] = []
    meter = CostMeter(on_charge=seen.append)
    estimate = meter.charge(provider="replicate", model="meta/musicgen", unit_usd=Decimal("0.0585"))
    meter.settle(estimate, usd=Decimal("0.0371"))
    assert seen == meter.charges
    assert [(c.units, c.usd, c.adjusts) for c in meter.charges] == [
        (Decimal(1), Decimal("0.0585"), False),
        (Decimal(0), Decimal("-0.0214"), True),
    ]
    assert meter.total == Decimal("0.0371")


def test_an_estimate_that_was_right_adds_no_line():
    meter = CostMeter()
    estimate = meter.charge(provider="replicate", model="minimax/video-01", unit_usd=Decimal("0.5"))
    meter.settle(estimate, usd=Decimal("0.50"))
    assert len(meter.charges) == 1


def test_a_guard_that_refuses_a_charge_stops_it_before_it_is_counted():
    def refuse(charge: Charge) -> None:
        raise RuntimeError("over budget")

    meter = CostMeter(on_charge=refuse)
    with pytest.raises(RuntimeError):
        meter.charge(provider="openai", model="gpt-4-turbo", unit_usd=Decimal("0.01"))
    assert meter.charges == []
