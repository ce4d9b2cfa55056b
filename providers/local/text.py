"""Caption rendering with Pillow that is safe for any text a planner or user may write.

Each character is drawn with the first font in a fallback chain whose cmap has it
(DejaVu Sans Bold first, then whatever CJK / Arabic / emoji fonts the machine has), and
characters no font covers are dropped rather than drawn as tofu boxes. Text is never
interpreted (no markup, no format strings, no shell), so quotes, colons, backslashes and
percent signs are just glyphs. Right-to-left scripts are shaped by raqm when Pillow has it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont, features

FONT_ROOT = Path("/usr/share/fonts")
PRIMARY_FONT = "DejaVuSans-Bold.ttf"
# File-name hints for fonts that cover scripts and symbols DejaVu lacks.
FALLBACK_HINTS = (
    "cjk",
    "wqy",
    "arabic",
    "naskh",
    "hebrew",
    "devanagari",
    "thai",
    "emoji",
    "symbola",
    "symbols",
)
GENERAL_FALLBACKS = ("DejaVuSans.ttf", "LiberationSans-Bold.ttf")
ELLIPSIS = "…"
LINE_SPACING = 1.22

RGB = tuple[int, int, int]


def _has_outlines(path: Path) -> bool:
    """Bitmap-only fonts (colour emoji as CBDT) render at one fixed size; we skip them."""
    try:
        font = TTFont(path, fontNumber=0, lazy=True)
    except Exception:  # a broken font file on the machine must not break captions
        return False
    return any(table in font for table in ("glyf", "CFF ", "CFF2"))


@lru_cache(maxsize=8)
def font_chain(primary: str = PRIMARY_FONT) -> tuple[Path, ...]:
    """Font files in fallback order, `primary` (a file name) first; found once per process."""
    files = (
        sorted(p for p in FONT_ROOT.rglob("*") if p.suffix.lower() in (".ttf", ".otf", ".ttc"))
        if FONT_ROOT.is_dir()
        else []
    )
    first = [p for p in files if p.name in (primary, PRIMARY_FONT)]
    first.sort(key=lambda p: p.name != primary)
    hinted = [p for p in files if any(h in p.name.lower() for h in FALLBACK_HINTS)]
    general = [p for name in GENERAL_FALLBACKS for p in files if p.name == name]
    ordered = list(dict.fromkeys(first + hinted + general))
    return tuple(p for p in ordered if _has_outlines(p))


@cache
def _cmap(path: Path) -> frozenset[int]:
    return frozenset(TTFont(path, fontNumber=0, lazy=True).getBestCmap())


@lru_cache(maxsize=64)
def load_font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    engine = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC
    return ImageFont.truetype(str(path), size, layout_engine=engine)


@lru_cache(maxsize=4096)
def _font_index(char: str, primary: str = PRIMARY_FONT) -> int | None:
    code = ord(char)
    for index, path in enumerate(font_chain(primary)):
        if code in _cmap(path):
            return index
    return None


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) != "Cc")


@dataclass
class _Token:
    """A word, or one character of a script written without spaces (CJK)."""

    text: str
    space_before: bool


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


# Closing punctuation never starts a line (kinsoku): it stays with the character before it.
_NO_LINE_START = frozenset("、。，．！？：；）」』】〕〉》ー…・,.!?:;)]}")


def _tokens(paragraph: str) -> list[_Token]:
    tokens: list[_Token] = []
    space = False
    for ch in paragraph:
        if ch.isspace():
            space = True
            continue
        if tokens and not space and ch in _NO_LINE_START:
            tokens[-1].text += ch
            continue
        if tokens and not space and not _is_wide(ch) and not _is_wide(tokens[-1].text[-1]):
            tokens[-1].text += ch
        else:
            tokens.append(_Token(ch, space))
        space = False
    return tokens


class _Layout:
    """Splits text into runs of one font each and measures them at one size."""

    def __init__(self, font_size: int, primary: str = PRIMARY_FONT) -> None:
        self.primary = primary
        self.chain = font_chain(primary)
        self.size = font_size

    def runs(self, text: str) -> list[tuple[str, int]]:
        runs: list[tuple[str, int]] = []
        for ch in text:
            index = _font_index(ch, self.primary)
            if index is None:
                continue
            if runs and (index == runs[-1][1] or ch == " " or self._mark_fits(ch, runs[-1][1])):
                runs[-1] = (runs[-1][0] + ch, runs[-1][1])
            else:
                runs.append((ch, index))
        return runs

    def _mark_fits(self, ch: str, index: int) -> bool:
        """A combining mark stays in its base character's run (and font) when that font has it."""
        return unicodedata.category(ch).startswith("M") and ord(ch) in _cmap(self.chain[index])

    def font(self, index: int) -> ImageFont.FreeTypeFont:
        return load_font(self.chain[index], self.size)

    def width(self, text: str) -> float:
        return sum(self.font(i).getlength(run) for run, i in self.runs(text))


