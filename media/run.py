"""Running ffmpeg, ffprobe and espeak-ng: the package's one door to `subprocess`.

Every call is an argument list (never a shell), has a timeout, and fails with a
`MediaError` that names the command and carries the tail of the tool's stderr, so a
failed phase says why without anyone re-running it by hand.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from toolbox.exceptions import MediaError

FFMPEG = "ffmpeg"
FFPROBE = "ffprobe"
STDERR_TAIL_LINES = 15

FFMPEG_BASE = [FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
FASTSTART = ["-movflags", "+faststart"]


def ffmpeg_available() -> bool:
    return shutil.which(FFMPEG) is not None and shutil.which(FFPROBE) is not None


def _describe(cmd: Sequence[str]) -> str:
    text = shlex.join(cmd)
    return text if len(text) <= 300 else text[:200] + " … " + text[-90:]


def _tail(stderr: bytes | str) -> str:
    if isinstance(stderr, bytes):
        stderr = stderr.decode("utf-8", errors="replace")
    return "\n".join(stderr.strip().splitlines()[-STDERR_TAIL_LINES:])


def command_error(cmd: Sequence[str], problem: str, stderr: bytes | str = b"") -> MediaError:
    """The error for a failed command: the problem, the command line, stderr's last lines."""
    tail = _tail(stderr)
    return MediaError(f"{problem}: {_describe(cmd)}" + (f"\n{tail}" if tail else ""))


def run(cmd: list[str], *, timeout: float, stdin_data: bytes | None = None) -> bytes:
    """Run `cmd` to completion (fed `stdin_data`, if any) and return its stdout."""
    try:
        done = subprocess.run(
            cmd,
            **({"input": stdin_data} if stdin_data is not None else {"stdin": subprocess.DEVNULL}),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise command_error(cmd, f"timed out after {timeout:g}s", exc.stderr or b"") from None
    except OSError as exc:
        raise command_error(cmd, f"could not start ({exc.strerror})") from None
    if done.returncode != 0:
        raise command_error(cmd, f"failed with exit code {done.returncode}", done.stderr)
    return done.stdout


def run_ffmpeg(args: list[str], *, timeout: float) -> bytes:
    """ffmpeg quiet, never prompting, overwriting its output; returns what it wrote to stdout."""
    return run([*FFMPEG_BASE, *args], timeout=timeout)


def partial_path(out_path: Path) -> Path:
    return out_path.with_name(f".{out_path.stem}.partial{out_path.suffix}")


@contextmanager
def atomic_output(out_path: Path) -> Iterator[Path]:
    """The tool writes beside the target, which is replaced only on success: a failed or
    killed run never leaves a truncated file where a finished one is expected."""
    partial = partial_path(Path(out_path))
    try:
        yield partial
        os.replace(partial, out_path)
    finally:
        partial.unlink(missing_ok=True)


def start(cmd: list[str], *, stderr: BinaryIO) -> subprocess.Popen[bytes]:
    """Start `cmd` reading an unbuffered stdin pipe, stdout discarded, stderr to `stderr` (a
    file, never a pipe: one nobody reads could fill up and stall the tool)."""
    try:
        return subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr, bufsize=0
        )
    except OSError as exc:
        raise command_error(cmd, f"could not start ({exc.strerror})") from None
