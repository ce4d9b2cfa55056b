"""Choosing a provider per capability: settings at start-up, the registry at run time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from PIL import Image
from rq import SimpleWorker

from generations import services
from generations.models import Status
from phases.request import GenerationRequest
from providers import registry
from providers.costs import CostMeter
from tests.conftest import PROJECT_DIR
from tests.providers.fake_services import FakeServices, clear_providers

PROVIDER_ENV = (
    "PLANNER_PROVIDER",
    "IMAGE_PROVIDER",
    "VIDEO_PROVIDER",
    "MUSIC_PROVIDER",
    "OPENAI_API_KEY",
    "REPLICATE_API_TOKEN",
)


def start(extra_env: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter after Django starts with `extra_env`."""
    # Empty rather than absent, so a developer's .env cannot fill them in.
    env = {**os.environ, **dict.fromkeys(PROVIDER_ENV, ""), **extra_env}
    env["DJANGO_SETTINGS_MODULE"] = "videogen.settings_test"
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


CHOICES = (
    "from providers.registry import chosen; import json; "
    "print(json.dumps([chosen(c) for c in ('planner', 'image', 'video', 'music')]))"
)


def test_without_keys_every_capability_is_local_and_no_vendor_sdk_is_loaded():
    code = (
        "import sys, json; from providers.registry import active_providers; "
        "print(json.dumps([active_providers(), 'openai' in sys.modules, 'replicate' in sys.modules]))"
    )
    result = start({}, code)
    assert result.returncode == 0, result.stderr[-2000:]
    providers, openai_loaded, replicate_loaded = json.loads(result.stdout.splitlines()[-1])
    assert providers == {
        "planner": "local",
        "image": "local",
        "video": "local",
        "music": "local",
        "speech": "local",
    }
    assert not openai_loaded and not replicate_loaded


def test_auto_picks_the_remote_service_whose_key_is_set_and_local_overrides_it():
    result = start({"REPLICATE_API_TOKEN": "r8_x", "MUSIC_PROVIDER": "local"}, CHOICES)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout) == ["local", "replicate", "replicate", "local"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PLANNER_PROVIDER": "openai"}, "PLANNER_PROVIDER=openai needs OPENAI_API_KEY to be set"),
        ({"VIDEO_PROVIDER": "replicate"}, "VIDEO_PROVIDER=replicate needs REPLICATE_API_TOKEN to be set"),
        ({"IMAGE_PROVIDER": "openai"}, "IMAGE_PROVIDER must be local, replicate or auto, got 'openai'"),
    ],
)
def test_a_remote_choice_that_cannot_work_stops_start_up_with_a_clear_message(env, message):
    result = start(env, CHOICES)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_the_registry_serves_the_remote_adapters_and_health_names_them(fake: FakeServices):
    assert registry.active_providers() == {
        "planner": "openai",
        "image": "replicate",
        "video": "replicate",
        "music": "replicate",
        "speech": "local",
    }


def test_a_remote_adapter_without_its_key_refuses_to_be_built(fake: FakeServices, settings):
    settings.OPENAI_API_KEY = ""
    with pytest.raises(ImproperlyConfigured, match="OPENAI_API_KEY"):
        registry.get_planner()


def test_an_unknown_provider_name_in_settings_is_refused(settings):
    settings.MUSIC_PROVIDER = "soundcloud"
    clear_providers()
    try:
        with pytest.raises(ImproperlyConfigured, match="MUSIC_PROVIDER must be local, replicate or auto"):
            registry.get_music_provider()
    finally:
        clear_providers()


class Sketchbook:
    """A throwaway image provider: flat pictures in one colour, a tenth of a cent each."""

    name = "sketchbook"
    colour = (30, 140, 90)

    def storyboard_frame(self, spec, scene_index, out_path, meter: CostMeter) -> None:
        self._draw((spec["width"] // 4, spec["height"] // 4), out_path, meter)

    def reference_image(self, spec, scene_index, out_path, meter: CostMeter) -> None:
        self._draw((spec["width"], spec["height"]), out_path, meter)

    def _draw(self, size, out_path, meter: CostMeter) -> None:
        meter.charge(provider=self.name, model="pencil", unit_usd=Decimal("0.001"))
        Image.new("RGB", size, self.colour).save(out_path, format="PNG")


@pytest.mark.django_db(transaction=True)
def test_a_new_provider_is_one_class_and_one_registration_and_a_generation_uses_it(
    alice, registered, settings, queue
):
    registered("image", "sketchbook", Sketchbook)
    settings.IMAGE_PROVIDER = "sketchbook"

    generation = services.generation_create(
        user=alice, request=GenerationRequest(prompt="A forest path in the morning", duration=5)
    )
    SimpleWorker([queue], connection=queue.connection).work(burst=True)

    generation.refresh_from_db()
    assert generation.status == Status.COMPLETE, generation.error_message
    scenes = len(generation.spec["scenes"])
    assert set(generation.cost_entries.values_list("provider", "model")) == {("sketchbook", "pencil")}
    assert generation.cost_usd == Decimal("0.001") * 2 * scenes, "one storyboard and one reference a scene"
    reference = default_storage.open(generation.reference_urls["scenes"][0])
    with reference, Image.open(reference) as picture:
        assert picture.getpixel((10, 10)) == Sketchbook.colour


def test_auto_prefers_a_registered_remote_provider_whose_key_is_set(registered, settings):
    registered("music", "jukebox", Sketchbook, key="JUKEBOX_API_KEY")
    settings.MUSIC_PROVIDER = "auto"
    settings.REPLICATE_API_TOKEN = ""
    settings.JUKEBOX_API_KEY = ""
    assert registry.chosen("music") == "local"
    settings.JUKEBOX_API_KEY = "jb-key"
    assert registry.chosen("music") == "jukebox"
    settings.MUSIC_PROVIDER = "jukebox"
    settings.JUKEBOX_API_KEY = ""
    with pytest.raises(ImproperlyConfigured, match="MUSIC_PROVIDER=jukebox needs JUKEBOX_API_KEY to be set"):
        registry.chosen("music")


class Farm:
    """A throwaway remote video provider that remembers what it was asked to stop."""

    name = "farm"
    canceled: list[str] = []

    @classmethod
    def cancel(cls, work_id: str) -> None:
        cls.canceled.append(work_id)


def test_remote_work_is_canceled_by_the_provider_registered_under_the_name_it_was_recorded_with(
    registered,
):
    registered("video", "farm", Farm)
    registry.cancel_remote_work("farm", "job-7")
    assert Farm.canceled == ["job-7"]
    registry.cancel_remote_work("local", "job-8")  # local providers have no remote work: nothing
    assert Farm.canceled == ["job-7"]


def test_the_replicate_adapters_cancel_a_prediction_through_the_registry(fake: FakeServices, settings):
    fake.script("video", "hang")
    video_model = settings.REPLICATE_ZEROSCOPE_MODEL.partition(":")[2]
    prediction = fake.create_prediction(video_model, {"input": {}})
    registry.cancel_remote_work("replicate", prediction["id"])
    assert fake.canceled == [prediction["id"]]
