"""The phases, in order: the one place that lists them.

Everything above asks this module (which phase runs under a status, what comes next, the
progress share of each, where the review gate is) instead of naming a phase. A phase's
number is its place in the order. `register` adds a phase at run time (a deployment's own
pass, or a test's), `unregister` takes it out again.
"""

from __future__ import annotations

from phases.animatic import AnimaticPhase
from phases.chunks import ChunksPhase
from phases.contract import Artifact, FanOutPhase, Phase
from phases.export import ExportPhase
from phases.plan import PlanPhase
from phases.references import ReferencesPhase
from phases.refine import RefinePhase

# Mutated in place by register/unregister, so a module that imported it sees the change.
PHASES: list[Phase] = [
    PlanPhase(),
    AnimaticPhase(),
    ReferencesPhase(),
    ChunksPhase(),
    RefinePhase(),
    ExportPhase(),
]


def register(phase: Phase, *, after: str | None = None) -> None:
    """Add `phase` after the phase named `after` (at the end when None). Raises ValueError
    for a name or status already taken."""
    if any(other.name == phase.name or other.status == phase.status for other in PHASES):
        raise ValueError(f"a phase named {phase.name!r} or running as {phase.status!r} exists")
    position = len(PHASES) if after is None else PHASES.index(get_phase(after)) + 1
    PHASES.insert(position, phase)


def unregister(name: str) -> None:
    PHASES.remove(get_phase(name))


def get_phase(name: str) -> Phase:
    """Raises KeyError for a name no phase has."""
    for phase in PHASES:
        if phase.name == name:
            return phase
    raise KeyError(name)


def first_phase() -> Phase:
    """The phase that turns the user's request into the spec every later phase reads."""
    return PHASES[0]


def phase_number(phase: Phase) -> int:
    return PHASES.index(phase) + 1


def phase_for_status(status: str) -> Phase | None:
    return next((phase for phase in PHASES if phase.status == status), None)


def next_phase(phase: Phase) -> Phase | None:
    position = PHASES.index(phase) + 1
    return PHASES[position] if position < len(PHASES) else None


def review_gate() -> Phase | None:
    """The phase after which a generation created with review waits for approval."""
    return next((phase for phase in PHASES if phase.review_after), None)


def is_fan_out(phase: Phase) -> bool:
    return isinstance(phase, FanOutPhase)


def dependent_phases(phase: Phase) -> list[FanOutPhase]:
    """The fan-out phases whose parts each need the same-index part of `phase`."""
    return [later for later in PHASES if isinstance(later, FanOutPhase) and phase.name in later.part_needs]


def total_weight() -> float:
    return sum(phase.weight for phase in PHASES)


def progress_before(phase: Phase) -> float:
    """Percent of the whole pipeline done when `phase` starts."""
    done = sum(candidate.weight for candidate in PHASES[: PHASES.index(phase)])
    return 100.0 * done / total_weight()


def progress_share(phase: Phase) -> float:
    """Percent of the whole pipeline that `phase` is."""
    return 100.0 * phase.weight / total_weight()


def artifacts() -> list[Artifact]:
    """Every phase's artifacts, in pipeline order."""
    return [artifact for phase in PHASES for artifact in phase.artifacts]


def storage_prefixes() -> tuple[str, ...]:
    """Every storage prefix a phase writes under, each once."""
    return tuple(dict.fromkeys(prefix for phase in PHASES for prefix in phase.prefixes))
