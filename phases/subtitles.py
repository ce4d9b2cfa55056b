"""Subtitle cues: timed from each scene's narration, written as SRT and WebVTT.

A scene's narration is split into sentences, and long sentences into pieces that fit two
lines; each piece gets a share of the time the scene's speech actually lasts, in proportion
to how long it takes to say (the word rate), and a boundary that lands near a pause in the
speech moves onto it. Cues never overlap, never leave their scene, and stay up a moment
after the voice stops so the last words can be read.

For word-by-word captions each cue also carries its words' times: the speech engine's own
when it reports them, else estimated from syllables over the time the cue's speech lasts,
skipping the pauses heard in it. WebVTT gets them as timestamps inside the cue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from providers.script import estimate_seconds, split_for_display, split_sentences, split_words, word_weight

MAX_CUE_UNITS = 84  # two lines of 42 half-width characters, the usual broadcast limit
LINGER_SECONDS = 0.5
# A boundary moves onto a pause this close, as a share of the shorter neighbouring cue.
SNAP_SHARE = 0.4


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str
    scene: int
    words: tuple[Word, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        cue = {"start": self.start, "end": self.end, "text": self.text, "scene": self.scene}
        if self.words:
            cue["words"] = [word.as_dict() for word in self.words]
        return cue


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
    words: bool = False,
    heard_words: Sequence[Word] = (),
) -> list[Cue]:
    """Cues for one scene whose narration is heard from `speech[0]` to `speech[1]` (seconds
    of the whole video); `pauses` are silent stretches inside the speech. With `words`, each
    cue has its words' times: `heard_words` (the engine's, in seconds of the whole video)
    when there is one for every word of the narration, else estimated."""
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
    spoken = list(bounds)
    bounds[-1] = min(end + LINGER_SECONDS, scene_end)
    stamps = [round(b, 3) for b in bounds]
    timed: list[tuple[Word, ...]] = [()] * len(texts)
    if words:
        per_cue = [split_words(text) for text in texts]
        if len(heard_words) == sum(len(w) for w in per_cue):
            heard = iter(heard_words)
            timed = [tuple(next(heard) for _ in cue_words) for cue_words in per_cue]
        else:
            timed = [
                estimate_word_times(cue_words, (spoken[i], spoken[i + 1]), pauses)
                for i, cue_words in enumerate(per_cue)
            ]
        timed = [_inside(w, stamps[i], stamps[i + 1]) for i, w in enumerate(timed)]
    return [
        Cue(stamps[i], stamps[i + 1], text, scene, timed[i])
        for i, text in enumerate(texts)
        if stamps[i + 1] > stamps[i]
    ]


def estimate_word_times(
    words: Sequence[str], span: tuple[float, float], pauses: Sequence[tuple[float, float]] = ()
) -> tuple[Word, ...]:
    """Times for `words` said one after another from `span[0]` to `span[1]`, in proportion to
    their syllables. A pause heard inside the span falls between the two words where the
    syllables say it should: the words before it share the speech before it, the words after
    share the speech after it, and no word is said during the silence."""
    start, end = span
    if not words or end <= start:
        return ()
    silent = sorted((max(a, start), min(b, end)) for a, b in pauses if b > start and a < end)
    segments, edge = [], start
    for a, b in silent:
        if a > edge:
            segments.append((edge, a))
        edge = max(edge, b)
    if end > edge:
        segments.append((edge, end))
    if not segments:
        segments = [(start, end)]
    weights = [word_weight(word) for word in words]
    voiced = sum(b - a for a, b in segments)
    # The share of the voiced time before each word boundary, by syllables.
    shares = [0.0]
    for weight in weights:
        shares.append(shares[-1] + weight / sum(weights))
    cuts, heard = [0], 0.0
    for a, b in segments[:-1]:
        heard += (b - a) / voiced
        nearest = min(range(cuts[-1], len(words) + 1), key=lambda k: abs(shares[k] - heard))
        cuts.append(nearest)
    cuts.append(len(words))
    timed: list[Word] = []
    for (a, b), first, last in zip(segments, cuts, cuts[1:]):
        total = shares[last] - shares[first]
        for k in range(first, last):
            begin = a + (b - a) * (shares[k] - shares[first]) / total
            finish = a + (b - a) * (shares[k + 1] - shares[first]) / total
            timed.append(Word(round(begin, 3), round(finish, 3), words[k]))
    return tuple(timed)


def _inside(words: Sequence[Word], start: float, end: float) -> tuple[Word, ...]:
    """The words clamped into their cue, in order and never overlapping."""
    kept: list[Word] = []
    for word in words:
        begin = min(max(word.start, kept[-1].end if kept else start, start), end)
        kept.append(Word(begin, min(max(word.end, begin), end), word.text))
    return tuple(kept)


def cues_from_spec(spec: dict[str, Any]) -> list[Cue]:
    return [
        Cue(
            cue["start"],
            cue["end"],
            cue["text"],
            cue["scene"],
            tuple(Word(w["start"], w["end"], w["text"]) for w in cue.get("words", ())),
        )
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


def _vtt_payload(cue: Cue) -> str:
    """The cue's text; with word times, each word after the first preceded by its start as a
    WebVTT timestamp tag (which must lie strictly inside the cue and increase)."""
    line = _one_line(cue.text)
    if not cue.words:
        return _vtt_escape(line)
    payload, last, position = "", cue.start, 0
    for word in cue.words:
        found = line.find(word.text, position)
        # What stood between the words in the text (a space, or nothing between CJK characters).
        payload += _vtt_escape(line[position:found]) if found >= 0 else (" " if payload else "")
        position = found + len(word.text) if found >= 0 else position
        if last < word.start < cue.end:
            payload += f"<{_timestamp(word.start, '.')}>"
            last = word.start
        payload += f"<c>{_vtt_escape(word.text)}</c>"
    return payload + _vtt_escape(line[position:])


def to_webvtt(cues: Sequence[Cue]) -> str:
    blocks = ["WEBVTT\n"]
    blocks += [
        f"{number}\n{_timestamp(cue.start, '.')} --> {_timestamp(cue.end, '.')}\n{_vtt_payload(cue)}\n"
        for number, cue in enumerate(cues, start=1)
    ]
    return "\n".join(blocks)


def write_subtitle_files(cues: Sequence[Cue], folder: Path) -> dict[str, Path]:
    """`subtitles.srt` and `subtitles.vtt` in `folder`, UTF-8 without a byte order mark."""
    paths = {"srt": folder / "subtitles.srt", "vtt": folder / "subtitles.vtt"}
    paths["srt"].write_text(to_srt(cues), encoding="utf-8", newline="\n")
    paths["vtt"].write_text(to_webvtt(cues), encoding="utf-8", newline="\n")
    return paths
