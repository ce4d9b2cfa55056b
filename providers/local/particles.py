"""Small moving sprites (snowflakes, rain, birds, glints...) for the procedural scenes.

A `Particles` group holds a few RGBA patches drawn once and the starting positions and
motion of its members; the video renderer asks it where everything is at time t and
pastes the patches, so motion costs a few small blends per frame.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

from providers.local.painting import Color

# Particles live in this world region, in fractions of the frame; it is exactly the
# video renderer's oversized canvas, so members wrap around out of sight.
FIELD = (-0.1, 1.1)
SUPERSAMPLE = 4


@dataclass
class Particles:
    # patches[kind][frame]: straight-colour RGBA float32; several frames make a flapping loop.
    patches: list[list[np.ndarray]]
    xy: np.ndarray  # (n, 2) world positions at t = 0
    velocity: np.ndarray  # (n, 2) world pixels per second
    kind: np.ndarray  # (n,) index into patches
    phase: np.ndarray  # (n,) in [0, 1)
    sway: float = 0.0  # horizontal sway amplitude, world pixels
    sway_hz: float = 0.0
    twinkle: float = 0.0  # depth of the brightness flicker, 0..1
    twinkle_hz: float = 0.0
    flap_hz: float = 0.0
    depth: str = "bg"  # the layer whose camera carries them: "bg" or "fg"
    frame_size: tuple[int, int] = field(default=(1920, 1080))

    def state(self, t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Top-left world positions (n, 2), opacity (n,) and patch frame (n,) at time t."""
        w, h = self.frame_size
        angle = 2 * math.pi * self.phase
        xy = self.xy + self.velocity * t
        if self.sway:
            xy[:, 0] += self.sway * np.sin(2 * math.pi * self.sway_hz * t + angle)
        lo, hi = FIELD
        xy[:, 0] = lo * w + np.mod(xy[:, 0] - lo * w, (hi - lo) * w)
        xy[:, 1] = lo * h + np.mod(xy[:, 1] - lo * h, (hi - lo) * h)
        alpha = np.ones(len(xy), dtype=np.float32)
        if self.twinkle:
            alpha -= self.twinkle * (0.5 + 0.5 * np.sin(2 * math.pi * self.twinkle_hz * t + 3 * angle))
        frames = np.array([len(self.patches[k]) for k in self.kind])
        frame = np.floor(self.flap_hz * t * frames + self.phase * frames).astype(int) % frames
        sizes = np.array([self.patches[k][0].shape[1::-1] for k in self.kind], dtype=np.float32)
        return xy - sizes / 2, alpha, frame


def scatter(
    rng: np.random.Generator,
    count: int,
    frame_size: tuple[int, int],
    *,
    top: float = -0.1,
    bottom: float = 1.1,
) -> np.ndarray:
    """Random world positions across the particle field, between `top` and `bottom` (fractions)."""
    w, h = frame_size
    lo, hi = FIELD
    x = rng.uniform(lo * w, hi * w, count)
    y = rng.uniform(top * h, bottom * h, count)
    return np.stack([x, y], axis=1).astype(np.float32)


def _patch(
    size: tuple[float, float], color: Color, draw: Callable[[ImageDraw.ImageDraw, int], None]
) -> np.ndarray:
    """Draw an alpha shape supersampled with Pillow, return an RGBA float32 patch."""
    w, h = max(2, math.ceil(size[0])), max(2, math.ceil(size[1]))
    image = Image.new("L", (w * SUPERSAMPLE, h * SUPERSAMPLE))
    draw(ImageDraw.Draw(image), SUPERSAMPLE)
    alpha = np.asarray(image.reduce(SUPERSAMPLE), dtype=np.float32) / 255
    rgba = np.empty((h, w, 4), dtype=np.float32)
    rgba[..., :3] = color
    rgba[..., 3] = alpha
    return rgba


def soft_dot(radius: float, color: Color, *, stretch: float = 1.0, strength: float = 1.0) -> np.ndarray:
    """A glowing point: a bright core with a gaussian halo, optionally stretched sideways."""
    rx, ry = radius * 3 * stretch, radius * 3
    w, h = max(3, math.ceil(2 * rx) | 1), max(3, math.ceil(2 * ry) | 1)
    x = (np.arange(w, dtype=np.float32) - (w - 1) / 2) / (radius * stretch)
    y = (np.arange(h, dtype=np.float32) - (h - 1) / 2) / radius
    d2 = y[:, None] ** 2 + x[None, :] ** 2
    alpha = np.clip(np.exp(-d2 * 1.5) * 1.2, 0, 1) * strength
    rgba = np.empty((h, w, 4), dtype=np.float32)
    rgba[..., :3] = color
    rgba[..., 3] = alpha
    return rgba


