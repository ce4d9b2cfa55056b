"""The soundtrack: the music bed ducked under the voice, and WAV files.

Ducking follows an envelope of where the voice is, known in advance (the voice track is
made before the mix), so the music starts to drop a little before the first word instead of
reacting to it like a compressor would, and comes back up after a pause.
"""

from __future__ import annotations

import io
import os
import wave
from pathlib import Path
from typing import BinaryIO

import numpy as np

SAMPLE_RATE = 48_000
DUCK_ATTACK_SECONDS = 0.15  # the music is already down this long before a word
DUCK_RELEASE_SECONDS = 0.4  # and comes back up over this long after speech
_WINDOW_SECONDS = 0.01
_VOICE_FLOOR_DBFS = -50.0
PEAK_LIMIT = 0.98


def voice_envelope(voice: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """0 where the voice is silent, 1 where it speaks, with smooth ramps; one value per sample."""
    window = round(_WINDOW_SECONDS * sample_rate)
    windows = -(-len(voice) // window)
    padded = np.zeros(windows * window, dtype=np.float64)
    padded[: len(voice)] = voice
    levels = np.sqrt(np.mean(np.square(padded.reshape(windows, window)), axis=1))
    active = (levels > 10 ** (_VOICE_FLOOR_DBFS / 20)).astype(np.float64)
    # Held on through short gaps between words, and started early: a dilation by a box.
    before, after = (
        round(DUCK_ATTACK_SECONDS / _WINDOW_SECONDS),
        round(DUCK_RELEASE_SECONDS / _WINDOW_SECONDS),
    )
    held = np.convolve(active, np.ones(before + after + 1), mode="full")[before : before + windows] > 0
    # Then smoothed with a raised-cosine kernel, so the gain never jumps.
    kernel = np.hanning(2 * before + 1)
    smooth = np.convolve(held.astype(np.float64), kernel / kernel.sum(), mode="same")
    return np.repeat(np.clip(smooth, 0.0, 1.0), window)[: len(voice)]


def duck_and_mix(music: np.ndarray, voice: np.ndarray, *, duck_db: float) -> np.ndarray:
    """`music` (n, 2) lowered by `duck_db` where `voice` (n,) speaks, plus the voice on both
    sides; scaled down as a whole if the sum would clip."""
    length = len(music)
    voice = np.pad(voice[:length], (0, max(length - len(voice), 0)))
    gain = 1.0 - (1.0 - 10 ** (-duck_db / 20)) * voice_envelope(voice)
    mixed = music * gain[:, None] + voice[:, None]
    peak = float(np.max(np.abs(mixed))) if mixed.size else 0.0
    return mixed * (PEAK_LIMIT / peak) if peak > PEAK_LIMIT else mixed


def write_wav(path: Path, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> Path:
    """16-bit PCM of float `samples` shaped (n, channels), written aside and renamed."""
    pcm = np.round(np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    partial = path.with_name(path.name + ".partial")
    with wave.open(str(partial), "wb") as out:
        out.setnchannels(samples.shape[1])
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm.tobytes())
    os.replace(partial, path)
    return path


def cut_wav(source: BinaryIO, start: float, end: float) -> bytes:
    """The part of a PCM WAV file from `start` to `end` seconds, as a WAV file of its own
    (a plain copy of the samples: no decoding, no ffmpeg)."""
    with wave.open(source, "rb") as whole:
        rate = whole.getframerate()
        first = min(max(round(start * rate), 0), whole.getnframes())
        count = max(min(round(end * rate), whole.getnframes()) - first, 0)
        whole.setpos(first)
        frames = whole.readframes(count)
        params = whole.getparams()
    cut = io.BytesIO()
    with wave.open(cut, "wb") as out:
        out.setparams(params)
        out.writeframes(frames)
    return cut.getvalue()
