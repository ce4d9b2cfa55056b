"""The subprocess runner: ffmpeg found, failures and timeouts as MediaError with stderr's tail."""

from __future__ import annotations

import pytest

from media.run import ffmpeg_available, run_ffmpeg
from toolbox.exceptions import MediaError


def test_ffmpeg_is_available():
    assert ffmpeg_available()


def test_a_failing_command_raises_media_error_with_the_command_and_stderr_tail(tmp_path):
    with pytest.raises(MediaError) as failure:
        run_ffmpeg(["-i", str(tmp_path / "missing.mp4"), str(tmp_path / "out.mp4")], timeout=30)
    message = str(failure.value)
    assert "ffmpeg" in message and "missing.mp4" in message
    assert "No such file or directory" in message


def test_a_command_that_runs_too_long_is_stopped_with_media_error(tmp_path):
    endless = ["-f", "lavfi", "-i", "testsrc=size=320x180:rate=30", "-f", "null", "-"]
    with pytest.raises(MediaError, match="timed out"):
        run_ffmpeg(endless, timeout=0.5)
