"""Joining by stream copy: chunks, a soundtrack, the index first."""

from __future__ import annotations

import pytest

from media.concat import concat_copy, encode_aac, stitch
from media.probe import probe
from tests.media.clips import encode, tone_wav


def test_concat_copy_joins_chunks_into_their_summed_frame_count(tmp_path):
    folder = tmp_path / "it's a folder"
    folder.mkdir()
    first, second = encode(folder / "a.mp4", 30), encode(folder / "b'quote.mp4", 45)
    concat_copy([first, second], tmp_path / "joined.mp4", timeout=60)
    probed = probe(tmp_path / "joined.mp4")
    assert probed.video.frames == 75
    assert probed.duration == pytest.approx(2.5, abs=0.01)
    assert not list(tmp_path.glob(".concat-*")), "the list file is cleaned up"


@pytest.mark.parametrize("audio_seconds", [1.0, 4.0], ids=["shorter audio", "longer audio"])
def test_a_soundtrack_encoded_ahead_is_laid_on_by_copy_lasting_as_long_as_the_video(tmp_path, audio_seconds):
    soundtrack = tmp_path / "soundtrack.m4a"
    encode_aac(tone_wav(tmp_path / "tone.wav", [(audio_seconds, 0.5)]), soundtrack, seconds=2.0, timeout=60)
    assert probe(soundtrack).duration == pytest.approx(2.0, abs=0.05)
    clips = [encode(tmp_path / "a.mp4", 24), encode(tmp_path / "b.mp4", 36)]
    stitch(clips, soundtrack, tmp_path / "stitched.mp4", tmp_path / "refined.mp4", timeout=60)
    refined = probe(tmp_path / "refined.mp4")
    assert (refined.audio.codec, refined.audio.sample_rate, refined.audio.channels) == ("aac", 48000, 2)
    assert refined.video.frames == 60
    assert refined.duration == pytest.approx(2.0, abs=0.05)
    stitched = probe(tmp_path / "stitched.mp4")
    assert stitched.audio is None, "the stitched video is the clips alone"
    assert stitched.video.frames == 60
    for joined in ("stitched.mp4", "refined.mp4"):
        data = (tmp_path / joined).read_bytes()
        assert data.index(b"moov") < data.index(b"mdat"), f"{joined} has its index first"
    assert not list(tmp_path.glob(".concat-*")) and not list(tmp_path.glob(".*partial*"))
