"""Scene clips from any Replicate video model by name, against the fake service serving each
model's published input schema: the request each model gets, the clip fitted to the scene,
and the cost from what the prediction reported."""

from __future__ import annotations

import base64
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from PIL import Image

from media.concat import concat_copy
from media.probe import probe
from providers.costs import CostMeter
from providers.replicate import ReplicateVideo
from tests.phases.spec_factory import make_spec
from tests.providers.fake_services import FakeServices
from toolbox.exceptions import ProviderError

SPEC = make_spec(duration=6, scenes=3)  # scenes of 2 s, 60 frames each, 1920x1080
# A first scene of 10 s, longer than one clip of most models.
LONG_SCENE = make_spec(duration=12, scenes=3, scene_overrides=[{"frames": 300}])


def reference_image(tmp_path: Path, colour: tuple[int, int, int] = (10, 200, 90)) -> Path:
    path = tmp_path / "reference.png"
    Image.new("RGB", (1920, 1080), colour).save(path)
    return path


def render(spec: dict[str, Any], tmp_path: Path, meter: CostMeter, index: int = 0) -> Path:
    out = tmp_path / f"scene_{index + 1:02d}.mp4"
    ReplicateVideo().render_chunk(spec, index, reference_image(tmp_path), out, meter)
    return out


