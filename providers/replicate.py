"""Replicate adapters: SDXL for storyboard and reference images, Zeroscope or AnimateDiff for
scene clips, MusicGen for the soundtrack.

Every call is one prediction, made through the official `replicate` client: created
(429 and 5xx retried with backoff), polled with a growing interval, canceled whenever we
stop waiting for it (our own deadline, the RQ job's timeout, any error), and its output
downloaded into the work directory at once, because Replicate deletes outputs after an
hour. What comes back is then made to fit our contract: images to the exact frame size,
clips to the scene's size, frame rate and frame count, music to the video's length.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import replicate
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from PIL import Image, ImageOps, UnidentifiedImageError
from replicate.exceptions import ReplicateError
from replicate.prediction import Prediction

import media
from providers.costs import (
    COST_ANIMATEDIFF_VIDEO,
    COST_MUSICGEN,
    COST_SDXL_IMAGE,
    COST_ZEROSCOPE_VIDEO,
    CostMeter,
)
from providers.http import download
from toolbox.exceptions import ProviderError
from toolbox.retry import RetryLater, parse_retry_after, with_retries

logger = logging.getLogger(__name__)

PROVIDER = "replicate"
FINISHED = frozenset({"succeeded", "failed", "canceled"})
MAX_POLL_INTERVAL = 5.0
# Seconds for re-encoding one downloaded clip or soundtrack to our contract.
FIT_TIMEOUT = 120
MAX_SEED = 2**31 - 1

NEGATIVE_PROMPT = "text, caption, watermark, logo, signature, blurry, low quality, deformed"
TEMPLATE_STYLES = {
    "cinematic": "cinematic film still, dramatic lighting, shallow depth of field, rich colour grade",
    "minimal": "minimalist, clean composition, soft muted colours, lots of negative space",
    "vibrant": "vibrant saturated colours, bold light, crisp detail",
    "noir": "black and white film noir, hard shadows, high contrast",
    "pastel": "soft pastel colours, gentle light, dreamy atmosphere",
}
STORYBOARD_STYLE = "storyboard sketch, loose pencil drawing on paper, rough shading"
STORYBOARD_LONG_SIDE = 480
CAMERA_WORDS = {
    "static": "steady static shot",
    "zoom_in": "slow push in",
    "zoom_out": "slow pull back",
    "pan_left": "slow pan to the left",
    "pan_right": "slow pan to the right",
    "pan_up": "slow tilt up",
    "pan_down": "slow tilt down",
}
MUSIC_STYLES = {
    "calm": "calm ambient piano with soft pads",
    "upbeat": "upbeat pop with bright synths, bass and light drums",
    "dramatic": "dramatic orchestral strings with driving percussion",
    "mysterious": "mysterious dark ambient with low drones and sparse bells",
    "playful": "playful pizzicato strings, marimba and light percussion",
    "epic": "epic cinematic orchestra with choir and big drums",
}

# Each model's own sizes: SDXL is trained around one megapixel, Zeroscope XL at 1024x576.
SDXL_SIZES = {"16:9": (1344, 768), "9:16": (768, 1344), "1:1": (1024, 1024)}
ZEROSCOPE_SIZES = {"16:9": (1024, 576), "9:16": (576, 1024), "1:1": (768, 768)}
ZEROSCOPE_FPS = 8
ZEROSCOPE_MAX_FRAMES = 48
# Some MusicGen versions refuse longer pieces; `media.fit_audio` loops a shorter one to length.
MUSICGEN_MAX_SECONDS = 30


class _Retryable(Exception):
    """A 429 or 5xx answer, caught before the client turns it into a ReplicateError that
    no longer carries the Retry-After header."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.status = response.status_code
        self.retry_after = parse_retry_after(response.headers.get("Retry-After"))
        try:
            body = response.json()
        except ValueError:
            body = None
        self.detail = (body.get("detail") or body.get("title")) if isinstance(body, dict) else None


def _raise_retryable(response: httpx.Response) -> None:
    if response.status_code == 429 or response.status_code >= 500:
        response.read()
        raise _Retryable(response)


