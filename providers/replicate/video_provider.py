"""Scene clips from any Replicate video model (REPLICATE_VIDEO_MODEL), fitted to the contract.

A model that takes a first frame animates the scene's own reference image (so a subject
looks the same from scene to scene), unless REPLICATE_IMAGE_TO_VIDEO is off; any other
model works from the scene's prompt alone.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from django.conf import settings

from media.probe import probe
from providers.costs import CostMeter
from providers.replicate.client import PROVIDER, CancelsPredictions, Predictions
from providers.replicate.clips import Piece, assemble, last_frame, needs_more
from providers.replicate.inputs import VIDEO_ROLES
from providers.replicate.model import ReplicateModel
from providers.replicate.prompts import NEGATIVE_PROMPT, scene_prompt, seed
from toolbox.exceptions import ProviderError

# The two models this adapter first knew, still chosen by these short names.
ALIASES = {"zeroscope": "REPLICATE_ZEROSCOPE_MODEL", "animatediff": "REPLICATE_ANIMATEDIFF_MODEL"}
# Seconds of one clip from a model with no duration input and no override saying otherwise.
UNKNOWN_CLIP_SECONDS = 5.0


def video_model_ref() -> str:
    chosen = settings.REPLICATE_VIDEO_MODEL
    return getattr(settings, ALIASES[chosen]) if chosen in ALIASES else chosen


class ReplicateVideo(CancelsPredictions):
    name = PROVIDER

    def __init__(self, predictions: Predictions | None = None) -> None:
        self._predictions = predictions or Predictions()
        self._model = ReplicateModel(
            self._predictions,
            video_model_ref(),
            setting="REPLICATE_VIDEO_MODEL",
            capability="video",
            roles=VIDEO_ROLES,
        )

    def render_chunk(
        self,
        spec: dict[str, Any],
        scene_index: int,
        reference_path: Path,
        out_path: Path,
        meter: CostMeter,
    ) -> None:
        out_path = Path(out_path)
        frames = spec["scenes"][scene_index]["frames"]
        seconds = frames / spec["fps"]
        mapping = self._model.mapping
        # A model that requires a first frame (Kling, Wan i2v) gets one whatever the setting says.
        image_to_video = mapping.takes("first_frame") and (
            settings.REPLICATE_IMAGE_TO_VIDEO or mapping.names["first_frame"] in mapping.schema.required
        )
        first_frame: Path | None = Path(reference_path) if image_to_video else None
        pieces: list[Piece] = []
        while not pieces or needs_more(pieces, seconds):
            number = len(pieces) + 1
            what = f"{self._model.name} clip for scene {scene_index + 1}" + (
                f" (part {number})" if number > 1 else ""
            )
            remaining = seconds - sum(piece.seconds for piece in pieces)
            inputs, expected = self._inputs(spec, scene_index, remaining, first_frame, number, what)
            clip = self._model.run(
                inputs,
                out_path.with_name(f"{out_path.stem}-part{number}{out_path.suffix}"),
                meter,
                what=what,
                output_seconds=expected,
                measure=_clip_seconds,
            )
            piece = Piece(clip, _clip_seconds(clip))
            if piece.seconds <= 0:
                raise ProviderError(f"Replicate: {what} is an empty clip", provider=PROVIDER)
            pieces.append(piece)
            if first_frame is not None and needs_more(pieces, seconds):
                first_frame = last_frame(piece, out_path.with_name(f"{out_path.stem}-last{number}.jpg"))
        assemble(pieces, out_path, width=spec["width"], height=spec["height"], fps=spec["fps"], frames=frames)

    def _inputs(
        self,
        spec: dict[str, Any],
        scene_index: int,
        seconds: float,
        first_frame: Path | None,
        number: int,
        what: str,
    ) -> tuple[dict[str, Any], float]:
        """The inputs for one clip of `seconds`, and how many seconds the model will make."""
        mapping = self._model.mapping
        names = mapping.names
        inputs: dict[str, Any] = {names["prompt"]: scene_prompt(spec, scene_index, motion=True)}
        if mapping.takes("negative_prompt"):
            inputs[names["negative_prompt"]] = NEGATIVE_PROMPT
        if first_frame is not None:
            inputs[names["first_frame"]] = self._predictions.image_input(first_frame, what=what)
        inputs.update(mapping.frame_inputs(spec["width"], spec["height"]))
        fps = mapping.native_fps()
        expected = mapping.override.clip_seconds or UNKNOWN_CLIP_SECONDS
        if mapping.takes("frames"):
            wanted = max(math.ceil(seconds * fps), fps)
            cap = mapping.override.max_frames
            frames = mapping.fit("frames", min(wanted, cap) if cap else wanted)
            inputs[names["frames"]] = frames
            expected = int(frames) / fps
        elif mapping.takes("seconds"):
            inputs[names["seconds"]] = mapping.fit("seconds", seconds)
            expected = float(inputs[names["seconds"]])
        if mapping.takes("fps"):
            inputs[names["fps"]] = mapping.fit("fps", fps)
        if mapping.takes("seed"):
            # Another seed for each further piece, or a text-to-video model repeats itself.
            inputs[names["seed"]] = seed(spec, scene_index + 7919 * (number - 1))
        return inputs, expected


def _clip_seconds(path: Path) -> float:
    return probe(path).duration
