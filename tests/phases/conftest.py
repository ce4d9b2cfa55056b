"""Running one phase through the real queue, with paid providers (the fake OpenAI and
Replicate), and delivering its job a second time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from generations import services
from generations.models import CostEntry, PhaseRun, VideoGeneration
from generations.orchestration import dispatch
from phases.registry import get_phase
from phases.request import GenerationRequest


@dataclass(frozen=True)
class Run:
    """What one phase left: its output, the record fields it wrote, and the ledger."""

    output: dict[str, Any]
    record: dict[str, Any]
    ledger: list[tuple[str, str, Decimal]]
    attempts: int


@pytest.fixture
def run_twice(alice, fake, queue, work_queue) -> Callable[[str], tuple[Run, Run]]:
    """Run a generation through the queue until `phase` succeeds, then deliver that phase's
    job again; returns what the phase left after the first run and after the second."""

    def run(phase_name: str) -> tuple[Run, Run]:
        phase = get_phase(phase_name)
        generation = services.generation_create(
            user=alice,
            # A draft: what a second delivery does is not about the frame size.
            request=GenerationRequest(
                prompt="A lighthouse on a cliff in a storm, then the sea calms at dawn.",
                duration=5,
                resolution="240p",
            ),
        )
        done = PhaseRun.objects.filter(
            generation=generation, phase=phase.name, status=PhaseRun.State.SUCCEEDED
        )
        work_queue(until=done.exists)
        first = _snapshot(generation.id, phase_name)
        queue.empty()  # what comes next is not under test
        for attempt in (1, first.attempts + 1):  # the same job again, and a later copy
            dispatch.enqueue_phase(generation.id, phase.name, attempt=attempt, timeout=phase.timeout)
        work_queue()
        return first, _snapshot(generation.id, phase_name)

    return run


def _snapshot(video_id: str, phase_name: str) -> Run:
    generation = VideoGeneration.objects.get(id=video_id)
    runs = PhaseRun.objects.filter(generation=generation, phase=phase_name)
    output = runs.get(status=PhaseRun.State.SUCCEEDED).output_data
    fields = get_phase(phase_name).record_fields
    ledger = list(CostEntry.objects.filter(generation=generation).values_list("phase", "model", "usd"))
    return Run(output, {name: getattr(generation, name) for name in fields}, ledger, runs.count())