def _break_long(token: str, layout: _Layout, max_width: int) -> list[str]:
    pieces = [""]
    for ch in token:
        if pieces[-1] and layout.width(pieces[-1] + ch) > max_width:
            pieces.append("")
        pieces[-1] += ch
    return pieces


def wrap_lines(text: str, layout: _Layout, max_width: int) -> list[str]:
    """Greedy word wrap; words wider than a line are broken between characters."""
    lines: list[str] = []
    for paragraph in _clean(text).split("\n"):
        line = ""
        space = False
        for token in _tokens(paragraph):
            # A word no font can draw vanishes with its space, not leaving a double one.
            space = space or token.space_before
            if not layout.runs(token.text):
                continue
            for n, piece in enumerate(_break_long(token.text, layout, max_width)):
                candidate = line + (" " if space and n == 0 and line else "") + piece
                if line and layout.width(candidate) > max_width:
                    lines.append(line)
                    candidate = piece
                line = candidate
            space = False
        if line:
            lines.append(line)
    return lines


def _ellipsize(line: str, layout: _Layout, max_width: int) -> str:
    while line and layout.width(line.rstrip() + ELLIPSIS) > max_width:
        line = line[:-1]
    return line.rstrip() + ELLIPSIS


def render_caption(
    text: str,
    *,
    max_width: int,
    font_size: int,
    fill: RGB = (255, 255, 255),
    outline: RGB = (0, 0, 0),
    outline_width: int = 0,
    max_lines: int = 3,
    font: str = PRIMARY_FONT,
    highlight: tuple[str, RGB] | None = None,
    after: str = "",
    box: int = 0,
) -> Image.Image:
    """Centred, word-wrapped text as a tight RGBA image (1x1 and transparent if nothing is
    drawable); `font` is the file name of the font tried first.

    `highlight` = (word, colour) draws the first occurrence of `word` after the text `after`
    in that colour (word-by-word captions: the same text drawn once per word has the same
    size, so the pictures can replace each other). `box` is the opacity in percent of a
    backdrop in the outline colour behind the text."""
    layout = _Layout(font_size, font)
    if not layout.chain:
        return Image.new("RGBA", (1, 1))
    lines = wrap_lines(text, layout, max_width)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], _ellipsize(lines[max_lines - 1], layout, max_width)]
    lines = [line for line in lines if layout.runs(line)]
    if not lines:
        return Image.new("RGBA", (1, 1))
    ascent, descent = layout.font(0).getmetrics()
    line_height = round((ascent + descent) * LINE_SPACING)
    pad = outline_width + font_size // 2
    widths = [layout.width(line) for line in lines]
    size = (round(max(widths)) + 2 * pad, line_height * len(lines) + 2 * pad)
    image = Image.new("RGBA", size, (*outline, 0))
    draw = ImageDraw.Draw(image)
    if box:
        inset = max(outline_width + font_size // 4, 1)
        draw.rounded_rectangle(
            (inset, inset, size[0] - inset, size[1] - inset),
            radius=font_size // 3,
            fill=(*outline, round(255 * min(box, 100) / 100)),
        )

    def draw_text(x: float, baseline: float, text: str, colour: RGB) -> None:
        for run, index in layout.runs(text):
            font = layout.font(index)
            draw.text(
                (x, baseline),
                run,
                font=font,
                fill=colour,
                anchor="ls",
                stroke_width=outline_width,
                stroke_fill=outline,
            )
            x += font.getlength(run)

    starts = [(size[0] - width) / 2 for width in widths]
    for number, line in enumerate(lines):
        draw_text(starts[number], pad + number * line_height + ascent, line, fill)
    if highlight is not None:
        word, colour = highlight
        for number, first, last in locate_word(lines, word, after):
            line = lines[number]
            x = starts[number] + layout.width(line[:first])
            draw_text(x, pad + number * line_height + ascent, line[first:last], colour)
    bbox = image.getchannel("A").getbbox()
    return image.crop(bbox) if bbox else Image.new("RGBA", (1, 1))


def locate_word(lines: list[str], word: str, after: str = "") -> list[tuple[int, int, int]]:
    """Where `word` was laid out: (line, first, end) character ranges, one per line it spans,
    for its first occurrence after the characters of `after`. Spaces are ignored (wrapping
    drops them at line ends) and characters no font draws were dropped from the lines, so
    the search matches the visible characters in order and skips what is missing."""
    flat = [(n, i, ch) for n, line in enumerate(lines) for i, ch in enumerate(line) if not ch.isspace()]
    cursor = 0
    for ch in (c for c in after if not c.isspace()):
        found = next((k for k in range(cursor, min(cursor + 3, len(flat))) if flat[k][2] == ch), None)
        if found is not None:
            cursor = found + 1
    spans: list[tuple[int, int, int]] = []
    for ch in (c for c in word if not c.isspace()):
        found = next((k for k in range(cursor, min(cursor + 3, len(flat))) if flat[k][2] == ch), None)
        if found is None:
            continue
        cursor = found + 1
        number, index, _ = flat[found]
        if spans and spans[-1][0] == number:
            spans[-1] = (number, spans[-1][1], index + 1)
        else:
            spans.append((number, index, index + 1))
    return spans
