"""What a prediction costs, before (the estimate the budget checks) and after (what it used)."""

from __future__ import annotations

from decimal import Decimal

from providers.costs import COST_ANIMATEDIFF_VIDEO, COST_MUSICGEN, COST_SDXL_IMAGE, COST_ZEROSCOPE_VIDEO
from providers.replicate.pricing import price_of


def test_a_model_billed_by_time_costs_its_predict_time_on_its_hardware():
    ltx = price_of("lightricks/ltx-video")  # an H100 at $0.001525/s
    assert ltx.estimate(capability="video") == Decimal("0.0305")  # the 20 s it usually takes
    assert ltx.actual({"predict_time": 38.0}) == Decimal("0.0580")


def test_the_seeds_models_are_estimated_at_the_seeds_constants_and_charged_what_they_used():
    assert price_of("stability-ai/sdxl").estimate(capability="image") == COST_SDXL_IMAGE
    assert price_of("anotherjesse/zeroscope-v2-xl").estimate(capability="video") == COST_ZEROSCOPE_VIDEO
    assert price_of("lucataco/animate-diff").estimate(capability="video") == COST_ANIMATEDIFF_VIDEO
    assert price_of("meta/musicgen").estimate(capability="music") == COST_MUSICGEN
    assert price_of("meta/musicgen").actual({"predict_time": 38.0}) == Decimal("0.0371")  # L40S


def test_a_prediction_that_reports_no_time_keeps_its_estimate():
    assert price_of("meta/musicgen").actual({}) is None
    assert price_of("meta/musicgen").actual(None) is None


def test_a_model_the_table_does_not_know_is_billed_by_time_on_the_default_hardware(settings):
    settings.REPLICATE_DEFAULT_HARDWARE = "gpu-t4"
    unknown = price_of("someone/new-video-model")
    assert unknown.estimate(capability="video") == Decimal("0.0203")  # 90 s at $0.000225/s
    assert unknown.actual({"predict_time": 100}) == Decimal("0.0225")


def test_models_billed_per_output_cost_their_seconds_images_or_predictions():
    assert price_of("kwaivgi/kling-v2.1").estimate(capability="video", output_seconds=10) == Decimal("0.5")
    assert price_of("kwaivgi/kling-v2.1").actual({"predict_time": 300}, output_seconds=5.004) == Decimal(
        "0.25"
    )
    assert price_of("black-forest-labs/flux-schnell").actual({}, images=2) == Decimal("0.006")
    assert price_of("minimax/video-01").actual({"predict_time": 200}, output_seconds=6) == Decimal("0.5")


def test_the_price_table_in_settings_is_what_counts(settings):
    settings.REPLICATE_PRICES = {
        "hardware": {"gpu-a100-large": "0.001400"},
        "models": {"kwaivgi/kling-v2.1": {"per": "second", "usd": "0.09"}},
    }
    assert price_of("kwaivgi/kling-v2.1").actual({}, output_seconds=10) == Decimal("0.9")
