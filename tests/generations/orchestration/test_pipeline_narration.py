"""Narration and subtitles end to end: `manage.py generate` with the real phases, espeak-ng,
ffmpeg and storage; then the audio, the subtitle files and the frames are measured."""

from __future__ import annotations

import copy
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command

from generations import services
from generations.models import PhaseRun, VideoGeneration
from media.audio import SAMPLE_RATE
from media.decode import decode_audio
from media.probe import probe
from media.run import run_ffmpeg
from media.speech import espeak_available
from phases.chunks import burn_subtitles
from phases.request import GenerationRequest
from phases.subtitles import cues_from_spec, to_webvtt
from providers.costs import CostMeter
from providers.local.subtitles import PORTRAIT_SAFE, cue_picture
from providers.local.video import LocalVideo
from providers.local.yuv import caption_overlay
from providers.spec import scene_start_frame
from tests.generations.orchestration.test_pipeline import assert_conforming_video, final_path, frame_at
from tests.phases.spec_factory import make_spec
from tests.phases.subtitle_checks import (
    assert_cues_well_formed,
    parse_webvtt,
    tofu_characters,
    uncovered_characters,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not espeak_available(), reason="espeak-ng is not installed"),
]

PROMPT = "A calm ocean at night under the stars. Waves roll onto the beach."
JAPANESE = "東京の夜、雨が静かに降っている。ネオンが光る街を人々が歩く。"
ARABIC = "مدينة في الليل تحت المطر. الأضواء تلمع في الشوارع."


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) + 1e-12


def db(ratio: float) -> float:
    return 20 * np.log10(ratio)


def stored(name: str) -> Path:
    return Path(default_storage.path(name))


def test_generate_narrates_ducks_the_music_and_burns_and_writes_subtitles(queue, tmp_path):
    out = StringIO()
    call_command(
        "generate", PROMPT, "--sync", "--duration", "5", "--voice", "en-us+f3", "--burn-subtitles", stdout=out
    )
    generation = VideoGeneration.objects.get()
    assert_conforming_video(generation, tmp_path)
    spec = generation.spec
    assert generation.request["voice"] == "en-us+f3" and generation.request["burn_subtitles"]
    assert spec["narration"]["voice"] == "en-us+f3" and spec["subtitles"]["burn"]
    assert sum(scene["frames"] for scene in spec["scenes"]) == 150
    assert "A calm ocean at night under the stars." in spec["scenes"][0]["narration"]

    # SRT and WebVTT next to the video, named in the record, the report and the API.
    assert generation.subtitle_urls == {
        "srt": f"final/{generation.id}/subtitles.srt",
        "vtt": f"final/{generation.id}/subtitles.vtt",
    }
    assert "subtitles (vtt)" in out.getvalue()
    cues = parse_webvtt(stored(generation.subtitle_urls["vtt"]).read_text(encoding="utf-8"))
    assert_cues_well_formed(cues, generation.duration)
    assert [c.text for c in cues] == [c.text for c in cues_from_spec(spec)]
    srt = stored(generation.subtitle_urls["srt"]).read_text(encoding="utf-8")
    assert srt.startswith("1\n00:00:00,") and cues[0].text in srt

    # The voice is in the final mix, louder than the music under it, and the music ducks.
    # The left channel of each (a mono downmix would scale the sides by 1/sqrt(2)).
    final = decode_audio(final_path(generation), sample_rate=SAMPLE_RATE, channels=2)[:, 0]
    voice = decode_audio(stored(spec["narration"]["track"]), sample_rate=SAMPLE_RATE)[:, 0]
    music = decode_audio(stored(f"final/{generation.id}/music.wav"), sample_rate=SAMPLE_RATE, channels=2)[
        :, 0
    ]
    length = min(len(final), len(voice), len(music))
    final, voice, music = final[:length], voice[:length], music[:length]
    speaking = np.zeros(length, dtype=bool)
    for cue in cues:
        speaking[int(cue.start * SAMPLE_RATE) : int(cue.end * SAMPLE_RATE)] = True
    # How loud the voice went into the mix (the mix may have been scaled to avoid clipping).
    gain = float(np.dot(final[speaking], voice[speaking]) / np.dot(voice[speaking], voice[speaking]))
    assert 0.5 < gain <= 1.01
    for cue in cues:
        window = slice(int(cue.start * SAMPLE_RATE), int(cue.end * SAMPLE_RATE))
        heard_voice, bed = gain * voice[window], final[window] - gain * voice[window]
        assert db(rms(heard_voice) / rms(bed)) > 10, f"the voice does not stand out under {cue.text!r}"
        assert db(rms(bed) / rms(music[window])) < -8, f"the music is not ducked under {cue.text!r}"
    quiet = ~speaking
    quiet[:SAMPLE_RATE] = False  # the music's fade-in
    if quiet.sum() > SAMPLE_RATE // 4:
        assert db(rms(final[quiet]) / rms(music[quiet])) > -4, "the music comes back between narrations"

    # A burned-in cue is in the frame at its time: compared with the same scene rendered
    # without subtitles, the frames differ where the cue is drawn, and only about there.
    cue = cues_from_spec(spec)[0]
    scene = cue.scene
    at = (cue.start + cue.end) / 2
    burned = frame_at(final_path(generation), at, tmp_path)
    plain_spec = copy.deepcopy(spec)
    plain_spec["subtitles"]["burn"] = False
    plain_clip = tmp_path / "plain.mp4"
    reference = stored(generation.reference_urls["scenes"][scene])
    LocalVideo().render_chunk(plain_spec, scene, reference, plain_clip, CostMeter())
    plain = frame_at(plain_clip, at - scene_start_frame(spec, scene) / spec["fps"], tmp_path)
    picture, x, y = cue_picture(cue.text, spec["subtitles"]["style"], spec["width"], spec["height"])
    box = (slice(y, y + picture.height), slice(x, x + picture.width))
    difference = np.abs(burned - plain).mean(axis=2)
    assert difference[box].mean() > 20, "no subtitle where the cue should be"
    fill = (np.asarray(picture)[..., 3] > 250) & (np.asarray(picture)[..., 0] > 240)
    assert burned[box][fill].mean() > 200, "the subtitle's white letters are not there"
    elsewhere = np.ones(difference.shape, dtype=bool)
    elsewhere[y - 8 : y + picture.height + 8, x - 8 : x + picture.width + 8] = False
    caption = caption_overlay(spec["scenes"][scene]["caption"], spec["width"], spec["height"])
    if caption is not None:  # the plain render has the scene's caption, which burning replaces
        elsewhere[
            caption.top - 8 : caption.top + caption.y.height + 8,
            caption.x - 8 : caption.x + caption.y.width + 8,
        ] = False
    assert difference[elsewhere].mean() < 3


