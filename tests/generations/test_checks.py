"""The start-up check builds every chosen provider, so a Replicate model we cannot drive stops
any management command (a worker's start included) with the reason."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from tests.providers.fake_services import (
    FakeServices,
    clear_providers,
    running_fake_services,
    use_fake_services,
)


@pytest.fixture(scope="module")
def fake_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeServices]:
    with running_fake_services(tmp_path_factory.mktemp("fake-assets")) as fake:
        yield fake


@pytest.fixture
def remote(fake_services: FakeServices, settings) -> Iterator[FakeServices]:
    fake_services.reset()
    use_fake_services(settings, fake_services)
    clear_providers()
    yield fake_services
    clear_providers()


def test_the_check_passes_with_every_provider_remote_and_reads_each_schema_once(remote: FakeServices):
    call_command("check", "--tag", "providers")
    call_command("check", "--tag", "providers")
    assert sorted(remote.schema_requests) == [
        "anotherjesse/zeroscope-v2-xl",
        "meta/musicgen",
        "stability-ai/sdxl",
    ]


def test_a_video_model_needing_an_input_we_cannot_give_stops_start_up_naming_it(
    remote: FakeServices, settings
):
    remote.add_model("example/frame-interpolator")
    settings.REPLICATE_VIDEO_MODEL = "example/frame-interpolator"
    with pytest.raises(SystemCheckError, match="requires the input 'video', which videogen cannot provide"):
        call_command("check", "--tag", "providers")


def test_a_replicate_that_does_not_answer_is_only_a_warning(remote: FakeServices, capsys):
    remote.fault("GET", "/v1/models/", status=401, times=10)
    call_command("check", "--tag", "providers")
    assert "providers.W001" in capsys.readouterr().err
