"""The local music provider: a short, deterministic track synthesized with numpy.

Four layers follow the spec's mood and tempo: a detuned pad on a chord progression, a bass
line on the chord roots, an arpeggio whose pattern is seeded from the spec, and drums. The
tonal layers are rendered at a quarter of the output rate (all their partials sit well
below its 6 kHz Nyquist limit) and interpolated up, so a 120 s track takes a fraction of a
second; only the drums, which need the high end, are made at the full rate.
"""

from __future__ import annotations

import hashlib
import math
import os
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from providers.costs import CostMeter

SAMPLE_RATE = 48_000
PEAK_DBFS = -3.0
FADE_IN_SECONDS = 1.0
FADE_OUT_SECONDS = 2.0

_DECIMATION = 4
_TONAL_RATE = SAMPLE_RATE // _DECIMATION
_TABLE_SIZE = 8192  # a power of two, so wrapping a phase index is a bitwise AND

MAJOR, MINOR, MAJOR7, MINOR7, SUS2 = (0, 4, 7), (0, 3, 7), (0, 4, 7, 11), (0, 3, 7, 10), (0, 2, 7)


Chord = tuple[int, tuple[int, ...]]  # (root in semitones above the key, intervals above the root)


@dataclass(frozen=True)
class Style:
    progression: tuple[Chord, ...]
    bars_per_chord: int
    kick: str  # one bar of sixteenths: "X" accent, "x" soft, "." rest
    hats: str
    hat_decay: float  # seconds; a longer one sounds like a shaker
    bass_beats: float  # length of a bass note
    bass_steps: tuple[int, ...]  # semitones added to successive bass notes
    arp_per_beat: int
    arp_density: float  # share of arpeggio steps that sound
    arp_decay: float
    brightness: float  # how much of the upper partials the pad and arpeggio keep


STYLES = {
    "calm": Style(
        progression=((0, MAJOR7), (5, MAJOR7), (9, MINOR7), (7, SUS2)),
        bars_per_chord=2,
        kick="................",
        hats="....x.......x...",
        hat_decay=0.06,
        bass_beats=8,
        bass_steps=(0,),
        arp_per_beat=1,
        arp_density=0.7,
        arp_decay=0.9,
        brightness=0.3,
    ),
    "upbeat": Style(
        progression=((0, MAJOR), (7, MAJOR), (9, MINOR), (5, MAJOR)),
        bars_per_chord=1,
        kick="X...X...X...X...",
        hats="..X...X...X...X.",
        hat_decay=0.03,
        bass_beats=0.5,
        bass_steps=(0, 12),
        arp_per_beat=2,
        arp_density=0.85,
        arp_decay=0.25,
        brightness=0.5,
    ),
    "playful": Style(
        progression=((0, MAJOR), (5, MAJOR), (0, MAJOR), (7, MAJOR)),
        bars_per_chord=1,
        kick="X.....x.X.......",
        hats="x.x.x.x.x.x.x.x.",
        hat_decay=0.025,
        bass_beats=1,
        bass_steps=(0, 7),
        arp_per_beat=2,
        arp_density=0.75,
        arp_decay=0.18,
        brightness=0.55,
    ),
    "epic": Style(
        progression=((9, MINOR), (5, MAJOR), (0, MAJOR), (7, MAJOR)),
        bars_per_chord=1,
        kick="X.......X.x.....",
        hats="....X.......X...",
        hat_decay=0.08,
        bass_beats=1,
        bass_steps=(0,),
        arp_per_beat=2,
        arp_density=0.9,
        arp_decay=0.35,
        brightness=0.6,
    ),
    "dramatic": Style(
        progression=((0, MINOR), (8, MAJOR), (3, MAJOR), (10, MAJOR)),
        bars_per_chord=1,
        kick="X..x..X...x..X..",
        hats="..x...x...x...x.",
        hat_decay=0.03,
        bass_beats=0.5,
        bass_steps=(0,),
        arp_per_beat=4,
        arp_density=0.8,
        arp_decay=0.15,
        brightness=0.45,
    ),
    "mysterious": Style(
        progression=((0, MINOR7), (5, MINOR7), (8, MAJOR7), (7, MAJOR)),
        bars_per_chord=2,
        kick="x..x............",
        hats="........x.......",
        hat_decay=0.07,
        bass_beats=2,
        bass_steps=(0,),
        arp_per_beat=1,
        arp_density=0.55,
        arp_decay=1.2,
        brightness=0.25,
    ),
}
_VELOCITY = {"X": 1.0, "x": 0.55}


class LocalMusic:
    name = "local"

    def compose(self, spec: dict[str, Any], out_path: Path, meter: CostMeter) -> None:
        samples = np.round(synthesize(spec) * 32767).astype("<i2")
        # Written aside and renamed, so a crash never leaves a short file that looks finished.
        partial = out_path.with_name(out_path.name + ".partial")
        with wave.open(str(partial), "wb") as wav:
            wav.setnchannels(2)
            wav.setsampwidth(2)
            wav.setframerate(SAMPLE_RATE)
            wav.writeframes(samples.tobytes())
        os.replace(partial, out_path)


