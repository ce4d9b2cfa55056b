"""The local music's drum kit: a kick and a hat, the hits of a whole track decided up front,
and any stretch of the track's drums drawn from them (so a long track renders in blocks)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from media.audio import SAMPLE_RATE

_VELOCITY = {"X": 1.0, "x": 0.55}


@dataclass(frozen=True)
class Kit:
    hits: np.ndarray  # (start sample, sound: 0 kick, 1 hat), in order of start
    levels: np.ndarray
    sounds: tuple[np.ndarray, np.ndarray]


def drum_kit(
    samples: int, beat: float, *, kick: str, hats: str, hat_decay: float, rng: np.random.Generator
) -> Kit:
    """Every hit of a track `samples` long; `kick` and `hats` are one bar of sixteenths
    ("X" accent, "x" soft, "." rest). Draws from `rng` in a fixed order."""
    t = np.arange(int(0.4 * SAMPLE_RATE)) / SAMPLE_RATE
    pitch = 48 + 110 * np.exp(-t / 0.035)  # the downward sweep is what makes it a kick
    kick_sound = (
        np.sin(2 * np.pi * np.cumsum(pitch) / SAMPLE_RATE) * np.exp(-t / 0.11) * (1 - np.exp(-t / 0.0015))
    )
    noise = np.diff(rng.standard_normal(int(0.25 * SAMPLE_RATE) + 2), n=2)  # differencing leaves the hiss
    hat_t = np.arange(noise.size) / SAMPLE_RATE
    hat_sound = 0.12 * noise * np.exp(-hat_t / hat_decay) * (1 - np.exp(-hat_t / 0.002))
    hits: list[tuple[int, int]] = []
    levels: list[float] = []
    sixteenth = beat / 4
    for index in range(math.ceil(samples / SAMPLE_RATE / sixteenth)):
        start = round(index * sixteenth * SAMPLE_RATE)
        for sound, pattern, level in ((0, kick, 0.7), (1, hats, 0.6)):
            velocity = _VELOCITY.get(pattern[index % 16], 0.0)
            if velocity:
                hits.append((start, sound))
                levels.append(level * velocity * rng.uniform(0.85, 1.0))
    return Kit(np.array(hits, dtype=np.int64).reshape(-1, 2), np.array(levels), (kick_sound, hat_sound))


def drum_window(kit: Kit, start: int, stop: int) -> np.ndarray:
    """Samples [start, stop) of the drums, mono."""
    mono = np.zeros(stop - start)
    longest = max(sound.size for sound in kit.sounds)
    starts = kit.hits[:, 0]
    for k in range(np.searchsorted(starts, start - longest), np.searchsorted(starts, stop)):
        hit, which = kit.hits[k]
        sound = kit.sounds[which]
        lo, hi = max(hit, start), min(hit + sound.size, stop)
        if lo < hi:
            mono[lo - start : hi - start] += kit.levels[k] * sound[lo - hit : hi - hit]
    return mono
