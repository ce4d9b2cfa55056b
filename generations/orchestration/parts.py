"""Part jobs: one part of a fan-out phase (a scene's reference or clip, the soundtrack),
rendered by its own RQ job, before its phase's turn when it may start early (`early`).
The last part to finish in the phase's turn joins the phase.

A part job goes on with the generation's part jobs that come up next in the queue, while it
has the time for them (`early.take_next_part`): with one worker, every scene and the
soundtrack in one job; with several, each takes the next scene as it frees up. While it
renders a part, it renders the next one beside it in a second thread when that one is of
another phase (`Beside`): the next scene's reference while a clip encodes, the soundtrack
beside the last clip. Never two parts of one phase at once: two clips are two encoders,
each of which wants every core, while a reference or the soundtrack uses one."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from generations.models import PartRun, PhaseRun, VideoGeneration
from generations.orchestration import dispatch, early, encoders, pipeline, steps
from generations.orchestration.context import phase_context, phase_input, report_progress
from generations.orchestration.heartbeat import heartbeat
from generations.orchestration.workdirs import workdir
from phases.contract import FanOutPhase, Phase
from phases.registry import get_phase

logger = logging.getLogger(__name__)


@dataclass
class Claimed:
    """A part this job holds: the generation, the part's row and the outputs of the parts it
    needs. Until its render starts, `waiting` keeps its heartbeat going, so a part that
    waits here for the part ahead of it is not taken for one whose worker died."""

    phase: FanOutPhase
    index: int
    generation: VideoGeneration
    part: PartRun
    needed: dict[str, dict]
    waiting: ExitStack = field(default_factory=ExitStack)
    held: bool = False
    under_way: threading.Event = field(default_factory=threading.Event)

    def hold(self) -> None:
        """Keep its heartbeat going until its render starts."""
        self.waiting.enter_context(heartbeat(PartRun, self.part.id))
        self.held = True

    def start(self) -> None:
        """Its render begins: its own heartbeat takes over, and a part that was held for a
        while starts now, not when it was claimed."""
        self.waiting.close()
        if self.held:
            PartRun.objects.filter(id=self.part.id).update(started_at=timezone.now())
        self.under_way.set()

    def release(self) -> None:
        """Give the part back, unrendered, to whatever resumes the generation."""
        self.waiting.close()
        PartRun.objects.filter(id=self.part.id, status=PartRun.State.RUNNING).update(
            status=PartRun.State.PENDING, attempts=F("attempts") - 1, started_at=None, heartbeat_at=None
        )


# Whether a render succeeded, and the part that follows it, claimed for this job.
Rendered = tuple[bool, Claimed | None]


def run_part(video_id: str, phase_name: str, index: int) -> None:
    """Render one part of a fan-out phase (the body of an RQ job), then the parts that follow
    it and the generation's parts whose jobs come next in the queue while the job has time
    for them, each next one beside the one before when their phases differ. A failure
    stops the job; the parts it holds go back for a resume."""
    first = _claim_or_join(video_id, get_phase(phase_name), index)
    _render_in_turn(video_id, deque([first] if first is not None else []))


def _render_in_turn(video_id: str, waiting: deque[Claimed]) -> None:
    while waiting:
        work = waiting.popleft()
        beside = Beside.start(video_id, work.phase, work.under_way)
        succeeded = False
        try:
            succeeded, follow_on = _render(video_id, work)
            waiting.extend([follow_on] if follow_on is not None else [])
        finally:
            work.under_way.set()
            if beside is not None:
                beside_succeeded, handed = beside.finish()
                succeeded = succeeded and beside_succeeded
                waiting.extend([handed] if handed is not None else [])
            if not succeeded:
                for part in waiting:
                    part.release()
        if not succeeded:
            return
        if not waiting and (taken := early.take_next_part(video_id)) is not None:
            claimed = _claim_or_join(video_id, get_phase(taken[0]), taken[1])
            if claimed is not None:
                waiting.append(claimed)


@dataclass
class BesidePhase:
    """The part a phase job renders in a second thread while the job runs its phase."""

    video_id: str
    beside: Beside | None

    def go_on(self) -> None:
        """Once the phase is recorded: wait for that part, then go on with the clip it holds,
        and the parts after, as a part job would."""
        if self.beside is None:
            return
        succeeded, handed = self.beside.finish()
        if succeeded and handed is not None:
            _render_in_turn(self.video_id, deque([handed]))

    def give_back(self) -> None:
        """The phase failed, or its success could not be recorded: wait for that part, and
        give what it holds back for the resume."""
        if self.beside is not None and (handed := self.beside.finish()[1]) is not None:
            handed.release()


@contextmanager
def beside_phase(video_id: str, phase: Phase) -> Iterator[BesidePhase]:
    """While a job runs `phase`, the generation's part at the head of the queue is rendered
    in a second thread: the first scene's reference while the storyboard is drawn. If the
    phase fails, what the thread holds goes back for the resume."""
    under_way = threading.Event()
    under_way.set()
    beside = BesidePhase(video_id, Beside.start(video_id, phase, under_way))
    try:
        yield beside
    except BaseException:
        beside.give_back()
        raise


def take_over(video_id: str) -> None:
    """After a phase job's phases: the fan-out phase whose turn they reached has queued its
    parts; the job goes on with the one at the head of the queue (and those after it) as
    its part job would have, with no job's end, pick-up and fork in between."""
    taken = early.take_next_part(video_id)
    if taken is not None:
        run_part(video_id, *taken)


