"""The orchestrator: runs one phase (or one part of a fan-out phase) per RQ job, records
the PhaseOutput, moves the status and progress, and enqueues what comes next.

Idempotency: a phase with a succeeded PhaseRun never runs again, and a part with a
succeeded PartRun is never rendered again, so a re-delivered job, a retry or a resume
after a crash costs nothing for work already done. Phases themselves never enqueue.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F, Max, Q, Sum
from django.utils import timezone
from rq.timeouts import JobTimeoutException

from generations import services
from generations.models import PIPELINE_ORDER, CostEntry, PartRun, PhaseRun, Status, VideoGeneration
from generations.orchestration import dispatch
from phases.contract import FanOutPhase, Phase, PhaseCanceled, PhaseContext, PhaseInput, PhaseOutput
from phases.registry import PHASES, TOTAL_WEIGHT, get_phase, progress_before
from providers.costs import Charge, CostMeter
from toolbox.exceptions import BudgetExceeded

logger = logging.getLogger(__name__)


def advance(video_id: str) -> None:
    """Enqueue the generation's first unfinished phase, or complete it when none is left."""
    generation = VideoGeneration.objects.filter(id=video_id).first()
    if generation is None or not generation.is_active:
        return
    finished = _succeeded_phases(video_id)
    for phase in PHASES:
        if phase.name == "references" and generation.review and generation.approved_at is None:
            # The review gate: wait, holding no worker, until a person approves the storyboard.
            # A retried generation passes through the statuses of its finished phases first.
            if generation.status != Status.AWAITING_REVIEW:
                _enter(generation, get_phase("animatic"))
                services.generation_transition(
                    video_id=video_id, to=Status.AWAITING_REVIEW, note="storyboard ready for review"
                )
            return
        if phase.name not in finished:
            attempt = _last_attempt(video_id, phase.name) + 1
            dispatch.enqueue_phase(video_id, phase.name, attempt=attempt, timeout=phase.timeout)
            return
    _complete(generation)


def run_phase(video_id: str, phase_name: str) -> None:
    """Run one phase of one generation (the body of an RQ job)."""
    phase = get_phase(phase_name)
    generation = VideoGeneration.objects.filter(id=video_id).first()
    if generation is None or not generation.is_active:
        logger.info("generation=%s phase=%s skipped: generation is not active", video_id, phase.name)
        return
    if phase.name in _succeeded_phases(video_id):
        advance(video_id)
        return
    run: PhaseRun | None = None
    try:
        _enter(generation, phase)
        run = _open_run(generation, phase)
        phase_input = _phase_input(generation, phase)
        if isinstance(phase, FanOutPhase):
            _fan_out(video_id, phase, run, phase_input)
            return
        with _workdir(video_id, phase.name) as workdir, _heartbeat(PhaseRun, run.id):
            output = phase.run(phase_input, _context(video_id, phase, run, workdir))
    except services.InvalidTransition as exc:
        # A stale job for a generation that has moved on (or ended): nothing to do.
        logger.info("generation=%s phase=%s skipped: %s", video_id, phase.name, exc)
        return
    except BaseException as exc:
        _fail(video_id, phase, run, exc)
        if not isinstance(exc, Exception):
            raise
        return
    _finish(video_id, phase, run, output)


