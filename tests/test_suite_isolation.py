"""The test suite keeps off development data: whatever REDIS_URL the shell exports (as
`./test.sh` and `./run.sh` do), the suite's queue and its flushes live in a Redis database
of their own."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
import redis

from generations.orchestration.dispatch import get_queue
from tests.conftest import PROJECT_DIR
from tests.deploy.stack import free_port, wait_for

CHILD_TEST = "tests/test_suite_isolation.py::test_the_suites_queue_is_in_the_test_redis_database"


def test_the_suites_queue_is_in_the_test_redis_database(queue):
    """Also run by the test below in a child pytest, against a development Redis of its own."""
    get_queue().enqueue("builtins.len", "work")
    assert queue.count == 1
    expected = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
    assert queue.connection.connection_pool.connection_kwargs["db"] == int(expected.rsplit("/", 1)[1])


@pytest.fixture
def development_redis(tmp_path) -> Iterator[int]:
    """A throwaway redis-server standing in for the developer's, on a free port."""
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: _answers(redis.Redis(port=port)), 10, "the development redis-server to start")
        yield port
    finally:
        server.kill()
        server.wait()


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def test_a_key_in_the_development_database_survives_a_test_run(development_redis):
    development = redis.Redis(port=development_redis, db=0)
    development.set("videogen:sentinel", "still here")
    development.rpush("rq:queue:default", "a-developers-job")
    env = {
        **os.environ,
        "REDIS_URL": f"redis://127.0.0.1:{development_redis}/0",
        "TEST_REDIS_URL": f"redis://127.0.0.1:{development_redis}/5",
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", CHILD_TEST],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout
    assert development.get("videogen:sentinel") == b"still here"
    assert development.lrange("rq:queue:default", 0, -1) == [b"a-developers-job"]


def test_the_test_settings_ignore_the_shells_redis_url():
    env = {key: value for key, value in os.environ.items() if key != "TEST_REDIS_URL"}
    env.update(REDIS_URL="redis://127.0.0.1:6379/0", DJANGO_SETTINGS_MODULE="videogen.settings_test")
    script = (
        "from django.conf import settings; print(settings.REDIS_URL, settings.RQ_QUEUES['default']['URL'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["redis://127.0.0.1:6379/14"] * 2
