"""Settings of the providers: which one serves each capability, their keys and models, and
what Replicate's predictions cost."""

from __future__ import annotations

import json
import re

from django.core.exceptions import ImproperlyConfigured

from providers.costs import COST_ANIMATEDIFF_VIDEO, COST_MUSICGEN, COST_SDXL_IMAGE, COST_ZEROSCOPE_VIDEO
from videogen.settings.environment import env, envbool, envdecimal, envint

OPENAI_API_KEY = env("OPENAI_API_KEY")
OPENAI_BASE_URL = env("OPENAI_BASE_URL") or None
OPENAI_MODEL = env("OPENAI_MODEL", "gpt-4-turbo")
REPLICATE_API_TOKEN = env("REPLICATE_API_TOKEN")
REPLICATE_BASE_URL = env("REPLICATE_BASE_URL") or None

# Which provider serves each capability: a name registered in `providers.registry`, or `auto`
# (the first remote provider whose key is set, else local). Checked when Django starts.
PLANNER_PROVIDER = env("PLANNER_PROVIDER") or "auto"
IMAGE_PROVIDER = env("IMAGE_PROVIDER") or "auto"
VIDEO_PROVIDER = env("VIDEO_PROVIDER") or "auto"
MUSIC_PROVIDER = env("MUSIC_PROVIDER") or "auto"
# Narration: espeak-ng offline, or OpenAI speech (same key and OPENAI_BASE_URL as the planner).
SPEECH_PROVIDER = env("SPEECH_PROVIDER") or "auto"
OPENAI_SPEECH_MODEL = env("OPENAI_SPEECH_MODEL", "tts-1")
OPENAI_SPEECH_VOICE = env("OPENAI_SPEECH_VOICE", "alloy")
# How far the music drops under the voice, in dB.
NARRATION_DUCK_DB = float(envdecimal("NARRATION_DUCK_DB", "18"))

OPENAI_TIMEOUT = float(envdecimal("OPENAI_TIMEOUT", "45"))
# json_object works with gpt-4-turbo and every OpenAI-compatible server (Ollama, vLLM);
# json_schema (structured outputs) needs a model that supports it.
OPENAI_RESPONSE_FORMAT = env("OPENAI_RESPONSE_FORMAT", "json_object")
if OPENAI_RESPONSE_FORMAT not in ("json_object", "json_schema"):
    raise ImproperlyConfigured(
        f"OPENAI_RESPONSE_FORMAT must be json_object or json_schema, got {OPENAI_RESPONSE_FORMAT!r}"
    )

# Replicate models as `owner/name:version` (a pinned version) or `owner/name` (an official
# model): any model, mapped onto its published input schema (docs/replicate-models.md).
REPLICATE_MODEL_REF = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+(:[0-9a-f]{8,64})?$")


def replicate_model(name: str, default: str, *, aliases: tuple[str, ...] = ()) -> str:
    value = env(name, default).strip()
    if value not in aliases and not REPLICATE_MODEL_REF.match(value):
        raise ImproperlyConfigured(f"{name} must be owner/name or owner/name:version, got {value!r}")
    return value


