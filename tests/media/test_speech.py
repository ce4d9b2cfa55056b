"""espeak-ng speaking a text into a WAV."""

from __future__ import annotations

import pytest

from media.decode import audio_levels
from media.probe import probe
from media.speech import espeak_available, speak

pytestmark = pytest.mark.skipif(not espeak_available(), reason="espeak-ng is not installed")


def test_a_text_starting_with_a_dash_is_spoken_not_read_as_an_option(tmp_path):
    speak("-v is not a voice here, just words", tmp_path / "said.wav", voice="en-us", words_per_minute=175)
    assert probe(tmp_path / "said.wav").duration > 1
    assert audio_levels(tmp_path / "said.wav", timeout=30) > -40
    assert not list(tmp_path.glob(".*partial*")), "only the finished file is left"
