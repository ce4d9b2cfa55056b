"""FrameEncoder: frames drawn in Python into H.264, and its failures."""

from __future__ import annotations

import gc
import signal
import sys
import threading
import time
import weakref

import numpy as np
import pytest
from PIL import Image

from media.encode import FrameEncoder
from media.probe import extract_frame, probe
from media.run import run_ffmpeg
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


def test_frames_drawn_into_lent_buffers_arrive_in_order_and_the_buffers_come_back(tmp_path):
    lent = set()
    with FrameEncoder(tmp_path / "ramp.mp4", width=W, height=H, fps=FPS, timeout=30) as encoder:
        for i in range(60):
            buffer = encoder.frame_buffer()
            lent.add(id(buffer))
            buffer[: W * H] = 20 + 3 * i
            buffer[W * H :] = 128
            encoder.write(buffer)
    assert encoder.frames_written == 60
    assert len(lent) <= encoder.lend_limit
    for index in (0, 30, 59):
        extract_frame(tmp_path / "ramp.mp4", index / FPS, tmp_path / f"{index}.png", timeout=30)
        with Image.open(tmp_path / f"{index}.png") as picture:
            luma = np.asarray(picture.convert("L"), dtype=np.float32).mean()
        # Full-range PNG from limited-range video: 16..235 stretched to 0..255.
        assert luma == pytest.approx((20 + 3 * index - 16) * 255 / 219, abs=3)


def luma_levels(clip, width: int, height: int) -> np.ndarray:
    """The mean luma of every frame, full range: 16..235 stretched to 0..255."""
    raw = run_ffmpeg(["-i", str(clip), "-f", "rawvideo", "-pix_fmt", "gray", "-"], timeout=60)
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, height * width).mean(axis=1)


def test_a_lent_buffer_is_drawn_again_only_once_the_pipe_has_given_it_to_ffmpeg(tmp_path):
    # Handed to the pipe by reference, a frame is read when ffmpeg gets to it: a buffer lent
    # again too early would be drawn over while the pipe still holds it. Small frames, a
    # dozen to the pipe, and an encoder that lags behind the drawing (x264 starting up).
    width, height, count = 64, 64, 150
    with FrameEncoder(tmp_path / "levels.mp4", width=width, height=height, fps=FPS, timeout=60) as encoder:
        for i in range(count):
            buffer = encoder.frame_buffer()
            buffer[: width * height] = 20 + i
            buffer[width * height :] = 128
            encoder.write(buffer)
    assert encoder.splicing == (sys.platform == "linux")
    expected = (20 + np.arange(count) - 16) * 255 / 219
    np.testing.assert_allclose(luma_levels(tmp_path / "levels.mp4", width, height), expected, atol=2)


def test_a_finished_encoder_lets_its_frame_buffers_go_at_once(tmp_path):
    # A job renders scene after scene: buffers kept until the cycle collector runs would
    # pile up under the next scene's drawing.
    gc.disable()
    try:
        with FrameEncoder(tmp_path / "done.mp4", width=W, height=H, fps=FPS, timeout=30) as encoder:
            buffers = []
            for _ in range(10):
                buffer = encoder.frame_buffer()
                buffers.append(weakref.ref(buffer))
                encoder.write(buffer)
            del buffer
        assert all(ref() is None for ref in buffers)
        finished = weakref.ref(encoder)
        del encoder
        assert finished() is None
    finally:
        gc.enable()


def test_writing_lent_buffers_to_a_failed_ffmpeg_raises_instead_of_waiting(tmp_path):
    with pytest.raises(MediaError):
        with FrameEncoder(tmp_path / "odd.mp4", width=W + 1, height=H, fps=FPS, timeout=30) as encoder:
            for _ in range(200):
                encoder.write(encoder.frame_buffer())
                time.sleep(0.005)


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


def test_frames_written_while_signals_interrupt_the_pipe_all_arrive(tmp_path):
    # A signal with a handler, caught by the thread blocked writing a frame into the full
    # pipe, ends that write early with part of the frame sent.
    width, height = 1280, 720  # 1.3 MiB a frame: more than the pipe holds
    previous = signal.signal(signal.SIGUSR1, lambda *_: None)
    stop = threading.Event()

    def interrupt(thread: threading.Thread) -> None:
        while not stop.is_set() and thread.is_alive():
            signal.pthread_kill(thread.ident, signal.SIGUSR1)
            time.sleep(0.0005)

    try:
        with FrameEncoder(tmp_path / "noisy.mp4", width=width, height=height, fps=FPS, timeout=60) as encoder:
            interrupter = threading.Thread(target=interrupt, args=(encoder._writer,), daemon=True)
            interrupter.start()
            for i in range(40):
                buffer = encoder.frame_buffer()
                buffer[: width * height] = 20 + 4 * i
                buffer[width * height :] = 128
                encoder.write(buffer)
        stop.set()
        interrupter.join()
    finally:
        stop.set()
        signal.signal(signal.SIGUSR1, previous)
    assert probe(tmp_path / "noisy.mp4").video.frames == 40
    extract_frame(tmp_path / "noisy.mp4", 39 / FPS, tmp_path / "last.png", timeout=30)
    with Image.open(tmp_path / "last.png") as picture:
        luma = np.asarray(picture.convert("L"), dtype=np.float32).mean()
    assert luma == pytest.approx((20 + 4 * 39 - 16) * 255 / 219, abs=3)
