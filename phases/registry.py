"""The six phases, in order."""

from __future__ import annotations

from phases.animatic import AnimaticPhase
from phases.chunks import ChunksPhase
from phases.contract import Phase
from phases.export import ExportPhase
from phases.plan import PlanPhase
from phases.references import ReferencesPhase
from phases.refine import RefinePhase

PHASES: tuple[Phase, ...] = (
    PlanPhase(),
    AnimaticPhase(),
    ReferencesPhase(),
    ChunksPhase(),
    RefinePhase(),
    ExportPhase(),
)
PHASES_BY_NAME: dict[str, Phase] = {phase.name: phase for phase in PHASES}
TOTAL_WEIGHT = sum(phase.weight for phase in PHASES)


def get_phase(name: str) -> Phase:
    return PHASES_BY_NAME[name]


def progress_before(phase: Phase) -> float:
    """Percent of the whole pipeline done when `phase` starts."""
    done = 0.0
    for candidate in PHASES:
        if candidate is phase:
            break
        done += candidate.weight
    return 100.0 * done / TOTAL_WEIGHT
