"""Storyboard frames and reference images from any Replicate image model by name."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from PIL import Image

from providers.costs import COST_SDXL_IMAGE, CostMeter
from providers.replicate import ReplicateImages
from tests.phases.spec_factory import make_spec
from tests.providers.fake_services import FakeServices

SPEC = make_spec(duration=6, scenes=3)


def test_a_reference_image_is_the_sdxl_output_cropped_to_the_frame(fake: FakeServices, tmp_path):
    meter = CostMeter()
    out = tmp_path / "scene_01.png"
    ReplicateImages().reference_image(SPEC, 0, out, meter)
    with Image.open(out) as image:
        assert (image.format, image.size) == ("PNG", (1920, 1080))
    [prediction] = fake.created("image")
    sent = prediction["input"]
    assert (sent["width"], sent["height"], sent["num_outputs"]) == (1344, 768, 1)
    assert sent["prompt"].startswith(SPEC["scenes"][0]["description"])
    assert sent["negative_prompt"].startswith("text, caption")
    # Estimated at the seed's constant, settled at the 6.8 s of an L40S the prediction reported.
    assert [(c.usd, c.adjusts) for c in meter.charges] == [
        (COST_SDXL_IMAGE, False),
        (Decimal("0.0011"), True),
    ]
    assert meter.total == Decimal("0.0066")


def test_a_storyboard_frame_is_small_and_keeps_the_aspect_ratio(fake: FakeServices, tmp_path):
    out = tmp_path / "scene_02.png"
    ReplicateImages().storyboard_frame(make_spec(aspect_ratio="9:16"), 1, out, CostMeter())
    with Image.open(out) as image:
        assert image.size == (270, 480)
    sent = fake.created("image")[0]["input"]
    assert (sent["width"], sent["height"]) == (768, 1344)
    assert "storyboard sketch" in sent["prompt"]


@pytest.mark.parametrize(("aspect", "ratio"), [("16:9", "16:9"), ("9:16", "9:16"), ("1:1", "1:1")])
def test_flux_schnell_gets_its_aspect_ratio_and_is_charged_per_image(
    fake: FakeServices, settings, tmp_path, aspect, ratio
):
    fake.add_model("black-forest-labs/flux-schnell")
    settings.REPLICATE_IMAGE_MODEL = "black-forest-labs/flux-schnell"
    spec = make_spec(aspect_ratio=aspect)
    meter = CostMeter()
    out = tmp_path / "scene_01.png"
    ReplicateImages().reference_image(spec, 0, out, meter)
    with Image.open(out) as image:
        assert image.size == (spec["width"], spec["height"])
    [prediction] = fake.created("image")
    assert prediction["model"] == "black-forest-labs/flux-schnell"
    sent = prediction["input"]
    assert (sent["aspect_ratio"], sent["num_outputs"]) == (ratio, 1)
    assert set(sent) == {"prompt", "aspect_ratio", "seed", "num_outputs"}, "no input the model does not have"
    assert meter.total == Decimal("0.003")


def test_an_image_model_without_a_prompt_fails_when_the_provider_is_built(fake: FakeServices, settings):
    fake.add_model("nightmareai/real-esrgan")
    settings.REPLICATE_IMAGE_MODEL = "nightmareai/real-esrgan"
    with pytest.raises(
        ImproperlyConfigured, match="Replicate model nightmareai/real-esrgan has no prompt input"
    ):
        ReplicateImages()
