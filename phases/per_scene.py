"""The loop shared by phases that make one stored file per scene."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from phases.contract import PhaseContext
from phases.costs import CostMeter
from phases.storage import artifact_name, store_file

SceneRenderer = Callable[[dict[str, Any], int, Path, CostMeter], None]


def store_each_scene(
    spec: dict[str, Any], ctx: PhaseContext, render: SceneRenderer, *, prefix: str
) -> list[str]:
    """Render scene by scene into the work directory, store each file under
    `<prefix>/<video_id>/scene_NN.png`, report progress; returns the stored names in scene order."""
    scenes = spec["scenes"]
    names = []
    for index in range(len(scenes)):
        ctx.check_canceled()
        image = ctx.workdir / f"scene_{index + 1:02d}.png"
        render(spec, index, image, ctx.meter)
        names.append(store_file(image, artifact_name(prefix, ctx.video_id, image.name)))
        ctx.report_progress(index + 1, len(scenes))
    return names
