"""Parts that start before their phase's turn.

Once a generation's spec is final (planned, and approved when it is reviewed), nothing a
part of a fan-out phase reads can change, so its job need not wait for the phases before
it: a part with no `part_needs` is enqueued at once (the soundtrack), a part that needs
the same-index part of an earlier phase as soon as that one has succeeded (a scene's clip,
after its reference). Its phase's turn then only joins; statuses still move one phase at a
time."""

from __future__ import annotations

from collections.abc import Collection

from generations.models import PartRun, VideoGeneration, pipeline_order
from generations.orchestration import dispatch
from phases.contract import FanOutPhase, PhaseInput
from phases.registry import PHASES, first_phase, is_fan_out

Rows = dict[tuple[str, int], PartRun]


def spec_is_final(generation: VideoGeneration, finished: Collection[str]) -> bool:
    return first_phase().name in finished and (not generation.review or generation.approved_at is not None)


def running_statuses(phase: FanOutPhase) -> frozenset[str]:
    """The statuses under which a part of `phase` may run: from queued up to the phase's own."""
    order = pipeline_order()
    return frozenset(order[: order.index(phase.status) + 1])


def start_ready_parts(generation: VideoGeneration, finished: Collection[str]) -> None:
    """Enqueue every part of a fan-out phase not yet finished whose needs are met."""
    later = [phase for phase in PHASES if is_fan_out(phase) and phase.name not in finished]
    if not later or not spec_is_final(generation, finished):
        return
    rows: Rows = {
        (row.phase, row.index): row
        for row in PartRun.objects.filter(generation_id=generation.id, phase__in=[p.name for p in later])
    }
    phase_input = PhaseInput(video_id=generation.id, spec=generation.spec or {})
    for phase in later:
        assert isinstance(phase, FanOutPhase)
        for index in range(phase.part_count(phase_input)):
            _start_if_ready(generation.id, phase, index, rows)


def start_dependent_parts(video_id: str, done: FanOutPhase, index: int) -> None:
    """After part `index` of `done` succeeded: start that index's part of every phase that
    needs it, once all of its needs are met."""
    dependents = [phase for phase in PHASES if is_fan_out(phase) and done.name in phase.part_needs]
    if not dependents:
        return
    names = {done.name, *(p.name for p in dependents), *(n for p in dependents for n in p.part_needs)}
    rows: Rows = {
        (row.phase, row.index): row
        for row in PartRun.objects.filter(generation_id=video_id, index=index, phase__in=names)
    }
    for phase in dependents:
        assert isinstance(phase, FanOutPhase)
        _start_if_ready(video_id, phase, index, rows)


def _start_if_ready(video_id: str, phase: FanOutPhase, index: int, rows: Rows) -> None:
    own = rows.get((phase.name, index))
    if own is not None and own.status not in (PartRun.State.PENDING, PartRun.State.FAILED):
        return
    for need in phase.part_needs:
        needed = rows.get((need, index))
        if needed is None or needed.status != PartRun.State.SUCCEEDED:
            return
    if own is None:
        own, _ = PartRun.objects.get_or_create(generation_id=video_id, phase=phase.name, index=index)
    dispatch.enqueue_part(video_id, phase.name, index, attempt=own.attempts + 1, timeout=phase.timeout)
