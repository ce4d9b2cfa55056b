"""The OpenAI planner: chat completions through the official `openai` client, asked for the
same spec JSON the local planner builds.

`OPENAI_BASE_URL` points it at any compatible server (Ollama, vLLM). The model writes the
creative parts (title, scenes, captions, cameras, palettes, motifs, music); what the request
fixes (duration, size, seed...) and the frame arithmetic, which language models get wrong,
are filled in here before the spec is validated. A reply that is not a valid spec (bad or
truncated JSON, a schema violation) is sent back once with the problem; a second bad reply
fails the phase.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import openai
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from providers.base import PlanRequest
from providers.costs import COST_GPT4_TURBO, COST_OPENAI_SPEECH_PER_1K_CHARS, CostMeter
from providers.http import retry_policy
from providers.local.icons import IconLibraryMissing
from providers.local.subjects import known_elements
from providers.spec import (
    CAMERA_MOTIONS,
    ELEMENT_MOTIONS,
    FPS,
    MAX_ELEMENTS,
    MAX_SCENES,
    MIN_SCENES,
    MOTIFS,
    MUSIC_MOODS,
    SIZES,
    SPEC_SCHEMA,
    TEMPLATES,
    TIMES_OF_DAY,
    WEATHERS,
    frames_to_seconds,
    split_frames,
    validate_spec,
)
from toolbox.exceptions import ProviderError, ValidationException
from toolbox.retry import RetryLater, parse_retry_after, with_retries

logger = logging.getLogger(__name__)

PROVIDER = "openai"
# One bad reply is sent back with its problem; the second fails the phase.
REPLY_ATTEMPTS = 2
MAX_REPLY_TOKENS = 3000

SYSTEM_PROMPT = f"""You plan short videos. Reply with one JSON object and nothing else.

The object must follow this JSON Schema:
{json.dumps({key: value for key, value in SPEC_SCHEMA.items() if key != "$schema"})}

