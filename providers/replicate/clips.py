"""A scene's clip from one or more model clips, fitted to the scene's exact frame count.

Models make clips of their own length (2 to 10 s, at 8 to 30 fps). A clip a little shorter
than the scene is slowed to fill it; one much shorter is followed by more clips, each
starting where the last one ended when the model takes a first frame. The pieces are
re-encoded to the scene's size, rate and their share of its frames, then joined by stream
copy, so the chunk is exactly what the local renderer would have made.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from media.concat import concat_copy
from media.fit import fit_clip
from media.probe import extract_frame, probe

# A clip is slowed to at most this factor of its length before another clip is asked for.
MAX_SLOWDOWN = 1.5
# At most this many calls for one scene, whatever its length: a bound on the bill.
MAX_PIECES = 6
# Seconds for re-encoding one downloaded piece.
FIT_TIMEOUT = 120


@dataclass(frozen=True)
class Piece:
    path: Path
    seconds: float


def needs_more(pieces: list[Piece], scene_seconds: float) -> bool:
    made = sum(piece.seconds for piece in pieces)
    return made * MAX_SLOWDOWN < scene_seconds and len(pieces) < MAX_PIECES


def last_frame(piece: Piece, out_path: Path) -> Path:
    """The piece's last frame as a JPEG, to start the next piece from."""
    probed = probe(piece.path)
    fps = probed.video.fps if probed.video and probed.video.fps else 24.0
    extract_frame(piece.path, piece.seconds - 1.5 / fps, out_path, timeout=FIT_TIMEOUT)
    return out_path


def shares(frames: int, pieces: list[Piece]) -> list[int]:
    """`frames` split over the pieces in proportion to their lengths, adding up exactly."""
    total = sum(piece.seconds for piece in pieces)
    exact = [frames * piece.seconds / total for piece in pieces]
    counts = [int(share) for share in exact]
    by_remainder = sorted(range(len(pieces)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in by_remainder[: frames - sum(counts)]:
        counts[i] += 1
    return counts


def assemble(pieces: list[Piece], out_path: Path, *, width: int, height: int, fps: int, frames: int) -> None:
    """Write the scene's chunk to `out_path` from its pieces."""
    if len(pieces) == 1:
        fit_clip(
            pieces[0].path, out_path, width=width, height=height, fps=fps, frames=frames, timeout=FIT_TIMEOUT
        )
        return
    fitted = []
    for number, (piece, count) in enumerate(zip(pieces, shares(frames, pieces), strict=True), start=1):
        target = out_path.with_name(f"{out_path.stem}-fit{number}.mp4")
        fit_clip(piece.path, target, width=width, height=height, fps=fps, frames=count, timeout=FIT_TIMEOUT)
        fitted.append(target)
    concat_copy(fitted, out_path, timeout=FIT_TIMEOUT)
    for target in fitted:
        target.unlink(missing_ok=True)
