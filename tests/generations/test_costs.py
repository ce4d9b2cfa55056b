"""The cost ledger: the budget check and the ledger line are one locked step, so parallel
charges (parts of a fan-out phase, generations of one user) never pass a cap together."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection

from generations import services
from generations.models import CostEntry, VideoGeneration
from toolbox.exceptions import BudgetExceeded

pytestmark = pytest.mark.django_db(transaction=True)

TEN_CENTS = Decimal("0.10")


def charge_in_parallel(video_ids: list[str], times: int) -> list[bool]:
    """`times` charges of ten cents spread over the generations, all at once, each on its
    own database connection; True for each charge the ledger took."""

    def charge(number: int) -> bool:
        try:
            services.ledger_record(
                video_id=video_ids[number % len(video_ids)],
                phase="chunks",
                provider="test",
                model="paid",
                units=Decimal(1),
                usd=TEN_CENTS,
            )
            return True
        except BudgetExceeded:
            return False
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=times) as pool:
        return list(pool.map(charge, range(times)))


def test_fifty_concurrent_charges_never_pass_the_generation_cap(alice, settings):
    settings.MAX_COST_PER_GENERATION_USD = Decimal("1.00")
    generation = VideoGeneration.objects.create(user=alice, prompt="A calm ocean at night")

    taken = charge_in_parallel([generation.id], 50)

    generation.refresh_from_db()
    assert taken.count(True) == 10
    assert generation.cost_usd == Decimal("1.00")
    assert CostEntry.objects.filter(generation=generation).count() == 10
    assert generation.cost_breakdown == {"chunks": "1.0000"}


def test_fifty_concurrent_charges_never_pass_the_daily_cap_across_generations(alice, settings):
    settings.MAX_COST_PER_GENERATION_USD = Decimal("5.00")
    settings.MAX_COST_PER_USER_DAY_USD = Decimal("2.00")
    generations = [VideoGeneration.objects.create(user=alice, prompt=f"Ocean {n}") for n in range(5)]

    taken = charge_in_parallel([generation.id for generation in generations], 50)

    assert taken.count(True) == 20
    spent = sum(CostEntry.objects.filter(generation__user=alice).values_list("usd", flat=True), Decimal(0))
    assert spent == Decimal("2.00")


def test_a_refused_charge_writes_nothing(alice, settings):
    settings.MAX_COST_PER_GENERATION_USD = Decimal("0.05")
    generation = VideoGeneration.objects.create(user=alice, prompt="A calm ocean at night")

    with pytest.raises(BudgetExceeded, match="budget exceeded"):
        services.ledger_record(
            video_id=generation.id, phase="plan", provider="test", model="m", units=Decimal(1), usd=TEN_CENTS
        )

    generation.refresh_from_db()
    assert generation.cost_usd == 0 and not CostEntry.objects.exists()
