"""The voice-over: espeak-ng speech, scene lengths fitted to it, the voice track, ducking."""

from __future__ import annotations

import copy
import random
import wave
from pathlib import Path

import numpy as np
import pytest

from media.audio import SAMPLE_RATE, duck_and_mix, voice_envelope, write_wav
from media.decode import decode_audio
from media.speech import espeak_available
from phases.narration import NarrationOptions, fit_scene_frames, narrate
from phases.request import script_problem
from providers.costs import CostMeter
from providers.local.speech import LocalSpeech, espeak_voice
from providers.spec import validate_spec
from tests.phases.spec_factory import make_spec
from toolbox.exceptions import ProviderError, ValidationException

pytestmark = pytest.mark.skipif(not espeak_available(), reason="espeak-ng is not installed")


def rms_db(samples: np.ndarray) -> float:
    return 20 * np.log10(max(float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))), 1e-9))


def test_espeak_speaks_any_text_through_stdin(tmp_path):
    out = tmp_path / "speech.wav"
    voice = LocalSpeech().synthesize(
        '-v xx --help "quoted" 100% \\ [[b]] <b>tags</b> 🚀',
        voice="",
        language="en",
        rate=1.0,
        out_path=out,
        meter=CostMeter(),
    )
    assert voice == "en-us"
    samples = decode_audio(out)
    assert len(samples) / SAMPLE_RATE > 1.0 and rms_db(samples) > -30


def test_espeak_voices_follow_the_language_and_take_variants(tmp_path):
    assert (
        espeak_voice("ja") == "ja" and espeak_voice("zh-Hans") == "cmn" and espeak_voice("en-GB") == "en-gb"
    )
    voice = LocalSpeech().synthesize(
        "مرحبا", voice="+f3", language="ar", rate=1.5, out_path=tmp_path / "a.wav", meter=CostMeter()
    )
    assert voice == "ar+f3"
    with pytest.raises(ProviderError, match="espeak-ng has no voice 'xx-nope'") as caught:
        LocalSpeech().synthesize(
            "hi", voice="xx-nope", language="en", rate=1, out_path=tmp_path / "b.wav", meter=CostMeter()
        )
    assert not caught.value.retryable


def test_a_faster_rate_makes_shorter_speech(tmp_path):
    lengths = []
    for rate in (0.7, 1.5):
        out = tmp_path / f"r{rate}.wav"
        LocalSpeech().synthesize(
            "The tide comes in slowly over the sand.",
            voice="",
            language="en",
            rate=rate,
            out_path=out,
            meter=CostMeter(),
        )
        lengths.append(len(decode_audio(out)))
    assert lengths[1] < 0.7 * lengths[0]