@pytest.fixture
def plan_only(work_queue, queue):
    """Create a generation and run its jobs until it is planned; the rest is dropped."""

    def plan(user, prompt: str, **options) -> VideoGeneration:
        generation = services.generation_create(
            user=user, request=GenerationRequest(prompt=prompt, duration=5, **options)
        )
        work_queue(
            until=lambda: PhaseRun.objects.filter(
                generation=generation, phase="plan", status="succeeded"
            ).exists()
        )
        queue.empty()
        generation.refresh_from_db()
        return generation

    return plan


@pytest.mark.parametrize(("prompt", "language"), [(JAPANESE, "ja"), (ARABIC, "ar")])
def test_japanese_and_arabic_prompts_get_subtitles_without_tofu(alice, plan_only, prompt, language):
    generation = plan_only(alice, prompt, burn_subtitles=True, aspect_ratio="9:16")
    spec = generation.spec
    assert spec["narration"]["language"] == spec["subtitles"]["language"] == language
    cues = parse_webvtt(to_webvtt(cues_from_spec(spec)))
    assert_cues_well_formed(cues, 5)
    text = "".join(cue.text for cue in cues)
    assert any(not c.isascii() for c in text)
    assert uncovered_characters(text) == [], "characters no installed font has"
    assert tofu_characters(text) == [], "characters drawn as .notdef boxes"
    for cue in cues:
        drawn = cue_picture(cue.text, spec["subtitles"]["style"], spec["width"], spec["height"])
        assert drawn is not None
        picture, _x, y = drawn
        # Ink for every character, and inside the 9:16 safe area.
        letters = sum(1 for c in cue.text if not c.isspace())
        assert picture.width >= letters * spec["subtitles"]["style"]["size"] * 0.25
        assert y + picture.height <= spec["height"] * PORTRAIT_SAFE["bottom"] + 1
        assert (
            picture.width
            <= spec["width"] * PORTRAIT_SAFE["width"] + 2 * spec["subtitles"]["style"]["outline"]
        )


def test_subtitles_are_burned_over_a_clip_from_elsewhere_with_one_more_encode(tmp_path):
    spec = make_spec(duration=5)
    spec["subtitles"] = {
        "language": "en",
        "burn": True,
        "style": {
            "font": "sans",
            "size": 80,
            "color": "#ff0000",
            "outline_color": "#000000",
            "outline": 4,
            "position": "center",
        },
        "cues": [{"start": 0.5, "end": 1.2, "text": "Red words", "scene": 0}],
    }
    frames = spec["scenes"][0]["frames"]
    clip = tmp_path / "remote.mp4"
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            "color=c=0x204060:s=1920x1080:r=30",
            "-frames:v",
            str(frames),
            "-pix_fmt",
            "yuv420p",
            str(clip),
        ],
        timeout=60,
    )
    burn_subtitles(clip, spec, 0, tmp_path, timeout=120)
    assert probe(clip).video.frames == frames
    before, during = frame_at(clip, 0.2, tmp_path), frame_at(clip, 0.8, tmp_path)
    centre = (slice(500, 580), slice(760, 1160))
    assert np.abs(before[centre] - during[centre]).mean() > 20
    red = during[centre][(during[centre][..., 0] > 180)]
    assert len(red) and red[..., 1].mean() < 90 and red[..., 2].mean() < 90, "the words are red"
