"""One Replicate model chosen by name: its schema bound to our roles, its price, and the one
way every adapter calls it (charge the estimate, run, download, settle the actual cost)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from providers.costs import CostMeter
from providers.replicate.client import PROVIDER, Predictions, fetch_output, output_urls
from providers.replicate.inputs import Mapping
from providers.replicate.pricing import BY_TIME, price_of
from providers.replicate.schemas import ModelRef, input_schema
from toolbox.exceptions import ProviderError


class ReplicateModel:
    def __init__(
        self, predictions: Predictions, ref: str, *, setting: str, capability: str, roles: tuple[str, ...]
    ) -> None:
        """Reads the model's schema (once per process). Raises ImproperlyConfigured when `ref`
        is malformed or the model needs an input we cannot provide."""
        self.ref = ModelRef.parse(ref, setting=setting)
        self.capability = capability
        self.mapping = Mapping.bind(
            self.ref, input_schema(self.ref, predictions.openapi_schema), roles=roles, setting=setting
        )
        self.price = price_of(self.ref.name)
        self._predictions = predictions

    @property
    def name(self) -> str:
        """`owner/name`, as the ledger names the model."""
        return self.ref.name

    def run(
        self,
        inputs: dict[str, Any],
        out_path: Path,
        meter: CostMeter,
        *,
        what: str,
        output_seconds: float = 0,
        measure: Callable[[Path], float] | None = None,
    ) -> Path:
        """Run the model on `inputs` (plus its fixed ones) and download its first output file
        next to `out_path`. The budget is checked against an estimate (`output_seconds` is
        what a per-second price expects); the ledger then gets the difference to what the
        prediction really cost (`measure` reads a per-second-priced output's length)."""
        estimate = meter.charge(
            provider=PROVIDER,
            model=self.name,
            unit_usd=self.price.estimate(capability=self.capability, output_seconds=output_seconds),
        )
        try:
            prediction = self._predictions.run(
                str(self.ref), {**inputs, **self.mapping.override.fixed}, what=what, meter=meter
            )
        except ProviderError:
            # A model billed per output bills nothing that failed or was canceled; one billed by
            # time bills the time it ran, which a failure does not report: its estimate stands.
            if self.price.per != BY_TIME:
                meter.settle(estimate, usd=Decimal(0))
            raise
        path = fetch_output(prediction.output, out_path, what)
        actual = self.price.actual(
            prediction.metrics,
            output_seconds=measure(path) if measure else output_seconds,
            images=len(output_urls(prediction.output)),
        )
        if actual is not None:
            meter.settle(estimate, usd=actual)
        return path
