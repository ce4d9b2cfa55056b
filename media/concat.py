"""Joining what is already encoded, by stream copy: chunks into one video, a soundtrack
(encoded here beforehand) onto it, the index moved to the front for streaming."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from media.run import FASTSTART, atomic_output, run_ffmpeg
from toolbox.exceptions import MediaError


def _concat_line(path: Path) -> str:
    text = str(path.resolve())
    if "\n" in text or "\r" in text:
        raise MediaError(f"cannot concatenate a path containing a newline: {text!r}")
    # The concat demuxer reads single-quoted strings; a quote is closed, escaped and reopened.
    return "file '" + text.replace("'", "'\\''") + "'\n"


def concat_copy(paths: list[Path], out_path: Path, *, timeout: float) -> None:
    if not paths:
        raise MediaError("concat_copy needs at least one input")
    out_path = Path(out_path)
    with tempfile.NamedTemporaryFile(
        "w", suffix=".txt", prefix=".concat-", dir=out_path.parent, encoding="utf-8", delete=False
    ) as listing:
        listing.writelines(_concat_line(Path(p)) for p in paths)
    concat = ["-f", "concat", "-safe", "0", "-i", listing.name, "-map", "0", "-c", "copy", *FASTSTART]
    try:
        with atomic_output(out_path) as partial:
            run_ffmpeg([*concat, str(partial)], timeout=timeout)
    finally:
        os.unlink(listing.name)


AAC = ["-c:a", "aac", "-profile:a", "aac_low", "-ar", "48000", "-ac", "2", "-b:a", "192k"]


def encode_aac(audio: Path, out_path: Path, *, seconds: float, timeout: float) -> None:
    """`audio` as an AAC-LC .m4a exactly `seconds` long (cut, or padded with silence): a
    soundtrack made before its video, for `mux_copy`."""
    with atomic_output(out_path) as partial:
        run_ffmpeg(
            ["-i", str(audio), "-map", "0:a:0", "-af", "apad", *AAC, "-t", f"{seconds:.6f}", str(partial)],
            timeout=timeout,
        )


def mux_copy(video: Path, audio: Path, out_path: Path, *, timeout: float) -> None:
    """`video`'s stream and an already encoded soundtrack of the same length, both copied."""
    with atomic_output(out_path) as partial:
        run_ffmpeg(
            [
                *["-i", str(video), "-i", str(audio), "-map", "0:v:0", "-map", "1:a:0"],
                *["-c", "copy", *FASTSTART, str(partial)],
            ],
            timeout=timeout,
        )


def remux_faststart(src: Path, out_path: Path, *, timeout: float) -> None:
    with atomic_output(out_path) as partial:
        run_ffmpeg(["-i", str(src), "-map", "0", "-c", "copy", *FASTSTART, str(partial)], timeout=timeout)
