"""The worker command people type, `manage.py rqworker` with no queue named, makes videos:
the app enqueues on the queue it serves."""

from __future__ import annotations

import subprocess
import sys

import pytest

from generations import services
from generations.models import Status
from phases.request import GenerationRequest
from tests.conftest import PROJECT_DIR

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_a_bare_rqworker_takes_a_generation_from_queued_to_complete(
    alice, worker_env, queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        generation = services.generation_create(
            user=alice,
            request=GenerationRequest(
                prompt="A paper boat drifting down a rainy street", duration=5, resolution="240p"
            ),
        )
    assert queue.count == 1
    result = subprocess.run(
        [sys.executable, "manage.py", "rqworker", "--burst"],
        cwd=PROJECT_DIR,
        env=worker_env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETE, generation.error_message
