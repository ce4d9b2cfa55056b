"""What the fake Replicate and OpenAI models hand out: real images, clips, music and speech,
at the models' own sizes so the adapters' fitting is exercised."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from media.run import run_ffmpeg
from tests.providers.replicate_models import CatalogModel

VARIANTS = 4
# Model outputs at the models' own sizes, so the adapters' fitting is exercised.
IMAGE_SIZE = (1344, 768)
CLIP_SIZE = (640, 360)
MUSIC_RATE, MUSIC_SECONDS = 32000, 8
COLOURS = [(200, 40, 40), (40, 160, 60), (40, 70, 200), (220, 200, 40)]


def speech_wav(text: str, speed: float) -> bytes:
    """Speech-like audio the way the OpenAI endpoint sends it (24 kHz mono 16-bit WAV, with
    the unknown-length header of a streamed response): a voiced buzz per word, gaps between."""
    rate, words = 24000, max(len(text.split()), 1)
    word, gap = int(0.25 * rate / speed), int(0.08 * rate / speed)
    t = np.arange(word) / rate
    syllable = np.sin(2 * math.pi * 140 * t) * np.sin(math.pi * t / t[-1]) * 0.6
    samples = np.concatenate([np.concatenate([syllable, np.zeros(gap)]) for _ in range(words)])
    pcm = (samples * 32767).astype("<i2").tobytes()
    # RIFF and data sizes of 0xFFFFFFFF: the length was not known when the header was sent.
    header = b"RIFF" + struct.pack("<I", 0xFFFFFFFF) + b"WAVEfmt "
    header += struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    header += b"data" + struct.pack("<I", 0xFFFFFFFF)
    return header + pcm


def clip_length(spec: CatalogModel, inputs: dict[str, Any]) -> tuple[float, int]:
    """Seconds and frame rate of the clip a video model makes for `inputs`, as the model
    would: from its frame count and rate, or its duration, else its one clip length."""
    fps = int(inputs.get(spec.fps_input, spec.fps)) if spec.fps_input else spec.fps
    if spec.frames_input and spec.frames_input in inputs:
        return int(inputs[spec.frames_input]) / fps, fps
    if spec.seconds_input and spec.seconds_input in inputs:
        return float(inputs[spec.seconds_input]), fps
    return spec.clip_seconds, fps


def make_clip(folder: Path, variant: int, seconds: float, fps: int) -> str:
    """A clip of `variant`'s colour with a moving box, made once per length and rate."""
    name = f"clip-{variant}-{seconds:.3f}s-{fps}fps.mp4"
    if not (folder / name).exists():
        colour = COLOURS[variant]
        width, height = CLIP_SIZE
        partial = folder / f".{name}"
        run_ffmpeg(
            [
                *["-f", "lavfi", "-i", f"color=c=0x{bytes(colour).hex()}:s={width}x{height}:r={fps}"],
                *["-vf", f"drawbox=x='mod(t*300,{width})':y=200:w=160:h=160:color=white:t=fill"],
                *["-t", f"{seconds:.3f}", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"],
                *["-f", "mp4", str(partial)],
            ],
            timeout=60,
        )
        partial.replace(folder / name)
    return name


def make_assets(folder: Path) -> None:
    """The files the fake models hand out: distinct images and a loud WAV (clips are made
    on demand, as long as each request asks)."""
    folder.mkdir(parents=True, exist_ok=True)
    for variant, colour in enumerate(COLOURS):
        image = Image.new("RGB", IMAGE_SIZE, colour)
        draw = ImageDraw.Draw(image)
        draw.ellipse((400, 150, 944, 618), fill=tuple(255 - c for c in colour))
        image.save(folder / f"image-{variant}.png")
    t = np.arange(MUSIC_RATE * MUSIC_SECONDS) / MUSIC_RATE
    chord = sum(np.sin(2 * math.pi * f * t) for f in (220.0, 277.2, 329.6)) / 3
    samples = (0.5 * chord * 32767).astype("<i2")
    with wave.open(str(folder / "music.wav"), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(MUSIC_RATE)
        out.writeframes(np.repeat(samples, 2).tobytes())
