"""Pictures (subtitles) drawn over a clip we did not draw ourselves, by re-encoding it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from media.encode import x264_args
from media.run import FASTSTART, atomic_output, run_ffmpeg


@dataclass(frozen=True)
class TimedOverlay:
    """An RGBA picture shown at (x, y) from `start` to `end` seconds of a clip."""

    image: Path
    x: int
    y: int
    start: float
    end: float


def burn_overlays(
    src: Path,
    out_path: Path,
    overlays: Sequence[TimedOverlay],
    *,
    fps: int,
    frames: int,
    timeout: float,
) -> None:
    """Re-encode a chunk with pictures (subtitles) drawn over it at their times, with the
    chunk encoder's settings so it still joins the others by stream copy. Only for clips we
    did not draw ourselves: the local renderer draws subtitles into its frames instead."""
    inputs: list[str] = ["-i", str(src)]
    graph: list[str] = []
    last = "0:v"
    for number, overlay in enumerate(overlays, start=1):
        inputs += ["-i", str(overlay.image)]
        # Pictures are RGB; converted with the video's own BT.709 matrix, colours stay true.
        graph.append(
            f"[{number}:v]format=rgba,scale=out_color_matrix=bt709:out_range=tv,format=yuva420p[o{number}]"
        )
        graph.append(
            f"[{last}][o{number}]overlay=x={overlay.x}:y={overlay.y}"
            f":enable='between(t,{overlay.start:.4f},{overlay.end - 0.5 / fps:.4f})'[v{number}]"
        )
        last = f"v{number}"
    with atomic_output(Path(out_path)) as partial:
        run_ffmpeg(
            [
                *inputs,
                *(["-filter_complex", ";".join(graph), "-map", f"[{last}]"] if graph else ["-map", "0:v:0"]),
                *["-an", "-frames:v", str(frames)],
                *x264_args(fps),
                *FASTSTART,
                str(partial),
            ],
            timeout=timeout,
        )
