"""Our request, mapped onto the inputs a model actually has.

Each thing we can say (a role: prompt, negative prompt, first frame, frame count, seconds,
frame rate, aspect ratio, size, resolution, seed) is sent under the first of its usual
names that the model's schema has, or the name `overrides` gives, and every value is
fitted to what the schema allows (an enum's nearest option, within minimum and maximum,
an integer where it wants one). A model that requires an input no role fills cannot be
driven by us: that is refused when the model is bound, naming the input.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from providers.replicate.overrides import Override, override_for
from providers.replicate.schemas import InputSchema, ModelRef

ROLES: dict[str, tuple[str, ...]] = {
    "prompt": ("prompt", "text_prompt", "text"),
    "negative_prompt": ("negative_prompt", "n_prompt", "neg_prompt"),
    "first_frame": ("first_frame_image", "start_image", "image", "input_image", "init_image", "first_frame"),
    "last_frame": ("last_frame_image", "end_image", "last_image", "last_frame", "tail_image"),
    "frames": ("num_frames", "frames", "frame_num", "video_length", "num_output_frames"),
    "seconds": ("duration", "seconds", "video_duration", "duration_seconds"),
    "fps": ("fps", "frames_per_second", "frame_rate"),
    "aspect_ratio": ("aspect_ratio",),
    "width": ("width",),
    "height": ("height",),
    "resolution": ("resolution", "max_area", "size"),
    "seed": ("seed",),
    "outputs": ("num_outputs",),
}
# What each capability can fill. The last frame is known so it is never mistaken for an
# input we cannot provide, but it is not sent: our scenes cut, they do not morph.
IMAGE_ROLES = (
    "prompt",
    "negative_prompt",
    "aspect_ratio",
    "width",
    "height",
    "resolution",
    "seed",
    "outputs",
)
VIDEO_ROLES = (
    *("prompt", "negative_prompt", "first_frame", "last_frame", "frames", "seconds", "fps"),
    *("aspect_ratio", "width", "height", "resolution", "seed"),
)
MUSIC_ROLES = ("prompt", "seconds", "seed")
RATIO = re.compile(r"^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$")
DIMENSIONS = re.compile(r"^(\d+)\s*[x*×]\s*(\d+)$")
LINES = re.compile(r"^(\d+)p$")
# Per-second-priced models charge more for 1080p than 720p; we scale to the frame anyway.
RESOLUTION_CAP = 720
DEFAULT_FPS = 24


@dataclass(frozen=True)
class Mapping:
    """Which of a model's inputs carries each role, and how values are fitted to them."""

    ref: ModelRef
    schema: InputSchema
    names: dict[str, str]
    override: Override

    @classmethod
    def bind(cls, ref: ModelRef, schema: InputSchema, *, roles: tuple[str, ...], setting: str) -> Mapping:
        """Raises ImproperlyConfigured when the model has no prompt or requires an input we
        cannot fill."""
        override = override_for(ref.name)
        names = {}
        for role in roles:
            candidates = (override.names[role],) if role in override.names else ROLES[role]
            found = next((name for name in candidates if schema.has(name)), None)
            if found is not None:
                names[role] = found
        if "prompt" not in names:
            raise ImproperlyConfigured(f"{setting}: Replicate model {ref} has no prompt input")
        filled = {*names.values(), *override.fixed}
        for name in sorted(schema.required - filled):
            if schema.default(name) is None:
                raise ImproperlyConfigured(
                    f"{setting}: Replicate model {ref} requires the input {name!r}, which videogen "
                    "cannot provide; choose another model or map it in providers/replicate/overrides.py"
                )
        return cls(ref=ref, schema=schema, names=names, override=override)

    def takes(self, role: str) -> bool:
        return role in self.names

    def prop(self, role: str) -> dict[str, Any]:
        return self.schema.properties[self.names[role]]

    def fit(self, role: str, wanted: float) -> Any:
        """`wanted` as the input of `role` accepts it: the nearest option of an enum (for a
        length, the shortest one that is long enough), else rounded and clamped."""
        prop = self.prop(role)
        options = prop.get("enum")
        if options:
            numbers = sorted(float(option) for option in options)
            if role in ("frames", "seconds"):
                chosen = next((n for n in numbers if n >= wanted - 1e-6), numbers[-1])
            else:
                chosen = min(numbers, key=lambda n: abs(n - wanted))
            # Kling's durations are strings ("5", "10") in some versions and integers in others.
            return next(o for o in options if float(o) == chosen)
        integer = prop.get("type") == "integer"
        if integer:
            wanted = math.ceil(wanted - 1e-6) if role in ("frames", "seconds") else round(wanted)
        low, high = prop.get("minimum"), prop.get("maximum")
        value = max(wanted, low) if low is not None else wanted
        value = min(value, high) if high is not None else value
        return int(value) if integer else round(value, 3)

    def largest(self, role: str) -> float | None:
        prop = self.prop(role)
        if prop.get("enum"):
            return max(float(option) for option in prop["enum"])
        return prop.get("maximum")

    def native_fps(self) -> int:
        """The frame rate the model makes its clips at."""
        if self.override.fps:
            return self.override.fps
        if self.takes("fps"):
            prop = self.prop("fps")
            if prop.get("default"):
                return int(prop["default"])
            if prop.get("enum"):
                return int(float(prop["enum"][0]))
        return DEFAULT_FPS

    def frame_inputs(self, width: int, height: int) -> dict[str, Any]:
        """Aspect ratio, size or resolution for a `width`x`height` frame, as the model takes them."""
        ours = width / height
        inputs: dict[str, Any] = {}
        if self.takes("aspect_ratio"):
            ratios = {o: _ratio(o) for o in self.prop("aspect_ratio").get("enum", []) if _ratio(o)}
            if ratios:
                inputs[self.names["aspect_ratio"]] = min(
                    ratios, key=lambda o: abs(math.log(ratios[o] / ours))
                )
            else:
                inputs[self.names["aspect_ratio"]] = _ratio_text(width, height)
        if self.takes("width") and self.takes("height"):
            size = self._size(width, height)
            inputs[self.names["width"]], inputs[self.names["height"]] = size
        if self.takes("resolution"):
            chosen = _resolution(self.prop("resolution").get("enum", []), width, height)
            if chosen is not None:
                inputs[self.names["resolution"]] = chosen
        return inputs

    def _size(self, width: int, height: int) -> tuple[int, int]:
        aspect = "16:9" if width > height else "9:16" if height > width else "1:1"
        if aspect in self.override.sizes:
            return self.override.sizes[aspect]
        # The model's default area at our aspect ratio, in multiples of 64 as diffusion models want.
        area = (self.schema.default(self.names["width"]) or 1024) * (
            self.schema.default(self.names["height"]) or 1024
        )
        w = math.sqrt(area * width / height)
        size = []
        for role, value in (("width", w), ("height", area / w)):
            snapped = max(64, round(value / 64) * 64)
            size.append(self.fit(role, snapped))
        return size[0], size[1]


def _ratio(option: Any) -> float | None:
    match = RATIO.match(str(option))
    return float(match[1]) / float(match[2]) if match and float(match[2]) else None


def _ratio_text(width: int, height: int) -> str:
    divisor = math.gcd(width, height)
    return f"{width // divisor}:{height // divisor}"


def _resolution(options: list[Any], width: int, height: int) -> Any:
    """A "720p" option near our short side (capped), or a "832x480" option nearest our shape."""
    lines = {o: int(LINES.match(str(o))[1]) for o in options if LINES.match(str(o))}
    if lines:
        target = min(min(width, height), RESOLUTION_CAP)
        return min(lines, key=lambda o: (abs(lines[o] - target), -lines[o]))
    shapes = {o: DIMENSIONS.match(str(o)) for o in options}
    shapes = {o: int(m[1]) / int(m[2]) for o, m in shapes.items() if m}
    if shapes:
        ours = width / height
        return min(shapes, key=lambda o: abs(math.log(shapes[o] / ours)))
    return None
