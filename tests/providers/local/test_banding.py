"""Canvas-sized work done a band of rows at a time gives what the whole-array arithmetic
gives: the bands bound the worker's memory, never the picture."""

from __future__ import annotations

import numpy as np
import pytest

from providers.local.painting import BAND_ROWS, Canvas, Layer, apply_vignette
from providers.local.yuv import _yuv_bytes, rgb_to_yuv, upscale_phases

HEIGHT = 2 * BAND_ROWS + 37  # a last band shorter than the others


@pytest.fixture
def rng():
    return np.random.default_rng(3)


def test_upscale_phases_is_the_whole_plane_bilinear_upscale(rng):
    plane = rng.integers(0, 256, (HEIGHT, 90), dtype=np.uint8)
    padded = np.pad(plane, 1, mode="edge").astype(np.uint16)
    expected = []
    for rows in (3 * padded[1:-1] + padded[:-2], 3 * padded[1:-1] + padded[2:]):
        centre = 3 * rows[:, 1:-1]
        expected.append([(centre + rows[:, :-2] + 8) >> 4, (centre + rows[:, 2:] + 8) >> 4])
    phases = upscale_phases(plane)
    for row in (0, 1):
        for column in (0, 1):
            assert phases[row][column].dtype == np.uint8
            assert np.array_equal(phases[row][column], expected[row][column])


def test_painting_a_region_across_bands_lerps_every_pixel_once(rng):
    canvas = Canvas.around_frame(80, HEIGHT)
    layer = Layer(canvas, opaque=False)
    layer.rgb[:] = rng.random(layer.rgb.shape, dtype=np.float32)
    layer.alpha[:] = rng.random(layer.alpha.shape, dtype=np.float32)
    rgb, alpha = layer.rgb.copy(), layer.alpha.copy()
    rows, cols = slice(5, HEIGHT - 3), slice(10, 70)
    mask = rng.random((HEIGHT - 8, 60), dtype=np.float32)
    colour = rng.random((HEIGHT - 8, 60, 3), dtype=np.float32)  # one colour per pixel

    layer.paint(rows, cols, mask, colour)

    rgb[rows, cols] += (colour - rgb[rows, cols]) * mask[..., None]
    alpha[rows, cols] += (1 - alpha[rows, cols]) * mask
    assert np.array_equal(layer.rgb, rgb)
    assert np.array_equal(layer.alpha, alpha)


def test_a_mask_and_colour_given_per_row_or_column_cover_the_whole_region(rng):
    canvas = Canvas.around_frame(80, HEIGHT)
    layer = Layer(canvas, opaque=True)
    rgb = layer.rgb.copy()
    rows = slice(3, HEIGHT)
    mask = rng.random((1, 80), dtype=np.float32)  # one coverage per column
    colour = rng.random((HEIGHT - 3, 1, 3), dtype=np.float32)  # one colour per row

    layer.paint(rows, slice(None), mask, colour)

    rgb[rows] += (colour - rgb[rows]) * mask[..., None]
    assert np.array_equal(layer.rgb, rgb)
    assert layer.rgb[-1].any()  # the last band was painted too


def test_light_and_vignette_across_bands(rng):
    canvas = Canvas.around_frame(80, HEIGHT, oversize=1.2)
    layer = Layer(canvas, opaque=False)
    layer.alpha[:] = rng.random(layer.alpha.shape, dtype=np.float32)
    amount = rng.random((canvas.height, canvas.width), dtype=np.float32)
    colour = np.array([0.9, 0.8, 0.5], dtype=np.float32)

    layer.add_light(slice(None), slice(None), amount, colour)
    apply_vignette(layer, vignette=0.3)

    lit = (amount * layer.alpha)[..., None] * colour
    nx = (canvas.xs / canvas.frame_w - 0.5) * 2
    ny = (canvas.ys / canvas.frame_h - 0.5) * 2
    falloff = np.exp(-0.35 * ny**2)[:, None] * np.exp(-0.35 * nx**2)[None, :]
    assert np.array_equal(layer.rgb, lit * (0.7 + 0.3 * falloff)[..., None])


def test_premultiplied_colour_converts_to_the_bytes_of_the_whole_layer(rng):
    alpha = rng.random((HEIGHT, 40), dtype=np.float32)
    alpha[:, :5] = 0  # transparent: no colour to divide out
    premultiplied = rng.random((HEIGHT, 40, 3), dtype=np.float32) * alpha[..., None]

    def to_bytes(values):
        return np.clip(values + 0.5, 0, 255).astype(np.uint8)

    y, u, v = rgb_to_yuv(np.clip(premultiplied / np.maximum(alpha, 1e-4)[..., None], 0, 1))
    expected = (to_bytes(y * alpha), to_bytes(u), to_bytes(v))
    for plane, whole in zip(_yuv_bytes(premultiplied, alpha), expected, strict=True):
        assert np.array_equal(plane, whole)
    y, u, v = rgb_to_yuv(premultiplied)
    for plane, whole in zip(_yuv_bytes(premultiplied), (y, u, v), strict=True):
        assert np.array_equal(plane, to_bytes(whole))