class Beside:
    """The part at the head of the queue, taken off it, claimed and held for this job, and
    rendered in a thread of this job while the job's own thread renders a part of another
    phase (or runs a phase of its own). It is claimed in the taking thread, right after it
    left the queue: a job killed in between would lose it, neither queued nor claimed. Its
    render begins once that work is under way, so a part is usually first to set up (a clip
    takes its scene's planes before the next reference is drawn): it is the one that holds
    up what comes next."""

    def __init__(self, video_id: str, claimed: Claimed, after: threading.Event) -> None:
        # Failed until `_run` says otherwise: what raises in the thread stops the job too.
        self.rendered: Rendered = (False, None)
        self.thread = threading.Thread(
            target=dispatch.in_job(dispatch.current_job(), self._run),
            args=(video_id, claimed, after),
            name=f"beside-{claimed.phase.name}-{claimed.index}",
            daemon=True,
        )

    @classmethod
    def start(cls, video_id: str, busy: Phase, under_way: threading.Event) -> Beside | None:
        taken = early.take_next_part(video_id, beside=busy)
        if taken is None:
            return None
        claimed = _claim_or_join(video_id, get_phase(taken[0]), taken[1])
        if claimed is None:
            return None
        claimed.hold()
        beside = cls(video_id, claimed, under_way)
        beside.thread.start()
        return beside

    def _run(self, video_id: str, claimed: Claimed, after: threading.Event) -> None:
        after.wait()
        try:
            self.rendered = _render(video_id, claimed)
        finally:
            connection.close()  # this thread's own

    def finish(self) -> Rendered:
        self.thread.join()
        return self.rendered


def _claim_or_join(video_id: str, phase: Phase, index: int) -> Claimed | None:
    """The part claimed for this job; None when it is not to be rendered here, after
    joining its phase in case its turn waits for nothing else."""
    assert isinstance(phase, FanOutPhase)
    claimed = _claim_if_ready(video_id, phase, index)
    if claimed is None:
        pipeline.maybe_join(video_id, phase)
    return claimed


def _claim_if_ready(video_id: str, phase: FanOutPhase, index: int) -> Claimed | None:
    """The part claimed for this job, with what it needs; None when the part is not to be
    rendered by this job."""
    statuses = early.running_statuses(phase)
    generation = VideoGeneration.objects.filter(id=video_id, status__in=statuses).first()
    if generation is None:
        logger.info(
            "generation=%s phase=%s part=%s skipped: generation moved on", video_id, phase.name, index
        )
        return None
    needed = {
        row.phase: row.output_data
        for row in PartRun.objects.filter(
            generation_id=video_id, index=index, phase__in=phase.part_needs, status=PartRun.State.SUCCEEDED
        )
    }
    if len(needed) < len(phase.part_needs):
        # A stray job from before a restart: what it reads is being made again, and the part
        # that makes it starts this one when it is done.
        logger.info(
            "generation=%s phase=%s part=%s skipped: waiting for its inputs", video_id, phase.name, index
        )
        return None
    part = _claim(video_id, phase, index)
    return None if part is None else Claimed(phase, index, generation, part, needed)


def _render(video_id: str, work: Claimed) -> Rendered:
    """Render a claimed part; on success, claim the part that follows it for this job."""
    phase, index, generation, part = work.phase, work.index, work.generation, work.part
    work.start()
    statuses = early.running_statuses(phase)
    run_id = steps.running_run_id(video_id, phase)
    started = time.monotonic()
    given = phase_input(generation, phase)
    try:
        with workdir(video_id, f"{phase.name}-{index}") as scratch, heartbeat(PartRun, part.id):
            ctx = phase_context(video_id, phase, run_id, scratch, running_under=statuses)
            ctx.part_outputs = work.needed
            with encoders.share_of_cores(video_id, phase, phase.part_count(given)):
                part_output = phase.run_part(given, index, ctx)
    except BaseException as exc:
        part.fail(steps.reason(phase, exc))
        steps.fail(video_id, phase, PhaseRun.objects.filter(id=run_id).first(), exc, part=index)
        if not isinstance(exc, Exception):
            raise
        return False, None
    seconds = round(time.monotonic() - started, 3)
    part.succeed(output_data=part_output, cost_usd=ctx.meter.total, duration_seconds=seconds)
    logger.info(
        "generation=%s phase=%s part=%s event=end duration=%.2fs cost=%s",
        video_id,
        phase.name,
        index,
        seconds,
        ctx.meter.total,
    )
    follow_on = early.start_dependent_parts(video_id, phase, index)
    # Claimed before this phase's turn can come (in maybe_join below), or that turn would
    # queue the part this job is about to render.
    next_part = None if follow_on is None else _claim_if_ready(video_id, follow_on, index)
    if next_part is not None:
        next_part.hold()
    if run_id is not None:
        done = PartRun.objects.filter(
            generation_id=video_id, phase=phase.name, status=PartRun.State.SUCCEEDED
        ).count()
        report_progress(video_id, phase, run_id, done, phase.part_count(given))
    pipeline.maybe_join(video_id, phase)
    return True, next_part


def _claim(video_id: str, phase: FanOutPhase, index: int) -> PartRun | None:
    """Claim the part unless it is done or another live job holds it (a RUNNING part with a
    fresh heartbeat): a duplicate delivery of the same job must not render it twice."""
    parts = PartRun.objects.filter(generation_id=video_id, phase=phase.name, index=index)
    stale = timezone.now() - timedelta(seconds=settings.RECONCILE_STALE_SECONDS)
    claimable = Q(status__in=[PartRun.State.PENDING, PartRun.State.FAILED]) | Q(
        status=PartRun.State.RUNNING, heartbeat_at__lt=stale
    )
    claimed = parts.filter(claimable).update(
        status=PartRun.State.RUNNING,
        attempts=F("attempts") + 1,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    return parts.get() if claimed else None
