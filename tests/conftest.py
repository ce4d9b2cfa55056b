"""Shared fixtures: a clean Redis queue, real RQ worker processes, users, stored files in a
folder of the test's own."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import uuid4

import django_rq
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from rq import SimpleWorker

PROJECT_DIR = Path(__file__).resolve().parent.parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under `pytest -n N --dist loadgroup`, one xdist worker runs every browser test in
    turn: each drives Chromium against a live server, most with an RQ worker making a video
    too, and two at once on a small machine starve each other past their page timeouts. The
    other workers take the rest meanwhile. (Before xdist's own hook, which reads the mark.)"""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture
def queue():
    """The test queue on the real Redis, emptied before and after the test."""
    rq_queue = django_rq.get_queue("default")
    rq_queue.connection.flushdb()
    yield rq_queue
    rq_queue.connection.flushdb()


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"])
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker_env(transactional_db) -> dict[str, str]:
    """Environment for a subprocess that must see this test's database and queue."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="videogen.settings_test",
        DATABASE_URL=_database_url(),
        TEST_REDIS_URL=settings.REDIS_URL,
        TEST_MEDIA_ROOT=str(settings.MEDIA_ROOT),
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture
def run_burst_worker(worker_env, queue) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run a real `manage.py rqworker --burst` on the pipeline's (default) and the webhooks'
    queues until both are empty."""

    def run(timeout: float = 300) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "manage.py", "rqworker", "--burst", "default", settings.WEBHOOK_QUEUE],
            cwd=PROJECT_DIR,
            env=worker_env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result

    return run


@pytest.fixture
def work_queue(queue, transactional_db) -> Callable[..., None]:
    """Run the jobs on the test queues (pipeline and webhooks) in this process, one at a time with RQ's own
    SimpleWorker in burst mode, until the queue is empty (jobs the jobs enqueue included) or
    `until()` holds; what is left stays queued for the next call.

    The jobs go through Redis as in production (their ids, timeouts, the enqueue that waits
    for the transaction to commit) yet run where the test can see what it changed, such as
    a phase registered at run time."""

    queues = [queue, django_rq.get_queue(settings.WEBHOOK_QUEUE)]

    def work(until: Callable[[], bool] | None = None) -> None:
        worker = SimpleWorker(queues, connection=queue.connection)
        while any(each.count for each in queues) and not (until is not None and until()):
            worker.work(burst=True, max_jobs=1, logging_level="WARNING")

    return work


@pytest.fixture
def make_video(work_queue) -> Callable[..., Any]:
    """Create a generation through the service and work the queue until it is done."""
    from generations import services
    from phases.request import GenerationRequest

    def make(user: Any, prompt: str, **options: Any) -> Any:
        generation = services.generation_create(
            user=user, request=GenerationRequest(prompt=prompt, **options)
        )
        work_queue()
        generation.refresh_from_db()
        return generation

    return make


@pytest.fixture(scope="session")
def fake_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The fake OpenAI and Replicate on 127.0.0.1, for the whole session."""
    from tests.providers.fake_http import running_fake_services

    with running_fake_services(tmp_path_factory.mktemp("fake-assets")) as fake:
        yield fake


@pytest.fixture
def fake(fake_services: Any, settings) -> Iterator[Any]:
    """The fake services, reset, with every capability a paid remote provider pointed at them
    (for jobs run in this process: the providers are built again around the test)."""
    from tests.providers.fake_services import clear_providers, use_fake_services

    fake_services.reset()
    use_fake_services(settings, fake_services)
    clear_providers()
    yield fake_services
    clear_providers()


@pytest.fixture
def media_root(settings, tmp_path: Path) -> Path:
    """MEDIA_ROOT and the default (local) storage in an empty folder of this test's own, which
    worker subprocesses started with `worker_env` use too; returns the folder."""
    folder = tmp_path / "media"
    folder.mkdir()
    settings.MEDIA_ROOT = folder
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(folder), "base_url": settings.MEDIA_URL, "allow_overwrite": True},
        },
    }
    return folder


@pytest.fixture
def alice(db):
    return get_user_model().objects.create_user("alice", "alice@example.com", "alice-password-1")


@pytest.fixture
def bob(db):
    return get_user_model().objects.create_user("bob", "bob@example.com", "bob-password-1")


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_superuser("operator", "ops@example.com", "operator-password-1")


@pytest.fixture
def registered() -> Iterator[Callable[..., None]]:
    """Providers a test registers are unregistered after it."""
    from providers import registry

    added: list[tuple[str, str]] = []

    def register(capability: str, name: str, target: Any, **options: Any) -> None:
        registry.register(capability, name, target, **options)
        added.append((capability, name))

    yield register
    for capability, name in added:
        registry.unregister(capability, name)
    registry.forget()


@pytest.fixture(autouse=True)
def fresh_rate_counts(settings) -> None:
    """Rate counts (work started, password attempts) live in Redis and outlast a test, and
    user ids repeat from one run to the next: a key prefix of its own gives each test an
    empty history."""
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {**settings.CACHES["throttle"], "KEY_PREFIX": f"test-throttle-{uuid4().hex}"},
    }


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts with an empty local cache (ETA rates, throttle counts)."""
    from django.core.cache import caches

    caches["default"].clear()
