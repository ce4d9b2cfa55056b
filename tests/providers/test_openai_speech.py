"""OpenAI speech, through the real `openai` client, against the fake /v1/audio/speech over HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest

from media.audio import SAMPLE_RATE
from media.decode import decode_audio
from phases.narration import NarrationOptions, narrate
from providers import registry
from providers.costs import COST_OPENAI_SPEECH_PER_1K_CHARS, CostMeter
from providers.openai import OpenAISpeech
from providers.spec import validate_spec
from tests.phases.spec_factory import make_spec
from tests.providers.fake_services import FakeServices, clear_providers
from toolbox.exceptions import ProviderError

TEXT = 'The tide "rises": 100% \\ calm. 東京の夜。'


@pytest.fixture
def speech(fake: FakeServices, settings) -> OpenAISpeech:
    settings.SPEECH_PROVIDER = "openai"
    clear_providers()
    provider = registry.get_speech_provider()
    assert isinstance(provider, OpenAISpeech)
    return provider


def test_it_writes_the_speech_the_server_sends_and_charges_per_hundred_characters(speech, fake, tmp_path):
    meter = CostMeter()
    out = tmp_path / "speech.wav"
    voice = speech.synthesize(TEXT, voice="", language="en", rate=1.25, out_path=out, meter=meter)
    assert voice == "alloy"
    [body] = fake.speech_requests
    assert body == {
        "model": "tts-1",
        "voice": "alloy",
        "input": TEXT,
        "response_format": "wav",
        "speed": 1.25,
    }
    samples = decode_audio(out)  # the streamed header's unknown lengths are fine
    assert len(samples) / SAMPLE_RATE > 1.0
    [charge] = meter.charges
    assert (charge.provider, charge.model, charge.units) == ("openai", "tts-1", Decimal("0.1"))
    assert charge.usd == COST_OPENAI_SPEECH_PER_1K_CHARS / 10


def test_a_chosen_voice_and_model_are_sent(speech, fake, settings, tmp_path):
    settings.OPENAI_SPEECH_MODEL = "gpt-4o-mini-tts"
    speech.synthesize(
        "Hello.", voice="nova", language="en", rate=1.0, out_path=tmp_path / "a.wav", meter=CostMeter()
    )
    assert (fake.speech_requests[0]["model"], fake.speech_requests[0]["voice"]) == ("gpt-4o-mini-tts", "nova")


def test_server_errors_are_retried_and_a_bad_key_is_not(speech, fake, settings, tmp_path):
    fake.fault("POST", "/v1/audio/speech", status=500, times=2)
    speech.synthesize(
        "Hello again.", voice="", language="en", rate=1.0, out_path=tmp_path / "a.wav", meter=CostMeter()
    )
    assert fake.count("POST", "/v1/audio/speech") == 3
    settings.OPENAI_API_KEY = "sk-wrong"
    clear_providers()
    with pytest.raises(ProviderError, match="Incorrect API key") as caught:
        registry.get_speech_provider().synthesize(
            "Hi.", voice="", language="en", rate=1.0, out_path=tmp_path / "b.wav", meter=CostMeter()
        )
    assert not caught.value.retryable


def test_narration_through_openai_names_it_in_the_spec(speech, tmp_path):
    spec = make_spec(duration=6)
    for scene in spec["scenes"]:
        scene["narration"] = "Three short words."
    narrated = narrate(spec, NarrationOptions(voice="shimmer"), workdir=tmp_path, meter=CostMeter())
    result = validate_spec(narrated.spec)
    assert result["narration"]["provider"] == "openai" and result["narration"]["voice"] == "shimmer"
    assert len(result["subtitles"]["cues"]) == 3 and narrated.voice_track is not None
