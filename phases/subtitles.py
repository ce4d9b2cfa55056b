"""Subtitle cues: timed from each scene's narration, written as SRT and WebVTT.

A scene's narration is split into sentences, and long sentences into pieces that fit two
lines; each piece gets a share of the time the scene's speech actually lasts, in proportion
to how long it takes to say (the word rate), and a boundary that lands near a pause in the
speech moves onto it. Cues never overlap, never leave their scene, and stay up a moment
after the voice stops so the last words can be read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from providers.script import estimate_seconds, split_for_display, split_sentences

MAX_CUE_UNITS = 84  # two lines of 42 half-width characters, the usual broadcast limit
LINGER_SECONDS = 0.5
# A boundary moves onto a pause this close, as a share of the shorter neighbouring cue.
SNAP_SHARE = 0.4


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str
    scene: int

    def as_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text, "scene": self.scene}


def cue_texts(narration: str) -> list[str]:
    return [
        piece
        for sentence in split_sentences(narration)
        for piece in split_for_display(sentence, MAX_CUE_UNITS)
    ]


def time_scene_cues(
    narration: str,
    *,
    scene: int,
    speech: tuple[float, float],
    scene_end: float,
    pauses: Sequence[tuple[float, float]] = (),
) -> list[Cue]:
    """Cues for one scene whose narration is heard from `speech[0]` to `speech[1]` (seconds
    of the whole video); `pauses` are silent stretches inside the speech."""
    texts = cue_texts(narration)
    start, end = speech
    if not texts or end <= start:
        return []
    weights = [max(estimate_seconds(text), 0.05) for text in texts]
    total = sum(weights)
    bounds = [start]
    for weight in weights[:-1]:
        bounds.append(bounds[-1] + (end - start) * weight / total)
    bounds.append(end)
    middles = [(a + b) / 2 for a, b in pauses]
    for i in range(1, len(bounds) - 1):
        reach = SNAP_SHARE * min(bounds[i] - bounds[i - 1], bounds[i + 1] - bounds[i])
        near = [m for m in middles if abs(m - bounds[i]) <= reach and bounds[i - 1] < m < bounds[i + 1]]
        if near:
            bounds[i] = min(near, key=lambda m: abs(m - bounds[i]))
    bounds[-1] = min(end + LINGER_SECONDS, scene_end)
    stamps = [round(b, 3) for b in bounds]
    return [
        Cue(stamps[i], stamps[i + 1], text, scene)
        for i, text in enumerate(texts)
        if stamps[i + 1] > stamps[i]
    ]


def cues_from_spec(spec: dict[str, Any]) -> list[Cue]:
    return [
        Cue(cue["start"], cue["end"], cue["text"], cue["scene"])
        for cue in (spec.get("subtitles") or {}).get("cues", [])
    ]


def _timestamp(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _one_line(text: str) -> str:
    # A blank line ends a cue in both formats, so cue text is kept to one line.
    return " ".join(text.split())


def to_srt(cues: Sequence[Cue]) -> str:
    blocks = [
        f"{number}\n{_timestamp(cue.start, ',')} --> {_timestamp(cue.end, ',')}\n"
        # SRT has no escapes; "-->" is the one sequence that would be read as timing.
        f"{_one_line(cue.text).replace('-->', '->')}\n"
        for number, cue in enumerate(cues, start=1)
    ]
    return "\n".join(blocks)


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_webvtt(cues: Sequence[Cue]) -> str:
    blocks = ["WEBVTT\n"]
    blocks += [
        f"{number}\n{_timestamp(cue.start, '.')} --> {_timestamp(cue.end, '.')}\n"
        f"{_vtt_escape(_one_line(cue.text))}\n"
        for number, cue in enumerate(cues, start=1)
    ]
    return "\n".join(blocks)


def write_subtitle_files(cues: Sequence[Cue], folder: Path) -> dict[str, Path]:
    """`subtitles.srt` and `subtitles.vtt` in `folder`, UTF-8 without a byte order mark."""
    paths = {"srt": folder / "subtitles.srt", "vtt": folder / "subtitles.vtt"}
    paths["srt"].write_text(to_srt(cues), encoding="utf-8", newline="\n")
    paths["vtt"].write_text(to_webvtt(cues), encoding="utf-8", newline="\n")
    return paths
