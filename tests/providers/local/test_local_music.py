"""The local music provider: a real, deterministic track of exactly the spec's length."""

from __future__ import annotations

import time
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from providers.base import PlanRequest
from providers.costs import CostMeter
from providers.local.music import SAMPLE_RATE, LocalMusic, synthesize
from providers.local.planner import LocalPlanner
from providers.spec import MUSIC_MOODS


def make_spec(duration: int = 7, mood: str = "calm", tempo: int = 96, seed: int = 0) -> dict[str, Any]:
    spec = LocalPlanner().plan(
        PlanRequest(prompt="A calm ocean at night", duration=duration, seed=seed), CostMeter()
    )
    return {**spec, "music": {"mood": mood, "tempo": tempo}}


def compose(spec: dict[str, Any], tmp_path: Path) -> Path:
    out_path = tmp_path / "music.wav"
    LocalMusic().compose(spec, out_path, CostMeter())
    return out_path


def read(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as wav:
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, wav.getnchannels())


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean((samples / 32768.0) ** 2)))


@pytest.mark.parametrize("duration", [5, 7, 31])
def test_it_writes_a_48khz_stereo_16_bit_wav_of_exactly_the_spec_duration(
    tmp_path: Path, duration: int
) -> None:
    with wave.open(str(compose(make_spec(duration), tmp_path)), "rb") as wav:
        assert wav.getframerate() == 48_000
        assert wav.getnchannels() == 2
        assert wav.getsampwidth() == 2
        assert wav.getnframes() == duration * 48_000


@pytest.mark.parametrize("mood", MUSIC_MOODS)
def test_it_is_clearly_audible_and_never_clips(tmp_path: Path, mood: str) -> None:
    samples = read(compose(make_spec(mood=mood), tmp_path))
    assert rms(samples) > 0.05
    peak_dbfs = 20 * np.log10(np.abs(samples.astype(np.int32)).max() / 32767)
    assert -3.2 < peak_dbfs < -2.8


def test_it_fades_in_and_out(tmp_path: Path) -> None:
    samples = read(compose(make_spec(mood="upbeat"), tmp_path))
    middle = rms(samples[len(samples) // 2 - SAMPLE_RATE : len(samples) // 2 + SAMPLE_RATE])
    assert np.abs(samples[0]).max() == 0
    assert rms(samples[: SAMPLE_RATE // 20]) < middle / 20
    assert rms(samples[-SAMPLE_RATE // 20 :]) < middle / 20


def test_it_has_some_stereo_width(tmp_path: Path) -> None:
    samples = read(compose(make_spec(), tmp_path)).astype(float)
    assert 0.5 < np.corrcoef(samples[:, 0], samples[:, 1])[0, 1] < 0.99


def test_it_writes_the_same_file_for_the_same_spec(tmp_path: Path) -> None:
    first = compose(make_spec(), tmp_path).read_bytes()
    assert compose(make_spec(), tmp_path).read_bytes() == first


def test_it_varies_the_melody_with_the_seed() -> None:
    assert not np.allclose(synthesize(make_spec(seed=1)), synthesize(make_spec(seed=2)))


@pytest.mark.parametrize("mood", [m for m in MUSIC_MOODS if m != "calm"])
def test_each_mood_sounds_different_from_calm(mood: str) -> None:
    calm, other = synthesize(make_spec(mood="calm")), synthesize(make_spec(mood=mood))
    assert abs(np.corrcoef(calm[:, 0], other[:, 0])[0, 1]) < 0.5


def onset_strength(track: np.ndarray, lag_seconds: float) -> float:
    """How alike the loudness envelope is to itself `lag_seconds` later (1 is a perfect repeat)."""
    envelope = np.abs(track[:, 0]).reshape(-1, SAMPLE_RATE // 1000).max(axis=1)  # one value per ms
    envelope = envelope - envelope.mean()
    lag = round(lag_seconds * 1000)
    return float(np.dot(envelope[:-lag], envelope[lag:]) / np.dot(envelope, envelope))


@pytest.mark.parametrize("tempo", [90, 128])
def test_an_upbeat_track_pulses_at_its_tempo(tempo: int) -> None:
    track = synthesize(make_spec(duration=20, mood="upbeat", tempo=tempo))
    beat = 60 / tempo
    assert onset_strength(track, beat) > onset_strength(track, 1.37 * beat) + 0.1


def test_a_calm_track_has_no_kick_drum() -> None:
    calm, upbeat = synthesize(make_spec(mood="calm")), synthesize(make_spec(mood="upbeat"))

    def low_share(track: np.ndarray) -> float:
        spectrum = np.abs(np.fft.rfft(track[:, 0])) ** 2
        frequencies = np.fft.rfftfreq(len(track), 1 / SAMPLE_RATE)
        return float(spectrum[frequencies < 70].sum() / spectrum.sum())

    assert low_share(calm) < low_share(upbeat) / 2


def test_it_never_charges_the_meter(tmp_path: Path) -> None:
    meter = CostMeter()
    LocalMusic().compose(make_spec(), tmp_path / "music.wav", meter)
    assert meter.charges == []


def test_it_leaves_only_the_finished_file_behind(tmp_path: Path) -> None:
    compose(make_spec(), tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["music.wav"]


def test_it_makes_a_two_minute_track_quickly() -> None:
    spec = make_spec(duration=120, mood="dramatic", tempo=180)
    started = time.perf_counter()
    track = synthesize(spec)
    # Takes well under a second; the bound is loose for busy CI machines, yet a per-sample
    # Python loop would take minutes and fail it.
    assert time.perf_counter() - started < 5
    assert track.shape == (120 * SAMPLE_RATE, 2)


def test_a_track_written_in_blocks_is_the_track_made_whole(tmp_path: Path) -> None:
    # 25 s: two whole blocks and a part, with chords, echoes and drum hits across the seams.
    spec = make_spec(duration=25, mood="upbeat", tempo=128)
    whole = np.round(synthesize(spec) * 32767)
    assert np.max(np.abs(read(compose(spec, tmp_path)) - whole)) <= 1  # float32 scaling: one step at most
