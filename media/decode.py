"""Any audio decoded to float samples, and how loud a stretch of it is."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from media.run import run_ffmpeg
from toolbox.exceptions import MediaError

SILENCE_DBFS = -120.0
_F32_TO_STDOUT = ["-f", "f32le", "-acodec", "pcm_f32le", "pipe:1"]


def decode_audio(
    path: Path, *, sample_rate: int = 48000, channels: int = 1, tempo: float = 1.0, timeout: float = 60
) -> np.ndarray:
    """Any audio file as float32 samples of shape (n, channels), resampled, and sped up by
    `tempo` (pitch kept: ffmpeg's atempo) when it is not 1."""
    filters = [f"atempo={tempo:.6f}"] if abs(tempo - 1.0) > 1e-6 else []
    args = [
        *["-i", str(path), "-vn", "-map", "0:a:0"],
        *(["-af", ",".join(filters)] if filters else []),
        *["-ar", str(sample_rate), "-ac", str(channels), *_F32_TO_STDOUT],
    ]
    samples = np.frombuffer(run_ffmpeg(args, timeout=timeout), dtype="<f4")
    return samples.reshape(-1, channels).copy()


def audio_levels(path: Path, *, start: float = 0, end: float | None = None, timeout: float) -> float:
    """RMS level of [start, end) in dBFS over all channels; digital silence is SILENCE_DBFS."""
    window = ["-t", f"{end - start:.6f}"] if end is not None else []
    args = ["-ss", f"{start:.6f}", *window, "-i", str(path), "-vn", *_F32_TO_STDOUT]
    samples = np.frombuffer(run_ffmpeg(args, timeout=timeout), dtype="<f4")
    if samples.size == 0:
        raise MediaError(f"no audio between {start:g}s and {end}s in {path}")
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    return max(20 * math.log10(rms), SILENCE_DBFS) if rms > 0 else SILENCE_DBFS
