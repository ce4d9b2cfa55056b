"""The chunks phase run through the queue with paid providers, then delivered again; the
check every clip passes before it is stored."""

from __future__ import annotations

import pytest

from phases.chunks import check_clip
from tests.media.clips import encode
from toolbox.exceptions import PhaseException

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_second_delivery_changes_nothing_and_charges_nothing(run_twice):
    first, second = run_twice("chunks")
    assert second == first
    assert first.attempts == 1


def _spec(frames: int, width: int = 320, height: int = 180) -> dict:
    return {"width": width, "height": height, "scenes": [{"frames": frames}]}


@pytest.mark.django_db(transaction=False)
def test_a_clip_that_is_not_exactly_its_scene_fails_the_check_saying_how(tmp_path):
    clip = encode(tmp_path / "clip.mp4", 30)
    check_clip(clip, _spec(30), 0)
    with pytest.raises(PhaseException, match="scene 1 clip has 30 frames, expected 31"):
        check_clip(clip, _spec(31), 0)
    with pytest.raises(PhaseException, match="scene 1 clip is 320x180, expected 640x360"):
        check_clip(clip, _spec(30, 640, 360), 0)
    clip.write_bytes(clip.read_bytes()[:-100])
    with pytest.raises(PhaseException, match="scene 1 clip is not a readable MP4"):
        check_clip(clip, _spec(30), 0)