def synthesize(spec: dict[str, Any]) -> np.ndarray:
    """The spec's track as float stereo samples, shape (duration * 48000, 2), peaking at -3 dBFS."""
    style = STYLES[spec["music"]["mood"]]
    beat = 60 / spec["music"]["tempo"]
    duration = int(spec["duration"])
    seed = hashlib.sha256(f"{spec['seed']}\0{spec['prompt']}".encode(errors="surrogatepass")).digest()
    rng = np.random.default_rng(int.from_bytes(seed[:8]))
    key = 48 + int(rng.integers(12))
    chord_seconds = 4 * beat * style.bars_per_chord
    chords = [
        style.progression[i % len(style.progression)] for i in range(math.ceil(duration / chord_seconds) + 1)
    ]

    samples = duration * SAMPLE_RATE
    tonal_samples = samples // _DECIMATION + 2
    tonal = (
        0.45 * _pad(tonal_samples, key, chords, chord_seconds, style.brightness)
        + 0.5 * _bass(tonal_samples, key, chords, chord_seconds, beat, style)
        + 0.5 * _arpeggio(tonal_samples, key, chords, chord_seconds, beat, style, rng)
    )
    track = _upsample(tonal)[:samples] + _drums(samples, beat, style, rng)
    _fade(track)
    peak = float(np.max(np.abs(track)))
    return track * (10 ** (PEAK_DBFS / 20) / peak) if peak > 0 else track


def _hz(midi: np.ndarray | float) -> np.ndarray:
    return 440.0 * 2.0 ** ((np.asarray(midi, dtype=float) - 69) / 12)


def _wavetable(brightness: float, partials: int = 6) -> np.ndarray:
    """One cycle of a band-limited wave; low brightness rolls the upper partials off like a low-pass."""
    phase = np.arange(_TABLE_SIZE) / _TABLE_SIZE
    numbers = np.arange(1, partials + 1)
    amplitudes = brightness ** (numbers - 1) / numbers
    return amplitudes @ np.sin(2 * np.pi * np.outer(numbers, phase)) / amplitudes.sum()


def _lookup(table: np.ndarray, cycles: np.ndarray) -> np.ndarray:
    return table[(cycles * _TABLE_SIZE).astype(np.int64) & (_TABLE_SIZE - 1)]


def _voicing(key: int, chord: Chord, low: int) -> list[int]:
    """Chord notes folded into the octave above `low`, so neighbouring chords move by small steps."""
    root, intervals = chord
    return sorted(low + (key + root + interval - low) % 12 for interval in intervals)


def _pad(samples: int, key: int, chords: list[Chord], chord_seconds: float, brightness: float) -> np.ndarray:
    table = _wavetable(brightness)
    out = np.zeros((samples, 2))
    length = int(1.5 * chord_seconds * _TONAL_RATE)  # each chord rings on under the next one
    t = np.arange(length) / _TONAL_RATE
    attack = np.sin(0.5 * np.pi * np.minimum(t / min(0.4 * chord_seconds, 1.5), 1.0)) ** 2
    release = np.cos(0.5 * np.pi * np.clip((t - chord_seconds) / (0.5 * chord_seconds), 0.0, 1.0)) ** 2
    envelope = attack * release
    for index, chord in enumerate(chords):
        start = round(index * chord_seconds * _TONAL_RATE)
        if start >= samples:
            break
        span = min(length, samples - start)
        freqs = _hz(_voicing(key, chord, 55))
        for channel, cents in ((0, -7.0), (1, 7.0)):
            # Detuned copies, one per side, beat slowly against each other: the pad's width.
            wave_ = _lookup(table, np.outer(freqs * 2 ** (cents / 1200), t[:span])).sum(axis=0)
            wave_ *= envelope[:span] / len(freqs)
            out[start : start + span, channel] += 0.7 * wave_
            out[start : start + span, 1 - channel] += 0.3 * wave_
    return out


