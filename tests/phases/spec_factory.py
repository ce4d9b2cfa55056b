"""Valid specs built by hand for tests, checked with the real validator."""

from __future__ import annotations

import copy
from typing import Any

from providers.spec import FPS, MOTIFS, SIZES, frames_to_seconds, split_frames, validate_spec

_PALETTES = [
    ["#0b3d5c", "#1f6f9f", "#5fb3d9", "#e8f4f8"],
    ["#1b3a2a", "#2f6b3f", "#7fb069", "#e6d9a8"],
    ["#070b1f", "#1b1f4a", "#4b3f8c", "#f4e9b8"],
    ["#7a2e0e", "#e4572e", "#f3a712", "#ffe8a3"],
]
_CAMERAS = ["zoom_in", "pan_right", "zoom_out", "pan_left", "static", "pan_up", "pan_down"]


def make_spec(
    duration: int = 6,
    aspect_ratio: str = "16:9",
    scenes: int = 3,
    *,
    scene_overrides: list[dict[str, Any]] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """A valid spec of `scenes` equal-ish scenes; `scene_overrides[i]` is merged into scene i
    (a `frames` there is honoured and the others rebalanced), other keywords into the spec."""
    width, height = SIZES[aspect_ratio]
    total = duration * FPS
    extra = list(scene_overrides or [])
    extra += [{}] * (scenes - len(extra))
    scene_list = [
        {
            "description": f"Scene {i + 1} of the test video",
            "caption": f"Caption number {i + 1}",
            "duration": 0.0,
            "frames": 0,
            "camera": _CAMERAS[i % len(_CAMERAS)],
            "palette": list(_PALETTES[i % len(_PALETTES)]),
            "motif": MOTIFS[i % len(MOTIFS)],
        }
        | copy.deepcopy(extra[i])
        for i in range(scenes)
    ]
    fixed = {i: s["frames"] for i, s in enumerate(scene_list) if s["frames"]}
    free = [i for i in range(scenes) if i not in fixed]
    for i, frames in zip(free, split_frames(total - sum(fixed.values()), [1.0] * len(free)), strict=True):
        scene_list[i]["frames"] = frames
    for scene in scene_list:
        scene["duration"] = frames_to_seconds(scene["frames"])
    spec = {
        "version": 1,
        "title": "Test video",
        "prompt": "a test prompt",
        "duration": duration,
        "fps": FPS,
        "aspect_ratio": aspect_ratio,
        "width": width,
        "height": height,
        "template": "cinematic",
        "seed": 7,
        "scenes": scene_list,
        "music": {"mood": "calm", "tempo": 90},
    }
    spec.update(overrides)
    return validate_spec(spec)
