"""Someone else's clip and soundtrack made to fit a chunk and the video's length."""

from __future__ import annotations

import pytest

from media.fit import fit_audio, fit_clip
from media.probe import probe
from tests.media.clips import FPS, encode, tone_wav
from toolbox.exceptions import MediaError


def test_a_short_clip_becomes_a_chunk_of_exactly_the_scene_size_and_frame_count(tmp_path):
    clip = encode(tmp_path / "model.mp4", 15, width=256, height=256)
    fit_clip(clip, tmp_path / "chunk.mp4", width=320, height=180, fps=FPS, frames=45, timeout=60)
    probed = probe(tmp_path / "chunk.mp4")
    assert probed.audio is None
    assert (probed.video.codec, probed.video.profile, probed.video.pix_fmt) == ("h264", "High", "yuv420p")
    assert (probed.video.width, probed.video.height, probed.video.frames) == (320, 180, 45)


def test_a_file_without_video_is_refused(tmp_path):
    audio = tone_wav(tmp_path / "tone.wav", [(1.0, 0.5)])
    with pytest.raises(MediaError, match="no video stream"):
        fit_clip(audio, tmp_path / "chunk.mp4", width=320, height=180, fps=FPS, frames=30, timeout=60)


@pytest.mark.parametrize("source_seconds", [1.0, 4.0], ids=["looped", "cut"])
def test_a_soundtrack_is_looped_or_cut_to_exactly_the_length_asked(tmp_path, source_seconds):
    track = tone_wav(tmp_path / "music.wav", [(source_seconds, 0.5)], rate=32000)
    fit_audio(track, tmp_path / "fitted.wav", seconds=2.5, timeout=60)
    probed = probe(tmp_path / "fitted.wav")
    assert (probed.audio.codec, probed.audio.sample_rate, probed.audio.channels) == ("pcm_s16le", 48000, 2)
    assert probed.duration == pytest.approx(2.5, abs=1 / 48000)
