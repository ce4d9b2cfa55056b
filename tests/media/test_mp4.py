"""A clip's video track read from its MP4 boxes agrees with ffprobe, and a broken file is a
MediaError, never a wrong answer."""

from __future__ import annotations

import pytest

from media.mp4 import video_track
from media.probe import probe
from media.run import run_ffmpeg
from tests.media.clips import encode, tone_wav
from toolbox.exceptions import MediaError


def _as_ffprobe_sees_it(path):
    video = probe(path).video
    return (video.width, video.height, video.frames)


def test_a_clip_from_the_encoder_reads_as_ffprobe_reads_it(tmp_path):
    clip = encode(tmp_path / "clip.mp4", 37, width=322, height=180)
    track = video_track(clip)
    assert (track.width, track.height, track.frames) == _as_ffprobe_sees_it(clip) == (322, 180, 37)


def test_the_index_first_and_64_bit_track_headers_read_alike(tmp_path):
    # A timescale this fine makes ffmpeg write the version 1 (64-bit) track header.
    fine = tmp_path / "fine.mp4"
    source = ["-f", "lavfi", "-i", "testsrc2=size=200x120:rate=30", "-frames:v", "45", "-c:v", "libx264"]
    run_ffmpeg([*source, "-movie_timescale", "2000000000", str(fine)], timeout=60)
    assert fine.read_bytes()[fine.read_bytes().index(b"tkhd") + 4] == 1
    faststart = tmp_path / "faststart.mp4"
    run_ffmpeg([*source, "-movflags", "+faststart", str(faststart)], timeout=60)
    for path in (fine, faststart):
        track = video_track(path)
        assert (track.width, track.height, track.frames) == _as_ffprobe_sees_it(path) == (200, 120, 45)


def test_a_file_with_sound_only_has_no_video_track(tmp_path):
    audio = tmp_path / "tone.m4a"
    run_ffmpeg(
        ["-i", str(tone_wav(tmp_path / "tone.wav", [(0.5, 0.5)])), "-c:a", "aac", str(audio)], timeout=60
    )
    assert video_track(audio) is None


@pytest.mark.parametrize("keep", [0.002, 0.3, 0.99], ids=["in the first box", "early", "at the end"])
def test_a_clip_cut_short_anywhere_is_a_media_error(tmp_path, keep):
    clip = encode(tmp_path / "clip.mp4", 30)
    data = clip.read_bytes()
    clip.write_bytes(data[: round(len(data) * keep)])
    with pytest.raises(MediaError):
        video_track(clip)


def test_a_file_that_is_not_an_mp4_is_a_media_error(tmp_path):
    picture = tmp_path / "not-a-clip.mp4"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    with pytest.raises(MediaError):
        video_track(picture)