@contextmanager
def _vendor_errors(what: str) -> Iterator[None]:
    """Turn whatever the client raises into ProviderError, saying whether a retry can help."""
    try:
        yield
    except _Retryable as exc:
        reason = f"HTTP {exc.status}" + (f": {exc.detail}" if exc.detail else "")
        raise RetryLater(
            f"Replicate: {what}: {reason}", provider=PROVIDER, retry_after=exc.retry_after
        ) from exc
    except ReplicateError as exc:
        reason = exc.detail or exc.title or "no details"
        raise ProviderError(f"Replicate: {what}: HTTP {exc.status}: {reason}", provider=PROVIDER) from exc
    except httpx.TransportError as exc:
        raise ProviderError(
            f"Replicate: {what}: {exc.__class__.__name__} {exc}".rstrip(), retryable=True, provider=PROVIDER
        ) from exc
    except ValueError as exc:
        # A body that is not JSON, or JSON that is not a prediction: a broken response, not a refusal.
        raise ProviderError(
            f"Replicate: {what}: malformed response ({exc.__class__.__name__})",
            retryable=True,
            provider=PROVIDER,
        ) from exc


class Predictions:
    """Runs predictions on one Replicate account."""

    def __init__(self) -> None:
        if not settings.REPLICATE_API_TOKEN:
            raise ImproperlyConfigured("the Replicate providers need REPLICATE_API_TOKEN to be set")
        self._client = replicate.Client(
            api_token=settings.REPLICATE_API_TOKEN,
            base_url=settings.REPLICATE_BASE_URL,
            timeout=httpx.Timeout(30.0, connect=10.0),
            # A mount for every URL bypasses the client's RetryTransport, which retries polls
            # ten times and sleeps through any Retry-After however long: retries are ours.
            mounts={"all://": httpx.HTTPTransport()},
            event_hooks={"response": [_raise_retryable]},
        )

    def run(self, model: str, inputs: dict[str, Any], *, what: str, meter: CostMeter) -> Any:
        """Run `model` (`owner/name:version` or `owner/name`) and return its output.

        Raises ProviderError when the prediction fails, is canceled, or does not finish within
        REPLICATE_PREDICTION_TIMEOUT. Whatever ends the wait early, the prediction is canceled
        so it stops costing money."""
        prediction = with_retries(partial(self._create, model, inputs, what))
        logger.info("replicate prediction=%s model=%s %s: created", prediction.id, model, what)
        meter.remote_work(provider=PROVIDER, work_id=prediction.id, running=True)
        try:
            prediction = self._wait(prediction, what)
        except BaseException:
            self.cancel(prediction.id, what)
            raise
        finally:
            meter.remote_work(provider=PROVIDER, work_id=prediction.id, running=False)
        if prediction.status == "failed":
            raise ProviderError(
                f"Replicate: {what} failed: {prediction.error or 'no error given'}", provider=PROVIDER
            )
        if prediction.status == "canceled":
            raise ProviderError(f"Replicate: {what} was canceled on Replicate", provider=PROVIDER)
        logger.info("replicate prediction=%s %s: succeeded", prediction.id, what)
        return prediction.output

    def _create(self, model: str, inputs: dict[str, Any], what: str) -> Prediction:
        name, _, version = model.partition(":")
        with _vendor_errors(what):
            if version:
                return self._client.predictions.create(version=version, input=inputs)
            return self._client.models.predictions.create(model=name, input=inputs)

    def _get(self, prediction_id: str, what: str) -> Prediction:
        with _vendor_errors(what):
            return self._client.predictions.get(prediction_id)

    def _wait(self, prediction: Prediction, what: str) -> Prediction:
        timeout = settings.REPLICATE_PREDICTION_TIMEOUT
        deadline = time.monotonic() + timeout
        interval = settings.REPLICATE_POLL_INTERVAL
        poll = partial(self._get, prediction.id, what)
        while prediction.status not in FINISHED:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ProviderError(
                    f"Replicate: {what} did not finish within {timeout:g} s, so we canceled it",
                    retryable=True,
                    provider=PROVIDER,
                )
            time.sleep(min(interval, remaining))
            interval = min(interval * 1.5, MAX_POLL_INTERVAL)
            prediction = with_retries(poll, deadline=deadline)
        return prediction

    def cancel(self, prediction_id: str, what: str) -> None:
        """One attempt, never raising: it runs while another error is on its way up."""
        try:
            with _vendor_errors(what):
                self._client.predictions.cancel(prediction_id)
        except ProviderError as exc:
            logger.warning("replicate prediction=%s %s: could not cancel: %s", prediction_id, what, exc)
        else:
            logger.info("replicate prediction=%s %s: canceled", prediction_id, what)


