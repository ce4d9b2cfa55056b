"""`manage.py generate` following a queued generation: a progress bar on a terminal, plain
lines anywhere else."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

from tests.conftest import PROJECT_DIR

PROMPT = "A lighthouse on a cliff at dusk, waves below"


def generate(env: dict[str, str], *, terminal: bool) -> tuple[int, str]:
    """Run the command with no worker, so the generation waits until --timeout gives up."""
    command = [sys.executable, "manage.py", "generate", PROMPT, "--duration", "5", "--timeout", "2"]
    if not terminal:
        done = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120)
        return done.returncode, done.stdout + done.stderr
    leader, follower = pty.openpty()
    with subprocess.Popen(
        command, cwd=PROJECT_DIR, env={**env, "TERM": "xterm"}, stdout=follower, stderr=follower
    ) as process:
        os.close(follower)
        output = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closes when the command exits
                break
            if not chunk:
                break
            output += chunk
        process.wait(timeout=120)
    os.close(leader)
    return process.returncode, output.decode(errors="replace")


def test_on_a_terminal_it_draws_a_bar_with_the_status(worker_env, queue):
    code, output = generate(worker_env, terminal=True)
    assert code != 0 and "gave up after 2 s" in output
    assert "Queued" in output and "0%" in output
    assert "━" in output, "rich's bar"


def test_piped_it_prints_lines_and_no_bar(worker_env, queue):
    code, output = generate(worker_env, terminal=False)
    assert code != 0 and "gave up after 2 s" in output
    assert "queued, waiting for a worker" in output
    assert "━" not in output and "\r" not in output
