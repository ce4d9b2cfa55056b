"""One small protocol per capability. Local, OpenAI and Replicate adapters implement them;
`providers.registry` picks one per capability from settings.

Every method takes the validated spec (see `providers.spec`) and writes its result to a
path in the caller's work directory; paid adapters call `meter.charge(...)` before
each paid request. Vendor errors become `ProviderError(retryable=...)` at this edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from providers.costs import CostMeter


@dataclass(frozen=True)
class PlanRequest:
    prompt: str
    duration: int = 30
    aspect_ratio: str = "16:9"
    template: str | None = None
    seed: int = 0
    # The user's own narration script; planners that write narration may ignore it (the plan
    # phase hands it out over the scenes).
    script: str = ""


class Planner(Protocol):
    name: str

    def plan(self, request: PlanRequest, meter: CostMeter) -> dict[str, Any]:
        """Return a spec dict; the caller validates it with `providers.spec.validate_spec`."""


class ImageProvider(Protocol):
    name: str

    def storyboard_frame(
        self, spec: dict[str, Any], scene_index: int, out_path: Path, meter: CostMeter
    ) -> None:
        """Write a low-resolution storyboard PNG for scene `scene_index` (0-based)."""

    def reference_image(
        self, spec: dict[str, Any], scene_index: int, out_path: Path, meter: CostMeter
    ) -> None:
        """Write a full-resolution reference PNG for scene `scene_index` (0-based)."""


class VideoProvider(Protocol):
    name: str

    def render_chunk(
        self,
        spec: dict[str, Any],
        scene_index: int,
        reference_path: Path,
        out_path: Path,
        meter: CostMeter,
    ) -> None:
        """Write scene `scene_index`'s clip as an MP4 (H.264 High, yuv420p, spec fps and size,
        exactly the scene's frame count, no audio) to `out_path`."""


class MusicProvider(Protocol):
    name: str

    def compose(self, spec: dict[str, Any], out_path: Path, meter: CostMeter) -> None:
        """Write a 48 kHz stereo WAV of exactly the spec's total duration to `out_path`."""


@dataclass(frozen=True)
class WordTiming:
    """When a speech engine says one word, in seconds from the start of its audio file."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Spoken:
    """What an engine that reports word timings returns from `synthesize`."""

    voice: str
    words: tuple[WordTiming, ...] = ()


class SpeechProvider(Protocol):
    name: str

    def synthesize(
        self, text: str, *, voice: str, language: str, rate: float, out_path: Path, meter: CostMeter
    ) -> str | Spoken:
        """Write `text` spoken as an audio file (WAV, any sample rate) to `out_path`, with
        `voice` ("" for the provider's default for `language`, a BCP 47 tag) at `rate` times
        the voice's normal pace; returns the voice actually used, with the words' timings
        when the engine reports them (else they are estimated from syllables)."""
