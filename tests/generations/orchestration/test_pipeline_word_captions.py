"""Word-by-word captions through a real worker: the WebVTT file's word timestamps, and the
spoken word highlighted in the frames of the finished video."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from django.core.files.storage import default_storage

from generations import services
from media.speech import espeak_available
from phases.request import GenerationRequest
from providers.local.subtitles import cue_picture
from tests.generations.orchestration.test_pipeline import assert_conforming_video, final_path, frame_at
from tests.phases.subtitle_checks import assert_cues_well_formed, parse_webvtt, parse_word_times

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not espeak_available(), reason="espeak-ng is not installed"),
]

SCRIPT = "Golden light spreads across the quiet harbour. Boats rock gently on the water."
HIGHLIGHT = (255, 212, 0)  # the default highlight colour, #ffd400


def test_the_spoken_word_is_highlighted_in_the_video_and_timed_in_the_webvtt(
    alice, run_burst_worker, django_capture_on_commit_callbacks, tmp_path
):
    with django_capture_on_commit_callbacks(execute=True):
        generation = services.generation_create(
            user=alice,
            request=GenerationRequest(
                prompt="A harbour at sunset with boats on calm water",
                duration=6,
                script=SCRIPT,
                burn_subtitles=True,
                subtitle_style={"mode": "words"},
            ),
        )
    run_burst_worker()
    generation.refresh_from_db()
    assert_conforming_video(generation, tmp_path)

    vtt = Path(default_storage.path(generation.subtitle_urls["vtt"])).read_text(encoding="utf-8")
    assert_cues_well_formed(parse_webvtt(vtt), generation.duration)
    timed = parse_word_times(vtt)
    assert sum(len(times) for _, times in timed) >= 8
    for cue, times in timed:
        assert times == sorted(times) and len(set(times)) == len(times), "word timestamps in order"
        assert all(cue.start < t < cue.end for t in times), "word timestamps inside the cue"

    # A frame in the middle of a long word: that word's letters are in the highlight colour,
    # the other words' letters are white.
    spec = generation.spec
    cue = max(spec["subtitles"]["cues"], key=lambda c: max(w["end"] - w["start"] for w in c["words"]))
    words = cue["words"]
    number = max(range(len(words)), key=lambda k: words[k]["end"] - words[k]["start"])
    word = words[number]
    frame = frame_at(final_path(generation), (word["start"] + word["end"]) / 2, tmp_path)
    said = "".join(w["text"] for w in words[:number])
    style, size = spec["subtitles"]["style"], (spec["width"], spec["height"])
    lit, x, y = cue_picture(cue["text"], style, *size, highlight=word["text"], after=said)
    plain, _, _ = cue_picture(cue["text"], style, *size)
    lit_pixels, plain_pixels = np.asarray(lit, dtype=np.int16), np.asarray(plain, dtype=np.int16)
    solid = lit_pixels[..., 3] == 255
    letters = solid & (np.abs(lit_pixels[..., :3] - HIGHLIGHT).sum(axis=2) < 30)
    others = solid & (plain_pixels[..., :3].min(axis=2) > 240) & ~letters
    assert letters.sum() > 200 and others.sum() > 200
    shown = frame[y : y + lit.height, x : x + lit.width]
    highlighted, white = shown[letters].mean(axis=0), shown[others].mean(axis=0)
    assert highlighted[0] > 200 and highlighted[1] > 160 and highlighted[2] < 90, highlighted
    assert white.min() > 200, white
