"""Storyboard frames and reference images from any Replicate image model (REPLICATE_IMAGE_MODEL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

from providers.costs import CostMeter
from providers.replicate.client import PROVIDER, CancelsPredictions, Predictions
from providers.replicate.inputs import IMAGE_ROLES
from providers.replicate.model import ReplicateModel
from providers.replicate.prompts import NEGATIVE_PROMPT, scene_prompt, seed
from toolbox.exceptions import ProviderError

STORYBOARD_LONG_SIDE = 480


class ReplicateImages(CancelsPredictions):
    name = PROVIDER

    def __init__(self, predictions: Predictions | None = None) -> None:
        self._model = ReplicateModel(
            predictions or Predictions(),
            settings.REPLICATE_IMAGE_MODEL,
            setting="REPLICATE_IMAGE_MODEL",
            capability="image",
            roles=IMAGE_ROLES,
        )

    def storyboard_frame(
        self, spec: dict[str, Any], scene_index: int, out_path: Path, meter: CostMeter
    ) -> None:
        scale = STORYBOARD_LONG_SIDE / max(spec["width"], spec["height"])
        size = (round(spec["width"] * scale), round(spec["height"] * scale))
        prompt = scene_prompt(spec, scene_index, storyboard=True)
        self._render(spec, scene_index, prompt, Path(out_path), meter, size=size)

    def reference_image(
        self, spec: dict[str, Any], scene_index: int, out_path: Path, meter: CostMeter
    ) -> None:
        prompt = scene_prompt(spec, scene_index)
        self._render(spec, scene_index, prompt, Path(out_path), meter, size=(spec["width"], spec["height"]))

    def _render(
        self,
        spec: dict[str, Any],
        scene_index: int,
        prompt: str,
        out_path: Path,
        meter: CostMeter,
        *,
        size: tuple[int, int],
    ) -> None:
        mapping = self._model.mapping
        what = f"{self._model.name} image for scene {scene_index + 1}"
        inputs: dict[str, Any] = {mapping.names["prompt"]: prompt}
        if mapping.takes("negative_prompt"):
            inputs[mapping.names["negative_prompt"]] = NEGATIVE_PROMPT
        inputs.update(mapping.frame_inputs(spec["width"], spec["height"]))
        if mapping.takes("seed"):
            inputs[mapping.names["seed"]] = seed(spec, scene_index)
        if mapping.takes("outputs"):
            inputs[mapping.names["outputs"]] = 1
        image = self._model.run(inputs, out_path, meter, what=what)
        _fit_image(image, out_path, size, what)


def _fit_image(src: Path, out_path: Path, size: tuple[int, int], what: str) -> None:
    """Crop-to-fill `src` to exactly `size` (the model's own sizes are not the frame's)."""
    try:
        with Image.open(src) as image:
            fitted = ImageOps.fit(image.convert("RGB"), size, Image.Resampling.LANCZOS)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ProviderError(f"Replicate: {what} is not a readable image ({exc})", provider=PROVIDER) from exc
    fitted.save(out_path, format="PNG", compress_level=1)
