"""The soundtrack: the music bed ducked under the voice, and WAV files.

Ducking follows an envelope of where the voice is, known in advance (the voice track is
made before the mix), so the music starts to drop a little before the first word instead of
reacting to it like a compressor would, and comes back up after a pause.
"""

from __future__ import annotations

import io
import os
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from toolbox.exceptions import MediaError

SAMPLE_RATE = 48_000
DUCK_ATTACK_SECONDS = 0.15  # the music is already down this long before a word
DUCK_RELEASE_SECONDS = 0.4  # and comes back up over this long after speech
_WINDOW_SECONDS = 0.01
_VOICE_FLOOR_DBFS = -50.0
PEAK_LIMIT = 0.98
_MIX_BLOCK_WINDOWS = 1000  # ten seconds of 10 ms windows per block of the mix


def voice_envelope(voice: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """0 where the voice is silent, 1 where it speaks, with smooth ramps; one value per sample."""
    window = round(_WINDOW_SECONDS * sample_rate)
    windows = -(-len(voice) // window)
    padded = np.zeros(windows * window, dtype=np.float64)
    padded[: len(voice)] = voice
    levels = np.sqrt(np.mean(np.square(padded.reshape(windows, window)), axis=1))
    return np.repeat(_window_envelope(levels), window)[: len(voice)]


def _window_envelope(levels: np.ndarray) -> np.ndarray:
    """The envelope at one value per _WINDOW_SECONDS, from the voice's RMS level in each."""
    active = (levels > 10 ** (_VOICE_FLOOR_DBFS / 20)).astype(np.float64)
    # Held on through short gaps between words, and started early: a dilation by a box.
    before, after = (
        round(DUCK_ATTACK_SECONDS / _WINDOW_SECONDS),
        round(DUCK_RELEASE_SECONDS / _WINDOW_SECONDS),
    )
    held = np.convolve(active, np.ones(before + after + 1), mode="full")[before : before + len(levels)] > 0
    # Then smoothed with a raised-cosine kernel, so the gain never jumps.
    kernel = np.hanning(2 * before + 1)
    smooth = np.convolve(held.astype(np.float64), kernel / kernel.sum(), mode="same")
    return np.clip(smooth, 0.0, 1.0)


def duck_and_mix(music: Path, voice: Path, out_path: Path, *, duck_db: float) -> Path:
    """Write `music` (a 48 kHz stereo 16-bit WAV) lowered by `duck_db` where `voice` (48 kHz
    mono, as long or shorter) speaks, plus the voice on both sides, scaled down as a whole if
    the sum would clip. Read and written a block at a time, twice (the first pass finds the
    peak), so a ten-minute mix takes no more memory than a short one."""
    window = round(_WINDOW_SECONDS * SAMPLE_RATE)
    with wave.open(str(voice), "rb") as source:
        levels = np.concatenate(
            [_levels(block, window) for block in _wav_blocks(source, _MIX_BLOCK_WINDOWS * window)]
            or [np.zeros(0)]
        )
    gains = 1.0 - (1.0 - 10 ** (-duck_db / 20)) * _window_envelope(levels)
    peak = max((float(np.max(np.abs(block))) for block in _mixed(music, voice, gains, window)), default=0.0)
    scale = PEAK_LIMIT / peak if peak > PEAK_LIMIT else 1.0
    partial = out_path.with_name(out_path.name + ".partial")
    with wave.open(str(partial), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        for block in _mixed(music, voice, gains, window):
            out.writeframes(np.round(np.clip(block * scale, -1.0, 1.0) * 32767).astype("<i2").tobytes())
    os.replace(partial, out_path)
    return out_path


def _mixed(music: Path, voice: Path, gains: np.ndarray, window: int) -> Iterator[np.ndarray]:
    block_frames = _MIX_BLOCK_WINDOWS * window
    with wave.open(str(music), "rb") as bed, wave.open(str(voice), "rb") as speech:
        if (
            bed.getnchannels() != 2
            or bed.getframerate() != SAMPLE_RATE
            or speech.getframerate() != SAMPLE_RATE
        ):
            raise MediaError(f"mixing needs 48 kHz WAVs: {music.name} stereo, {voice.name} mono")
        voices = _wav_blocks(speech, block_frames)
        for number, block in enumerate(_wav_blocks(bed, block_frames)):
            said = next(voices, np.zeros((0, 1)))[:, 0]
            said = np.pad(said, (0, len(block) - len(said)))
            first = number * _MIX_BLOCK_WINDOWS
            gain = np.repeat(gains[first : first + _MIX_BLOCK_WINDOWS], window)
            gain = np.pad(gain, (0, len(block) - len(gain)), constant_values=1.0)[: len(block)]
            yield block * gain[:, None] + said[:, None]


def _wav_blocks(source: wave.Wave_read, frames: int) -> Iterator[np.ndarray]:
    """A 16-bit PCM WAV's samples as floats of shape (n, channels), `frames` at a time."""
    channels = source.getnchannels()
    while data := source.readframes(frames):
        yield np.frombuffer(data, dtype="<i2").reshape(-1, channels) / 32768.0


def _levels(block: np.ndarray, window: int) -> np.ndarray:
    mono = block[:, 0]
    windows = -(-len(mono) // window)
    padded = np.zeros(windows * window)
    padded[: len(mono)] = mono
    return np.sqrt(np.mean(np.square(padded.reshape(windows, window)), axis=1))


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


def write_placed_wav(path: Path, clips: list[tuple[int, np.ndarray]], length: int, *, gain: float) -> Path:
    """A 16-bit mono WAV `length` samples long: silence, with each (offset, samples) clip
    laid at its offset (a later clip wins where two meet) and scaled by `gain`. Written clip
    by clip, so the track is never whole in memory."""
    partial = path.with_name(path.name + ".partial")
    with wave.open(str(partial), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        position = 0
        ends = [offset for offset, _ in clips[1:]] + [length]
        for (offset, samples), end in zip(clips, ends, strict=True):
            offset = max(offset, position)
            _write_silence(out, offset - position)
            part = samples[: max(min(end, length) - offset, 0)]
            out.writeframes(np.round(np.clip(part * gain, -1.0, 1.0) * 32767).astype("<i2").tobytes())
            position = offset + len(part)
        _write_silence(out, length - position)
    os.replace(partial, path)
    return path


def _write_silence(out: wave.Wave_write, samples: int) -> None:
    block = SAMPLE_RATE * 10
    while samples > 0:
        out.writeframes(bytes(2 * min(samples, block)))
        samples -= block


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