def _output_url(output: Any, what: str) -> str:
    """The first file of an output: SDXL and Zeroscope return a list, the others one URL."""
    first = output[0] if isinstance(output, list) and output else output
    if isinstance(first, str) and first:
        return first
    raise ProviderError(f"Replicate: {what} finished without an output file", provider=PROVIDER)


def _fetch_output(output: Any, out_path: Path, what: str) -> Path:
    url = _output_url(output, what)
    target = out_path.with_name(f"{out_path.stem}-replicate{Path(urlsplit(url).path).suffix}")
    return download(url, target, provider=PROVIDER, what=f"Replicate: {what}")


def _model_name(model: str) -> str:
    """`owner/name` for the cost ledger, without the version hash."""
    return model.partition(":")[0]


def _seed(spec: dict[str, Any], scene_index: int) -> int:
    """The same spec gives the same seeds; a scene's storyboard and reference share one."""
    return (spec["seed"] + scene_index) % MAX_SEED + 1


def _scene_prompt(spec: dict[str, Any], scene_index: int, style: str) -> str:
    return f"{spec['scenes'][scene_index]['description']}. {style}"


def _fit_image(src: Path, out_path: Path, size: tuple[int, int], what: str) -> None:
    """Crop-to-fill `src` to exactly `size` (the model's own sizes are not the frame's)."""
    try:
        with Image.open(src) as image:
            fitted = ImageOps.fit(image.convert("RGB"), size, Image.Resampling.LANCZOS)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ProviderError(f"Replicate: {what} is not a readable image ({exc})", provider=PROVIDER) from exc
    fitted.save(out_path, format="PNG", compress_level=1)


class ReplicateImages:
    """Storyboard frames and reference images from SDXL."""

    name = PROVIDER

    def __init__(self) -> None:
        self._predictions = Predictions()

    def storyboard_frame(
        self, spec: dict[str, Any], scene_index: int, out_path: Path, meter: CostMeter
    ) -> None:
        scale = STORYBOARD_LONG_SIDE / max(spec["width"], spec["height"])
        size = (round(spec["width"] * scale), round(spec["height"] * scale))
        self._render(spec, scene_index, Path(out_path), meter, size=size, style=STORYBOARD_STYLE)

    def reference_image(
        self, spec: dict[str, Any], scene_index: int, out_path: Path, meter: CostMeter
    ) -> None:
        size = (spec["width"], spec["height"])
        self._render(
            spec, scene_index, Path(out_path), meter, size=size, style=TEMPLATE_STYLES[spec["template"]]
        )

    def _render(
        self,
        spec: dict[str, Any],
        scene_index: int,
        out_path: Path,
        meter: CostMeter,
        *,
        size: tuple[int, int],
        style: str,
    ) -> None:
        model = settings.REPLICATE_SDXL_MODEL
        width, height = SDXL_SIZES[spec["aspect_ratio"]]
        what = f"SDXL image for scene {scene_index + 1}"
        meter.charge(provider=PROVIDER, model=_model_name(model), unit_usd=COST_SDXL_IMAGE)
        inputs = {
            "prompt": _scene_prompt(spec, scene_index, style),
            "negative_prompt": NEGATIVE_PROMPT,
            "width": width,
            "height": height,
            "num_outputs": 1,
            "seed": _seed(spec, scene_index),
        }
        output = self._predictions.run(model, inputs, what=what, meter=meter)
        _fit_image(_fetch_output(output, out_path, what), out_path, size, what)


def _video_prompt(spec: dict[str, Any], scene_index: int) -> str:
    camera = CAMERA_WORDS[spec["scenes"][scene_index]["camera"]]
    return _scene_prompt(spec, scene_index, f"{camera}, {TEMPLATE_STYLES[spec['template']]}")


