"""ffprobe's reading of a file, and still frames out of a video."""

from __future__ import annotations

import pytest
from PIL import Image

from media.probe import extract_frame, probe
from tests.media.clips import H, W, encode
from toolbox.exceptions import MediaError


def test_probe_of_a_file_that_is_not_media_raises_media_error(tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video" * 100)
    with pytest.raises(MediaError, match="ffprobe"):
        probe(junk)


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_extract_frame_writes_one_image_of_the_video_size(tmp_path, suffix):
    video = encode(tmp_path / "video.mp4", 30)
    extract_frame(video, 0.5, tmp_path / f"frame{suffix}", timeout=30)
    with Image.open(tmp_path / f"frame{suffix}") as image:
        assert image.size == (W, H)


def test_extract_frame_past_the_end_raises_media_error(tmp_path):
    video = encode(tmp_path / "video.mp4", 15)
    with pytest.raises(MediaError):
        extract_frame(video, 10.0, tmp_path / "late.png", timeout=30)
