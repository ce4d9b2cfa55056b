"""Scene material converted once per scene into the encoder's own format: 8-bit Y, U and V
planes (BT.709, limited range, matching the tags the encoder writes), ready for the frame
loop to sample, paste and pipe without any per-frame colour conversion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageChops, ImageFilter

from providers.local.images import SceneLayers
from providers.local.painting import row_bands
from providers.local.particles import Particles
from providers.local.text import render_caption

# Luma is kept at twice the canvas resolution and chroma at the canvas resolution (twice
# the output's), so nearest-neighbour sampling lands within a quarter pixel: smooth
# sub-pixel motion for the price of a plain copy.
SUPERSAMPLE = 2
KR, KB = 0.2126, 0.0722
OPACITY_LEVELS = 8
NEUTRAL = 128

Box = tuple[float, float, float, float]


def rgb_to_yuv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Float RGB in [0, 1] to BT.709 limited-range Y, Cb, Cr as float32 code values."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    luma = KR * r + (1 - KR - KB) * g + KB * b
    y = 16 + 219 * luma
    u = 128 + 224 * (b - luma) / (2 * (1 - KB))
    v = 128 + 224 * (r - luma) / (2 * (1 - KR))
    return y, u, v


def _bytes(values: np.ndarray) -> np.ndarray:
    return np.clip(values + 0.5, 0, 255).astype(np.uint8)


def _gray(values: np.ndarray) -> Image.Image:
    return Image.fromarray(_bytes(values), "L")


Phases = list[list[np.ndarray]]  # [row parity][column parity]


def upscale_phases(plane: np.ndarray) -> Phases:
    """A 2x bilinear upscale of an 8-bit plane, returned as its four parity sub-images.

    Each output pixel sits a quarter pixel from a source pixel, so the weights are 3/4 and
    1/4 per axis: integer arithmetic on the source-sized arrays, no 4x image in between,
    a band of rows at a time."""
    height, width = plane.shape
    padded = np.pad(plane, 1, mode="edge")
    phases = [[np.empty((height, width), dtype=np.uint8) for _ in range(2)] for _ in range(2)]
    for band, _ in row_bands(slice(None), height):
        window = padded[band.start : band.stop + 2].astype(np.uint16)
        middle = window[1:-1] * 3
        for phase, rows in zip(phases, (middle + window[:-2], middle + window[2:]), strict=True):
            centre = rows[:, 1:-1] * 3
            phase[0][band] = (centre + rows[:, :-2] + 8) >> 4
            phase[1][band] = (centre + rows[:, 2:] + 8) >> 4
    return phases


def parity_phases(plane: np.ndarray) -> Phases:
    return [[plane[r::2, c::2] for c in (0, 1)] for r in (0, 1)]


def interleave(phases: Phases) -> np.ndarray:
    h, w = phases[0][0].shape
    out = np.empty((2 * h, 2 * w), dtype=np.uint8)
    for r in (0, 1):
        for c in (0, 1):
            out[r::2, c::2] = phases[r][c]
    return out


class Plane:
    """A supersampled plane (`factor` plane pixels per canvas pixel, first row at canvas
    row `row_offset`) that is sampled through a canvas rectangle with nearest neighbour.

    Output pixels are always two plane pixels apart when the camera does not zoom, so for
    pans the plane is kept as its four (row, column) parity images, and a frame is then a
    crop of one of them: a row-by-row copy instead of a resample.
    """

    def __init__(self, phases: Phases, factor: int, row_offset: int = 0, *, split: bool) -> None:
        self.factor = factor
        self.row_offset = row_offset
        self.image: Image.Image | None = None
        self.arrays: list[list[np.ndarray]] = []
        self.phases: list[list[Image.Image]] = []
        if split:
            self.arrays = [[np.ascontiguousarray(p) for p in row] for row in phases]
            self.phases = [[Image.fromarray(p) for p in row] for row in self.arrays]
        else:
            self.image = Image.fromarray(interleave(phases))

    def _scaled(self, sub: Box) -> Box:
        f, offset = self.factor, self.row_offset
        return sub[0] * f, max((sub[1] - offset) * f, 0.0), sub[2] * f, (sub[3] - offset) * f

    @staticmethod
    def _split_origin(x0: float, y0: float) -> tuple[int, int, int, int]:
        """For a pan: output pixel i samples plane pixel floor(x0 + 2i + 1), so a frame is
        one parity image (row, column) cropped at (left, top)."""
        kx, ky = math.floor(x0 + 1), math.floor(y0 + 1)
        return ky % 2, kx % 2, kx // 2, ky // 2

    def sample(self, sub: Box, size: tuple[int, int]) -> Image.Image:
        x0, y0, x1, y1 = self._scaled(sub)
        if self.image is None:
            row, column, left, top = self._split_origin(x0, y0)
            return self.phases[row][column].crop((left, top, left + size[0], top + size[1]))
        return self.image.resize(size, Image.Resampling.NEAREST, box=(x0, y0, x1, y1))

    def sample_into(self, sub: Box, out: Image.Image, rows: np.ndarray, first_row: int) -> None:
        """`sample` drawn straight into rows [first_row, first_row + len(rows)) of `out`,
        whose pixels `rows` views: a pan is a single copy from the parity image."""
        size = (rows.shape[1], rows.shape[0])
        if self.image is None:
            x0, y0, _, _ = self._scaled(sub)
            row, column, left, top = self._split_origin(x0, y0)
            source = self.arrays[row][column][top : top + size[1], left : left + size[0]]
            if source.shape == rows.shape:
                rows[...] = source
                return
        out.paste(self.sample(sub, size), (0, first_row))


def _luma(plane: np.ndarray, row_offset: int = 0, *, split: bool) -> Plane:
    return Plane(upscale_phases(plane), SUPERSAMPLE, row_offset, split=split)


def _chroma(plane: np.ndarray, row_offset: int = 0, *, split: bool) -> Plane:
    # Chroma at canvas resolution is already twice the output's: only split it.
    return Plane(parity_phases(plane), 1, row_offset, split=split)


@dataclass
class Planes:
    """One layer ready to sample: luma, chroma and (for the foreground) coverage."""

    y: Plane
    u: Plane
    v: Plane
    a_y: Plane | None = None
    a_c: Plane | None = None


def _yuv_bytes(rgb: np.ndarray, alpha: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """8-bit Y, U and V of float RGB, converted a band of rows at a time: each float
    temporary is a band, not a canvas of tens of megabytes. With `alpha`, `rgb` is
    premultiplied by it: the colour is converted straight and luma comes back premultiplied."""
    height, width = rgb.shape[:2]
    planes = tuple(np.empty((height, width), dtype=np.uint8) for _ in range(3))
    for band, _ in row_bands(slice(None), height):
        colour = rgb[band]
        if alpha is not None:
            colour = np.clip(colour / np.maximum(alpha[band], 1e-4)[..., None], 0, 1)
        y, u, v = rgb_to_yuv(colour)
        if alpha is not None:
            y = y * alpha[band]
        for plane, values in zip(planes, (y, u, v), strict=True):
            plane[band] = _bytes(values)
    return planes


def background_planes(rgb: np.ndarray, *, split: bool) -> Planes:
    y, u, v = _yuv_bytes(rgb)
    return Planes(_luma(y, split=split), _chroma(u, split=split), _chroma(v, split=split))


def foreground_planes(layers: SceneLayers, row_offset: int, *, split: bool) -> Planes:
    """The parallax layer from `row_offset` down. Luma is upscaled premultiplied and divided
    afterwards, so transparent pixels cannot bleed a dark fringe into the edges."""
    alpha = layers.alpha[row_offset:]
    premultiplied_y, u, v = _yuv_bytes(layers.foreground[row_offset:], alpha)
    coverage = _bytes(alpha * 255)
    coverage_phases = upscale_phases(coverage)
    luma_phases = []
    for premultiplied_row, coverage_row in zip(upscale_phases(premultiplied_y), coverage_phases, strict=True):
        luma_phases.append(
            [
                np.minimum((p.astype(np.uint16) * 255 + a // 2) // np.maximum(a, 1), 255).astype(np.uint8)
                for p, a in zip(premultiplied_row, coverage_row, strict=True)
            ]
        )
    return Planes(
        Plane(luma_phases, SUPERSAMPLE, row_offset, split=split),
        _chroma(u, row_offset, split=split),
        _chroma(v, row_offset, split=split),
        Plane(coverage_phases, SUPERSAMPLE, row_offset, split=split),
        _chroma(coverage, row_offset, split=split),
    )


def _opacity_levels(mask: Image.Image) -> list[Image.Image]:
    return [
        mask.point([round(v * k / (OPACITY_LEVELS - 1)) for v in range(256)]) for k in range(OPACITY_LEVELS)
    ]


@dataclass
class Sprite:
    """A particle patch in planes; coverage precomputed at a few opacities for twinkling."""

    y: Image.Image
    u: Image.Image
    v: Image.Image
    a_y: list[Image.Image]
    a_c: list[Image.Image]


def _sprite(patch: np.ndarray) -> Sprite:
    # Even sizes keep each chroma sample over exactly two luma pixels.
    h, w = patch.shape[:2]
    padded = np.zeros((h + h % 2, w + w % 2, 4), dtype=np.float32)
    padded[:h, :w] = patch
    padded[..., :3][h:, :] = patch[..., :3].mean(axis=(0, 1))
    padded[..., :3][:, w:] = patch[..., :3].mean(axis=(0, 1))
    y, u, v = rgb_to_yuv(padded[..., :3])
    a_y = _gray(padded[..., 3] * 255)
    half = (padded.shape[1] // 2, padded.shape[0] // 2)
    return Sprite(
        _gray(y),
        _gray(u).reduce(2),
        _gray(v).reduce(2),
        _opacity_levels(a_y),
        _opacity_levels(a_y.resize(half, Image.Resampling.BOX)),
    )


def sprites_for(groups: list[Particles]) -> list[list[list[Sprite]]]:
    """sprites[group][kind][frame], mirroring each group's patches."""
    return [[[_sprite(patch) for patch in frames] for frames in group.patches] for group in groups]


