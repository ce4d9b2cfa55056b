"""What phases that make one stored file per scene share: content-addressed names, so a
scene whose inputs did not change is never made again (nor paid for again), and earlier
versions of a changed scene stay in storage as its history."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage

from phases.contract import PhaseContext
from phases.storage import artifact_name, local_copy, store_file
from providers.costs import CostMeter

SceneRenderer = Callable[[dict[str, Any], int, Path, CostMeter], None]
# Spec fields that change how every scene is drawn.
_SPEC_WIDE = ("width", "height", "fps", "template", "seed", "aspect_ratio")


def scene_fingerprint(spec: dict[str, Any], index: int) -> str:
    """A short hash of everything a scene's storyboard, reference and clip are made from:
    the scene itself, its place (the first and last scenes fade), and the spec-wide look."""
    inputs = {
        "scene": spec["scenes"][index],
        "index": index,
        "count": len(spec["scenes"]),
        **{key: spec.get(key) for key in _SPEC_WIDE},
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:12]


def scene_filename(spec: dict[str, Any], index: int, suffix: str, tag: str = "") -> str:
    """`tag` names an input that is not in the spec (e.g. the user's image for the scene)."""
    return f"scene_{index + 1:02d}-{scene_fingerprint(spec, index)}{f'-{tag}' if tag else ''}{suffix}"


def find_or_make(ctx: PhaseContext, prefix: str, filename: str, make: Callable[[Path], None]) -> str:
    """The stored name of `<prefix>/<video_id>/<filename>`: already there, copied from the
    generation this one was remixed from, or made now by `make(local_path)`."""
    name = artifact_name(prefix, ctx.video_id, filename)
    if default_storage.exists(name):
        return name
    for ancestor in ctx.reuse_from:
        inherited = artifact_name(prefix, ancestor, filename)
        if default_storage.exists(inherited):
            return store_file(local_copy(inherited, ctx.workdir), name)
    target = ctx.workdir / filename
    make(target)
    return store_file(target, name)


def store_each_scene(
    spec: dict[str, Any],
    ctx: PhaseContext,
    render: SceneRenderer,
    *,
    prefix: str,
    tags: list[str] | None = None,
) -> list[str]:
    """Make (or reuse) one PNG per scene under `<prefix>/<video_id>/`, reporting progress;
    returns the stored names in scene order. `tags[i]`, when given, joins scene i's name."""
    scenes = spec["scenes"]
    tags = [*(tags or []), *[""] * len(scenes)]
    names = []
    for index in range(len(scenes)):
        ctx.check_canceled()
        names.append(
            find_or_make(
                ctx,
                prefix,
                scene_filename(spec, index, ".png", tags[index]),
                lambda path, index=index: render(spec, index, path, ctx.meter),
            )
        )
        ctx.report_progress(index + 1, len(scenes))
    return names
