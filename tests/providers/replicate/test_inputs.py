"""Our roles mapped onto each model's own input names, and values fitted to what it allows,
from the published schemas alone (no service needed)."""

from __future__ import annotations

import pytest

from providers.replicate.inputs import IMAGE_ROLES, VIDEO_ROLES, Mapping
from providers.replicate.schemas import InputSchema, ModelRef
from tests.providers.replicate_models import CATALOG, CatalogModel, choice, text


def bind(name: str, roles: tuple[str, ...] = VIDEO_ROLES, model: CatalogModel | None = None) -> Mapping:
    schema = InputSchema.from_openapi((model or CATALOG[name]).openapi())
    return Mapping.bind(ModelRef(name), schema, roles=roles, setting="REPLICATE_VIDEO_MODEL")


@pytest.mark.parametrize(
    ("model", "names"),
    [
        (
            "wan-video/wan-2.1-i2v-480p",
            {
                "first_frame": "image",
                "frames": "num_frames",
                "fps": "frames_per_second",
                "resolution": "max_area",
            },
        ),
        (
            "lightricks/ltx-video",
            {"first_frame": "image", "frames": "length", "aspect_ratio": "aspect_ratio"},
        ),
        ("kwaivgi/kling-v2.1", {"first_frame": "start_image", "seconds": "duration"}),
        ("minimax/video-01", {"first_frame": "first_frame_image"}),
        ("google/veo-3", {"first_frame": "image", "seconds": "duration", "resolution": "resolution"}),
        (
            "bytedance/seedance-1-lite",
            {"first_frame": "image", "last_frame": "last_frame_image", "seconds": "duration", "fps": "fps"},
        ),
    ],
)
def test_each_role_goes_to_the_input_the_model_names_it_by(model, names):
    mapping = bind(model)
    assert mapping.names["prompt"] == "prompt"
    assert {role: mapping.names.get(role) for role in names} == names


def test_durations_take_the_shortest_option_that_covers_the_scene_and_keep_the_options_type():
    kling = CatalogModel(kind="video", inputs={"prompt": text(), "duration": choice(["5", "10"], "5")})
    mapping = bind("kwaivgi/kling-v1.6-standard", model=kling)
    assert [mapping.fit("seconds", s) for s in (2, 5, 7.5, 14)] == ["5", "5", "10", "10"]


def test_counts_are_rounded_up_and_kept_within_the_range():
    wan = bind("wan-video/wan-2.1-i2v-480p")
    assert [wan.fit("frames", n) for n in (32, 90.2, 160)] == [81, 91, 100]
    assert bind("bytedance/seedance-1-lite").fit("seconds", 2.01) == 3


@pytest.mark.parametrize(
    ("model", "size", "expected"),
    [
        ("wan-video/wan-2.1-i2v-480p", (1080, 1920), {"max_area": "480x832"}),
        ("bytedance/seedance-1-lite", (1920, 1080), {"aspect_ratio": "16:9", "resolution": "720p"}),
        ("bytedance/seedance-1-lite", (1080, 1080), {"aspect_ratio": "1:1", "resolution": "720p"}),
        ("google/veo-3", (1080, 1920), {"aspect_ratio": "9:16", "resolution": "720p"}),
        ("lightricks/ltx-video", (1080, 1920), {"aspect_ratio": "9:16"}),
        ("kwaivgi/kling-v2.1", (1920, 1080), {}),
    ],
)
def test_the_frame_is_described_the_way_the_model_takes_it(model, size, expected):
    assert bind(model).frame_inputs(*size) == expected


@pytest.mark.parametrize(
    ("size", "expected"),
    [((1920, 1080), (1344, 768)), ((1080, 1920), (768, 1344)), ((1080, 1080), (1024, 1024))],
)
def test_an_image_model_with_width_and_height_keeps_its_own_area_at_our_shape(size, expected):
    sdxl = bind("stability-ai/sdxl", IMAGE_ROLES)
    assert sdxl.frame_inputs(*size) == dict(zip(("width", "height"), expected, strict=True))


def test_an_image_model_never_gets_a_first_frame_even_when_it_has_an_image_input():
    assert "first_frame" not in bind("stability-ai/sdxl", IMAGE_ROLES).names


def test_the_frame_rate_comes_from_the_override_then_the_schema_default():
    assert [
        bind(m).native_fps() for m in ("minimax/video-01", "wan-video/wan-2.1-i2v-480p", "kwaivgi/kling-v2.1")
    ] == [
        25,
        16,
        24,
    ]
