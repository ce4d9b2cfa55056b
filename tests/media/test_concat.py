"""Joining by stream copy: chunks, a soundtrack, the index first."""

from __future__ import annotations

import pytest

from media.concat import concat_copy, encode_aac, mux_copy, remux_faststart
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
    mux_copy(encode(tmp_path / "video.mp4", 60), soundtrack, tmp_path / "muxed.mp4", timeout=60)
    probed = probe(tmp_path / "muxed.mp4")
    assert (probed.audio.codec, probed.audio.sample_rate, probed.audio.channels) == ("aac", 48000, 2)
    assert probed.video.frames == 60
    assert probed.duration == pytest.approx(2.0, abs=0.05)


def test_remux_faststart_keeps_the_streams_and_puts_the_index_first(tmp_path):
    video = encode(tmp_path / "video.mp4", 30)
    remux_faststart(video, tmp_path / "fast.mp4", timeout=60)
    data = (tmp_path / "fast.mp4").read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")
    assert probe(tmp_path / "fast.mp4").video.frames == 30
