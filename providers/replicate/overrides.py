"""What a model's schema does not say, for the few models that need it.

Most models are mapped from their input names alone (see `inputs.ROLES`). An entry here
names an input whose name means something else elsewhere (LTX-Video's `length` counts
frames), fixes inputs the schema leaves to chance, or states what a model makes when no
input controls it (the frame rate of a `num_frames`, the length of a clip with no
duration input), so the first estimate and the assembly of several clips are right.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Override:
    # Our role -> the model's input name, where the name alone would not tell.
    names: dict[str, str] = field(default_factory=dict)
    # Inputs always sent, whatever the request.
    fixed: dict[str, Any] = field(default_factory=dict)
    # Frames per second of the model's clips when no input sets it.
    fps: int | None = None
    # Largest frame count worth asking for when the schema sets no maximum.
    max_frames: int | None = None
    # Longest piece of music, in seconds, when the schema sets no maximum.
    max_seconds: int | None = None
    # Seconds of one clip from a model with no duration input (for the first estimate).
    clip_seconds: float | None = None
    # The model's own sizes per aspect ratio, where its defaults are not the sizes it is best at.
    sizes: dict[str, tuple[int, int]] = field(default_factory=dict)


NONE = Override()

OVERRIDES: dict[str, Override] = {
    # Zeroscope XL is trained at 1024x576; past 48 frames its clips fall apart.
    "anotherjesse/zeroscope-v2-xl": Override(
        sizes={"16:9": (1024, 576), "9:16": (576, 1024), "1:1": (768, 768)}, max_frames=48
    ),
    # AnimateDiff makes 16 frames at 8 fps whatever it is asked; its defaults are 25 steps
    # and a guidance of 7.5, fixed so a new version's defaults do not change our clips.
    "lucataco/animate-diff": Override(fixed={"steps": 25, "guidance_scale": 7.5}, fps=8, clip_seconds=2),
    # `length` is a frame count at 24 fps (97 frames is 4 s).
    "lightricks/ltx-video": Override(names={"frames": "length"}, fps=24),
    # Hailuo's video-01 makes 6 s at 25 fps, with no input for either.
    "minimax/video-01": Override(fps=25, clip_seconds=6),
    # Veo 3 makes a soundtrack unless told not to; ours comes from the music model, and the
    # clip's audio is dropped, so it is not paid for.
    "google/veo-3": Override(fixed={"generate_audio": False}),
    # Some MusicGen versions refuse longer pieces; the soundtrack is looped to length.
    "meta/musicgen": Override(
        fixed={"model_version": "stereo-large", "output_format": "wav", "normalization_strategy": "peak"},
        max_seconds=30,
    ),
}


def override_for(name: str) -> Override:
    return OVERRIDES.get(name, NONE)
