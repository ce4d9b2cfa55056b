"""The image's own recipe, read from the Dockerfile, so tests run exactly what it runs."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

from tests.conftest import PROJECT_DIR

DOCKERFILE = PROJECT_DIR / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per logical line, continuation lines joined."""
    joined = DOCKERFILE.read_text().replace("\\\n", " ")
    instructions = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def collectstatic_step() -> tuple[dict[str, str], list[str]]:
    """The RUN line that collects static files: its leading VAR=value words and its command."""
    for keyword, arguments in _instructions():
        if keyword == "RUN" and "collectstatic" in arguments:
            words = shlex.split(arguments)
            env = {}
            while words and "=" in words[0] and not words[0].startswith("-"):
                name, _, value = words.pop(0).partition("=")
                env[name] = value
            return env, local_program(words)
    raise AssertionError("the Dockerfile has no collectstatic step")


def local_program(words: list[str]) -> list[str]:
    """The same command with its program taken from this interpreter's environment (the
    image has one Python; this machine may have several)."""
    installed = Path(sys.executable).with_name(words[0])
    return [str(installed), *words[1:]] if installed.exists() else words


def command() -> list[str]:
    """The image's CMD, in its exec (JSON) form."""
    commands = [arguments for keyword, arguments in _instructions() if keyword == "CMD"]
    assert len(commands) == 1, "the Dockerfile needs exactly one CMD"
    return local_program(json.loads(commands[0]))


def environment() -> dict[str, str]:
    """The image's ENV settings."""
    env: dict[str, str] = {}
    for keyword, arguments in _instructions():
        if keyword == "ENV":
            env.update(word.split("=", 1) for word in shlex.split(arguments))
    return env
