"""The seed's cost constants and the meter that providers charge before each paid call.

A call whose price is known beforehand is charged once. A call billed by what it uses
(Replicate's predictions) is charged an estimate before it runs, so the budget check still
comes first, and settled once it has run: one more line of the difference, so the ledger adds
up to what the provider really billed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

# Cost per API call (USD), from the seed's constants. Replicate predictions are charged what
# they used (prices in settings); for the seed's four models these constants are the estimate
# the budget check sees before the call.
COST_GPT4_TURBO = Decimal("0.01")
COST_SDXL_IMAGE = Decimal("0.0055")
COST_ZEROSCOPE_VIDEO = Decimal("0.10")
COST_ANIMATEDIFF_VIDEO = Decimal("0.20")
COST_MUSICGEN = Decimal("0.15")
# OpenAI speech (tts-1): $15 per million characters, charged per started 100 characters.
COST_OPENAI_SPEECH_PER_1K_CHARS = Decimal("0.015")

ZERO = Decimal("0")


@dataclass(frozen=True)
class Charge:
    provider: str
    model: str
    units: Decimal
    usd: Decimal
    # A correction of an earlier estimate once the call reported what it really used. The
    # money is already spent, so a budget guard records it without refusing it.
    adjusts: bool = False


@dataclass
class CostMeter:
    """Collects the charges of one phase (or one part of a fan-out phase).

    Providers call `charge()` *before* a paid call, so a budget guard can refuse it
    before any money is spent. `on_charge`, when given, is that guard and recorder:
    it sees every charge first and may raise to refuse it.
    """

    on_charge: Callable[[Charge], None] | None = None
    # Told when paid remote work starts (True) and ends (False), by provider and its id, so a
    # user's cancel can stop it on the provider's side even after our job was killed.
    on_remote_work: Callable[[str, str, bool], None] | None = None
    charges: list[Charge] = field(default_factory=list)

    def remote_work(self, *, provider: str, work_id: str, running: bool) -> None:
        if self.on_remote_work is not None:
            self.on_remote_work(provider, work_id, running)

    def charge(self, *, provider: str, model: str, unit_usd: Decimal, units: Decimal | int = 1) -> Charge:
        """Charge a call before it is made (its known price, or an estimate to settle later)."""
        units = Decimal(units)
        line = Charge(provider=provider, model=model, units=units, usd=(unit_usd * units))
        self._add(line)
        return line

    def settle(self, estimate: Charge, *, usd: Decimal) -> None:
        """Record what a call charged as `estimate` really cost: one line of the difference
        (no line when there is none), so the lines of a call add up to its actual cost."""
        if usd != estimate.usd:
            self._add(
                Charge(
                    provider=estimate.provider,
                    model=estimate.model,
                    units=Decimal(0),
                    usd=usd - estimate.usd,
                    adjusts=True,
                )
            )

    def _add(self, line: Charge) -> None:
        if self.on_charge is not None:
            self.on_charge(line)
        self.charges.append(line)

    @property
    def total(self) -> Decimal:
        return sum((c.usd for c in self.charges), ZERO)
