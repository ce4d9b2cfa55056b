"""Counters for /metrics kept in Redis: the money spent on provider calls, as the ledger
records it, and how long succeeded phases took, as the orchestrator records them.

Prometheus counters and histograms must never go down. A sum over the ledger or the phase
runs does whenever a generation (and its rows with it) is deleted, and Prometheus reads that
as a reset. The web process and every worker, on whatever machine (and every work horse RQ
forks for a job), share this Redis, so an increment from whichever process records the
event is seen by whichever one answers a scrape, with no per-process files to collect or
clean up (prometheus_client's multiprocess mode needs one directory shared by them all).
A settlement that finds an estimate was too high is a negative ledger line; it goes to a
counter of its own, so both only grow and spent = charged - credited.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from generations.orchestration.dispatch import get_queue

SPEND_KEY = "videogen:metrics:cost"
# Counted in ten-thousandths of a dollar, the ledger's precision, so sums stay exact.
UNIT = Decimal("0.0001")

PHASE_DURATION_KEY = "videogen:metrics:phase-duration"
PHASE_DURATION_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)


def count_spend(usd: Decimal) -> None:
    """Add one ledger line's amount to the charged (or, when negative, credited) total."""
    field = "charged" if usd >= 0 else "credited"
    get_queue().connection.hincrby(SPEND_KEY, field, int((abs(usd) / UNIT).to_integral_value()))


def spend_totals() -> tuple[Decimal, Decimal]:
    """(charged, credited) in USD since this Redis was set up."""
    charged, credited = get_queue().connection.hmget(SPEND_KEY, ["charged", "credited"])
    return Decimal(int(charged or 0)) * UNIT, Decimal(int(credited or 0)) * UNIT


def observe_phase_duration(phase: str, seconds: float) -> None:
    """Count one succeeded run of `phase` that took `seconds` in the duration histogram."""
    # One transaction, so a scrape never sees the count moved without its buckets.
    with get_queue().connection.pipeline(transaction=True) as pipe:
        pipe.hincrby(PHASE_DURATION_KEY, f"{phase}|count", 1)
        pipe.hincrbyfloat(PHASE_DURATION_KEY, f"{phase}|sum", seconds)
        for bound in PHASE_DURATION_BUCKETS:
            if seconds <= bound:
                pipe.hincrby(PHASE_DURATION_KEY, f"{phase}|{bound}", 1)
        pipe.execute()


@dataclass(frozen=True)
class PhaseDurations:
    count: int
    total_seconds: float
    # (upper bound, runs that took at most that long), cumulative as Prometheus has them.
    buckets: list[tuple[float, int]]


def phase_durations() -> dict[str, PhaseDurations]:
    """Phase name -> its duration histogram since this Redis was set up."""
    fields: dict[str, dict[str, str]] = {}
    for key, value in get_queue().connection.hgetall(PHASE_DURATION_KEY).items():
        phase, _, field = key.decode().rpartition("|")
        fields.setdefault(phase, {})[field] = value.decode()
    return {
        phase: PhaseDurations(
            count=int(values.get("count", 0)),
            total_seconds=float(values.get("sum", 0)),
            buckets=[(bound, int(values.get(str(bound), 0))) for bound in PHASE_DURATION_BUCKETS],
        )
        for phase, values in sorted(fields.items())
    }
