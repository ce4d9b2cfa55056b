"""Pictures burned into a clip between their times, the clip still a chunk."""

from __future__ import annotations

import numpy as np
from PIL import Image

from media.overlay import TimedOverlay, burn_overlays
from media.probe import extract_frame, probe
from tests.media.clips import FPS, H, W, encode


def pixel(video, seconds, tmp_path, xy) -> np.ndarray:
    extract_frame(video, seconds, tmp_path / "frame.png", timeout=30)
    with Image.open(tmp_path / "frame.png") as frame:
        return np.asarray(frame.convert("RGB"), dtype=np.int16)[xy[1], xy[0]]


def test_a_picture_shows_only_between_its_start_and_end_and_no_frame_is_lost(tmp_path):
    clip = encode(tmp_path / "clip.mp4", 45)
    Image.new("RGBA", (40, 20), (220, 30, 30, 255)).save(tmp_path / "red.png")
    overlay = TimedOverlay(image=tmp_path / "red.png", x=100, y=80, start=0.5, end=1.0)
    burn_overlays(clip, tmp_path / "burned.mp4", [overlay], fps=FPS, frames=45, timeout=60)
    burned = tmp_path / "burned.mp4"
    assert (probe(burned).video.width, probe(burned).video.height, probe(burned).video.frames) == (W, H, 45)
    red = np.array([220, 30, 30])
    assert np.abs(pixel(burned, 0.75, tmp_path, (120, 90)) - red).max() < 30
    assert np.abs(pixel(burned, 0.25, tmp_path, (120, 90)) - red).max() > 60
    assert np.abs(pixel(burned, 1.25, tmp_path, (120, 90)) - red).max() > 60
