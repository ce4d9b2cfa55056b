"""Audio read back as samples and levels."""

from __future__ import annotations

import pytest

from media.decode import SILENCE_DBFS, audio_levels
from tests.media.clips import tone_wav


def test_audio_levels_tell_silence_from_a_tone(tmp_path):
    audio = tone_wav(tmp_path / "half.wav", [(1.0, 0.0), (1.0, 0.5)], channels=2)
    silence = audio_levels(audio, start=0, end=1, timeout=30)
    tone = audio_levels(audio, start=1, end=2, timeout=30)
    assert silence == SILENCE_DBFS
    # A sine of amplitude 0.5 has an RMS of 0.5 / sqrt(2): about -9 dBFS.
    assert tone == pytest.approx(-9.03, abs=0.3)