def streak(length: float, width: float, angle_deg: float, color: Color, opacity: float) -> np.ndarray:
    dx = length * math.sin(math.radians(angle_deg))
    dy = length * math.cos(math.radians(angle_deg))
    size = (abs(dx) + 2 * width + 2, abs(dy) + 2 * width + 2)

    def draw(d: ImageDraw.ImageDraw, s: int) -> None:
        x0 = (width + 1 + (abs(dx) if dx < 0 else 0)) * s
        y0 = (width + 1) * s
        value = round(255 * opacity)
        d.line([(x0, y0), (x0 + dx * s, y0 + dy * s)], fill=value, width=max(1, round(width * s)))

    return _patch(size, color, draw)


def flake(radius: float, color: Color, opacity: float = 0.9) -> np.ndarray:
    def draw(d: ImageDraw.ImageDraw, s: int) -> None:
        d.ellipse((1 * s, 1 * s, (1 + 2 * radius) * s, (1 + 2 * radius) * s), fill=round(255 * opacity))

    return _patch((2 * radius + 2, 2 * radius + 2), color, draw)


def bubble(radius: float, color: Color) -> np.ndarray:
    def draw(d: ImageDraw.ImageDraw, s: int) -> None:
        box = (1 * s, 1 * s, (1 + 2 * radius) * s, (1 + 2 * radius) * s)
        d.ellipse(box, fill=40, outline=200, width=max(1, round(radius * 0.18 * s)))
        hx, hy = (1 + radius * 0.55) * s, (1 + radius * 0.5) * s
        d.ellipse((hx, hy, hx + radius * 0.5 * s, hy + radius * 0.4 * s), fill=235)

    return _patch((2 * radius + 2, 2 * radius + 2), color, draw)


def bird(span: float, color: Color, wing: float) -> np.ndarray:
    """A gull-like 'V'; `wing` from -1 (down) to 1 (up) gives the flap pose."""
    w, h = span + 4, span * 0.6 + 4
    mid_y = h / 2

    def draw(d: ImageDraw.ImageDraw, s: int) -> None:
        tip = mid_y - wing * span * 0.25
        elbow = mid_y - wing * span * 0.12 - span * 0.05
        points = [(2, tip), (2 + span * 0.25, elbow), (2 + span / 2, mid_y + span * 0.04)]
        points += [(2 + span * 0.75, elbow), (2 + span, tip)]
        d.line(
            [(x * s, y * s) for x, y in points], fill=255, width=max(1, round(span * 0.07 * s)), joint="curve"
        )

    return _patch((w, h), color, draw)


def puff(rx: float, ry: float, color: Color, opacity: float) -> np.ndarray:
    w, h = math.ceil(rx * 2.4) | 1, math.ceil(ry * 2.4) | 1
    x = (np.arange(w, dtype=np.float32) - (w - 1) / 2) / rx
    y = (np.arange(h, dtype=np.float32) - (h - 1) / 2) / ry
    alpha = np.exp(-(y[:, None] ** 2 + x[None, :] ** 2) * 2.2) * opacity
    rgba = np.empty((h, w, 4), dtype=np.float32)
    rgba[..., :3] = color
    rgba[..., 3] = alpha
    return rgba


def petal(length: float, color: Color, angle_deg: float) -> np.ndarray:
    """A small rotated ellipse: a drifting petal or leaf."""
    c = length / 2 + 1
    a = math.radians(angle_deg)
    pts = []
    for k in range(16):
        ex, ey = math.cos(k * math.pi / 8) * length / 2, math.sin(k * math.pi / 8) * length * 0.28
        pts.append((c + ex * math.cos(a) - ey * math.sin(a), c + ex * math.sin(a) + ey * math.cos(a)))

    def draw(d: ImageDraw.ImageDraw, s: int) -> None:
        d.polygon([(x * s, y * s) for x, y in pts], fill=230)

    return _patch((2 * c, 2 * c), color, draw)


def composite_rgb(
    image: np.ndarray, canvas_origin: tuple[float, float], groups: list[Particles], t: float
) -> None:
    """Blend particles at time t into an RGB float image whose (0, 0) is at world `canvas_origin`."""
    h, w = image.shape[:2]
    for group in groups:
        xy, alpha, frame = group.state(t)
        for (x, y), a, k, f in zip(xy, alpha, group.kind, frame, strict=True):
            patch = group.patches[k][f]
            px, py = round(x - canvas_origin[0]), round(y - canvas_origin[1])
            ph, pw = patch.shape[:2]
            x0, y0, x1, y1 = max(px, 0), max(py, 0), min(px + pw, w), min(py + ph, h)
            if x0 >= x1 or y0 >= y1:
                continue
            part = patch[y0 - py : y1 - py, x0 - px : x1 - px]
            cover = part[..., 3:] * a
            region = image[y0:y1, x0:x1]
            region += (part[..., :3] - region) * cover
