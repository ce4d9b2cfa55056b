"""The production stack's processes for the smoke test: a PostgreSQL database of its own, and
programs started with the commands the Dockerfile and docker-compose.yml give them."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import psycopg
import yaml
from django.conf import settings

from tests.conftest import PROJECT_DIR


def compose_command(service: str) -> list[str]:
    """A docker-compose.yml service's command, runnable here from any working directory."""
    compose = yaml.safe_load((PROJECT_DIR / "docker-compose.yml").read_text())
    words = shlex.split(compose["services"][service]["command"])
    niceness = words[:3] if words[:2] == ["nice", "-n"] else []
    words = words[len(niceness) :]
    assert words[:2] == ["python", "manage.py"], words
    return [*niceness, sys.executable, str(PROJECT_DIR / "manage.py"), *words[2:]]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)


def answers_http(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=5).close()
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


@contextmanager
def postgres_database(name: str) -> Iterator[str]:
    """A new, empty database `name` beside the test database; its URL; dropped afterwards."""
    config = settings.DATABASES["default"]
    params = {
        "host": config["HOST"] or "127.0.0.1",
        "port": config["PORT"] or 5432,
        "user": config["USER"],
        "password": config["PASSWORD"] or None,
        "dbname": config["NAME"],
        "autocommit": True,
    }
    with psycopg.connect(**params) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    credentials = quote(config["USER"] or "") + (
        ":" + quote(config["PASSWORD"]) if config["PASSWORD"] else ""
    )
    try:
        yield f"postgres://{credentials}@{params['host']}:{params['port']}/{name}"
    finally:
        with psycopg.connect(**params) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def running(
    command: list[str], *, env: dict[str, str], cwd: Path, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """A program in its own process group (so its children stop with it), output to `log`."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield process
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def run(command: list[str], *, env: dict[str, str], cwd: Path = PROJECT_DIR) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{command}: {result.stderr[-3000:]}"
    return result.stdout
