"""The local image provider and the caption renderer it shares with the video provider."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PIL import Image

from providers.costs import CostMeter
from providers.local.images import (
    SCENE_KEY_FIELD,
    LocalImages,
    render_reference,
    render_storyboard,
    scene_key,
    scene_layers,
    video_layers,
)
from providers.local.text import LINE_SPACING, render_caption
from providers.spec import MOTIFS
from tests.phases.spec_factory import make_spec

HOSTILE_CAPTIONS = [
    "She said \"don't\" \u2014 it's 100% {real}: C:\\path\\%s %d",
    "line one\nline two\r\nline three\ttabbed",
    "emoji \U0001f30a\U0001f525\u2728 and \U0001f468\u200d\U0001f469\u200d\U0001f467 family",
    "\u65e5\u672c\u8a9e\u306e\u30ad\u30e3\u30d7\u30b7\u30e7\u30f3\u3067\u3059",
    "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645 mixed with English",
    "\x00\x07 control characters \u202e reversed",
    "",
    "   ",
    "W" * 120,
]


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.float32)


@pytest.mark.parametrize("aspect", ["16:9", "9:16", "1:1"])
def test_reference_image_is_a_full_size_rgb_png_with_its_scene_key(tmp_path, aspect):
    spec = make_spec(aspect_ratio=aspect)
    meter = CostMeter()
    LocalImages().reference_image(spec, 1, tmp_path / "ref.png", meter)
    with Image.open(tmp_path / "ref.png") as image:
        assert (image.format, image.mode, image.size) == ("PNG", "RGB", (spec["width"], spec["height"]))
        assert image.text[SCENE_KEY_FIELD] == scene_key(spec, 1)
    assert meter.total == 0 and not meter.charges


def test_two_scenes_reference_images_differ_substantially():
    spec = make_spec()
    first, second = pixels(render_reference(spec, 0)), pixels(render_reference(spec, 1))
    assert np.abs(first - second).mean() > 20


def test_the_same_scene_with_another_seed_is_laid_out_differently():
    first = pixels(render_reference(make_spec(seed=1), 0))
    second = pixels(render_reference(make_spec(seed=2), 0))
    assert np.abs(first - second).mean() > 2


def test_reference_images_are_deterministic():
    spec = make_spec()
    assert np.array_equal(pixels(render_reference(spec, 2)), pixels(render_reference(spec, 2)))


@pytest.mark.parametrize("motif", MOTIFS)
def test_every_motif_draws_a_detailed_picture_with_a_foreground_layer(motif):
    spec = make_spec(scene_overrides=[{"motif": motif}])
    layers = scene_layers(spec, 0, frame_size=(480, 270))
    picture = layers.composite(0.0)
    assert picture.shape == (270, 480, 3)
    assert picture.std() > 0.04, "more than a flat fill"
    assert layers.alpha.max() > 0.8, "something for the parallax layer"


def test_an_oversized_canvas_has_the_reference_picture_in_its_middle():
    spec = make_spec(scene_overrides=[{"motif": "trees"}])
    frame = scene_layers(spec, 0, frame_size=(480, 270))
    wide = scene_layers(spec, 0, frame_size=(480, 270), oversize=1.2)
    x, y = -int(wide.canvas.x0), -int(wide.canvas.y0)
    middle = wide.composite(0.0)[y : y + 270, x : x + 480]
    assert np.abs(middle - frame.composite(0.0)).mean() < 0.01
    # Drawn alone, the frame's rectangle is exactly that middle, particles included.
    assert np.array_equal(wide.composite(0.0, frame_only=True), middle)


def test_reference_image_draws_quickly():
    spec = make_spec()
    render_reference(spec, 0)
    started = time.perf_counter()
    render_reference(spec, 1)
    # The target is well under a second; the bound leaves room for a busy CI machine.
    assert time.perf_counter() - started < 3


@pytest.mark.parametrize(
    ("aspect", "size"), [("16:9", (480, 270)), ("9:16", (270, 480)), ("1:1", (480, 480))]
)
def test_storyboard_frame_is_a_small_sketch_with_a_long_side_of_480(tmp_path, aspect, size):
    spec = make_spec(aspect_ratio=aspect)
    meter = CostMeter()
    LocalImages().storyboard_frame(spec, 0, tmp_path / "board.png", meter)
    with Image.open(tmp_path / "board.png") as image:
        assert image.size == size and image.mode == "RGB"
        paper = np.asarray(image, dtype=np.float32)
    assert paper.mean() > 150, "mostly paper"
    assert meter.total == 0


def test_storyboards_of_different_scenes_differ():
    spec = make_spec()
    assert np.abs(pixels(render_storyboard(spec, 0)) - pixels(render_storyboard(spec, 1))).mean() > 2


def test_storyboard_frame_draws_fast():
    spec = make_spec()
    render_storyboard(spec, 0)
    started = time.perf_counter()
    for index in range(3):
        render_storyboard(spec, index)
    assert (time.perf_counter() - started) / 3 < 0.5


@pytest.mark.parametrize("caption", HOSTILE_CAPTIONS)
def test_hostile_caption_text_renders_without_error(caption):
    image = render_caption(caption, max_width=800, font_size=40, outline_width=3)
    assert image.mode == "RGBA"
    assert image.width <= 800 + 2 * (3 + 20)


@pytest.mark.parametrize("caption", HOSTILE_CAPTIONS)
def test_hostile_caption_in_a_storyboard_renders_without_error(caption):
    spec = make_spec(scene_overrides=[{"caption": caption}])
    assert render_storyboard(spec, 0).size == (480, 270)


def test_caption_wraps_to_at_most_three_lines():
    line = 40 * LINE_SPACING
    long = render_caption("many words " * 40, max_width=600, font_size=40, outline_width=2)
    assert 2.5 * line < long.height < 3.5 * line
    assert long.width <= 600 + 2 * (2 + 20)


def test_caption_with_only_undrawable_characters_is_empty():
    image = render_caption("\x00\x01\u200b", max_width=400, font_size=30)
    assert image.getchannel("A").getbbox() is None


def test_a_scenes_reference_and_its_clip_draw_from_one_drawing():
    spec = make_spec(scene_overrides=[{"camera": "pan_left"}, {"camera": "zoom_in"}])
    for index in (0, 1):
        layers = video_layers(spec, index)
        assert video_layers(spec, index) is layers  # the clip after the reference draws nothing new
        reference = np.asarray(render_reference(spec, index), dtype=np.float32) / 255
        left, top = -round(layers.canvas.x0), -round(layers.canvas.y0)
        middle = layers.composite(0.0)[top : top + spec["height"], left : left + spec["width"]]
        # The reference is that drawing's middle, plus a still's film grain.
        assert 0.002 < np.abs(reference - middle).mean() < 0.02
        assert video_layers(spec, index, keep=False) is layers  # the clip takes them along
        assert video_layers(spec, index) is not layers  # and they are not held any longer


def test_the_next_scenes_reference_drawn_during_a_clip_keeps_both_scenes_apart():
    spec = make_spec(scene_overrides=[{"camera": "pan_left"}, {"camera": "pan_right"}, {"camera": "zoom_in"}])
    first = video_layers(spec, 0)  # scene 1's reference
    second = video_layers(spec, 1)  # scene 2's, drawn beside scene 1's clip
    assert video_layers(spec, 0, keep=False) is first  # the clip still gets its own scene
    assert video_layers(spec, 1, keep=False) is second
    again = video_layers(spec, 0)
    video_layers(spec, 1)
    video_layers(spec, 2)  # a third kept scene lets the one used longest ago go
    assert video_layers(spec, 0, keep=False) is not again