def _zeroscope_inputs(spec: dict[str, Any], scene_index: int) -> dict[str, Any]:
    width, height = ZEROSCOPE_SIZES[spec["aspect_ratio"]]
    seconds = spec["scenes"][scene_index]["frames"] / spec["fps"]
    return {
        "prompt": _video_prompt(spec, scene_index),
        "negative_prompt": NEGATIVE_PROMPT,
        "width": width,
        "height": height,
        "num_frames": min(max(math.ceil(seconds * ZEROSCOPE_FPS), ZEROSCOPE_FPS), ZEROSCOPE_MAX_FRAMES),
        "fps": ZEROSCOPE_FPS,
        "seed": _seed(spec, scene_index),
    }


def _animatediff_inputs(spec: dict[str, Any], scene_index: int) -> dict[str, Any]:
    return {
        "prompt": _video_prompt(spec, scene_index),
        "n_prompt": NEGATIVE_PROMPT,
        "steps": 25,
        "guidance_scale": 7.5,
        "seed": _seed(spec, scene_index),
    }


@dataclass(frozen=True)
class VideoModel:
    setting: str  # the setting holding the model reference
    unit_usd: Decimal
    inputs: Callable[[dict[str, Any], int], dict[str, Any]]


VIDEO_MODELS = {
    "zeroscope": VideoModel("REPLICATE_ZEROSCOPE_MODEL", COST_ZEROSCOPE_VIDEO, _zeroscope_inputs),
    "animatediff": VideoModel("REPLICATE_ANIMATEDIFF_MODEL", COST_ANIMATEDIFF_VIDEO, _animatediff_inputs),
}


class ReplicateVideo:
    """Scene clips from Zeroscope or AnimateDiff (REPLICATE_VIDEO_MODEL), re-encoded to the contract."""

    name = PROVIDER

    def __init__(self) -> None:
        self._predictions = Predictions()

    def render_chunk(
        self,
        spec: dict[str, Any],
        scene_index: int,
        reference_path: Path,
        out_path: Path,
        meter: CostMeter,
    ) -> None:
        # Both models are text-to-video: the scene's prompt, not the reference image, drives them.
        family = settings.REPLICATE_VIDEO_MODEL
        video_model = VIDEO_MODELS[family]
        model = getattr(settings, video_model.setting)
        what = f"{family} clip for scene {scene_index + 1}"
        meter.charge(provider=PROVIDER, model=_model_name(model), unit_usd=video_model.unit_usd)
        output = self._predictions.run(model, video_model.inputs(spec, scene_index), what=what, meter=meter)
        clip = _fetch_output(output, Path(out_path), what)
        # Stitching is a stream copy: the clip must become exactly what the local renderer makes.
        media.fit_clip(
            clip,
            Path(out_path),
            width=spec["width"],
            height=spec["height"],
            fps=spec["fps"],
            frames=spec["scenes"][scene_index]["frames"],
            timeout=FIT_TIMEOUT,
        )


class ReplicateMusic:
    """The soundtrack from MusicGen, fitted to the video's exact length."""

    name = PROVIDER

    def __init__(self) -> None:
        self._predictions = Predictions()

    def compose(self, spec: dict[str, Any], out_path: Path, meter: CostMeter) -> None:
        model = settings.REPLICATE_MUSICGEN_MODEL
        what = "MusicGen soundtrack"
        music = spec["music"]
        meter.charge(provider=PROVIDER, model=_model_name(model), unit_usd=COST_MUSICGEN)
        inputs = {
            "prompt": f"{MUSIC_STYLES[music['mood']]}, {music['tempo']} bpm, instrumental, no vocals",
            "duration": min(spec["duration"], MUSICGEN_MAX_SECONDS),
            "model_version": "stereo-large",
            "output_format": "wav",
            "normalization_strategy": "peak",
            "seed": _seed(spec, 0),
        }
        output = self._predictions.run(model, inputs, what=what, meter=meter)
        track = _fetch_output(output, Path(out_path), what)
        media.fit_audio(track, Path(out_path), seconds=spec["duration"], timeout=FIT_TIMEOUT)
