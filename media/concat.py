"""Joining what is already encoded, by stream copy: chunks into one video, a soundtrack
(encoded here beforehand) onto it, the index moved to the front for streaming."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from media.run import FASTSTART, atomic_output, run_ffmpeg
from toolbox.exceptions import MediaError


def _concat_line(path: Path) -> str:
    text = str(path.resolve())
    if "\n" in text or "\r" in text:
        raise MediaError(f"cannot concatenate a path containing a newline: {text!r}")
    # The concat demuxer reads single-quoted strings; a quote is closed, escaped and reopened.
    return "file '" + text.replace("'", "'\\''") + "'\n"


@contextmanager
def _concat_list(paths: list[Path], folder: Path) -> Iterator[str]:
    """A concat demuxer list of `paths`, written in `folder` and removed afterwards."""
    if not paths:
        raise MediaError("joining needs at least one clip")
    with tempfile.NamedTemporaryFile(
        "w", suffix=".txt", prefix=".concat-", dir=folder, encoding="utf-8", delete=False
    ) as listing:
        listing.writelines(_concat_line(Path(p)) for p in paths)
    try:
        yield listing.name
    finally:
        os.unlink(listing.name)


def concat_copy(paths: list[Path], out_path: Path, *, timeout: float) -> None:
    out_path = Path(out_path)
    with _concat_list(paths, out_path.parent) as listing, atomic_output(out_path) as partial:
        concat = ["-f", "concat", "-safe", "0", "-i", listing, "-map", "0", "-c", "copy", *FASTSTART]
        run_ffmpeg([*concat, str(partial)], timeout=timeout)


AAC = ["-c:a", "aac", "-profile:a", "aac_low", "-ar", "48000", "-ac", "2", "-b:a", "192k"]


def encode_aac(audio: Path, out_path: Path, *, seconds: float, timeout: float) -> None:
    """`audio` as an AAC-LC .m4a exactly `seconds` long (cut, or padded with silence): a
    soundtrack made before its video, for `stitch`."""
    with atomic_output(out_path) as partial:
        run_ffmpeg(
            ["-i", str(audio), "-map", "0:a:0", "-af", "apad", *AAC, "-t", f"{seconds:.6f}", str(partial)],
            timeout=timeout,
        )


def stitch(
    clips: list[Path], soundtrack: Path, stitched_path: Path, refined_path: Path, *, timeout: float
) -> None:
    """The clips joined as they are (`stitched_path`) and with an already encoded soundtrack
    of the same length laid on (`refined_path`): both by stream copy, index first, in one
    ffmpeg run (every run costs a start-up of about 60 ms before it reads a byte)."""
    stitched_path, refined_path = Path(stitched_path), Path(refined_path)
    with (
        _concat_list(clips, stitched_path.parent) as listing,
        atomic_output(stitched_path) as stitched,
        atomic_output(refined_path) as refined,
    ):
        inputs = ["-f", "concat", "-safe", "0", "-i", listing, "-i", str(soundtrack)]
        video_only = ["-map", "0:v:0", "-c", "copy", *FASTSTART, str(stitched)]
        with_soundtrack = ["-map", "0:v:0", "-map", "1:a:0", "-c", "copy", *FASTSTART, str(refined)]
        run_ffmpeg([*inputs, *video_only, *with_soundtrack], timeout=timeout)
