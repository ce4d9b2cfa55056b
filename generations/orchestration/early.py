"""Parts that start before their phase's turn.

Once a generation's spec is final (planned, and approved when it is reviewed), nothing a
part of a fan-out phase reads can change, so its job need not wait for the phases before
it: a part with no `part_needs` is enqueued at once (the soundtrack), a part that needs
the same-index part of an earlier phase as soon as that one has succeeded (a scene's clip,
after its reference, in the reference's own job). Its phase's turn then only joins;
statuses still move one phase at a time."""

from __future__ import annotations

from collections.abc import Collection

from generations.models import PartRun, VideoGeneration, pipeline_order
from generations.orchestration import dispatch
from phases.contract import FanOutPhase, Phase, PhaseInput
from phases.registry import PHASES, dependent_phases, first_phase, get_phase, is_fan_out

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
    phase_input = PhaseInput(video_id=generation.id, spec=generation.spec or {})
    wanted = []
    for phase in later:
        assert isinstance(phase, FanOutPhase)
        wanted += [(phase, index) for index in range(phase.part_count(phase_input))]
    rows = part_rows(generation.id, wanted)
    for phase, index in wanted:
        _start_if_ready(generation.id, phase, index, rows)


def part_rows(video_id: str, parts: Collection[tuple[Phase, int]]) -> Rows:
    """The rows of these parts, the missing ones created in one statement (a row each, one
    commit each, added a few milliseconds per scene to the job that plans)."""
    phases = {phase.name for phase, _ in parts}

    def read() -> Rows:
        return {
            (row.phase, row.index): row
            for row in PartRun.objects.filter(generation_id=video_id, phase__in=phases)
        }

    rows = read()
    missing = [(phase.name, index) for phase, index in parts if (phase.name, index) not in rows]
    if not missing:
        return rows
    PartRun.objects.bulk_create(
        [PartRun(generation_id=video_id, phase=phase, index=index) for phase, index in missing],
        ignore_conflicts=True,  # made meanwhile by another job: that row is the one
    )
    return read()


def enqueue_part(video_id: str, phase: Phase, index: int, *, attempt: int) -> None:
    """Enqueue a part's job, with the time and the description for the parts that need it,
    which it may go on to render (`start_dependent_parts`)."""
    dispatch.enqueue_part(
        video_id,
        phase.name,
        index,
        attempt=attempt,
        timeout=part_job_timeout(phase),
        then=[dependent.name for dependent in dependent_phases(phase)],
    )


def part_job_timeout(phase: Phase) -> int:
    """Time for the part and what it may go on to render in its job: half for the part and
    the parts that need it (`start_dependent_parts`), half for the waiting parts it may take
    over (`take_next_part`), each of which must fit in what is left."""
    return 2 * _part_seconds(phase)


def _part_seconds(phase: Phase) -> int:
    """The longest a part and the same-index parts that need it may take."""
    return phase.timeout + sum(dependent.timeout for dependent in dependent_phases(phase))


def take_next_part(video_id: str, *, beside: Phase | None = None) -> tuple[str, int] | None:
    """The generation's part whose job is next in the queue, taken off the queue for this job
    to render, when this job has time for it and what may follow it: the next scene after
    this one, the soundtrack after the last scene, with no pick-up, fork or new connection.

    `beside`: the phase of a part this job renders meanwhile, which may still take its whole
    limit; only a part of another phase is taken then, with time for both."""
    seconds_left = dispatch.seconds_left_in_job()
    if seconds_left is None:
        return None
    busy = 0 if beside is None else beside.timeout

    def fits(phase_name: str) -> bool:
        if beside is not None and phase_name == beside.name:
            return False
        return seconds_left > busy + _part_seconds(get_phase(phase_name))

    return dispatch.take_next_part_job(video_id, fits=fits)


def start_dependent_parts(video_id: str, done: FanOutPhase, index: int) -> FanOutPhase | None:
    """After part `index` of `done` succeeded: start that index's part of every phase that
    needs it, once all of its needs are met.

    The first of them that fits in the time this job has left is not queued but returned,
    for the caller to run right here: a scene's clip follows its reference in the same job,
    with no pick-up, fork or new connection in between."""
    dependents = dependent_phases(done)
    if not dependents:
        return None
    names = {done.name, *(p.name for p in dependents), *(n for p in dependents for n in p.part_needs)}
    rows: Rows = {
        (row.phase, row.index): row
        for row in PartRun.objects.filter(generation_id=video_id, index=index, phase__in=names)
    }
    seconds_left = dispatch.seconds_left_in_job()
    here = None
    for phase in dependents:
        own = _ready_part(video_id, phase, index, rows)
        if own is None:
            continue
        if here is None and seconds_left is not None and seconds_left > phase.timeout:
            here = phase
        else:
            _enqueue(video_id, phase, own)
    return here


def _start_if_ready(video_id: str, phase: FanOutPhase, index: int, rows: Rows) -> None:
    own = _ready_part(video_id, phase, index, rows)
    if own is not None:
        _enqueue(video_id, phase, own)


def _ready_part(video_id: str, phase: FanOutPhase, index: int, rows: Rows) -> PartRun | None:
    """The part's row when it is still to be made and everything it needs has succeeded."""
    own = rows.get((phase.name, index))
    if own is not None and own.status not in (PartRun.State.PENDING, PartRun.State.FAILED):
        return None
    for need in phase.part_needs:
        needed = rows.get((need, index))
        if needed is None or needed.status != PartRun.State.SUCCEEDED:
            return None
    if own is None:
        own, _ = PartRun.objects.get_or_create(generation_id=video_id, phase=phase.name, index=index)
    return own


def _enqueue(video_id: str, phase: FanOutPhase, part: PartRun) -> None:
    enqueue_part(video_id, phase, part.index, attempt=part.attempts + 1)
