"""What a media file holds (ffprobe), and a still frame taken out of a video."""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from media.run import FFPROBE, atomic_output, run, run_ffmpeg
from toolbox.exceptions import MediaError


@dataclass(frozen=True)
class VideoStream:
    codec: str
    profile: str
    width: int
    height: int
    fps: float
    pix_fmt: str
    frames: int | None


@dataclass(frozen=True)
class AudioStream:
    codec: str
    sample_rate: int
    channels: int


@dataclass(frozen=True)
class ProbeResult:
    duration: float
    video: VideoStream | None
    audio: AudioStream | None
    size_bytes: int
    bit_rate: int | None


def _rate(text: str | None) -> float:
    try:
        rate = Fraction(text or "0")
    except (ValueError, ZeroDivisionError):
        return 0.0
    return float(rate)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def probe(path: Path, *, timeout: float = 30) -> ProbeResult:
    cmd = [FFPROBE, "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)]
    data = json.loads(run(cmd, timeout=timeout) or b"{}")
    streams = data.get("streams", [])
    fmt = data.get("format", {})
    v = next((s for s in streams if s.get("codec_type") == "video"), None)
    a = next((s for s in streams if s.get("codec_type") == "audio"), None)
    video = None
    if v is not None:
        video = VideoStream(
            codec=v.get("codec_name", ""),
            profile=v.get("profile", ""),
            width=int(v.get("width", 0)),
            height=int(v.get("height", 0)),
            fps=_rate(v.get("avg_frame_rate")) or _rate(v.get("r_frame_rate")),
            pix_fmt=v.get("pix_fmt", ""),
            frames=_int_or_none(v.get("nb_frames")),
        )
    audio = None
    if a is not None:
        audio = AudioStream(
            codec=a.get("codec_name", ""),
            sample_rate=int(a.get("sample_rate", 0)),
            channels=int(a.get("channels", 0)),
        )
    return ProbeResult(
        duration=float(fmt.get("duration", 0.0)),
        video=video,
        audio=audio,
        size_bytes=_int_or_none(fmt.get("size")) or path.stat().st_size,
        bit_rate=_int_or_none(fmt.get("bit_rate")),
    )


def extract_frame(video: Path, at_seconds: float, out_path: Path, *, timeout: float) -> None:
    out_path = Path(out_path)
    suffix = out_path.suffix.lower()
    if suffix not in (".jpg", ".jpeg", ".png"):
        raise ValueError(f"extract_frame writes .jpg or .png, not {suffix!r}")
    quality = ["-q:v", "2"] if suffix != ".png" else []
    # -ss before -i seeks in the demuxer and then decodes up to the exact time (accurate_seek).
    args = ["-ss", f"{max(at_seconds, 0):.6f}", "-i", str(video), "-frames:v", "1", *quality]
    with atomic_output(out_path) as partial:
        run_ffmpeg([*args, "-update", "1", str(partial)], timeout=timeout)
        if not partial.exists():
            raise MediaError(f"no frame at {at_seconds:g}s in {video}")
