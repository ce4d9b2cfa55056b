"""Someone else's clip or soundtrack made to fit our contract: a chunk's exact size, rate and
frame count, or a soundtrack's exact length."""

from __future__ import annotations

from pathlib import Path

from media.encode import x264_args
from media.probe import probe
from media.run import FASTSTART, run_ffmpeg
from toolbox.exceptions import MediaError


def fit_clip(
    src: Path,
    out_path: Path,
    *,
    width: int,
    height: int,
    fps: int,
    frames: int,
    timeout: float,
) -> None:
    """Re-encode someone else's clip as one of our chunks: scaled to fit and padded to
    `width`x`height`, at `fps`, exactly `frames` frames, no audio, encoded like FrameEncoder.

    A clip shorter than the scene is slowed down to fill it (video models make 2-6 s clips);
    a longer one is cut. Held last frames cover any rounding in between."""
    probed = probe(src, timeout=timeout)
    if probed.video is None:
        raise MediaError(f"no video stream in {src}")
    seconds = frames / fps
    stretch = seconds / probed.duration if 0 < probed.duration < seconds else 1.0
    filters = [
        *([f"setpts={stretch:.6f}*PTS"] if stretch > 1 else []),
        f"fps={fps}",
        f"scale={width}:{height}:force_original_aspect_ratio=decrease:force_divisible_by=2"
        ":flags=lanczos:out_color_matrix=bt709:out_range=tv",
        f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:black",
        "setsar=1",
        f"tpad=stop_mode=clone:stop={fps}",
        "format=yuv420p",
    ]
    run_ffmpeg(
        [
            *["-i", str(src), "-map", "0:v:0", "-an", "-sn", "-dn", "-vf", ",".join(filters)],
            *["-frames:v", str(frames)],
            *x264_args(fps),
            *FASTSTART,
            str(out_path),
        ],
        timeout=timeout,
    )


def fit_audio(
    src: Path,
    out_path: Path,
    *,
    seconds: float,
    sample_rate: int = 48000,
    channels: int = 2,
    fade_out: float = 1.5,
    timeout: float,
) -> None:
    """Write `src`'s audio as a 16-bit PCM WAV of exactly `seconds` at `sample_rate` and
    `channels`: looped when shorter (a music model's longest piece can be shorter than the
    video), cut when longer, and faded out at the end so a cut never stops mid-note."""
    samples = round(seconds * sample_rate)
    fade = min(fade_out, seconds / 2)
    filters = [
        f"aresample={sample_rate}",
        f"atrim=end_sample={samples}",
        f"afade=t=out:st={seconds - fade:.6f}:d={fade:.6f}",
    ]
    run_ffmpeg(
        [
            *["-stream_loop", "-1", "-i", str(src), "-map", "0:a:0", "-vn"],
            *["-af", ",".join(filters), "-ar", str(sample_rate), "-ac", str(channels)],
            *["-c:a", "pcm_s16le", str(out_path)],
        ],
        timeout=timeout,
    )
