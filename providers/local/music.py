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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from providers.costs import CostMeter
from providers.local.drums import Kit, drum_kit, drum_window

SAMPLE_RATE = 48_000
PEAK_DBFS = -3.0
FADE_IN_SECONDS = 1.0
FADE_OUT_SECONDS = 2.0

_DECIMATION = 4
_TONAL_RATE = SAMPLE_RATE // _DECIMATION
# Rendered ten seconds at a time (a multiple of _DECIMATION samples): memory stays flat.
_BLOCK_SAMPLES = 10 * SAMPLE_RATE
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


class LocalMusic:
    name = "local"

    def compose(self, spec: dict[str, Any], out_path: Path, meter: CostMeter) -> None:
        """Write the track block by block, so a ten-minute track takes no more memory than a
        short one: the unscaled blocks go to a scratch file while the peak is found, then come
        back scaled to 16 bits."""
        score = _score(spec)
        scratch = out_path.with_name(out_path.name + ".f32")
        peak = 0.0
        with scratch.open("wb") as raw:
            for block in _blocks(score):
                peak = max(peak, float(np.max(np.abs(block))))
                raw.write(block.astype("<f4").tobytes())
        gain = 10 ** (PEAK_DBFS / 20) / peak if peak > 0 else 1.0
        # Written aside and renamed, so a crash never leaves a short file that looks finished.
        partial = out_path.with_name(out_path.name + ".partial")
        with wave.open(str(partial), "wb") as wav, scratch.open("rb") as raw:
            wav.setnchannels(2)
            wav.setsampwidth(2)
            wav.setframerate(SAMPLE_RATE)
            while chunk := raw.read(_BLOCK_SAMPLES * 2 * 4):
                block = np.frombuffer(chunk, dtype="<f4") * gain
                wav.writeframes(np.round(block * 32767).astype("<i2").tobytes())
        scratch.unlink()
        os.replace(partial, out_path)


def synthesize(spec: dict[str, Any]) -> np.ndarray:
    """The spec's track as float stereo samples, shape (duration * 48000, 2), peaking at -3 dBFS."""
    track = np.concatenate(list(_blocks(_score(spec))))
    peak = float(np.max(np.abs(track)))
    return track * (10 ** (PEAK_DBFS / 20) / peak) if peak > 0 else track


@dataclass(frozen=True)
class _Line:
    """A monophonic line of plucked notes: note k sounds `midis[k]` from `k * step` seconds."""

    step: float
    midis: np.ndarray
    gains: np.ndarray
    decay: float
    table: np.ndarray


@dataclass(frozen=True)
class _Score:
    """Every choice of a track, made before any sample is drawn, so that any stretch of it
    can be rendered alone and comes out the same as in one piece."""

    samples: int
    key: int
    chords: list[Chord]
    chord_seconds: float
    brightness: float
    bass: _Line
    arpeggio: _Line
    echo: int  # samples at the tonal rate between the arpeggio and its crossed-over echo
    drums: Kit


