"""RQ entry points: ids in, the orchestrator does the rest."""

from __future__ import annotations

from typing import Any

from generations import batches
from generations.orchestration import parts, pipeline, storyboard, workdirs
from generations.orchestration import reconcile as reconciler
from generations.orchestration import revoice as revoicer


def run_phase(video_id: str, phase: str) -> None:
    pipeline.run_phase(video_id, phase)
    parts.take_over(video_id)


def run_part(video_id: str, phase: str, index: int) -> None:
    parts.run_part(video_id, phase, index)


def refresh_storyboard(video_id: str) -> None:
    storyboard.refresh_storyboard(video_id)


def revoice(video_id: str) -> None:
    revoicer.revoice(video_id)


def clean_workdirs(job: Any, connection: Any, *args: Any) -> None:
    """RQ `on_stopped` callback: the killed horse could not remove its own scratch files."""
    workdirs.remove_workdirs(job.args[0])


def reconcile() -> None:
    reconciler.reconcile()


def release_batches(user_id: int) -> None:
    batches.batch_release_for_user(user_id=user_id)


def release_all_batches() -> None:
    batches.batch_release_all()
