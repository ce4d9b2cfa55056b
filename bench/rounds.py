"""The numbers of `bench/run.py`'s rounds, read the one way the report and the targets
share: medians over the rounds, ratios taken inside each round first."""

from __future__ import annotations

import statistics
from typing import Any


def table(rows: list[list[str]], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


class Rounds:
    def __init__(self, results: dict[str, Any]) -> None:
        self.results = results
        self.rounds: list[dict[str, Any]] = results["rounds"]
        # The peer runs in one round only; ratios to it are taken in that round.
        self.peer_round = next((rnd for rnd in self.rounds if "peer" in rnd), None)
        self.peer = self.peer_round["peer"] if self.peer_round else None

    @staticmethod
    def med(values: list[float]) -> float:
        return statistics.median(values) if values else float("nan")

    def each(self, key: str, field: str = "wall") -> list[float]:
        return [rnd[key][field] for rnd in self.rounds if key in rnd]

    def ratio(self, top: str, bottom: str, field: str = "wall", *, scale: float = 1.0) -> float:
        """The median, over the rounds that ran both, of `top / (scale * bottom)`."""
        return self.med(
            [
                rnd[top][field] / (scale * rnd[bottom][field])
                for rnd in self.rounds
                if top in rnd and bottom in rnd
            ]
        )

    def peak(self, key: str, field: str) -> float:
        return max(self.each(key, field), default=float("nan"))

    def overhead(self, key: str) -> float:
        """Orchestration overhead as a share of the wall time, median of the rounds."""
        return self.med([rnd[key]["overhead"] / rnd[key]["wall"] for rnd in self.rounds])

    def lengths(self) -> list[tuple[int, str]]:
        """(seconds, key) of the scaling table's rows: the 30 s video is ours with 1 worker."""
        return [(30, "ours1"), *((seconds, f"len{seconds}") for seconds in self.results["scaling"])]
