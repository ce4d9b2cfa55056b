"""Choosing a provider per capability: settings at start-up, the registry at run time."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from providers import registry
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
    "from django.conf import settings; import json; "
    "print(json.dumps([settings.PLANNER_PROVIDER, settings.IMAGE_PROVIDER, "
    "settings.VIDEO_PROVIDER, settings.MUSIC_PROVIDER]))"
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
        with pytest.raises(ImproperlyConfigured, match="MUSIC_PROVIDER must be local or replicate"):
            registry.get_music_provider()
    finally:
        clear_providers()
