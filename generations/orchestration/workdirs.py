"""Scratch directories for pipeline jobs, named after the generation so a killed job's
leftovers can be found and removed."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings


def _prefix(video_id: str) -> str:
    return f"videogen-{video_id}-"


@contextmanager
def workdir(video_id: str, label: str) -> Iterator[Path]:
    """A scratch directory for one job, removed when the job ends however it ends (except
    by SIGKILL: `remove_workdirs` is for that). WORK_ROOT is made if it does not exist yet
    (a fresh volume), rather than failing every job."""
    if settings.WORK_ROOT:
        Path(settings.WORK_ROOT).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"{_prefix(video_id)}{label}-", dir=settings.WORK_ROOT) as name:
        yield Path(name)


def remove_workdirs(video_id: str) -> None:
    """Remove every scratch directory a killed job of this generation left on this machine."""
    root = Path(settings.WORK_ROOT or tempfile.gettempdir())
    for leftover in root.glob(f"{_prefix(video_id)}*"):
        shutil.rmtree(leftover, ignore_errors=True)
