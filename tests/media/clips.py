"""Small media files for the media tests, made on the spot: a clip from FrameEncoder and a tone."""

from __future__ import annotations

import math
import wave
from pathlib import Path

import numpy as np

from media.encode import FrameEncoder

W, H, FPS = 320, 180, 30


def encode(path: Path, frames: int, *, width: int = W, height: int = H) -> Path:
    """A small clip of a bright bar sweeping over a gradient, written as yuv420p planes."""
    ramp = np.linspace(16, 235, width, dtype=np.float32).astype(np.uint8)
    chroma = np.full((height // 2, width // 2), 128, dtype=np.uint8)
    with FrameEncoder(path, width=width, height=height, fps=FPS, timeout=60) as encoder:
        for i in range(frames):
            luma = np.repeat(ramp[None, :], height, axis=0)
            luma[:, (i * 7) % width : (i * 7) % width + 10] = 235
            encoder.write((luma, chroma, chroma))
    return path


def tone_wav(
    path: Path, segments: list[tuple[float, float]], *, rate: int = 44100, channels: int = 1
) -> Path:
    """Consecutive (seconds, amplitude) stretches of a 440 Hz tone; amplitude 0 is silence."""
    parts = []
    for seconds, amplitude in segments:
        t = np.arange(round(seconds * rate)) / rate
        parts.append(amplitude * np.sin(2 * math.pi * 440 * t))
    samples = (np.concatenate(parts) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.repeat(samples, channels).tobytes())
    return path
