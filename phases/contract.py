"""The phase contract (the seed's PhaseInput / PhaseOutput) and the Phase interface.

A phase is a plain object with a name, the generation status it runs under, the seed's
timeout, a progress weight, and `run(PhaseInput, PhaseContext) -> PhaseOutput`. A fan-out
phase also splits its work into parts (one RQ job each) and joins them in `run`.
Phases never touch the queue or a generation's status: `generations.orchestration.pipeline` does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from providers.costs import CostMeter
from toolbox.exceptions import PhaseException


@dataclass(frozen=True)
class PhaseInput:
    """Standard input for every phase task. Phase 1 gets the request (prompt and options)
    as its spec; every later phase gets the validated spec."""

    video_id: str
    spec: dict[str, Any]


@dataclass(frozen=True)
class PhaseOutput:
    """Standard output from every phase task."""

    video_id: str
    phase: str
    status: Literal["success", "failed"]
    output_data: dict[str, Any]
    cost_usd: Decimal
    duration_seconds: float
    error_message: str | None = None


class PhaseCanceled(PhaseException):
    """The generation stopped being active while the phase ran; its work is discarded."""


@dataclass
class PhaseContext:
    """What a running phase may use besides its input: a scratch directory, the cost meter,
    the earlier phases' outputs, a progress reporter and a cancellation check."""

    video_id: str
    phase: str
    workdir: Path
    meter: CostMeter
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    parts: list[dict[str, Any]] = field(default_factory=list)
    # Generations whose stored work this one may reuse (the chain it was remixed from).
    reuse_from: list[str] = field(default_factory=list)
    report_progress: Callable[[int, int], None] = lambda done, total: None
    is_canceled: Callable[[], bool] = lambda: False
    started: float = field(default_factory=time.monotonic)

    def check_canceled(self) -> None:
        if self.is_canceled():
            raise PhaseCanceled(f"generation {self.video_id} is no longer active")

    def output(self, output_data: dict[str, Any]) -> PhaseOutput:
        """A successful PhaseOutput for this phase, with its cost and duration filled in."""
        return PhaseOutput(
            video_id=self.video_id,
            phase=self.phase,
            status="success",
            output_data=output_data,
            cost_usd=self.meter.total,
            duration_seconds=round(time.monotonic() - self.started, 3),
        )


@runtime_checkable
class Phase(Protocol):
    name: str
    number: int
    # The generation's status while this phase runs (one of the record's status values).
    status: str
    timeout: int
    weight: float
    # Output keys copied onto the generation record when the phase succeeds.
    record_fields: tuple[str, ...]

    def run(self, phase_input: PhaseInput, ctx: PhaseContext) -> PhaseOutput: ...


@runtime_checkable
class FanOutPhase(Phase, Protocol):
    """A phase whose parts run as separate jobs; `run` then joins `ctx.parts`."""

    def part_count(self, phase_input: PhaseInput) -> int: ...

    def run_part(self, phase_input: PhaseInput, index: int, ctx: PhaseContext) -> dict[str, Any]: ...