def _line(
    samples: int, step: float, midis: np.ndarray, gains: np.ndarray, decay: float, table: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A monophonic line of plucked notes, note k sounding `midis[k]` from `k * step` seconds.
    Returns the samples and, for each sample, the number of the note sounding."""
    t = np.arange(samples) / _TONAL_RATE
    note = np.minimum((t / step).astype(np.int64), len(midis) - 1)
    local = t - note * step
    # Fast attack, exponential decay, and a short ramp down before the next note, against clicks.
    envelope = (1 - np.exp(-local / 0.004)) * np.exp(-local / decay) * np.clip((step - local) / 0.01, 0, 1)
    return _lookup(table, _hz(midis)[note] * local) * envelope * gains[note], note


def _ladder(notes: list[int], rungs: int = 6) -> list[int]:
    """Chord tones climbing from an octave above `notes`: C E G gives C' E' G' C'' E'' G''."""
    return [notes[j % len(notes)] + 12 * (j // len(notes) + 1) for j in range(rungs)]


def _chord_at(seconds: np.ndarray, chord_seconds: float, chords: list[Chord]) -> np.ndarray:
    return np.minimum((seconds / chord_seconds).astype(np.int64), len(chords) - 1)


def _bass(
    samples: int, key: int, chords: list[Chord], chord_seconds: float, beat: float, style: Style
) -> np.ndarray:
    step = min(style.bass_beats * beat, chord_seconds)
    count = math.ceil(samples / _TONAL_RATE / step) + 1
    starts = np.arange(count) * step
    roots = np.array([_voicing(key, (root, (0,)), 36)[0] for root, _ in chords])
    octaves = np.array(style.bass_steps)[np.arange(count) % len(style.bass_steps)]
    midis = roots[_chord_at(starts, chord_seconds, chords)] + octaves
    mono, _ = _line(samples, step, midis, np.ones(count), max(0.35 * step, 0.2), _wavetable(0.45))
    return np.column_stack([mono, mono])


def _arpeggio(
    samples: int,
    key: int,
    chords: list[Chord],
    chord_seconds: float,
    beat: float,
    style: Style,
    rng: np.random.Generator,
) -> np.ndarray:
    step = beat / style.arp_per_beat
    count = math.ceil(samples / _TONAL_RATE / step) + 1
    # Chord tones over two octaves, so a pattern can be read against whichever chord is playing.
    ladders = np.array([_ladder(_voicing(key, chord, 55)) for chord in chords])
    bar = 4 * style.arp_per_beat
    # Two one-bar motifs, a random walk over the ladder, in an A A B A phrase.
    walks = np.clip(
        rng.integers(0, 3, size=(2, 1)) + np.cumsum(rng.choice([-2, -1, 1, 2], size=(2, bar)), 1), 0, 5
    )
    hits = (rng.random((2, bar)) < style.arp_density) * rng.uniform(0.7, 1.0, size=(2, bar))
    hits[:, 0] = 1.0
    steps = np.arange(count)
    motif = np.array([0, 0, 1, 0])[(steps // bar) % 4]
    chord = _chord_at(steps * step, chord_seconds, chords)
    midis = ladders[chord, walks[motif, steps % bar]]
    mono, note = _line(
        samples, step, midis, hits[motif, steps % bar], style.arp_decay, _wavetable(style.brightness, 4)
    )
    pan = np.where(note % 2 == 0, 0.35, 0.65)  # ping-pong between the sides
    out = np.column_stack([mono * (1 - pan), mono * pan])
    delay = round(0.75 * beat * _TONAL_RATE)
    if delay < samples:
        out[delay:] += 0.3 * out[:-delay, ::-1]  # a dotted-eighth echo, crossed over
    return out


def _drums(samples: int, beat: float, style: Style, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(0.4 * SAMPLE_RATE)) / SAMPLE_RATE
    pitch = 48 + 110 * np.exp(-t / 0.035)  # the downward sweep is what makes it a kick
    kick = np.sin(2 * np.pi * np.cumsum(pitch) / SAMPLE_RATE) * np.exp(-t / 0.11) * (1 - np.exp(-t / 0.0015))
    noise = np.diff(rng.standard_normal(int(0.25 * SAMPLE_RATE) + 2), n=2)  # differencing leaves the hiss
    hat_t = np.arange(noise.size) / SAMPLE_RATE
    hat = 0.12 * noise * np.exp(-hat_t / style.hat_decay) * (1 - np.exp(-hat_t / 0.002))
    mono = np.zeros(samples)
    sixteenth = beat / 4
    for index in range(math.ceil(samples / SAMPLE_RATE / sixteenth)):
        start = round(index * sixteenth * SAMPLE_RATE)
        for sound, pattern, level in ((kick, style.kick, 0.7), (hat, style.hats, 0.6)):
            velocity = _VELOCITY.get(pattern[index % 16], 0.0)
            if velocity:
                span = min(sound.size, samples - start)
                mono[start : start + span] += level * velocity * rng.uniform(0.85, 1.0) * sound[:span]
    return np.column_stack([mono, mono])


def _upsample(tonal: np.ndarray) -> np.ndarray:
    """Linear interpolation by `_DECIMATION`; its images sit some 30 dB or more below the tones."""
    fractions = np.arange(_DECIMATION)[None, :, None] / _DECIMATION
    steps = np.diff(tonal, axis=0)[:, None, :]
    return (tonal[:-1, None, :] + steps * fractions).reshape(-1, tonal.shape[1])


def _fade(track: np.ndarray) -> None:
    fade_in = min(round(FADE_IN_SECONDS * SAMPLE_RATE), len(track))
    fade_out = min(round(FADE_OUT_SECONDS * SAMPLE_RATE), len(track))
    track[:fade_in] *= _ramp(fade_in)[:, None]
    track[len(track) - fade_out :] *= _ramp(fade_out)[::-1, None]


def _ramp(length: int) -> np.ndarray:
    """A raised-cosine rise from 0 towards 1."""
    return np.sin(0.5 * np.pi * np.arange(length) / length) ** 2
