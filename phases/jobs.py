"""RQ entry points: ids in, the orchestrator does the rest."""

from __future__ import annotations

from phases import pipeline


def advance(video_id: str) -> None:
    pipeline.advance(video_id)


def run_phase(video_id: str, phase: str) -> None:
    pipeline.run_phase(video_id, phase)


def run_part(video_id: str, phase: str, index: int) -> None:
    pipeline.run_part(video_id, phase, index)