def pad_even(image: Image.Image) -> tuple[Image.Image, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """An RGBA picture padded to even width and height, so each chroma sample lies over
    exactly two luma pixels, and its colour as full-resolution Y, U, V arrays."""
    padded = Image.new("RGBA", (image.width + image.width % 2, image.height + image.height % 2))
    padded.paste(image, (0, 0))
    rgba = np.asarray(padded, dtype=np.float32) / 255
    return padded, rgb_to_yuv(rgba[..., :3])


@dataclass
class Overlay:
    """A neutral (grey-only) overlay: luma, its coverage at luma and chroma resolution, and
    where it goes. Greys have neutral chroma, so chroma is only pulled toward 128."""

    y: Image.Image
    a_y: Image.Image
    a_c: Image.Image
    x: int
    top: int

    @classmethod
    def from_rgba(cls, image: Image.Image, x: int, top: int) -> Overlay:
        padded, (luma, _, _) = pad_even(image)
        a_y = padded.getchannel("A")
        return cls(
            _gray(luma),
            a_y,
            a_y.resize((padded.width // 2, padded.height // 2), Image.Resampling.BOX),
            x - x % 2,
            top - top % 2,
        )

    def paste(
        self, y: Image.Image, u: Image.Image, v: Image.Image, *, opacity: float = 1.0, drop: int = 0
    ) -> None:
        """Blend into the planes at `opacity`, `drop` pixels below its place."""
        a_y, a_c = self.a_y, self.a_c
        if opacity < 1:
            lut = [round(k * opacity) for k in range(256)]
            a_y, a_c = a_y.point(lut), a_c.point(lut)
        top = self.top + drop - drop % 2
        y.paste(self.y, (self.x, top), a_y)
        box = (self.x // 2, top // 2, self.x // 2 + a_c.width, top // 2 + a_c.height)
        u.paste(NEUTRAL, box, a_c)
        v.paste(NEUTRAL, box, a_c)


def caption_overlay(caption: str, width: int, height: int) -> Overlay | None:
    """The caption in the lower third: white outlined text over a soft dark scrim that
    follows its shape, so it reads on any scene while covering as few pixels as possible
    (the overlay is blended every frame)."""
    font_size = round(min(width, height) * 0.05)
    text = render_caption(
        caption, max_width=round(width * 0.84), font_size=font_size, outline_width=max(2, font_size // 16)
    )
    if text.getchannel("A").getbbox() is None:
        return None
    spread = max(4, font_size // 2)
    pad = 2 * spread
    coverage = Image.new("L", (text.width + 2 * pad, text.height + 2 * pad))
    coverage.paste(text.getchannel("A"), (pad, pad + font_size // 18))
    scrim = coverage.filter(ImageFilter.GaussianBlur(spread)).point(lambda a: min(255, a * 3) * 0.5)
    shadow = coverage.filter(ImageFilter.GaussianBlur(max(2, font_size // 8))).point(lambda a: a * 0.6)
    block = Image.new("RGBA", coverage.size)
    block.putalpha(ImageChops.lighter(scrim, shadow))
    block.alpha_composite(text, (pad, pad))
    center = round(height * 0.82)
    top = min(center - block.height // 2, round(height * 0.96) - block.height)
    return Overlay.from_rgba(block, (width - block.width) // 2, top)
