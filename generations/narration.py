"""Hearing the narration before anything is rendered: each scene's voice while the video
awaits review, and re-voicing it (another voice, language or pace) without leaving review.

The plan phase already voiced the script, and the voice track is stored with the spec, so a
scene's narration is a slice of that track. Re-voicing is media work, so it is a job
(`orchestration.revoice`); it gives the scenes the lengths the new speech needs.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction

from generations import policy
from generations.models import Status, VideoGeneration
from generations.orchestration import dispatch
from generations.review import store_reviewed_spec
from generations.services import InvalidTransition
from media.audio import cut_wav
from phases.request import script_problem
from providers.spec import scene_start_frame, validate_spec
from toolbox.exceptions import ValidationException

logger = logging.getLogger(__name__)


# While a re-voice runs the review screen polls for the new voice; past this it stops
# waiting (a job that died or a voice that could not be fitted leaves the old one in place).
REVOICE_WAIT = timedelta(minutes=2)


@dataclass(frozen=True)
class SceneNarration:
    number: int  # 1-based
    text: str
    start: float  # seconds of the video
    end: float


def scene_narrations(generation: VideoGeneration) -> list[SceneNarration]:
    """What each scene's narrator says and when (empty when the video has no voice yet)."""
    spec = generation.spec or {}
    if not (spec.get("narration") or {}).get("track"):
        return []
    fps = spec["fps"]
    return [
        SceneNarration(
            index + 1,
            scene.get("narration", ""),
            scene_start_frame(spec, index) / fps,
            (scene_start_frame(spec, index) + scene["frames"]) / fps,
        )
        for index, scene in enumerate(spec["scenes"])
    ]


def narration_fingerprint(generation: VideoGeneration) -> str:
    """Changes whenever the voice or the scene lengths do: pages poll until it moves, and
    audio URLs carry it so a browser never plays a cached earlier voice."""
    spec = generation.spec or {}
    heard = {"narration": spec.get("narration"), "frames": [s["frames"] for s in spec.get("scenes", [])]}
    return hashlib.sha256(json.dumps(heard, sort_keys=True).encode()).hexdigest()[:12]


def scene_narration_audio(*, generation: VideoGeneration, scene_number: int) -> bytes | None:
    """The scene's narration as a WAV file, or None when it has none (no voice, no such scene,
    a scene the narrator says nothing over)."""
    scenes = scene_narrations(generation)
    if not 1 <= scene_number <= len(scenes) or not scenes[scene_number - 1].text:
        return None
    scene = scenes[scene_number - 1]
    with default_storage.open(generation.spec["narration"]["track"], "rb") as track:
        return cut_wav(track, scene.start, scene.end)


def generation_revoice(*, video_id: str, voice: str, language: str, speech_rate: float) -> VideoGeneration:
    """Voice the narration of a generation awaiting review again with `voice`, `language` and
    `speech_rate`; a job redoes the speech and refits the scene lengths to it. Repeating it
    voices it again.

    Raises InvalidTransition unless it awaits review, ValidationException when it has no
    narration to voice or the narration would not fit the video at that pace (RequestInvalid
    for options out of range), policy.LimitExceeded when the owner is past their rate."""
    with transaction.atomic():
        generation = VideoGeneration.objects.select_for_update().get(id=video_id)
        if generation.status != Status.AWAITING_REVIEW:
            raise InvalidTransition(generation, Status.AWAITING_REVIEW)
        asked = generation.generation_request
        if not asked.narration or not scene_narrations(generation):
            raise ValidationException("this video has no narration to voice again")
        asked = asked.replace(voice=voice, language=language, speech_rate=speech_rate).validate()
        words = " ".join(scene.text for scene in scene_narrations(generation) if scene.text)
        problem = script_problem(words, generation.duration, speech_rate)
        if problem:
            raise ValidationException(problem.replace("This script", "This narration"))
        policy.admit(user=generation.user, starts_generation=False)
        generation.request = asked.to_dict()
        generation.save(update_fields=["request", "updated_at"])
        dispatch.enqueue_revoice(video_id)
    logger.info(
        "generation=%s re-voicing voice=%r language=%r rate=%s", video_id, voice, language, speech_rate
    )
    return generation


def generation_apply_revoice(*, video_id: str, spec: dict[str, Any]) -> bool:
    """Put the re-voiced plan in place (the re-voice job's last step; the request was admitted
    when it was made). Returns False, changing nothing, when the generation has left review
    meanwhile or the new voice could not be fitted to the video (its narration was left
    out): the reviewer keeps the voice they had. Raises ValidationException for a spec the
    schema refuses."""
    with transaction.atomic():
        generation = VideoGeneration.objects.select_for_update().get(id=video_id)
        if generation.status != Status.AWAITING_REVIEW or not spec.get("narration"):
            return False
        validate_spec(spec)
        store_reviewed_spec(generation=generation, spec=spec)
    return True
