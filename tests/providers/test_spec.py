"""The spec schema every planner answers with: what it accepts and what it refuses by name."""

from __future__ import annotations

import pytest

from providers.spec import (
    RESOLUTIONS,
    SIZES,
    frame_sizes,
    frames_to_seconds,
    resolution_size,
    scene_start_frame,
    split_frames,
    validate_spec,
)
from tests.phases.spec_factory import make_spec
from toolbox.exceptions import ValidationException


@pytest.mark.parametrize("aspect_ratio", sorted(SIZES))
def test_a_well_formed_spec_is_accepted_in_every_shape(aspect_ratio):
    spec = make_spec(aspect_ratio=aspect_ratio)
    assert validate_spec(spec) is spec


def test_scene_frames_must_add_up_to_the_duration():
    spec = make_spec(duration=6, scenes=3)
    spec["scenes"][0]["frames"] += 1
    spec["scenes"][0]["duration"] = frames_to_seconds(spec["scenes"][0]["frames"])
    with pytest.raises(ValidationException, match=r"scene frames must add up to 180"):
        validate_spec(spec)


def test_the_frame_size_must_match_the_aspect_ratio():
    spec = make_spec(aspect_ratio="9:16")
    spec["width"], spec["height"] = spec["height"], spec["width"]
    with pytest.raises(ValidationException, match=r"width/height must be one of 1080x1920, 720x1280, "):
        validate_spec(spec)


@pytest.mark.parametrize("aspect_ratio", sorted(SIZES))
def test_a_spec_may_ask_for_a_smaller_draft_frame_of_its_shape(aspect_ratio):
    sizes = frame_sizes(aspect_ratio)
    assert sizes[0] == SIZES[aspect_ratio] and min(sizes[-1]) == 240
    for width, height in sizes:
        assert width % 2 == 0 and height % 2 == 0, "yuv420p halves both sides"
        assert validate_spec(make_spec(aspect_ratio=aspect_ratio, width=width, height=height))
    with pytest.raises(ValidationException, match="width/height"):
        validate_spec(make_spec(aspect_ratio=aspect_ratio, width=100, height=100))


@pytest.mark.parametrize(
    ("aspect_ratio", "resolution", "size"),
    [
        ("16:9", "1080p", (1920, 1080)),
        ("16:9", "720p", (1280, 720)),
        ("9:16", "720p", (720, 1280)),
        ("1:1", "480p", (480, 480)),
        ("9:16", "240p", (240, 426)),
    ],
)
def test_a_resolution_names_the_short_side_of_its_shapes_frame(aspect_ratio, resolution, size):
    assert resolution_size(aspect_ratio, resolution) == size


def test_every_resolution_is_a_frame_a_spec_may_have():
    for aspect_ratio in SIZES:
        assert [resolution_size(aspect_ratio, name) for name in RESOLUTIONS] == frame_sizes(aspect_ratio)


def test_every_problem_is_named_with_its_path():
    spec = make_spec()
    spec["scenes"][1]["camera"] = "spin_wildly"
    del spec["scenes"][2]["caption"]
    with pytest.raises(ValidationException) as refused:
        validate_spec(spec)
    assert "scenes/1/camera" in str(refused.value)
    assert "caption" in str(refused.value)


def test_frames_split_exactly_in_proportion():
    assert split_frames(180, [1, 1, 1]) == [60, 60, 60]
    assert sum(split_frames(181, [2, 1, 1])) == 181
    assert split_frames(10, [1, 2]) == [3, 7]


def test_a_scene_starts_where_the_scenes_before_it_end():
    spec = make_spec(duration=6, scenes=3)
    frames = [scene["frames"] for scene in spec["scenes"]]
    assert scene_start_frame(spec, 0) == 0
    assert scene_start_frame(spec, 2) == frames[0] + frames[1]
