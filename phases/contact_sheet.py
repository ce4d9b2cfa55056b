"""A contact sheet of a finished video: one frame from the middle of each scene, with its
number and caption under it, so a person can check a whole video at a glance."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from media.probe import extract_frame
from providers.local.text import render_caption
from providers.spec import scene_start_frame

TILE_LONG_SIDE = 480
COLUMNS = 3
MARGIN = 16
CAPTION_SIZE = 18
PAPER = (250, 248, 243)
INK = (40, 38, 36)
FRAME_TIMEOUT = 60


def scene_times(spec: dict[str, Any]) -> list[float]:
    """The middle of each scene, in seconds of the whole video."""
    fps = spec["fps"]
    return [
        (scene_start_frame(spec, index) + scene["frames"] / 2) / fps
        for index, scene in enumerate(spec["scenes"])
    ]


def write_contact_sheet(video: Path, spec: dict[str, Any], out_path: Path) -> None:
    """Write a PNG of the scenes of `video` (made from `spec`) in rows of COLUMNS."""
    scale = TILE_LONG_SIDE / max(spec["width"], spec["height"])
    tile = (round(spec["width"] * scale), round(spec["height"] * scale))
    caption_height = CAPTION_SIZE * 3 + 12
    count = len(spec["scenes"])
    columns = min(COLUMNS, count)
    rows = math.ceil(count / columns)
    sheet = Image.new(
        "RGB",
        (columns * (tile[0] + MARGIN) + MARGIN, rows * (tile[1] + caption_height + MARGIN) + MARGIN),
        PAPER,
    )
    draw = ImageDraw.Draw(sheet)
    with tempfile.TemporaryDirectory(prefix="contact-sheet-") as workdir:
        for index, (scene, at) in enumerate(zip(spec["scenes"], scene_times(spec), strict=True)):
            frame_path = Path(workdir) / f"scene-{index}.png"
            extract_frame(video, at, frame_path, timeout=FRAME_TIMEOUT)
            x = MARGIN + (index % columns) * (tile[0] + MARGIN)
            y = MARGIN + (index // columns) * (tile[1] + caption_height + MARGIN)
            with Image.open(frame_path) as frame:
                sheet.paste(frame.convert("RGB").resize(tile, Image.Resampling.LANCZOS), (x, y))
            draw.rectangle((x - 1, y - 1, x + tile[0], y + tile[1]), outline=INK)
            label = f"{index + 1}. {scene['caption'] or scene['description']}"
            text = render_caption(
                label, max_width=tile[0], font_size=CAPTION_SIZE, fill=INK, outline=PAPER, max_lines=3
            )
            sheet.paste(text, (x + (tile[0] - text.width) // 2, y + tile[1] + 6), text)
    sheet.save(out_path, format="PNG", optimize=True)
