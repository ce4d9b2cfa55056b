"""The phase contract (the seed's PhaseInput / PhaseOutput) and the Phase interface.

A phase is a plain object that declares everything the product needs to know about it
(name, the generation status it runs under and that status's label, the seed's timeout, an
ETA default, a progress weight and unit, the files it leaves on the record, whether
regenerating a scene redoes it, whether the review gate pauses after it) and implements
`run(PhaseInput, PhaseContext) -> PhaseOutput`. A fan-out phase also splits its work into
parts (one RQ job each) and joins them in `run`. Its number is its place in the registry's
order. Phases never touch the queue or a generation's status:
`generations.orchestration.pipeline` does.
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
    # For a part: the output of the same-index part of each phase it needs (`part_needs`).
    part_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
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


@dataclass(frozen=True)
class Artifact:
    """A file (or list of files) a phase leaves on the generation record, by storage name."""

    key: str  # its name in the API's `artifacts` object
    field: str  # the record field holding the name(s); one of the phase's record_fields
    label: str  # what pages and the admin call it (one of them, for a list of files)
    kind: str = "link"  # image, video, audio or link: how a page shows it
    many: bool = False  # a list of files (one per scene), not one file
    item: str | None = None  # for a record field holding a dict, the key of the list of names
    part_key: str | None = None  # for a fan-out phase, the key naming each part's file

    def names(self, value: Any) -> list[str]:
        """The storage names in the record field's `value`, in order."""
        if isinstance(value, dict):
            value = value.get(self.item or "", [])
        if isinstance(value, str):
            return [value] if value else []
        return [name for name in value or [] if name]


@runtime_checkable
class Phase(Protocol):
    name: str
    # The generation's status while this phase runs, and how pages name it.
    status: str
    label: str
    timeout: int
    weight: float
    # Seconds of work per second of video, for the ETA until this installation has history.
    eta_seconds_per_video_second: float
    # What `report_progress` counts, as in "3 of 6 scenes".
    progress_unit: str
    # Output keys copied onto the generation record when the phase succeeds.
    record_fields: tuple[str, ...]
    artifacts: tuple[Artifact, ...]
    # Storage prefixes of the files it writes (`<prefix>/<video_id>/...`).
    prefixes: tuple[str, ...]
    # Regenerating one scene of a finished video redoes this phase (and its part for the scene).
    regenerate_resets: bool
    # The review gate: a generation created with review waits after this phase for approval.
    review_after: bool

    def run(self, phase_input: PhaseInput, ctx: PhaseContext) -> PhaseOutput: ...


class BasePhase:
    """Defaults for the declarations a phase may leave out."""

    eta_seconds_per_video_second = 0.05
    progress_unit = "steps"
    record_fields: tuple[str, ...] = ()
    artifacts: tuple[Artifact, ...] = ()
    prefixes: tuple[str, ...] = ()
    regenerate_resets = False
    review_after = False
    part_needs: tuple[str, ...] = ()
    parts_per_scene = True
    parts_encode_video = False


@runtime_checkable
class FanOutPhase(Phase, Protocol):
    """A phase whose parts run as separate jobs; `run` then joins `ctx.parts`.

    Its parts do not wait for its turn: once the spec is final (planned, and approved when
    the generation is reviewed), a part starts as soon as the same-index part of every
    phase in `part_needs` has succeeded (no needs: at once), so a scene's clip renders while
    the next scene's reference is drawn and the soundtrack is mixed beside them. The status
    still moves one phase at a time: the phase's turn only joins what its parts made."""

    # Earlier fan-out phases whose part of the same index this phase's part reads, through
    # `ctx.part_outputs[name]`.
    part_needs: tuple[str, ...]
    # Part i belongs to scene i, so regenerating a scene redoes that part alone; otherwise
    # regenerating any scene redoes every part.
    parts_per_scene: bool
    # Each part runs a video encoder that would take every core of the machine; the pipeline
    # gives it a share of them while other workers on the machine encode beside it.
    parts_encode_video: bool

    def part_count(self, phase_input: PhaseInput) -> int: ...

    def run_part(self, phase_input: PhaseInput, index: int, ctx: PhaseContext) -> dict[str, Any]: ...
