"""Burned-in subtitles: each cue drawn once as a picture (any text: see text.py), placed in
the frame's safe area, and pasted into the frames it covers. Word-by-word captions draw a
cue once per word, that word in the highlight colour, each shown while its word is said.

The local renderer pastes the pictures into its Y, U, V planes as it draws a scene, so
burning costs no extra encode; `cue_pictures` also serves the chunks phase, which draws
the same pictures over clips from remote video models with ffmpeg.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from providers.local.text import render_caption
from providers.local.yuv import pad_even
from providers.spec import SUBTITLE_STYLE_DEFAULTS, scene_start_frame

FONT_FILES = {
    "sans": "DejaVuSans-Bold.ttf",
    "serif": "DejaVuSerif-Bold.ttf",
    "mono": "DejaVuSansMono-Bold.ttf",
}
# Safe areas, as shares of the frame. A 9:16 video is watched in apps whose buttons cover the
# right edge, whose captions cover the bottom fifth and whose tabs cover the top, so its
# subtitles sit further in and narrower.
LANDSCAPE_SAFE = {"width": 0.84, "bottom": 0.92, "top": 0.08}
PORTRAIT_SAFE = {"width": 0.76, "bottom": 0.76, "top": 0.14}
MAX_LINES = 3


@dataclass(frozen=True)
class CuePicture:
    start: float
    end: float
    image: Image.Image  # RGBA
    x: int
    y: int


def _plane(values: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(values + 0.5, 0, 255).astype(np.uint8), "L")


def _rgb(colour: str) -> tuple[int, int, int]:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def scene_cues(spec: dict[str, Any], scene_index: int) -> list[dict[str, Any]]:
    """The cues burned into this scene's frames: those overlapping its time, when burning."""
    subtitles = spec.get("subtitles") or {}
    if not subtitles.get("burn"):
        return []
    fps = spec["fps"]
    start = scene_start_frame(spec, scene_index) / fps
    end = start + spec["scenes"][scene_index]["frames"] / fps
    return [cue for cue in subtitles["cues"] if cue["end"] > start and cue["start"] < end]


def burn_fingerprint(spec: dict[str, Any], scene_index: int) -> str:
    """ "" when nothing is burned into the scene, else a short hash of what is (for file names)."""
    cues = scene_cues(spec, scene_index)
    if not cues:
        return ""
    drawn = {"cues": cues, "style": spec["subtitles"]["style"]}
    return hashlib.sha256(json.dumps(drawn, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:8]


def cue_picture(
    text: str,
    style: dict[str, Any],
    width: int,
    height: int,
    *,
    highlight: str | None = None,
    after: str = "",
) -> tuple[Image.Image, int, int] | None:
    """The cue drawn in `style`, and where its top-left corner goes; None if nothing is
    drawable. `highlight` is a word to draw in the highlight colour (its first occurrence
    after the text `after`)."""
    style = {**SUBTITLE_STYLE_DEFAULTS, **style}
    safe = PORTRAIT_SAFE if height > width else LANDSCAPE_SAFE
    scale = min(width, height) / 1080
    image = render_caption(
        text,
        max_width=round(width * safe["width"]),
        font_size=max(8, round(style["size"] * scale)),
        fill=_rgb(style["color"]),
        outline=_rgb(style["outline_color"]),
        outline_width=round(style["outline"] * scale),
        max_lines=MAX_LINES,
        font=FONT_FILES.get(style["font"], FONT_FILES["sans"]),
        highlight=(highlight, _rgb(style["highlight_color"])) if highlight else None,
        after=after,
        box=style["background"],
    )
    if image.getchannel("A").getbbox() is None:
        return None
    x = (width - image.width) // 2
    if style["position"] in ("middle", "center"):
        y = (height - image.height) // 2
    elif style["position"] == "top":
        y = round(height * safe["top"])
    else:
        y = round(height * safe["bottom"]) - image.height
    return image, max(x, 0), max(y, 0)


def cue_pictures(spec: dict[str, Any], scene_index: int) -> list[CuePicture]:
    """The pictures to show and when: one per cue, or with word times one per word (that word
    highlighted from its start to the next word's), and the plain cue before the first word
    and after the last."""
    style = (spec.get("subtitles") or {}).get("style", {})
    pictures = []
    for cue in scene_cues(spec, scene_index):
        words = cue.get("words") or []
        if not words:
            spans = [(cue["start"], cue["end"], None, "")]
        else:
            spans = [(cue["start"], words[0]["start"], None, "")]
            said = ""
            for number, word in enumerate(words):
                until = words[number + 1]["start"] if number + 1 < len(words) else word["end"]
                spans.append((word["start"], until, word["text"], said))
                said += word["text"]
            spans.append((words[-1]["end"], cue["end"], None, ""))
        for start, end, word, said in spans:
            if end <= start:
                continue
            drawn = cue_picture(cue["text"], style, spec["width"], spec["height"], highlight=word, after=said)
            if drawn is not None:
                pictures.append(CuePicture(start, end, *drawn))
    return pictures


@dataclass
class ColourOverlay:
    """A coloured picture as Y, U, V planes with its coverage at luma and chroma resolution."""

    y: Image.Image
    u: Image.Image
    v: Image.Image
    a_y: Image.Image
    a_c: Image.Image
    x: int
    top: int

    @classmethod
    def from_rgba(cls, image: Image.Image, x: int, top: int) -> ColourOverlay:
        # Even positions keep each chroma sample over exactly two luma pixels.
        x, top = x - x % 2, top - top % 2
        padded, (y, u, v) = pad_even(image)
        a_y = padded.getchannel("A")
        half = (padded.width // 2, padded.height // 2)
        return cls(
            _plane(y),
            _plane(u).resize(half, Image.Resampling.BOX),
            _plane(v).resize(half, Image.Resampling.BOX),
            a_y,
            a_y.resize(half, Image.Resampling.BOX),
            x,
            top,
        )

    def paste(self, y: Image.Image, u: Image.Image, v: Image.Image) -> None:
        y.paste(self.y, (self.x, self.top), self.a_y)
        u.paste(self.u, (self.x // 2, self.top // 2), self.a_c)
        v.paste(self.v, (self.x // 2, self.top // 2), self.a_c)


class BurnedSubtitles:
    """The cues of one scene, ready to paste by frame number (0 = the scene's first frame)."""

    def __init__(self, spec: dict[str, Any], scene_index: int) -> None:
        fps, first = spec["fps"], scene_start_frame(spec, scene_index)
        # A frame shows a cue when the frame's time is inside [start, end).
        self.spans = [
            (
                math.ceil(picture.start * fps - 1e-6) - first,
                math.ceil(picture.end * fps - 1e-6) - first,
                ColourOverlay.from_rgba(picture.image, picture.x, picture.y),
            )
            for picture in cue_pictures(spec, scene_index)
        ]

    def __bool__(self) -> bool:
        return bool(self.spans)

    def paste(self, y: Image.Image, u: Image.Image, v: Image.Image, frame: int) -> None:
        for first, stop, overlay in self.spans:
            if first <= frame < stop:
                overlay.paste(y, u, v)