def decoded_colour(fake: FakeServices, image_input: str) -> tuple[int, int, int]:
    """The centre colour of a first frame sent inline as a data URL or uploaded to the fake."""
    if image_input.startswith("data:"):
        header, _, payload = image_input.partition(",")
        assert header == "data:image/jpeg;base64"
        content = base64.b64decode(payload)
    else:
        content = fake.uploads[image_input]
    image = Image.open(io.BytesIO(content)).convert("RGB")
    return image.getpixel((image.width // 2, image.height // 2))


def assert_fitted(clip: Path, spec: dict[str, Any], index: int) -> None:
    probed = probe(clip)
    assert probed.audio is None and probed.video is not None
    assert (probed.video.codec, probed.video.profile, probed.video.pix_fmt) == ("h264", "High", "yuv420p")
    assert (probed.video.width, probed.video.height, probed.video.fps) == (
        spec["width"],
        spec["height"],
        30.0,
    )
    assert probed.video.frames == spec["scenes"][index]["frames"]


# model -> (the inputs it must get besides the prompt, where its first frame goes, USD charged).
# The USD are each model's price times what its fake prediction reports: predict_time on its
# hardware for the models billed by time, else seconds of video or one prediction.
CURRENT_MODELS = {
    "wan-video/wan-2.1-i2v-480p": (
        {"num_frames": 81, "frames_per_second": 16, "max_area": "832x480"},
        "image",
        Decimal("0.4554"),  # 81 frames at 16 fps = 5.06 s x $0.09
    ),
    "lightricks/ltx-video": (
        {"length": 97, "aspect_ratio": "16:9"},
        "image",
        Decimal("0.0264"),  # 17.3 s on an H100 at $0.001525/s
    ),
    "kwaivgi/kling-v2.1": ({"duration": 5}, "start_image", Decimal("0.25")),  # 5 s x $0.05
    "minimax/video-01": ({}, "first_frame_image", Decimal("0.50")),  # one prediction
    "google/veo-3": (
        {"duration": 4, "aspect_ratio": "16:9", "resolution": "720p", "generate_audio": False},
        "image",
        Decimal("2.00"),  # 4 s x $0.50
    ),
    "bytedance/seedance-1-lite": (
        {"duration": 2, "aspect_ratio": "16:9", "resolution": "720p", "fps": 24},
        "image",
        Decimal("0.072"),  # 2 s x $0.036
    ),
}


@pytest.mark.parametrize("model", list(CURRENT_MODELS))
def test_a_current_model_animates_the_reference_and_the_clip_fits_the_scene(
    fake: FakeServices, settings, tmp_path, model
):
    fake.add_model(model)
    settings.REPLICATE_VIDEO_MODEL = model
    expected_inputs, first_frame, usd = CURRENT_MODELS[model]
    meter = CostMeter()
    clip = render(SPEC, tmp_path, meter)
    assert_fitted(clip, SPEC, 0)
    [prediction] = fake.created("video")
    sent = prediction["input"]
    assert sent["prompt"].startswith(SPEC["scenes"][0]["description"])
    assert decoded_colour(fake, sent[first_frame]) == pytest.approx((10, 200, 90), abs=6)
    assert {name: sent.get(name) for name in expected_inputs} == expected_inputs
    assert meter.total == usd
    assert [charge.model for charge in meter.charges] == [model] * len(meter.charges)


def test_ltx_video_is_asked_for_the_shortest_length_it_offers_that_covers_the_scene(
    fake: FakeServices, settings, tmp_path
):
    fake.add_model("lightricks/ltx-video")
    settings.REPLICATE_VIDEO_MODEL = "lightricks/ltx-video"
    spec = make_spec(duration=15, aspect_ratio="9:16", scenes=3)  # 5 s scenes: 120 frames at 24 fps
    render(spec, tmp_path, CostMeter())
    [prediction] = fake.created("video")
    assert (prediction["input"]["length"], prediction["input"]["aspect_ratio"]) == (129, "9:16")


def test_a_model_with_no_duration_input_gets_clips_chained_from_the_last_frame(
    fake: FakeServices, settings, tmp_path
):
    fake.add_model("minimax/video-01")
    settings.REPLICATE_VIDEO_MODEL = "minimax/video-01"
    meter = CostMeter()
    clip = render(LONG_SCENE, tmp_path, meter)  # Hailuo makes 6 s whatever is asked
    assert_fitted(clip, LONG_SCENE, 0)
    first, second = fake.created("video")
    assert decoded_colour(fake, first["input"]["first_frame_image"]) == pytest.approx((10, 200, 90), abs=6)
    # The second clip starts from the first clip's last frame, in the fake's colour for it.
    assert decoded_colour(fake, second["input"]["first_frame_image"]) != pytest.approx((10, 200, 90), abs=6)
    assert meter.total == Decimal("1.00")
    assert not list(tmp_path.glob("*-fit*.mp4")), "the fitted pieces are not left behind"


def test_a_model_too_short_for_the_scene_is_called_again_and_the_pieces_fill_it_exactly(
    fake: FakeServices, settings, tmp_path
):
    fake.add_model("wan-video/wan-2.1-i2v-480p")
    settings.REPLICATE_VIDEO_MODEL = "wan-video/wan-2.1-i2v-480p"
    meter = CostMeter()
    assert_fitted(render(LONG_SCENE, tmp_path, meter), LONG_SCENE, 0)  # Wan: 100 frames at 16 fps at most
    assert [p["input"]["num_frames"] for p in fake.created("video")] == [100, 81]
    assert meter.total == Decimal("1.0179")  # (6.25 s + 5.06 s) x $0.09


def test_text_to_video_when_image_to_video_is_switched_off(fake: FakeServices, settings, tmp_path):
    fake.add_model("bytedance/seedance-1-lite")
    settings.REPLICATE_VIDEO_MODEL = "bytedance/seedance-1-lite"
    settings.REPLICATE_IMAGE_TO_VIDEO = False
    render(SPEC, tmp_path, CostMeter())
    [prediction] = fake.created("video")
    assert "image" not in prediction["input"] and prediction["input"]["aspect_ratio"] == "16:9"


def test_a_model_that_requires_a_first_frame_gets_one_even_with_image_to_video_off(
    fake: FakeServices, settings, tmp_path
):
    fake.add_model("kwaivgi/kling-v2.1")
    settings.REPLICATE_VIDEO_MODEL = "kwaivgi/kling-v2.1"
    settings.REPLICATE_IMAGE_TO_VIDEO = False
    render(SPEC, tmp_path, CostMeter())
    assert "start_image" in fake.created("video")[0]["input"]


def test_a_first_frame_too_big_to_send_inline_is_uploaded_and_passed_by_its_url(
    fake: FakeServices, settings, tmp_path
):
    fake.add_model("kwaivgi/kling-v2.1")
    settings.REPLICATE_VIDEO_MODEL = "kwaivgi/kling-v2.1"
    settings.REPLICATE_INLINE_IMAGE_MAX_BYTES = 1000
    render(SPEC, tmp_path, CostMeter())
    sent = fake.created("video")[0]["input"]["start_image"]
    assert list(fake.uploads) == [sent] and sent.startswith(f"{fake.base_url}/v1/files/")
    assert decoded_colour(fake, sent) == pytest.approx((10, 200, 90), abs=6)


def test_a_failed_prediction_of_a_model_billed_per_output_costs_nothing(
    fake: FakeServices, settings, tmp_path
):
    fake.add_model("kwaivgi/kling-v2.1")
    settings.REPLICATE_VIDEO_MODEL = "kwaivgi/kling-v2.1"
    fake.script("video", ("fail", "The input image was flagged as sensitive"))
    meter = CostMeter()
    with pytest.raises(ProviderError, match="flagged as sensitive"):
        render(SPEC, tmp_path, meter)
    assert [charge.usd for charge in meter.charges] == [Decimal("0.25"), Decimal("-0.25")]  # 5 s x $0.05
    assert meter.total == 0


@pytest.mark.parametrize("aspect", ["16:9", "9:16"])
def test_zeroscope_is_driven_through_the_same_path(fake: FakeServices, tmp_path, aspect):
    spec = make_spec(duration=5, aspect_ratio=aspect)
    meter = CostMeter()
    clip = render(spec, tmp_path, meter)
    assert_fitted(clip, spec, 0)
    [prediction] = fake.created("video")
    sent = prediction["input"]
    size = (1024, 576) if aspect == "16:9" else (576, 1024)
    assert (sent["width"], sent["height"], sent["fps"]) == (*size, 8)
    assert sent["num_frames"] == 14  # ceil(50 frames / 30 fps x 8 fps)
    assert "image" not in sent, "Zeroscope has no first frame: text-to-video"
    assert meter.total == Decimal("0.0861")  # 61.5 s on an A100 at $0.0014/s


def test_normalised_clips_join_by_stream_copy(fake: FakeServices, tmp_path):
    clips = [render(SPEC, tmp_path, CostMeter(), index) for index in range(2)]
    concat_copy(clips, tmp_path / "stitched.mp4", timeout=60)
    probed = probe(tmp_path / "stitched.mp4")
    assert probed.video.frames == SPEC["scenes"][0]["frames"] + SPEC["scenes"][1]["frames"]


def test_animatediff_serves_the_clips_when_chosen(fake: FakeServices, settings, tmp_path):
    settings.REPLICATE_VIDEO_MODEL = "animatediff"
    meter = CostMeter()
    clip = render(SPEC, tmp_path, meter, 1)
    assert_fitted(clip, SPEC, 1)
    [prediction] = fake.created("video")
    assert prediction["model"] == "lucataco/animate-diff"
    assert prediction["input"]["n_prompt"].startswith("text, caption")
    assert (prediction["input"]["steps"], prediction["input"]["guidance_scale"]) == (25, 7.5)
    assert meter.total == Decimal("0.0174")  # 24 s on an A40 at $0.000725/s


def test_a_model_that_needs_an_input_we_cannot_give_fails_when_the_provider_is_built(
    fake: FakeServices, settings
):
    fake.add_model("example/frame-interpolator")
    settings.REPLICATE_VIDEO_MODEL = "example/frame-interpolator"
    with pytest.raises(ImproperlyConfigured) as failure:
        ReplicateVideo()
    assert str(failure.value) == (
        "REPLICATE_VIDEO_MODEL: Replicate model example/frame-interpolator requires the input 'video', "
        "which videogen cannot provide; choose another model or map it in providers/replicate/overrides.py"
    )
    assert fake.created() == []