def test_scene_frames_always_add_up_exactly():
    rng = random.Random(9)
    for _ in range(300):
        count = rng.randint(3, 8)
        duration = rng.randint(5, 120)
        total = duration * 30
        planned = [total // count] * count
        planned[0] += total - sum(planned)
        speech = [rng.choice([0.0, rng.uniform(0.3, 2.5 * duration / count)]) for _ in range(count)]
        pads = [0.6] * count
        try:
            frames = fit_scene_frames(total, planned, speech, pads, 30)
        except ValidationException:
            continue
        assert sum(frames) == total and min(frames) >= 15


def test_speech_that_fits_grows_its_scene_and_leaves_others_their_length():
    frames = fit_scene_frames(300, [100, 100, 100], [5.0, 0.0, 1.0], [0.6, 0.6, 0.6], 30)
    assert frames[0] >= 168 and frames[2] >= 48 and sum(frames) == 300
    assert fit_scene_frames(300, [100, 100, 100], [1.0, 1.0, 1.0], [0.6] * 3, 30) == [100, 100, 100]


def test_speech_far_too_long_for_the_video_fails_with_a_reason():
    with pytest.raises(ValidationException, match="shorten the script"):
        fit_scene_frames(150, [50, 50, 50], [8.0, 8.0, 8.0], [0.6] * 3, 30)
    assert script_problem("word " * 400, 5) and script_problem("A short script.", 5) is None


def test_narrate_fits_scenes_to_real_speech_and_lays_the_voice_where_the_cues_are(tmp_path):
    spec = make_spec(duration=6, scenes=3, scene_overrides=[{"frames": 130}, {"frames": 25}])
    spec["scenes"][0]["narration"] = "Short."
    spec["scenes"][1]["narration"] = "A much longer sentence that the narrator needs a few seconds to say."
    spec["scenes"][2]["narration"] = ""
    narrated = narrate(spec, NarrationOptions(burn=True), workdir=tmp_path, meter=CostMeter())
    result = validate_spec(narrated.spec)
    frames = [scene["frames"] for scene in result["scenes"]]
    assert sum(frames) == 180 and frames[1] > 25, "the long narration's scene grew"
    assert result["narration"]["voice"] == "en-us" and result["subtitles"]["burn"] is True
    cues = result["subtitles"]["cues"]
    assert [c["scene"] for c in cues] == [0, 1]
    with wave.open(str(narrated.voice_track)) as track:
        assert track.getframerate() == SAMPLE_RATE and track.getnframes() == 6 * SAMPLE_RATE
    voice = decode_audio(narrated.voice_track)[:, 0]
    for cue in cues:
        window = voice[int(cue["start"] * SAMPLE_RATE) : int(cue["end"] * SAMPLE_RATE)]
        assert rms_db(window) > -30, f"no speech under {cue['text']!r}"
    silent_from = cues[-1]["end"] + 0.05
    assert rms_db(voice[int(silent_from * SAMPLE_RATE) :]) < -60


def test_without_narration_subtitles_are_timed_by_reading_rate_and_no_voice_is_made(tmp_path):
    spec = make_spec(duration=6)
    options = NarrationOptions(enabled=False, script="First words here. Then some more words.")
    narrated = narrate(spec, options, workdir=tmp_path, meter=CostMeter())
    assert narrated.voice_track is None and "narration" not in narrated.spec
    assert [c["text"] for c in validate_spec(narrated.spec)["subtitles"]["cues"]] == [
        "First words here.",
        "Then some more words.",
    ]


def test_everything_off_leaves_the_plan_as_it_was_but_for_the_texts(tmp_path):
    spec = make_spec(duration=6)
    narrated = narrate(
        copy.deepcopy(spec),
        NarrationOptions(enabled=False, subtitles=False),
        workdir=tmp_path,
        meter=CostMeter(),
    )
    assert narrated.voice_track is None and "subtitles" not in narrated.spec
    assert [s["frames"] for s in narrated.spec["scenes"]] == [s["frames"] for s in spec["scenes"]]


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as wav:
        return (
            np.frombuffer(wav.readframes(wav.getnframes()), "<i2").reshape(-1, wav.getnchannels()) / 32768.0
        )


def test_the_music_ducks_under_the_voice_and_comes_back_after(tmp_path: Path):
    seconds = 4
    t = np.arange(seconds * SAMPLE_RATE) / SAMPLE_RATE
    music = np.column_stack([0.3 * np.sin(2 * np.pi * 220 * t)] * 2)
    voice = np.zeros_like(t)
    speaking = (t >= 1.0) & (t < 2.0)
    voice[speaking] = 0.5 * np.sin(2 * np.pi * 150 * t[speaking])
    envelope = voice_envelope(voice)
    assert envelope[int(0.95 * SAMPLE_RATE)] > 0.5, "the music is already going down before the first word"
    assert envelope[int(1.5 * SAMPLE_RATE)] == pytest.approx(1.0)
    assert envelope[int(3.0 * SAMPLE_RATE)] == pytest.approx(0.0)
    music_wav = write_wav(tmp_path / "music.wav", music)
    voice_wav = write_wav(tmp_path / "voice.wav", voice[:, None])
    mixed = read_wav(duck_and_mix(music_wav, voice_wav, tmp_path / "mixed.wav", duck_db=14))
    assert mixed.shape == music.shape
    bed = mixed[:, 0] - read_wav(voice_wav)[:, 0]
    during, after = bed[int(1.2 * SAMPLE_RATE) : int(1.8 * SAMPLE_RATE)], bed[int(3 * SAMPLE_RATE) :]
    assert rms_db(after) - rms_db(during) == pytest.approx(14, abs=0.5)
    assert np.max(np.abs(mixed)) <= 0.98
