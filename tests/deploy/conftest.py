"""What the production tests share: static files built by the Dockerfile's own step, and the
environment of a process running with production settings."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import PROJECT_DIR
from tests.deploy.dockerfile import collectstatic_step

PRODUCTION_SECRET_KEY = "production-test-" + "s" * 50


def production_env(**extra: str) -> dict[str, str]:
    """The environment of a process started with production settings (videogen.settings,
    not the test settings), on this test run's Redis database and offline providers."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env.update(
        ENVIRONMENT="production",
        SECRET_KEY=PRODUCTION_SECRET_KEY,
        REDIS_URL=settings.REDIS_URL,
        PYTHONUNBUFFERED="1",
        **{
            f"{capability}_PROVIDER": "local"
            for capability in ("PLANNER", "IMAGE", "VIDEO", "MUSIC", "SPEECH")
        },
    )
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def production_static(tmp_path_factory) -> Path:
    """Static files collected exactly as the image's build step does, into a folder of their own."""
    static_root = tmp_path_factory.mktemp("staticfiles")
    step_env, command = collectstatic_step()
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env.update(step_env, STATIC_ROOT=str(static_root))
    result = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (static_root / "staticfiles.json").is_file(), "no manifest: not collected with production settings"
    return static_root
