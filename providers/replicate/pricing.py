"""What a prediction costs: estimated before it runs, reckoned from what it used after.

Replicate bills a model one of two ways. Most community models are billed by time: the
prediction's `metrics.predict_time` times the per-second price of the hardware it runs on.
Official models (Kling, Veo, Hailuo, Seedance, FLUX …) are billed per output: per second of
video, per image, or per prediction. `settings.REPLICATE_PRICES` holds both tables
(REPLICATE_PRICES_JSON overrides any entry); a model it does not list is taken to be billed
by time on REPLICATE_DEFAULT_HARDWARE.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings

PER_SECOND_OF_OUTPUT = "second"
PER_IMAGE = "image"
PER_PREDICTION = "prediction"
BY_TIME = "time"
PLACES = Decimal("0.0001")  # the ledger keeps four places
# How long a prediction of a model billed by time is expected to run, when its price entry
# does not say: what the budget check assumes before the call.
TYPICAL_SECONDS = {"image": 10, "video": 90, "music": 60}


@dataclass(frozen=True)
class Price:
    model: str
    per: str
    usd: Decimal  # per unit, or per second of hardware time for BY_TIME
    typical_seconds: float | None = None  # expected predict_time for BY_TIME
    # A fixed estimate for the budget check instead of typical time times price (the seed's
    # constants for its own models).
    estimate_usd: Decimal | None = None

    def estimate(self, *, capability: str, output_seconds: float = 0, images: int = 1) -> Decimal:
        """The cost to check against the budget before the call."""
        if self.estimate_usd is not None:
            return self.estimate_usd
        if self.per == BY_TIME:
            seconds = self.typical_seconds or TYPICAL_SECONDS[capability]
            return _usd(self.usd * Decimal(str(seconds)))
        return self._per_output(output_seconds=output_seconds, images=images)

    def actual(
        self, metrics: dict[str, Any] | None, *, output_seconds: float = 0, images: int = 1
    ) -> Decimal | None:
        """The cost of a finished prediction from what it reports (None when it reports
        nothing to reckon by, so the estimate stands)."""
        if self.per == BY_TIME:
            predict_time = (metrics or {}).get("predict_time")
            if predict_time is None:
                return None
            return _usd(self.usd * Decimal(str(predict_time)))
        return self._per_output(output_seconds=output_seconds, images=images)

    def _per_output(self, *, output_seconds: float, images: int) -> Decimal:
        if self.per == PER_SECOND_OF_OUTPUT:
            # Measured lengths differ from the asked ones in the last milliseconds of the container.
            return _usd(self.usd * Decimal(str(round(output_seconds, 2))))
        if self.per == PER_IMAGE:
            return _usd(self.usd * images)
        return _usd(self.usd)


def price_of(model: str) -> Price:
    """The price of `model` (`owner/name`) from the table in settings."""
    table = settings.REPLICATE_PRICES
    entry = table["models"].get(model, {})
    per = entry.get("per", BY_TIME)
    estimate = Decimal(str(entry["estimate"])) if "estimate" in entry else None
    if per == BY_TIME:
        hardware = entry.get("hardware") or settings.REPLICATE_DEFAULT_HARDWARE
        return Price(
            model=model,
            per=BY_TIME,
            usd=Decimal(str(table["hardware"][hardware])),
            typical_seconds=entry.get("typical_seconds"),
            estimate_usd=estimate,
        )
    return Price(model=model, per=per, usd=Decimal(str(entry["usd"])), estimate_usd=estimate)


def _usd(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_UP)
