"""The re-voice job: the narration of a generation awaiting review spoken again with the
voice, language and pace now on its record, and the scenes refitted to the new speech."""

from __future__ import annotations

import dataclasses
import logging
import tempfile
from pathlib import Path

from django.conf import settings

from generations import narration
from generations.models import Status, VideoGeneration
from phases.narration import NarrationOptions, narrate
from phases.storage import FINAL_PREFIX, artifact_name, store_file
from providers.costs import CostMeter

logger = logging.getLogger(__name__)


def revoice(video_id: str) -> None:
    generation = VideoGeneration.objects.filter(id=video_id, status=Status.AWAITING_REVIEW).first()
    if generation is None or not generation.spec:
        return
    # Each scene keeps the words it has (the script was handed out over the scenes when the
    # plan was made, and the reviewer may have edited them since): only the voice changes.
    options = dataclasses.replace(NarrationOptions.from_request(generation.generation_request), script="")
    with tempfile.TemporaryDirectory(prefix=f"videogen-{video_id}-revoice-", dir=settings.WORK_ROOT) as name:
        narrated = narrate(generation.spec, options, workdir=Path(name), meter=CostMeter())
        spec = narrated.spec
        if narrated.voice_track is not None:
            spec["narration"]["track"] = store_file(
                narrated.voice_track, artifact_name(FINAL_PREFIX, video_id, "narration.wav")
            )
    if not narration.generation_apply_revoice(video_id=video_id, spec=spec):
        logger.warning("generation=%s re-voice discarded: left review, or the voice did not fit", video_id)
