"""The seed's cost constants and the meter that providers charge before each paid call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

# Cost per API call (USD), from the seed's constants.
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

    def charge(self, *, provider: str, model: str, unit_usd: Decimal, units: Decimal | int = 1) -> None:
        units = Decimal(units)
        line = Charge(provider=provider, model=model, units=units, usd=(unit_usd * units))
        if self.on_charge is not None:
            self.on_charge(line)
        self.charges.append(line)

    @property
    def total(self) -> Decimal:
        return sum((c.usd for c in self.charges), ZERO)
