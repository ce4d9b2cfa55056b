"""FrameEncoder: frames drawn in Python into H.264, and its failures."""

from __future__ import annotations

import time

import pytest

from media.encode import FrameEncoder
from media.probe import probe
from tests.media.clips import FPS, H, W, encode
from toolbox.exceptions import MediaError


def test_frame_encoder_writes_h264_high_yuv420p_with_every_frame(tmp_path):
    probed = probe(encode(tmp_path / "clip.mp4", 45))
    assert probed.video is not None and probed.audio is None
    assert (probed.video.codec, probed.video.profile, probed.video.pix_fmt) == ("h264", "High", "yuv420p")
    assert (probed.video.width, probed.video.height, probed.video.fps) == (W, H, 30.0)
    assert probed.video.frames == 45
    assert probed.duration == pytest.approx(1.5, abs=0.01)


def test_frame_encoder_accepts_one_buffer_per_frame(tmp_path):
    frame = bytes([16]) * (W * H) + bytes([128]) * (W * H // 2)
    with FrameEncoder(tmp_path / "flat.mp4", width=W, height=H, fps=FPS, timeout=30) as encoder:
        for _ in range(10):
            encoder.write(memoryview(frame))
    assert encoder.frames_written == 10
    assert probe(tmp_path / "flat.mp4").video.frames == 10


def test_frame_encoder_reports_ffmpeg_failure_with_its_stderr(tmp_path):
    # libx264 refuses odd dimensions for 4:2:0, which ffmpeg reports once frames arrive.
    with pytest.raises(MediaError) as failure:
        encode(tmp_path / "odd.mp4", 5, width=W + 1, height=H)
    assert "libx264" in str(failure.value) or "divisible" in str(failure.value)
    assert not list(tmp_path.iterdir()), "no partial file is left behind"


def test_frame_encoder_rejects_a_partial_frame(tmp_path):
    with pytest.raises(MediaError, match="whole number of frames"):
        with FrameEncoder(tmp_path / "half.mp4", width=W, height=H, fps=FPS, timeout=30) as encoder:
            encoder.write(bytes(W * H))


def test_frame_encoder_stops_ffmpeg_when_the_body_raises(tmp_path):
    with pytest.raises(RuntimeError, match="drawing failed"):
        with FrameEncoder(tmp_path / "aborted.mp4", width=W, height=H, fps=FPS, timeout=30) as encoder:
            encoder.write(bytes(W * H * 3 // 2))
            raise RuntimeError("drawing failed")
    assert encoder._proc is not None and encoder._proc.returncode is not None
    assert not list(tmp_path.iterdir()), "no partial file is left behind"


def test_frame_encoder_that_outlives_its_timeout_is_killed_with_media_error(tmp_path):
    with pytest.raises(MediaError, match="timed out"):
        with FrameEncoder(tmp_path / "slow.mp4", width=W, height=H, fps=FPS, timeout=0.3) as encoder:
            time.sleep(0.8)
            encoder.write(bytes(W * H * 3 // 2))
