"""What a user asks for: the prompt and every option, as one typed value, and its limits.

The form, the API and the `generate` command build a GenerationRequest; the service layer
validates it (`validate`), stores it on the record as JSON (`to_dict`) and the plan phase
reads it back (`from_dict`); a remix copies it whole and applies its overrides (`replace`).

Every limit a request is held to is defined here (the spec format's own bounds, the duration
and scene range, come from `providers.spec`, the layer below, and are re-exported), and the
surfaces read them from here. The module is light on purpose: plain Python, no Django, no
numpy or media, so forms and serializers can import it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import jsonschema

from providers.script import clean, estimate_seconds
from providers.spec import (
    DEFAULT_DURATION,
    DEFAULT_RESOLUTION,
    MAX_DURATION,
    MAX_SCENES,
    MIN_DURATION,
    MIN_SCENES,
    RESOLUTIONS,
    SIZES,
    SPEECH_RATE_RANGE,
    SUBTITLE_BACKGROUND_RANGE,
    SUBTITLE_FONTS,
    SUBTITLE_MODES,
    SUBTITLE_OUTLINE_RANGE,
    SUBTITLE_POSITIONS,
    SUBTITLE_SIZE_RANGE,
    SUBTITLE_STYLE_DEFAULTS,
    SUBTITLE_STYLE_SCHEMA,
    TEMPLATES,
)
from toolbox.exceptions import ValidationException

__all__ = [
    "ASPECT_RATIOS",
    "DEFAULT_DURATION",
    "DEFAULT_RESOLUTION",
    "MAX_DURATION",
    "MAX_SCENES",
    "MIN_DURATION",
    "MIN_SCENES",
    "RESOLUTIONS",
    "SPEECH_RATE_RANGE",
    "SUBTITLE_BACKGROUND_RANGE",
    "SUBTITLE_FONTS",
    "SUBTITLE_MODES",
    "SUBTITLE_OUTLINE_RANGE",
    "SUBTITLE_POSITIONS",
    "SUBTITLE_SIZE_RANGE",
    "SUBTITLE_STYLE_DEFAULTS",
    "TEMPLATES",
    "GenerationRequest",
    "RequestInvalid",
    "describe_resolution",
    "script_problem",
]

ASPECT_RATIOS = tuple(SIZES)
PROMPT_MIN, PROMPT_MAX = 10, 1000
# Image models (SDXL on Replicate among them) take a signed 32-bit seed.
SEED_MAX = 2**31 - 1
# Reference images, uploaded and linked together; each one's bytes and pixels (checked on
# the header before any pixel is decoded: a small file can claim a huge canvas) and the
# side it is stored at (providers never need more; less keeps every later download small).
MAX_ASSETS = 10
MAX_ASSET_BYTES = 20 * 1024 * 1024
MAX_ASSET_PIXELS = 40_000_000
MAX_ASSET_SIDE = 2048
ASSET_TYPES = ("image",)
URL_MAX = 2000
WEBHOOK_URL_MAX = 1000
SCRIPT_LIMIT = 5000
# The narration is sped up at most this much (pitch kept) to fit the video.
MAX_TEMPO = 2.0
VOICE_PATTERN = r"^\+?[A-Za-z0-9][A-Za-z0-9_.+-]{0,62}$"
VOICE_MAX = 64
LANGUAGE_PATTERN = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$"
LANGUAGE_MAX = 16
COLOUR_PATTERN = r"^#[0-9a-fA-F]{6}$"
# One scene's text as a user may edit it (the spec schema's bounds).
SCENE_DESCRIPTION_MAX = 500
SCENE_CAPTION_MAX = 120


class RequestInvalid(ValidationException):
    """A request breaks a limit. `errors` maps each field to what is wrong with it."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        self.errors = {name: list(messages) for name, messages in errors.items()}
        super().__init__("; ".join(f"{name}: {' '.join(messages)}" for name, messages in self.errors.items()))


def describe_resolution(resolution: str) -> str:
    """How pages name a resolution: the full frame by its name, a smaller one as a draft."""
    return resolution if resolution == DEFAULT_RESOLUTION else f"{resolution} draft"