def run_part(video_id: str, phase_name: str, index: int) -> None:
    """Render one part of a fan-out phase (the body of an RQ job); the last part to finish
    joins the phase and moves the pipeline on."""
    phase = get_phase(phase_name)
    assert isinstance(phase, FanOutPhase)
    if not VideoGeneration.objects.filter(id=video_id, status=phase.status).exists():
        logger.info(
            "generation=%s phase=%s part=%s skipped: generation moved on", video_id, phase.name, index
        )
        return
    part = PartRun.objects.filter(generation_id=video_id, phase=phase.name, index=index)
    # Claim the part unless it is done or another live job holds it (a RUNNING part with a
    # fresh heartbeat): a duplicate delivery of the same job must not render it twice.
    stale = timezone.now() - timedelta(seconds=settings.RECONCILE_STALE_SECONDS)
    claimable = Q(status__in=[PartRun.State.PENDING, PartRun.State.FAILED]) | Q(
        status=PartRun.State.RUNNING, heartbeat_at__lt=stale
    )
    claimed = part.filter(claimable).update(
        status=PartRun.State.RUNNING,
        attempts=F("attempts") + 1,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    if not claimed:
        _maybe_join(video_id, phase)
        return
    run = PhaseRun.objects.filter(
        generation_id=video_id, phase=phase.name, status=PhaseRun.State.RUNNING
    ).last()
    generation = VideoGeneration.objects.get(id=video_id)
    started = time.monotonic()
    try:
        with _workdir(video_id, f"{phase.name}-{index}") as workdir, _heartbeat(PartRun, part.get().id):
            ctx = _context(video_id, phase, run, workdir)
            part_output = phase.run_part(_phase_input(generation, phase), index, ctx)
    except BaseException as exc:
        part.update(
            status=PartRun.State.FAILED, finished_at=timezone.now(), error_message=_reason(phase, exc)
        )
        _fail(video_id, phase, run, exc, part=index)
        if not isinstance(exc, Exception):
            raise
        return
    part.update(
        status=PartRun.State.SUCCEEDED,
        finished_at=timezone.now(),
        duration_seconds=round(time.monotonic() - started, 3),
        cost_usd=ctx.meter.total,
        output_data=part_output,
        error_message=None,
    )
    logger.info(
        "generation=%s phase=%s part=%s event=end duration=%.2fs cost=%s",
        video_id,
        phase.name,
        index,
        time.monotonic() - started,
        ctx.meter.total,
    )
    if run is not None:
        done = PartRun.objects.filter(
            generation_id=video_id, phase=phase.name, status=PartRun.State.SUCCEEDED
        ).count()
        _report(video_id, phase, run.id, done, phase.part_count(_phase_input(generation, phase)))
    _maybe_join(video_id, phase)


# --- steps -----------------------------------------------------------------------------


def _enter(generation: VideoGeneration, phase: Phase) -> None:
    """Move the status forward to the phase's own, one allowed step at a time (a resumed
    generation passes through the statuses of phases that had already finished)."""
    if generation.status not in PIPELINE_ORDER:
        raise services.InvalidTransition(generation, phase.status)
    current = PIPELINE_ORDER.index(Status(generation.status))
    target = PIPELINE_ORDER.index(phase.status)
    if current > target:
        raise services.InvalidTransition(generation, phase.status)
    for status in PIPELINE_ORDER[current + 1 : target + 1]:
        fields: dict[str, Any] = {"current_phase": _phase_for_status(status)}
        if generation.started_at is None:
            fields["started_at"] = generation.started_at = timezone.now()
        services.generation_transition(
            video_id=generation.id, to=status, note=f"phase {fields['current_phase']}", **fields
        )


def _open_run(generation: VideoGeneration, phase: Phase) -> PhaseRun:
    with transaction.atomic():
        # A RUNNING attempt left behind is one whose worker died; it will never finish.
        PhaseRun.objects.filter(
            generation=generation, phase=phase.name, status=PhaseRun.State.RUNNING
        ).update(
            status=PhaseRun.State.FAILED,
            finished_at=timezone.now(),
            error_message="interrupted: the worker running this attempt stopped",
        )
        attempt = _last_attempt(generation.id, phase.name) + 1
        run = PhaseRun.objects.create(generation=generation, phase=phase.name, attempt=attempt)
    logger.info("generation=%s phase=%s event=start attempt=%s", generation.id, phase.name, attempt)
    return run


def _fan_out(video_id: str, phase: FanOutPhase, run: PhaseRun, phase_input: PhaseInput) -> None:
    total = phase.part_count(phase_input)
    with transaction.atomic():
        for index in range(total):
            PartRun.objects.get_or_create(generation_id=video_id, phase=phase.name, index=index)
        pending = list(
            PartRun.objects.filter(generation_id=video_id, phase=phase.name, index__lt=total).exclude(
                status=PartRun.State.SUCCEEDED
            )
        )
        PhaseRun.objects.filter(id=run.id).update(detail={"done": total - len(pending), "total": total})
        for part in pending:
            dispatch.enqueue_part(
                video_id, phase.name, part.index, attempt=part.attempts + 1, timeout=phase.timeout
            )
    if not pending:
        _maybe_join(video_id, phase)


def _maybe_join(video_id: str, phase: FanOutPhase) -> None:
    """Join the phase if every part has succeeded. The row lock makes exactly one of the
    parts finishing at the same moment do it."""
    with transaction.atomic():
        generation = VideoGeneration.objects.select_for_update().get(id=video_id)
        if generation.status != phase.status:
            return
        total = phase.part_count(_phase_input(generation, phase))
        parts = list(PartRun.objects.filter(generation_id=video_id, phase=phase.name, index__lt=total))
        if len(parts) < total or any(part.status != PartRun.State.SUCCEEDED for part in parts):
            return
        run = PhaseRun.objects.filter(
            generation_id=video_id, phase=phase.name, status=PhaseRun.State.RUNNING
        ).last()
        if run is None or run.detail.get("joined"):
            return
        run.detail = {**run.detail, "joined": True}
        run.save(update_fields=["detail"])
    try:
        with _workdir(video_id, phase.name) as workdir:
            ctx = _context(video_id, phase, run, workdir)
            ctx.parts = [part.output_data for part in sorted(parts, key=lambda part: part.index)]
            output = phase.run(_phase_input(generation, phase), ctx)
            output = _with_parts_cost(output, parts, run)
    except Exception as exc:
        _fail(video_id, phase, run, exc)
        return
    _finish(video_id, phase, run, output)


def _with_parts_cost(output: PhaseOutput, parts: list[PartRun], run: PhaseRun) -> PhaseOutput:
    """A fan-out phase costs what its parts cost, and lasts from its start to the join."""
    return PhaseOutput(
        video_id=output.video_id,
        phase=output.phase,
        status=output.status,
        output_data=output.output_data,
        cost_usd=output.cost_usd + sum((part.cost_usd for part in parts), Decimal("0")),
        duration_seconds=round((timezone.now() - run.started_at).total_seconds(), 3),
    )


def _finish(video_id: str, phase: Phase, run: PhaseRun | None, output: PhaseOutput) -> None:
    assert run is not None
    with transaction.atomic():
        generation = VideoGeneration.objects.select_for_update().get(id=video_id)
        if generation.status != phase.status:
            # Canceled (or failed elsewhere) while this phase ran: its work is not used.
            PhaseRun.objects.filter(id=run.id).update(
                status=PhaseRun.State.CANCELED, finished_at=timezone.now(), error_message="discarded"
            )
            return
        PhaseRun.objects.filter(id=run.id).update(
            status=PhaseRun.State.SUCCEEDED,
            finished_at=timezone.now(),
            duration_seconds=output.duration_seconds,
            cost_usd=output.cost_usd,
            output_data=output.output_data,
        )
        record = {name: output.output_data[name] for name in phase.record_fields}
        VideoGeneration.objects.filter(id=video_id).update(**record, updated_at=timezone.now())
    services.generation_set_progress(video_id=video_id, progress=progress_before(phase) + _share(phase))
    logger.info(
        "generation=%s phase=%s event=end status=succeeded duration=%.2fs cost=%s",
        video_id,
        phase.name,
        output.duration_seconds,
        output.cost_usd,
    )
    advance(video_id)


def _complete(generation: VideoGeneration) -> None:
    now = timezone.now()
    started = generation.started_at or generation.created_at
    services.generation_transition(
        video_id=generation.id,
        to=Status.COMPLETE,
        note="all phases finished",
        completed_at=now,
        generation_time_seconds=round((now - started).total_seconds(), 3),
        current_phase=None,
        progress=100.0,
    )


def _fail(
    video_id: str, phase: Phase, run: PhaseRun | None, exc: BaseException, part: int | None = None
) -> None:
    if isinstance(exc, PhaseCanceled):
        if run is not None:
            PhaseRun.objects.filter(id=run.id, status=PhaseRun.State.RUNNING).update(
                status=PhaseRun.State.CANCELED, finished_at=timezone.now(), error_message="canceled"
            )
        return
    where = f" on scene {part + 1}" if part is not None else ""
    message = f"Phase {phase.number} ({phase.name}) failed{where}: {_reason(phase, exc)}"
    logger.error(
        "generation=%s phase=%s event=end status=failed %s", video_id, phase.name, message, exc_info=exc
    )
    if run is not None:
        PhaseRun.objects.filter(id=run.id, status=PhaseRun.State.RUNNING).update(
            status=PhaseRun.State.FAILED,
            finished_at=timezone.now(),
            duration_seconds=round((timezone.now() - run.started_at).total_seconds(), 3),
            error_message=message,
        )
    services.generation_fail(video_id=video_id, message=message)


def _reason(phase: Phase, exc: BaseException) -> str:
    if isinstance(exc, JobTimeoutException):
        return f"timed out after {phase.timeout} s"
    text = str(exc).strip() or exc.__class__.__name__
    return text[:2000]


# --- context -----------------------------------------------------------------------------


def _phase_input(generation: VideoGeneration, phase: Phase) -> PhaseInput:
    if phase.name == "plan":
        # Phase 1 gets the whole request (phases.request.GenerationRequest as JSON).
        return PhaseInput(video_id=generation.id, spec=dict(generation.request))
    return PhaseInput(video_id=generation.id, spec=generation.spec or {})


def _context(video_id: str, phase: Phase, run: PhaseRun | None, workdir: Path) -> PhaseContext:
    outputs = {
        row.phase: row.output_data
        for row in PhaseRun.objects.filter(generation_id=video_id, status=PhaseRun.State.SUCCEEDED)
    }

    def on_charge(charge: Charge) -> None:
        _charge(video_id, phase.name, charge)

    def report(done: int, total: int) -> None:
        if run is not None:
            _report(video_id, phase, run.id, done, total)

    def is_canceled() -> bool:
        return not VideoGeneration.objects.filter(id=video_id, status=phase.status).exists()

    return PhaseContext(
        video_id=video_id,
        phase=phase.name,
        workdir=workdir,
        meter=CostMeter(on_charge=on_charge, on_remote_work=partial(dispatch.track_remote_work, video_id)),
        outputs=outputs,
        reuse_from=_ancestors(video_id),
        report_progress=report,
        is_canceled=is_canceled,
    )


def _charge(video_id: str, phase_name: str, charge: Charge) -> None:
    """Check the budget, then write the ledger line, before the paid call is made. A line
    that settles an earlier estimate is written without a check: that money is spent."""
    if not charge.adjusts:
        _check_budget(video_id, charge)
    services.ledger_record(
        video_id=video_id,
        phase=phase_name,
        provider=charge.provider,
        model=charge.model,
        units=charge.units,
        usd=charge.usd,
    )


def _check_budget(video_id: str, charge: Charge) -> None:
    spent, user_id = VideoGeneration.objects.values_list("cost_usd", "user_id").get(id=video_id)
    cap = settings.MAX_COST_PER_GENERATION_USD
    if spent + charge.usd > cap:
        raise BudgetExceeded(
            f"budget exceeded: {charge.provider}/{charge.model} would cost ${charge.usd}, "
            f"${spent} already spent of ${cap} for this generation"
        )
    daily_cap = settings.MAX_COST_PER_USER_DAY_USD
    if daily_cap and user_id is not None:
        since = timezone.now() - timedelta(days=1)
        today = CostEntry.objects.filter(generation__user_id=user_id, created_at__gte=since).aggregate(
            total=Sum("usd")
        )["total"] or Decimal("0")
        if today + charge.usd > daily_cap:
            raise BudgetExceeded(
                f"budget exceeded: ${today} spent in the last 24 h of the ${daily_cap} daily cap"
            )


def _report(video_id: str, phase: Phase, run_id: int, done: int, total: int) -> None:
    PhaseRun.objects.filter(id=run_id).update(detail={"done": done, "total": total})
    fraction = done / total if total else 1.0
    services.generation_set_progress(
        video_id=video_id, progress=progress_before(phase) + _share(phase) * fraction
    )


def _share(phase: Phase) -> float:
    return 100.0 * phase.weight / TOTAL_WEIGHT


def _workdir_prefix(video_id: str) -> str:
    return f"videogen-{video_id}-"


@contextmanager
def _workdir(video_id: str, label: str) -> Iterator[Path]:
    """A scratch directory for one job, removed when the job ends however it ends (except
    by SIGKILL: `remove_workdirs` is for that)."""
    with tempfile.TemporaryDirectory(
        prefix=f"{_workdir_prefix(video_id)}{label}-", dir=settings.WORK_ROOT
    ) as name:
        yield Path(name)


def remove_workdirs(video_id: str) -> None:
    """Remove every scratch directory a killed job of this generation left on this machine."""
    root = Path(settings.WORK_ROOT or tempfile.gettempdir())
    for leftover in root.glob(f"{_workdir_prefix(video_id)}*"):
        shutil.rmtree(leftover, ignore_errors=True)


@contextmanager
def _heartbeat(model: type[PhaseRun] | type[PartRun], pk: int) -> Iterator[None]:
    """Stamp `heartbeat_at` on the running row every few seconds while the body runs, so
    the reconciler can tell work in progress from work whose worker died."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.HEARTBEAT_SECONDS):
                model.objects.filter(pk=pk).update(heartbeat_at=timezone.now())
        finally:
            db_connection.close()  # this thread's own connection

    model.objects.filter(pk=pk).update(heartbeat_at=timezone.now())
    thread = threading.Thread(target=beat, name=f"heartbeat-{model.__name__}-{pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


# --- queries -----------------------------------------------------------------------------


def _succeeded_phases(video_id: str) -> set[str]:
    return set(
        PhaseRun.objects.filter(generation_id=video_id, status=PhaseRun.State.SUCCEEDED).values_list(
            "phase", flat=True
        )
    )


def _last_attempt(video_id: str, phase_name: str) -> int:
    return (
        PhaseRun.objects.filter(generation_id=video_id, phase=phase_name).aggregate(n=Max("attempt"))["n"]
        or 0
    )


def _phase_for_status(status: Status) -> str:
    return next(phase.name for phase in PHASES if phase.status == status)


def _ancestors(video_id: str, limit: int = 10) -> list[str]:
    """The generations this one was remixed from, nearest first."""
    chain: list[str] = []
    parent = VideoGeneration.objects.filter(id=video_id).values_list("remixed_from_id", flat=True).first()
    while parent and parent not in chain and len(chain) < limit:
        chain.append(parent)
        parent = VideoGeneration.objects.filter(id=parent).values_list("remixed_from_id", flat=True).first()
    return chain


def refresh_storyboard(video_id: str) -> None:
    """Redraw the storyboard of a generation awaiting review after its spec was edited:
    frames of unchanged scenes are kept (their names are content-addressed), new or edited
    scenes are drawn."""
    phase = get_phase("animatic")
    generation = VideoGeneration.objects.filter(id=video_id, status=Status.AWAITING_REVIEW).first()
    run = PhaseRun.objects.filter(
        generation_id=video_id, phase=phase.name, status=PhaseRun.State.SUCCEEDED
    ).first()
    if generation is None or run is None:
        return
    with _workdir(video_id, "storyboard") as workdir:
        ctx = _context(video_id, phase, None, workdir)
        ctx.is_canceled = lambda: (
            not VideoGeneration.objects.filter(id=video_id, status=Status.AWAITING_REVIEW).exists()
        )
        output = phase.run(_phase_input(generation, phase), ctx)
    with transaction.atomic():
        locked = VideoGeneration.objects.select_for_update().get(id=video_id)
        if locked.status != Status.AWAITING_REVIEW or locked.spec != generation.spec:
            return  # edited again meanwhile: the newer edit's job draws the newer storyboard
        PhaseRun.objects.filter(id=run.id).update(output_data=output.output_data)
        VideoGeneration.objects.filter(id=video_id).update(
            animatic_urls=output.output_data["animatic_urls"], updated_at=timezone.now()
        )
