"""The soundtrack from a Replicate music model by name."""

from __future__ import annotations

import wave
from decimal import Decimal

from media.decode import audio_levels
from providers.costs import CostMeter
from providers.replicate import ReplicateMusic
from tests.phases.spec_factory import make_spec
from tests.providers.fake_services import FakeServices


def test_the_soundtrack_is_a_48khz_stereo_wav_of_exactly_the_video_length(fake: FakeServices, tmp_path):
    spec = make_spec(duration=12)  # longer than the 8 s the fake model makes: looped to fit
    meter = CostMeter()
    out = tmp_path / "music.wav"
    ReplicateMusic().compose(spec, out, meter)
    with wave.open(str(out)) as track:
        assert (track.getframerate(), track.getnchannels(), track.getsampwidth()) == (48000, 2, 2)
        assert track.getnframes() == 12 * 48000
    assert audio_levels(out, start=9, end=10, timeout=30) > -30
    [prediction] = fake.created("audio")
    sent = prediction["input"]
    assert (sent["duration"], sent["model_version"], sent["output_format"]) == (12, "stereo-large", "wav")
    assert meter.total == Decimal("0.0371")  # 38 s on an L40S at $0.000975/s


def test_a_soundtrack_longer_than_musicgen_makes_is_asked_for_at_its_longest(fake: FakeServices, tmp_path):
    ReplicateMusic().compose(make_spec(duration=45, scenes=5), tmp_path / "music.wav", CostMeter())
    assert fake.created("audio")[0]["input"]["duration"] == 30