def script_problem(script: str, duration: int, rate: float = 1.0) -> str | None:
    """Why a user's script cannot be narrated in `duration` seconds, or None when it can
    (by the estimate; the plan phase has the last word, from the real speech)."""
    seconds = estimate_seconds(clean(script), rate) if script else 0.0
    if seconds / MAX_TEMPO <= duration:
        return None
    return (
        f"This script takes about {seconds:.0f} s to read at this speaking rate, too long for a "
        f"{duration} s video. Shorten it, speak faster or make the video longer."
    )


@dataclass(frozen=True)
class GenerationRequest:
    """The user's prompt and every option. Built normalized (text trimmed, a blank template
    is None, containers copied), checked by `validate`."""

    prompt: str
    duration: int = DEFAULT_DURATION
    aspect_ratio: str = "16:9"
    # The frame's short side: full size, or a smaller draft that renders in a fraction of the time.
    resolution: str = DEFAULT_RESOLUTION
    template: str | None = None
    seed: int = 0
    # Reference images: {"type": "image", "url": ...} as sent, or {"type": "image", "name":
    # ...} for an upload the service stored (a storage name no user ever sends).
    assets: tuple[Mapping[str, str], ...] = ()
    webhook_url: str = ""
    review: bool = False
    script: str = ""
    narration: bool = True
    voice: str = ""
    language: str = ""
    speech_rate: float = 1.0
    subtitles: bool = True
    burn_subtitles: bool = False
    # Any of SUBTITLE_STYLE_DEFAULTS' keys; the rest take the defaults.
    subtitle_style: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        normal = {
            "prompt": self.prompt.strip() if isinstance(self.prompt, str) else self.prompt,
            "template": self.template or None,
            "assets": tuple(dict(asset) if isinstance(asset, Mapping) else asset for asset in self.assets),
            "script": self.script.strip() if isinstance(self.script, str) else self.script,
            "subtitle_style": dict(self.subtitle_style or {})
            if isinstance(self.subtitle_style, Mapping)
            else self.subtitle_style,
        }
        for name, value in normal.items():
            object.__setattr__(self, name, value)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GenerationRequest:
        """A request from its JSON form (a stored record, a batch item). Absent options take
        their defaults; an unknown one is an error rather than silently ignored."""
        unknown = sorted(set(data) - set(cls.field_names()))
        if unknown:
            raise RequestInvalid({name: ["Unknown field."] for name in unknown})
        if "prompt" not in data:
            raise RequestInvalid({"prompt": ["This field is required."]})
        values = dict(data)
        if isinstance(values.get("assets"), list | tuple):
            values["assets"] = tuple(values["assets"])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, every option present (what the record stores)."""
        data = {name: getattr(self, name) for name in self.field_names()}
        data["assets"] = [dict(asset) for asset in self.assets]
        data["subtitle_style"] = dict(self.subtitle_style)
        return data

    def replace(self, **overrides: Any) -> GenerationRequest:
        """A copy with `overrides` applied (a remix: everything else stays the parent's)."""
        return dataclasses.replace(self, **overrides)

    def with_uploads(self, names: list[str]) -> GenerationRequest:
        """A copy with stored uploads appended to the assets."""
        return self.replace(assets=(*self.assets, *({"type": "image", "name": name} for name in names)))

    @property
    def image_assets(self) -> list[dict[str, str]]:
        return [dict(asset) for asset in self.assets if asset.get("type") == "image"]

    def validate(self, *, uploads: int = 0) -> GenerationRequest:
        """Return the request when it keeps every limit, else raise RequestInvalid naming each
        field's problems. `uploads` counts images the caller will add to the assets."""
        errors = self.problems(uploads=uploads)
        if errors:
            raise RequestInvalid(errors)
        return self

    def problems(self, *, uploads: int = 0) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}

        def check(name: str, ok: bool, message: str) -> bool:
            if not ok:
                errors.setdefault(name, []).append(message)
            return ok

        if check("prompt", isinstance(self.prompt, str), "Must be text."):
            check(
                "prompt",
                PROMPT_MIN <= len(self.prompt) <= PROMPT_MAX,
                f"Must be {PROMPT_MIN} to {PROMPT_MAX} characters after trimming (this has {len(self.prompt)}).",
            )
        _integer(check, "duration", self.duration, MIN_DURATION, MAX_DURATION, "seconds")
        check(
            "aspect_ratio", self.aspect_ratio in ASPECT_RATIOS, f"Must be one of {', '.join(ASPECT_RATIOS)}."
        )
        check("resolution", self.resolution in RESOLUTIONS, f"Must be one of {', '.join(RESOLUTIONS)}.")
        check(
            "template",
            self.template is None or self.template in TEMPLATES,
            f"Must be one of {', '.join(TEMPLATES)}.",
        )
        _integer(check, "seed", self.seed, 0, SEED_MAX)
        self._asset_problems(check, uploads)
        if self.webhook_url:
            check("webhook_url", _is_web_url(self.webhook_url, WEBHOOK_URL_MAX), "Must be an http(s) URL.")
        for name in ("review", "narration", "subtitles", "burn_subtitles"):
            check(name, isinstance(getattr(self, name), bool), "Must be true or false.")
        for name, pattern, longest in (
            ("voice", VOICE_PATTERN, VOICE_MAX),
            ("language", LANGUAGE_PATTERN, LANGUAGE_MAX),
        ):
            value = getattr(self, name)
            if check(name, isinstance(value, str), "Must be text.") and value:
                check(
                    name,
                    len(value) <= longest and re.fullmatch(pattern, value) is not None,
                    "Letters, digits and - _ . + only, e.g. en-gb or +f3."
                    if name == "voice"
                    else "Must be a BCP 47 tag such as en, ja or pt-BR.",
                )
        rate_ok = check(
            "speech_rate",
            _is_number(self.speech_rate) and SPEECH_RATE_RANGE[0] <= self.speech_rate <= SPEECH_RATE_RANGE[1],
            f"Must be between {SPEECH_RATE_RANGE[0]} and {SPEECH_RATE_RANGE[1]}.",
        )
        if check("script", isinstance(self.script, str), "Must be text.") and self.script:
            if check("script", len(self.script) <= SCRIPT_LIMIT, f"Keep it to {SCRIPT_LIMIT} characters."):
                if rate_ok and "duration" not in errors:
                    problem = script_problem(self.script, self.duration, self.speech_rate)
                    check("script", problem is None, problem or "")
        self._style_problems(check)
        return errors

    def _asset_problems(self, check: Any, uploads: int) -> None:
        check(
            "assets",
            len(self.assets) + uploads <= MAX_ASSETS,
            f"Use at most {MAX_ASSETS} reference images in all, uploads and links.",
        )
        for number, asset in enumerate(self.assets, start=1):
            ok = (
                isinstance(asset, Mapping)
                and asset.get("type") in ASSET_TYPES
                and set(asset) in ({"type", "url"}, {"type", "name"})
            )
            if not check("assets", ok, f"Image {number}: give {{'type': 'image', 'url': ...}}."):
                continue
            if "url" in asset:
                check(
                    "assets", _is_web_url(asset["url"], URL_MAX), f"Image {number}: must be an http(s) URL."
                )

    def _style_problems(self, check: Any) -> None:
        # The spec's own schema for the style, every key optional: one definition of the rules.
        if not check("subtitle_style", isinstance(self.subtitle_style, Mapping), "Must be an object."):
            return
        for error in sorted(_STYLE_VALIDATOR.iter_errors(dict(self.subtitle_style)), key=str):
            where = "/".join(str(part) for part in error.absolute_path)
            check("subtitle_style", False, f"{where}: {error.message}" if where else error.message)


_STYLE_VALIDATOR = jsonschema.Draft202012Validator({**SUBTITLE_STYLE_SCHEMA, "required": []})


def _integer(check: Any, name: str, value: Any, low: int, high: int, unit: str = "") -> None:
    ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    check(name, ok, f"Must be a whole number from {low} to {high}{' ' + unit if unit else ''}.")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_web_url(value: Any, longest: int) -> bool:
    if not isinstance(value, str) or len(value) > longest:
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)
