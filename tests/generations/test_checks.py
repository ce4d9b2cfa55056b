"""The start-up check builds every chosen provider, so a Replicate model we cannot drive stops
any management command (a worker's start included) with the reason."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from tests.providers.fake_services import FakeServices


def test_the_check_passes_with_every_provider_remote_and_reads_each_schema_once(fake: FakeServices):
    call_command("check", "--tag", "providers")
    call_command("check", "--tag", "providers")
    assert sorted(fake.schema_requests) == [
        "anotherjesse/zeroscope-v2-xl",
        "meta/musicgen",
        "stability-ai/sdxl",
    ]


def test_a_video_model_needing_an_input_we_cannot_give_stops_start_up_naming_it(fake: FakeServices, settings):
    fake.add_model("example/frame-interpolator")
    settings.REPLICATE_VIDEO_MODEL = "example/frame-interpolator"
    with pytest.raises(SystemCheckError, match="requires the input 'video', which videogen cannot provide"):
        call_command("check", "--tag", "providers")


def test_a_replicate_that_does_not_answer_is_only_a_warning(fake: FakeServices, capsys):
    fake.fault("GET", "/v1/models/", status=401, times=10)
    call_command("check", "--tag", "providers")
    assert "providers.W001" in capsys.readouterr().err