def _score(spec: dict[str, Any]) -> _Score:
    # The random draws come in a fixed order (key, arpeggio, drums), so a track is the same
    # whichever way it is rendered.
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
    tonal_seconds = (samples // _DECIMATION + 2) / _TONAL_RATE
    arpeggio = _arpeggio(tonal_seconds, key, chords, chord_seconds, beat, style, rng)
    drums = drum_kit(samples, beat, kick=style.kick, hats=style.hats, hat_decay=style.hat_decay, rng=rng)
    return _Score(
        samples=samples,
        key=key,
        chords=chords,
        chord_seconds=chord_seconds,
        brightness=style.brightness,
        bass=_bass(tonal_seconds, key, chords, chord_seconds, beat, style),
        arpeggio=arpeggio,
        echo=round(0.75 * beat * _TONAL_RATE),
        drums=drums,
    )


def _blocks(score: _Score) -> Iterator[np.ndarray]:
    for start in range(0, score.samples, _BLOCK_SAMPLES):
        yield _render(score, start, min(start + _BLOCK_SAMPLES, score.samples))


def _render(score: _Score, start: int, stop: int) -> np.ndarray:
    """Samples [start, stop) of the unscaled track; `start` is a multiple of _DECIMATION."""
    first, last = start // _DECIMATION, -(-stop // _DECIMATION) + 1
    tonal = (
        0.45 * _pad(first, last, score)
        + 0.5 * _mono(_play(score.bass, first, last)[0])
        + 0.5 * _echoed(score, first, last)
    )
    track = _upsample(tonal)[: stop - start] + _mono(drum_window(score.drums, start, stop))
    _fade(track, start, score.samples)
    return track


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


def _pad(first: int, last: int, score: _Score) -> np.ndarray:
    """The pad's tonal-rate samples [first, last)."""
    table = _wavetable(score.brightness)
    chord_seconds = score.chord_seconds
    out = np.zeros((last - first, 2))
    length = int(1.5 * chord_seconds * _TONAL_RATE)  # each chord rings on under the next one
    for index, chord in enumerate(score.chords):
        start = round(index * chord_seconds * _TONAL_RATE)
        lo, hi = max(start, first), min(start + length, last)
        if lo >= hi:
            continue
        t = np.arange(lo - start, hi - start) / _TONAL_RATE
        attack = np.sin(0.5 * np.pi * np.minimum(t / min(0.4 * chord_seconds, 1.5), 1.0)) ** 2
        release = np.cos(0.5 * np.pi * np.clip((t - chord_seconds) / (0.5 * chord_seconds), 0.0, 1.0)) ** 2
        freqs = _hz(_voicing(score.key, chord, 55))
        for channel, cents in ((0, -7.0), (1, 7.0)):
            # Detuned copies, one per side, beat slowly against each other: the pad's width.
            wave_ = _lookup(table, np.outer(freqs * 2 ** (cents / 1200), t)).sum(axis=0)
            wave_ *= attack * release / len(freqs)
            out[lo - first : hi - first, channel] += 0.7 * wave_
            out[lo - first : hi - first, 1 - channel] += 0.3 * wave_
    return out


def _play(line: _Line, first: int, last: int) -> tuple[np.ndarray, np.ndarray]:
    """The line's tonal-rate samples [first, last) and, for each, the number of the note sounding."""
    t = np.arange(first, last) / _TONAL_RATE
    note = np.minimum((t / line.step).astype(np.int64), len(line.midis) - 1)
    local = t - note * line.step
    # Fast attack, exponential decay, and a short ramp down before the next note, against clicks.
    envelope = (
        (1 - np.exp(-local / 0.004)) * np.exp(-local / line.decay) * np.clip((line.step - local) / 0.01, 0, 1)
    )
    return _lookup(line.table, _hz(line.midis)[note] * local) * envelope * line.gains[note], note


def _mono(samples: np.ndarray) -> np.ndarray:
    return np.column_stack([samples, samples])


def _ladder(notes: list[int], rungs: int = 6) -> list[int]:
    """Chord tones climbing from an octave above `notes`: C E G gives C' E' G' C'' E'' G''."""
    return [notes[j % len(notes)] + 12 * (j // len(notes) + 1) for j in range(rungs)]


def _chord_at(seconds: np.ndarray, chord_seconds: float, chords: list[Chord]) -> np.ndarray:
    return np.minimum((seconds / chord_seconds).astype(np.int64), len(chords) - 1)


def _bass(
    seconds: float, key: int, chords: list[Chord], chord_seconds: float, beat: float, style: Style
) -> _Line:
    step = min(style.bass_beats * beat, chord_seconds)
    count = math.ceil(seconds / step) + 1
    starts = np.arange(count) * step
    roots = np.array([_voicing(key, (root, (0,)), 36)[0] for root, _ in chords])
    octaves = np.array(style.bass_steps)[np.arange(count) % len(style.bass_steps)]
    midis = roots[_chord_at(starts, chord_seconds, chords)] + octaves
    return _Line(step, midis, np.ones(count), max(0.35 * step, 0.2), _wavetable(0.45))


def _arpeggio(
    seconds: float,
    key: int,
    chords: list[Chord],
    chord_seconds: float,
    beat: float,
    style: Style,
    rng: np.random.Generator,
) -> _Line:
    step = beat / style.arp_per_beat
    count = math.ceil(seconds / step) + 1
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
    return _Line(step, midis, hits[motif, steps % bar], style.arp_decay, _wavetable(style.brightness, 4))


def _panned(line: _Line, first: int, last: int) -> np.ndarray:
    mono, note = _play(line, first, last)
    pan = np.where(note % 2 == 0, 0.35, 0.65)  # ping-pong between the sides
    return np.column_stack([mono * (1 - pan), mono * pan])


def _echoed(score: _Score, first: int, last: int) -> np.ndarray:
    """The arpeggio with a dotted-eighth echo, crossed over, of what it played `echo` earlier."""
    out = _panned(score.arpeggio, first, last)
    source_first = max(first - score.echo, 0)
    if source_first < last - score.echo:
        source = _panned(score.arpeggio, source_first, last - score.echo)
        out[source_first + score.echo - first :] += 0.3 * source[:, ::-1]
    return out


def _upsample(tonal: np.ndarray) -> np.ndarray:
    """Linear interpolation by `_DECIMATION`; its images sit some 30 dB or more below the tones."""
    fractions = np.arange(_DECIMATION)[None, :, None] / _DECIMATION
    steps = np.diff(tonal, axis=0)[:, None, :]
    return (tonal[:-1, None, :] + steps * fractions).reshape(-1, tonal.shape[1])


def _fade(track: np.ndarray, start: int, samples: int) -> None:
    """Fade in over the track's first second and out over its last two, on the stretch
    [start, start + len(track)) of a track `samples` long."""
    fade_in = min(round(FADE_IN_SECONDS * SAMPLE_RATE), samples)
    fade_out = min(round(FADE_OUT_SECONDS * SAMPLE_RATE), samples)
    stop = start + len(track)
    if start < fade_in:
        track[: min(fade_in, stop) - start] *= _ramp(fade_in)[start : min(fade_in, stop), None]
    if stop > samples - fade_out:
        lo = max(start, samples - fade_out)
        track[lo - start :] *= _ramp(fade_out)[::-1][
            lo - (samples - fade_out) : stop - (samples - fade_out), None
        ]


def _ramp(length: int) -> np.ndarray:
    """A raised-cosine rise from 0 towards 1."""
    return np.sin(0.5 * np.pi * np.arange(length) / length) ** 2
