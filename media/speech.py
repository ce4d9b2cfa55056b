"""Offline speech: espeak-ng speaking a text into a WAV."""

from __future__ import annotations

import shutil
from pathlib import Path

from media.run import atomic_output, command_error, run

ESPEAK = "espeak-ng"


def espeak_available() -> bool:
    return shutil.which(ESPEAK) is not None


def speak(text: str, out_path: Path, *, voice: str, words_per_minute: int, timeout: float = 60) -> None:
    """Speak `text` with espeak-ng into a WAV. The text goes in on stdin as UTF-8, never as an
    argument, so a script starting with "-" is words, not an option."""
    with atomic_output(Path(out_path)) as partial:
        cmd = [ESPEAK, "-v", voice, "-s", str(words_per_minute), "-b", "1", "-w", str(partial), "--stdin"]
        run(cmd, timeout=timeout, stdin_data=text.encode("utf-8"))
        if not partial.exists() or partial.stat().st_size <= 44:
            raise command_error(cmd, "wrote no audio")
