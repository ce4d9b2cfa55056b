"""The soundtrack from any Replicate music model (REPLICATE_MUSIC_MODEL), fitted to the
video's exact length."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

from media.fit import fit_audio
from media.probe import probe
from providers.costs import CostMeter
from providers.replicate.client import PROVIDER, CancelsPredictions, Predictions
from providers.replicate.inputs import MUSIC_ROLES
from providers.replicate.model import ReplicateModel
from providers.replicate.prompts import music_prompt, seed

# Seconds for re-encoding one downloaded soundtrack to our contract.
FIT_TIMEOUT = 120


class ReplicateMusic(CancelsPredictions):
    name = PROVIDER

    def __init__(self, predictions: Predictions | None = None) -> None:
        self._model = ReplicateModel(
            predictions or Predictions(),
            settings.REPLICATE_MUSIC_MODEL,
            setting="REPLICATE_MUSIC_MODEL",
            capability="music",
            roles=MUSIC_ROLES,
        )

    def compose(self, spec: dict[str, Any], out_path: Path, meter: CostMeter) -> None:
        mapping = self._model.mapping
        inputs: dict[str, Any] = {mapping.names["prompt"]: music_prompt(spec)}
        seconds = spec["duration"]
        if mapping.takes("seconds"):
            longest = mapping.override.max_seconds or mapping.largest("seconds")
            seconds = min(seconds, longest) if longest else seconds
            inputs[mapping.names["seconds"]] = mapping.fit("seconds", seconds)
        if mapping.takes("seed"):
            inputs[mapping.names["seed"]] = seed(spec, 0)
        what = f"{self._model.name} soundtrack"
        track = self._model.run(
            inputs,
            Path(out_path),
            meter,
            what=what,
            output_seconds=seconds,
            measure=lambda path: probe(path).duration,
        )
        # A shorter piece is looped to the video's length, a longer one cut and faded.
        fit_audio(track, Path(out_path), seconds=spec["duration"], timeout=FIT_TIMEOUT)
