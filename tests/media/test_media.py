"""The ffmpeg/ffprobe wrapper, against the real binaries on small inputs."""

from __future__ import annotations

import math
import time
import wave
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import media
from toolbox.exceptions import MediaError

W, H, FPS = 320, 180, 30


def encode(path: Path, frames: int, *, width: int = W, height: int = H) -> Path:
    """A small clip of a bright bar sweeping over a gradient, written as yuv420p planes."""
    ramp = np.linspace(16, 235, width, dtype=np.float32).astype(np.uint8)
    chroma = np.full((height // 2, width // 2), 128, dtype=np.uint8)
    with media.FrameEncoder(path, width=width, height=height, fps=FPS, timeout=60) as encoder:
        for i in range(frames):
            luma = np.repeat(ramp[None, :], height, axis=0)
            luma[:, (i * 7) % width : (i * 7) % width + 10] = 235
            encoder.write((luma, chroma, chroma))
    return path


def write_wav(
    path: Path, segments: list[tuple[float, float]], *, rate: int = 44100, channels: int = 1
) -> Path:
    """Consecutive (seconds, amplitude) stretches of a 440 Hz tone; amplitude 0 is silence."""
    parts = []
    for seconds, amplitude in segments:
        t = np.arange(round(seconds * rate)) / rate
        parts.append(amplitude * np.sin(2 * math.pi * 440 * t))
    samples = (np.concatenate(parts) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.repeat(samples, channels).tobytes())
    return path


def test_ffmpeg_is_available():
    assert media.ffmpeg_available()


def test_a_failing_command_raises_media_error_with_the_command_and_stderr_tail(tmp_path):
    with pytest.raises(MediaError) as failure:
        media.run_ffmpeg(["-i", str(tmp_path / "missing.mp4"), str(tmp_path / "out.mp4")], timeout=30)
    message = str(failure.value)
    assert "ffmpeg" in message and "missing.mp4" in message
    assert "No such file or directory" in message


def test_probe_of_a_file_that_is_not_media_raises_media_error(tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video" * 100)
    with pytest.raises(MediaError, match="ffprobe"):
        media.probe(junk)


def test_a_command_that_runs_too_long_is_stopped_with_media_error(tmp_path):
    endless = ["-f", "lavfi", "-i", "testsrc=size=320x180:rate=30", "-f", "null", "-"]
    with pytest.raises(MediaError, match="timed out"):
        media.run_ffmpeg(endless, timeout=0.5)


def test_frame_encoder_writes_h264_high_yuv420p_with_every_frame(tmp_path):
    probed = media.probe(encode(tmp_path / "clip.mp4", 45))
    assert probed.video is not None and probed.audio is None
    assert (probed.video.codec, probed.video.profile, probed.video.pix_fmt) == ("h264", "High", "yuv420p")
    assert (probed.video.width, probed.video.height, probed.video.fps) == (W, H, 30.0)
    assert probed.video.frames == 45
    assert probed.duration == pytest.approx(1.5, abs=0.01)


def test_frame_encoder_accepts_one_buffer_per_frame(tmp_path):
    frame = bytes([16]) * (W * H) + bytes([128]) * (W * H // 2)
    with media.FrameEncoder(tmp_path / "flat.mp4", width=W, height=H, fps=FPS, timeout=30) as encoder:
        for _ in range(10):
            encoder.write(memoryview(frame))
    assert encoder.frames_written == 10
    assert media.probe(tmp_path / "flat.mp4").video.frames == 10


def test_frame_encoder_reports_ffmpeg_failure_with_its_stderr(tmp_path):
    # libx264 refuses odd dimensions for 4:2:0, which ffmpeg reports once frames arrive.
    with pytest.raises(MediaError) as failure:
        encode(tmp_path / "odd.mp4", 5, width=W + 1, height=H)
    assert "libx264" in str(failure.value) or "divisible" in str(failure.value)
    assert not list(tmp_path.iterdir()), "no partial file is left behind"


def test_frame_encoder_rejects_a_partial_frame(tmp_path):
    with pytest.raises(MediaError, match="whole number of frames"):
        with media.FrameEncoder(tmp_path / "half.mp4", width=W, height=H, fps=FPS, timeout=30) as encoder:
            encoder.write(bytes(W * H))


def test_frame_encoder_stops_ffmpeg_when_the_body_raises(tmp_path):
    with pytest.raises(RuntimeError, match="drawing failed"):
        with media.FrameEncoder(tmp_path / "aborted.mp4", width=W, height=H, fps=FPS, timeout=30) as encoder:
            encoder.write(bytes(W * H * 3 // 2))
            raise RuntimeError("drawing failed")
    assert encoder._proc is not None and encoder._proc.returncode is not None
    assert not list(tmp_path.iterdir()), "no partial file is left behind"


def test_frame_encoder_that_outlives_its_timeout_is_killed_with_media_error(tmp_path):
    with pytest.raises(MediaError, match="timed out"):
        with media.FrameEncoder(tmp_path / "slow.mp4", width=W, height=H, fps=FPS, timeout=0.3) as encoder:
            time.sleep(0.8)
            encoder.write(bytes(W * H * 3 // 2))


def test_concat_copy_joins_chunks_into_their_summed_frame_count(tmp_path):
    folder = tmp_path / "it's a folder"
    folder.mkdir()
    first, second = encode(folder / "a.mp4", 30), encode(folder / "b'quote.mp4", 45)
    media.concat_copy([first, second], tmp_path / "joined.mp4", timeout=60)
    probed = media.probe(tmp_path / "joined.mp4")
    assert probed.video.frames == 75
    assert probed.duration == pytest.approx(2.5, abs=0.01)
    assert not list(tmp_path.glob(".concat-*")), "the list file is cleaned up"


@pytest.mark.parametrize("audio_seconds", [1.0, 4.0], ids=["shorter audio", "longer audio"])
def test_mux_audio_adds_aac_48k_stereo_lasting_exactly_as_long_as_the_video(tmp_path, audio_seconds):
    video = encode(tmp_path / "video.mp4", 60)
    audio = write_wav(tmp_path / "tone.wav", [(audio_seconds, 0.5)])
    media.mux_audio(video, audio, tmp_path / "muxed.mp4", timeout=60)
    probed = media.probe(tmp_path / "muxed.mp4")
    assert probed.audio is not None
    assert (probed.audio.codec, probed.audio.sample_rate, probed.audio.channels) == ("aac", 48000, 2)
    assert probed.video.frames == 60
    assert probed.duration == pytest.approx(2.0, abs=0.05)


def test_remux_faststart_keeps_the_streams_and_puts_the_index_first(tmp_path):
    video = encode(tmp_path / "video.mp4", 30)
    media.remux_faststart(video, tmp_path / "fast.mp4", timeout=60)
    data = (tmp_path / "fast.mp4").read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")
    assert media.probe(tmp_path / "fast.mp4").video.frames == 30


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_extract_frame_writes_one_image_of_the_video_size(tmp_path, suffix):
    video = encode(tmp_path / "video.mp4", 30)
    media.extract_frame(video, 0.5, tmp_path / f"frame{suffix}", timeout=30)
    with Image.open(tmp_path / f"frame{suffix}") as image:
        assert image.size == (W, H)


def test_extract_frame_past_the_end_raises_media_error(tmp_path):
    video = encode(tmp_path / "video.mp4", 15)
    with pytest.raises(MediaError):
        media.extract_frame(video, 10.0, tmp_path / "late.png", timeout=30)


def test_audio_levels_tell_silence_from_a_tone(tmp_path):
    audio = write_wav(tmp_path / "half.wav", [(1.0, 0.0), (1.0, 0.5)], channels=2)
    silence = media.audio_levels(audio, start=0, end=1, timeout=30)
    tone = media.audio_levels(audio, start=1, end=2, timeout=30)
    assert silence == media.SILENCE_DBFS
    # A sine of amplitude 0.5 has an RMS of 0.5 / sqrt(2): about -9 dBFS.
    assert tone == pytest.approx(-9.03, abs=0.3)
