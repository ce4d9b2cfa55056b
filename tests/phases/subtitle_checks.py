"""Checks shared by the narration and subtitle tests: a strict WebVTT parser, the cue rules,
and a test for tofu (characters drawn as .notdef boxes)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from providers.local.text import _font_index, font_chain, load_font

_TIMESTAMP = r"(\d{2,}):([0-5]\d):([0-5]\d)\.(\d{3})"
_TIMING = re.compile(rf"^{_TIMESTAMP} --> {_TIMESTAMP}(?: [^\s:]+:[^\s]+)*$")
_ENTITY = re.compile(r"&(amp|lt|gt|lrm|rlm|nbsp);")
# The only tags we write: class spans around words, and the timestamps of word captions.
_TAG = re.compile(r"</?c>|<(\d{2,}):([0-5]\d):([0-5]\d)\.(\d{3})>")


@dataclass(frozen=True)
class ParsedCue:
    start: float
    end: float
    text: str


def _seconds(hours: str, minutes: str, seconds: str, millis: str) -> float:
    return int(hours) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000


def parse_webvtt(text: str) -> list[ParsedCue]:
    """Parse a WebVTT file the strict way, raising AssertionError at the first thing a
    conforming parser would reject or misread: the signature, blank-line framing, timing
    lines, cue order, "-->" or raw markup characters in cue text, unknown entities."""
    assert not text.startswith("\ufeff"), "we write no byte order mark"
    assert "\r" not in text, "line ends are LF"
    lines = text.split("\n")
    assert re.fullmatch(r"WEBVTT(?:[ \t].*)?", lines[0]), f"bad signature line {lines[0]!r}"
    assert text.endswith("\n"), "the file ends with a line break"
    blocks = [block for block in re.split(r"\n{2,}", text.strip("\n")) if block][1:]
    cues: list[ParsedCue] = []
    for block in blocks:
        rows = block.split("\n")
        if "-->" not in rows[0]:
            identifier, rows = rows[0], rows[1:]
            assert identifier.strip() and "-->" not in identifier
        assert rows, f"cue without timing: {block!r}"
        timing = _TIMING.match(rows[0])
        assert timing, f"bad timing line {rows[0]!r}"
        start, end = _seconds(*timing.groups()[:4]), _seconds(*timing.groups()[4:])
        assert start < end, f"cue ends before it starts: {rows[0]!r}"
        payload = rows[1:]
        assert payload and all(row.strip() for row in payload), f"empty cue text: {block!r}"
        for row in payload:
            bare = _TAG.sub("", row)
            assert "-->" not in row and "<" not in bare and ">" not in bare, f"raw markup in {row!r}"
            assert "&" not in _ENTITY.sub("", row), f"bare or unknown entity in {row!r}"
        if cues:
            assert start >= cues[-1].start, "cues must be in start order"
        cues.append(ParsedCue(start, end, html.unescape(_TAG.sub("", "\n".join(payload)))))
    return cues


def parse_word_times(text: str) -> list[tuple[ParsedCue, list[float]]]:
    """Each cue of a WebVTT file with the word timestamps inside it, in the order written."""
    blocks = [block for block in re.split(r"\n{2,}", text.strip("\n")) if block][1:]
    cues = parse_webvtt(text)
    return [
        (cue, [_seconds(*m.groups()) for m in _TAG.finditer(block) if m.group(1) is not None])
        for cue, block in zip(cues, blocks, strict=True)
    ]


def assert_cues_well_formed(cues: list[ParsedCue], duration: float) -> None:
    """Ordered, not overlapping, inside the video."""
    assert cues, "no cues"
    for before, after in zip(cues, cues[1:]):
        assert before.end <= after.start, f"{before} overlaps {after}"
    assert cues[0].start >= 0 and cues[-1].end <= duration


def uncovered_characters(text: str) -> list[str]:
    """Characters of `text` (other than spaces and joiners) no font in the chain has."""
    return [c for c in text if not c.isspace() and c not in "\u200c\u200d" and _font_index(c) is None]


def tofu_characters(text: str, size: int = 48) -> list[str]:
    """Characters that the font chosen for them would draw as its .notdef box: the glyph
    drawn equals the one drawn for a code point no font has."""
    chain = font_chain()
    tofu = []
    for char in dict.fromkeys(c for c in text if not c.isspace() and c not in "\u200c\u200d"):
        index = _font_index(char)
        if index is None:
            tofu.append(char)
            continue
        font: ImageFont.FreeTypeFont = load_font(chain[index], size)
        if _draw(char, font) == _draw("\U0010fffd", font):
            tofu.append(char)
    return tofu


def _draw(char: str, font: ImageFont.FreeTypeFont) -> bytes:
    image = Image.new("L", (3 * font.size, 3 * font.size))
    ImageDraw.Draw(image).text((font.size, font.size), char, font=font, fill=255)
    return image.tobytes()