Rules:
- Copy prompt, duration, aspect_ratio and seed from the request; fps is {FPS}.
- width and height by aspect ratio: {", ".join(f"{ratio} is {w}x{h}" for ratio, (w, h) in SIZES.items())}.
- {MIN_SCENES} to {MAX_SCENES} scenes that tell the prompt in order, each at least 1.5 seconds.
- Scene durations are seconds and add up to the total duration; frames = duration x {FPS}.
- description: what the camera sees, concrete and visual, one or two sentences.
- caption: at most 60 characters of on-screen text.
- camera is one of: {", ".join(CAMERA_MOTIONS)}.
- motif is one of: {", ".join(MOTIFS)}: the place the scene's own sentence names.
- elements: the concrete things the scene shows (animals, people, vehicles, buildings, objects,
  food, plants), at most {MAX_ELEMENTS}, each {{"name": the noun, singular, lower case, "icon":
  "fluent-emoji-flat:" and the Fluent Emoji name that draws it (e.g. "fluent-emoji-flat:fox"),
  "motion": one of {", ".join(ELEMENT_MOTIONS)}, from what the scene's verb makes it do}}.
- time ({", ".join(TIMES_OF_DAY)}) and weather ({", ".join(WEATHERS)}): only when the scene's own
  sentence says so; nothing is taken from another sentence.
- palette: 3 to 5 colours as #rrggbb that suit the scene.
- template: the request's template if it gives one, else one of: {", ".join(TEMPLATES)}.
- music: mood is one of {", ".join(MUSIC_MOODS)}; tempo in beats per minute, 50 to 180.
- narration: what a narrator says over the scene, in the prompt's language, short enough to say
  in the scene's duration (about 2.5 words a second); "" for a silent scene. If the request has
  a script, leave narration out: the script is read instead.
- Leave out the top-level narration and subtitles objects: they are filled in later.
"""


class InvalidReply(Exception):
    """The model's reply is not a usable spec; the message says why, for the model to fix."""


@contextmanager
def _vendor_errors() -> Iterator[None]:
    """Turn the client's exceptions into ProviderError, saying whether a retry can help."""
    try:
        yield
    except openai.RateLimitError as exc:
        # Running out of quota also answers 429, but waiting does not fix it.
        if exc.code == "insufficient_quota":
            raise ProviderError(f"OpenAI: HTTP 429: {_reason(exc)}", provider=PROVIDER) from exc
        raise RetryLater(
            f"OpenAI: HTTP 429: {_reason(exc)}",
            provider=PROVIDER,
            retry_after=parse_retry_after(exc.response.headers.get("Retry-After")),
        ) from exc
    except openai.APIStatusError as exc:
        retryable = exc.status_code in (408, 409) or exc.status_code >= 500
        raise ProviderError(
            f"OpenAI: HTTP {exc.status_code}: {_reason(exc)}", retryable=retryable, provider=PROVIDER
        ) from exc
    except openai.APIConnectionError as exc:
        raise ProviderError(f"OpenAI: {exc.message}", retryable=True, provider=PROVIDER) from exc
    except ValueError as exc:
        # A body that is not JSON: a broken response, not a refusal.
        raise ProviderError(
            f"OpenAI: malformed response ({exc.__class__.__name__})", retryable=True, provider=PROVIDER
        ) from exc


def _reason(exc: openai.APIStatusError) -> str:
    """The server's own error message, without the client's "Error code: 401 - " prefix."""
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    return exc.message


def _client(who: str) -> openai.OpenAI:
    """A client for OPENAI_BASE_URL (OpenAI or any compatible server), shared by the planner
    and speech; raises ImproperlyConfigured without a key."""
    if not settings.OPENAI_API_KEY:
        raise ImproperlyConfigured(f"{who} needs OPENAI_API_KEY to be set")
    return openai.OpenAI(
        api_key=settings.OPENAI_API_KEY,
        base_url=settings.OPENAI_BASE_URL,
        timeout=settings.OPENAI_TIMEOUT,
        # Retries are ours (toolbox.retry), bounded the same way for every provider.
        max_retries=0,
    )


class OpenAIPlanner:
    name = PROVIDER

    def __init__(self) -> None:
        self._client = _client("the OpenAI planner")

    def plan(self, request: PlanRequest, meter: CostMeter) -> dict[str, Any]:
        model = settings.OPENAI_MODEL
        messages: list[dict[str, str]] = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": json.dumps(_request_fields(request), ensure_ascii=False)},
        ]
        problem = ""
        for attempt in range(1, REPLY_ATTEMPTS + 1):
            # Every completion is billed, the corrected one included.
            meter.charge(provider=PROVIDER, model=model, unit_usd=COST_GPT4_TURBO)
            content, finish_reason = with_retries(
                partial(self._complete, model, messages), policy=retry_policy()
            )
            try:
                return _spec_from_reply(content, finish_reason, request)
            except InvalidReply as exc:
                problem = str(exc)
            logger.warning("openai model=%s plan attempt %d: unusable reply: %s", model, attempt, problem)
            messages += [
                {"role": "assistant", "content": content},
                {
                    "role": "user",
                    "content": f"That reply is not usable: {problem}. Reply with the corrected JSON object only.",
                },
            ]
        raise ProviderError(
            f"OpenAI: {model} did not return a valid spec in {REPLY_ATTEMPTS} tries: {problem}",
            provider=PROVIDER,
        )

    def _complete(self, model: str, messages: list[dict[str, str]]) -> tuple[str, str]:
        with _vendor_errors():
            completion = self._client.chat.completions.create(
                model=model,
                messages=messages,  # type: ignore[arg-type]
                response_format=_response_format(),  # type: ignore[arg-type]
                max_tokens=MAX_REPLY_TOKENS,
                temperature=0.7,
            )
        try:
            choice = completion.choices[0]
            content, finish_reason = choice.message.content or "", choice.finish_reason or ""
        except (AttributeError, IndexError, TypeError) as exc:
            # The client hands back text, or a half-built object, when the body is not a completion.
            raise ProviderError(
                f"OpenAI: malformed response ({exc.__class__.__name__})", retryable=True, provider=PROVIDER
            ) from exc
        usage = getattr(completion, "usage", None)
        if usage is not None:
            logger.info(
                "openai model=%s plan: prompt_tokens=%s completion_tokens=%s",
                model,
                usage.prompt_tokens,
                usage.completion_tokens,
            )
        return content, finish_reason


def _response_format() -> dict[str, Any]:
    if settings.OPENAI_RESPONSE_FORMAT == "json_schema":
        schema = {key: value for key, value in SPEC_SCHEMA.items() if key != "$schema"}
        # Not strict: strict mode accepts only a subset of JSON Schema; validate_spec checks the rest.
        return {
            "type": "json_schema",
            "json_schema": {"name": "video_spec", "schema": schema, "strict": False},
        }
    return {"type": "json_object"}


def _request_fields(request: PlanRequest) -> dict[str, Any]:
    return {
        "prompt": request.prompt,
        "duration": request.duration,
        "aspect_ratio": request.aspect_ratio,
        "template": request.template,
        "seed": request.seed,
        **({"script": request.script} if request.script else {}),
    }


def _spec_from_reply(content: str, finish_reason: str, request: PlanRequest) -> dict[str, Any]:
    if finish_reason == "length":
        raise InvalidReply("it was cut off before the end; keep descriptions shorter")
    try:
        reply = json.loads(content)
    except ValueError as exc:
        raise InvalidReply(f"it is not valid JSON ({exc})") from None
    if not isinstance(reply, dict):
        raise InvalidReply("it is not a JSON object")
    scenes = reply.get("scenes")
    if not isinstance(scenes, list) or not all(isinstance(scene, dict) for scene in scenes):
        raise InvalidReply("scenes must be a list of objects")
    width, height = SIZES[request.aspect_ratio]
    fixed = {
        "version": 1,
        "prompt": request.prompt,
        "duration": request.duration,
        "fps": FPS,
        "aspect_ratio": request.aspect_ratio,
        "width": width,
        "height": height,
        "seed": request.seed,
    }
    # The narration and subtitles blocks come from the plan phase, never from the model.
    spec = {key: value for key, value in {**reply, **fixed}.items() if key not in ("narration", "subtitles")}
    if request.template:
        spec["template"] = request.template
    if MIN_SCENES <= len(scenes) <= MAX_SCENES:
        frames = split_frames(request.duration * FPS, [_scene_weight(scene) for scene in scenes])
        spec["scenes"] = [
            _with_known_elements({**scene, "frames": count, "duration": frames_to_seconds(count)})
            for scene, count in zip(scenes, frames, strict=True)
        ]
    try:
        return validate_spec(spec)
    except ValidationException as exc:
        raise InvalidReply(str(exc)) from None


def _with_known_elements(scene: dict[str, Any]) -> dict[str, Any]:
    """The model's elements, with pictures the icon library has (the offline renderer and the
    review page draw them from it); none are kept without the library or without a list."""
    elements = scene.pop("elements", None)
    if isinstance(elements, list) and all(isinstance(e, dict) for e in elements):
        try:
            kept = known_elements(elements)[:MAX_ELEMENTS]
        except IconLibraryMissing:
            kept = []
        if kept:
            scene["elements"] = kept
    return scene


def _scene_weight(scene: dict[str, Any]) -> float:
    """The model's scene length, as a share of the whole; equal shares when it gave none."""
    duration = scene.get("duration")
    if isinstance(duration, int | float) and not isinstance(duration, bool) and duration > 0:
        return float(duration)
    return 1.0


class OpenAISpeech:
    """OpenAI's text to speech (`/v1/audio/speech`), through the same client and base URL
    as the planner, so an OpenAI-compatible server that speaks serves both."""

    name = PROVIDER

    def __init__(self) -> None:
        self._client = _client("OpenAI speech")

    def synthesize(
        self, text: str, *, voice: str, language: str, rate: float, out_path: Path, meter: CostMeter
    ) -> str:
        model = settings.OPENAI_SPEECH_MODEL
        chosen = voice or settings.OPENAI_SPEECH_VOICE
        hundreds = math.ceil(len(text) / 100)
        meter.charge(
            provider=PROVIDER,
            model=model,
            unit_usd=COST_OPENAI_SPEECH_PER_1K_CHARS,
            units=Decimal(hundreds) / 10,
        )
        audio = with_retries(partial(self._speak, model, chosen, text, rate), policy=retry_policy())
        partial_path = Path(out_path).with_name(Path(out_path).name + ".partial")
        partial_path.write_bytes(audio)
        os.replace(partial_path, out_path)
        logger.info(
            "openai model=%s speech: voice=%s chars=%d bytes=%d", model, chosen, len(text), len(audio)
        )
        return chosen

    def _speak(self, model: str, voice: str, text: str, rate: float) -> bytes:
        with _vendor_errors():
            response = self._client.audio.speech.create(
                model=model,
                voice=voice,  # type: ignore[arg-type]
                input=text,
                response_format="wav",
                speed=rate,
            )
            audio = response.read()
        if len(audio) <= 44:
            raise ProviderError("OpenAI: the speech response has no audio", retryable=True, provider=PROVIDER)
        return audio