REPLICATE_IMAGE_MODEL = replicate_model(
    "REPLICATE_IMAGE_MODEL",
    env(
        "REPLICATE_SDXL_MODEL",
        "stability-ai/sdxl:7762fd07cf82c948538e41f63f77d685e02b063e37e496e96eefd46c929f9bdc",
    ),
)
REPLICATE_ZEROSCOPE_MODEL = replicate_model(
    "REPLICATE_ZEROSCOPE_MODEL",
    "anotherjesse/zeroscope-v2-xl:9f747673945c62801b13b84701c783929c0ee784e4748ec062204894dda1a351",
)
REPLICATE_ANIMATEDIFF_MODEL = replicate_model(
    "REPLICATE_ANIMATEDIFF_MODEL",
    "lucataco/animate-diff:beecf59c4aee8d81bf04f0381033dfa10dc16e845b4ae00d281e2fa377e48a9f",
)
# Any video model, or `zeroscope` / `animatediff` for the two models above.
REPLICATE_VIDEO_MODEL = replicate_model(
    "REPLICATE_VIDEO_MODEL", "zeroscope", aliases=("zeroscope", "animatediff")
)
REPLICATE_MUSIC_MODEL = replicate_model(
    "REPLICATE_MUSIC_MODEL",
    env(
        "REPLICATE_MUSICGEN_MODEL",
        "meta/musicgen:671ac645ce5e552cc63a54a2bbff63fcf798043055d2dac5fc9e36a837eedcfb",
    ),
)
# Animate the scene's reference image when the video model takes a first frame.
REPLICATE_IMAGE_TO_VIDEO = envbool("REPLICATE_IMAGE_TO_VIDEO", True)
# A first frame up to this size goes inline as a data URL; a larger one through the files API.
REPLICATE_INLINE_IMAGE_MAX_BYTES = envint("REPLICATE_INLINE_IMAGE_MAX_BYTES", 256 * 1024)
# What predictions cost, in USD: per second of each hardware (models billed by time, with the
# predict_time they usually take, for the estimate before the call), and per output for
# models billed that way (per second of video, per image, per prediction). Replicate's public
# prices; REPLICATE_PRICES_JSON ({"hardware": {...}, "models": {...}}) overrides any entry.
REPLICATE_PRICES = {
    "hardware": {
        "cpu": "0.000100",
        "gpu-t4": "0.000225",
        "gpu-l40s": "0.000975",
        "gpu-a40-large": "0.000725",
        "gpu-a100-large": "0.001400",
        "gpu-h100": "0.001525",
    },
    "models": {
        "stability-ai/sdxl": {
            "per": "time",
            "hardware": "gpu-l40s",
            "typical_seconds": 8,
            "estimate": str(COST_SDXL_IMAGE),
        },
        "anotherjesse/zeroscope-v2-xl": {
            "per": "time",
            "hardware": "gpu-a100-large",
            "typical_seconds": 70,
            "estimate": str(COST_ZEROSCOPE_VIDEO),
        },
        "lucataco/animate-diff": {
            "per": "time",
            "hardware": "gpu-a40-large",
            "typical_seconds": 30,
            "estimate": str(COST_ANIMATEDIFF_VIDEO),
        },
        "lightricks/ltx-video": {"per": "time", "hardware": "gpu-h100", "typical_seconds": 20},
        "meta/musicgen": {
            "per": "time",
            "hardware": "gpu-l40s",
            "typical_seconds": 60,
            "estimate": str(COST_MUSICGEN),
        },
        "black-forest-labs/flux-schnell": {"per": "image", "usd": "0.003"},
        "black-forest-labs/flux-dev": {"per": "image", "usd": "0.025"},
        "wan-video/wan-2.1-i2v-480p": {"per": "second", "usd": "0.09"},
        "kwaivgi/kling-v2.1": {"per": "second", "usd": "0.05"},
        "minimax/video-01": {"per": "prediction", "usd": "0.50"},
        "google/veo-3": {"per": "second", "usd": "0.50"},  # without audio, which we never ask for
        "bytedance/seedance-1-lite": {"per": "second", "usd": "0.036"},
    },
}
try:
    _price_overrides = json.loads(env("REPLICATE_PRICES_JSON") or "{}")
    for _table in ("hardware", "models"):
        REPLICATE_PRICES[_table].update(_price_overrides.get(_table, {}))
except (ValueError, AttributeError, TypeError):
    raise ImproperlyConfigured(
        'REPLICATE_PRICES_JSON must be a JSON object like {"hardware": {...}, "models": {...}}'
    ) from None
REPLICATE_DEFAULT_HARDWARE = env("REPLICATE_DEFAULT_HARDWARE", "gpu-a100-large")
for _model, _entry in REPLICATE_PRICES["models"].items():
    _hardware = _entry.get("hardware", REPLICATE_DEFAULT_HARDWARE)
    if _entry.get("per", "time") == "time" and _hardware not in REPLICATE_PRICES["hardware"]:
        raise ImproperlyConfigured(f"Replicate price of {_model}: no price for hardware {_hardware!r}")
if REPLICATE_DEFAULT_HARDWARE not in REPLICATE_PRICES["hardware"]:
    raise ImproperlyConfigured(f"REPLICATE_DEFAULT_HARDWARE {REPLICATE_DEFAULT_HARDWARE!r} has no price")
# Seconds between status polls (growing from this) and before we cancel a prediction. The
# timeout stays under the chunks phase's 600 s so there is time left to download and normalise.
REPLICATE_POLL_INTERVAL = float(envdecimal("REPLICATE_POLL_INTERVAL", "1"))
REPLICATE_PREDICTION_TIMEOUT = float(envdecimal("REPLICATE_PREDICTION_TIMEOUT", "540"))
