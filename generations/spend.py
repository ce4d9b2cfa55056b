"""Money spent on provider calls, counted in Redis as the ledger records it, for /metrics.

Prometheus counters must never go down. A sum over the ledger does whenever a generation
(and its ledger lines with it) is deleted, and Prometheus reads that as a reset. The web
process and every worker (and every work horse RQ forks for a job) share this Redis, so an
increment from whichever process records a charge is seen by whichever one answers a
scrape, with no per-process files to collect or clean up. A settlement that finds an
estimate was too high is a negative ledger line; it goes to a counter of its own, so both
only grow and spent = charged - credited.
"""

from __future__ import annotations

from decimal import Decimal

from generations.orchestration.dispatch import get_queue

KEY = "videogen:metrics:cost"
# Counted in ten-thousandths of a dollar, the ledger's precision, so sums stay exact.
UNIT = Decimal("0.0001")


def count_spend(usd: Decimal) -> None:
    """Add one ledger line's amount to the charged (or, when negative, credited) total."""
    field = "charged" if usd >= 0 else "credited"
    get_queue().connection.hincrby(KEY, field, int((abs(usd) / UNIT).to_integral_value()))


def spend_totals() -> tuple[Decimal, Decimal]:
    """(charged, credited) in USD since this Redis was set up."""
    charged, credited = get_queue().connection.hmget(KEY, ["charged", "credited"])
    return Decimal(int(charged or 0)) * UNIT, Decimal(int(credited or 0)) * UNIT
