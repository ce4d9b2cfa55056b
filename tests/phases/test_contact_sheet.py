"""`manage.py generate ... --contact-sheet FILE.png`: one frame from the middle of each scene
of the finished video, each with its number and caption, in rows of three."""

from __future__ import annotations

from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from PIL import Image

from generations.models import VideoGeneration
from phases.contact_sheet import COLUMNS, MARGIN, TILE_LONG_SIDE, scene_times
from tests.generations.orchestration.test_pipeline import final_path, frame_at

pytestmark = pytest.mark.django_db(transaction=True)


def test_generate_writes_a_contact_sheet_of_every_scene_with_its_caption(tmp_path):
    sheet_path = tmp_path / "sheet.png"
    out = StringIO()
    call_command(
        "generate",
        "A red fox runs through the snow. A ship sails through the storm. A castle at night.",
        "--sync",
        "--duration",
        "5",
        "--resolution",
        "360p",
        "--no-narration",
        "--contact-sheet",
        str(sheet_path),
        stdout=out,
    )
    assert f"contact sheet {sheet_path}" in out.getvalue()
    generation = VideoGeneration.objects.get()
    spec = generation.spec
    assert (spec["width"], spec["height"]) == (640, 360)
    sheet = np.asarray(Image.open(sheet_path).convert("RGB"), dtype=np.int16)
    tile_w, tile_h = TILE_LONG_SIDE, TILE_LONG_SIDE * spec["height"] // spec["width"]
    assert sheet.shape[1] == COLUMNS * (tile_w + MARGIN) + MARGIN
    for index, at in enumerate(scene_times(spec)):
        frame = Image.fromarray(frame_at(final_path(generation), at, tmp_path).astype(np.uint8))
        expected = np.asarray(frame.resize((tile_w, tile_h), Image.Resampling.LANCZOS), dtype=np.int16)
        x, y = MARGIN + index * (tile_w + MARGIN), MARGIN
        tile = sheet[y : y + tile_h, x : x + tile_w]
        assert np.abs(tile - expected).mean() < 3, f"scene {index + 1} is not its own frame"
        caption_band = sheet[y + tile_h + 4 : y + tile_h + 40, x : x + tile_w]
        assert (caption_band.mean(axis=2) < 120).sum() > 50, f"scene {index + 1} has no caption"
