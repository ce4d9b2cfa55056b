"""What a phase job hands its phase: the PhaseInput, and a PhaseContext whose cost meter
charges the ledger, whose progress reports reach the record, and whose cancel check reads
the generation's status."""

from __future__ import annotations

from collections.abc import Collection
from functools import partial
from pathlib import Path

from generations import services
from generations.models import PhaseRun, VideoGeneration
from generations.orchestration import dispatch
from phases.contract import Phase, PhaseContext, PhaseInput
from phases.registry import first_phase, progress_before, progress_share
from providers.costs import Charge, CostMeter


def phase_input(generation: VideoGeneration, phase: Phase) -> PhaseInput:
    """The first phase gets the user's request (prompt and options); every later phase the
    validated spec."""
    if phase is first_phase():
        # The whole request (phases.request.GenerationRequest as JSON).
        return PhaseInput(video_id=generation.id, spec=dict(generation.request))
    return PhaseInput(video_id=generation.id, spec=generation.spec or {})


def phase_context(
    video_id: str,
    phase: Phase,
    run_id: int | None,
    workdir: Path,
    *,
    running_under: Collection[str] | None = None,
) -> PhaseContext:
    """`running_under`: the statuses the generation may have while this work goes on (a
    part may run before its phase's turn); by default the phase's own."""
    statuses = running_under or (phase.status,)
    outputs = {
        row.phase: row.output_data
        for row in PhaseRun.objects.filter(generation_id=video_id, status=PhaseRun.State.SUCCEEDED)
    }

    def on_charge(charge: Charge) -> None:
        # Checked against both caps and written in one locked step, before the paid call; a
        # line settling an earlier estimate is written without a check (the money is spent).
        services.ledger_record(
            video_id=video_id,
            phase=phase.name,
            provider=charge.provider,
            model=charge.model,
            units=charge.units,
            usd=charge.usd,
            check_caps=not charge.adjusts,
        )

    def report(done: int, total: int) -> None:
        if run_id is not None:
            report_progress(video_id, phase, run_id, done, total)

    def is_canceled() -> bool:
        return not VideoGeneration.objects.filter(id=video_id, status__in=statuses).exists()

    return PhaseContext(
        video_id=video_id,
        phase=phase.name,
        workdir=workdir,
        meter=CostMeter(on_charge=on_charge, on_remote_work=partial(dispatch.track_remote_work, video_id)),
        outputs=outputs,
        reuse_from=ancestors(video_id),
        report_progress=report,
        is_canceled=is_canceled,
    )


def report_progress(video_id: str, phase: Phase, run_id: int, done: int, total: int) -> None:
    PhaseRun.objects.filter(id=run_id).update(detail={"done": done, "total": total})
    fraction = done / total if total else 1.0
    services.generation_set_progress(
        video_id=video_id, progress=progress_before(phase) + progress_share(phase) * fraction
    )


def ancestors(video_id: str, limit: int = 10) -> list[str]:
    """The generations this one was remixed from, nearest first."""
    chain: list[str] = []
    parent = VideoGeneration.objects.filter(id=video_id).values_list("remixed_from_id", flat=True).first()
    while parent and parent not in chain and len(chain) < limit:
        chain.append(parent)
        parent = VideoGeneration.objects.filter(id=parent).values_list("remixed_from_id", flat=True).first()
    return chain
