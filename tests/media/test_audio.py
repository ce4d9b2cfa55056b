"""The soundtrack's WAV files: a voice track laid clip by clip."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from media.audio import SAMPLE_RATE, write_placed_wav


def read(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getsampwidth()) == (1, SAMPLE_RATE, 2)
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2") / 32767


def test_clips_are_laid_at_their_offsets_on_silence_of_exactly_the_length(tmp_path: Path):
    length = 25 * SAMPLE_RATE  # longer than a block of silence
    first, second = np.full(1000, 0.25, dtype=np.float32), np.full(500, -0.5, dtype=np.float32)
    track = read(
        write_placed_wav(tmp_path / "voice.wav", [(100, first), (21 * SAMPLE_RATE, second)], length, gain=2)
    )
    assert len(track) == length
    assert not track[:100].any() and not track[1100 : 21 * SAMPLE_RATE].any()
    assert np.allclose(track[100:1100], 0.5, atol=1e-4) and np.allclose(track[21 * SAMPLE_RATE :][:500], -1.0)
    assert not track[21 * SAMPLE_RATE + 500 :].any()
    assert not list(tmp_path.glob("*.partial"))


def test_a_later_clip_wins_where_two_meet_and_nothing_runs_past_the_end(tmp_path: Path):
    early, late = np.full(300, 0.2, dtype=np.float32), np.full(300, 0.6, dtype=np.float32)
    track = read(write_placed_wav(tmp_path / "voice.wav", [(0, early), (200, late)], 400, gain=1))
    assert len(track) == 400
    assert np.allclose(track[:200], 0.2, atol=1e-4) and np.allclose(track[200:], 0.6, atol=1e-4)
