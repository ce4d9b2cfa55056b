"""The "ice" motif: a frozen lake, flat and pale under the sky, with snowy banks; no waves."""

from __future__ import annotations

import numpy as np

from providers.local.elements import Scene, conifers, glow, ridge, sky
from providers.local.painting import ShapeMask, fill_below, haze_above, mix

WHITE = np.ones(3, dtype=np.float32)
ICE = np.array([0.78, 0.88, 0.95], dtype=np.float32)


def ice(scene: Scene) -> None:
    c, rng = scene.colors, scene.rng
    scene.horizon = scene.h * 0.55
    horizon = mix(c.light, WHITE, 0.4)
    sky(scene, mix(c.dark, c.mid, 0.6), horizon)
    glow(scene.bg, scene.w * rng.uniform(0.2, 0.8), scene.h * 0.3, scene.u * 0.3, c.light, 0.3)
    far = ridge(scene, scene.horizon - scene.h * 0.02, scene.h * 0.06, period=scene.u * 1.1)
    fill_below(scene.bg, far, mix(horizon, c.mid, 0.35))
    haze_above(scene.bg, far, horizon, height=scene.h * 0.04, strength=0.4)
    conifers(scene, scene.bg, far + scene.h * 0.01, 40, scene.h * 0.08, mix(c.dark, c.mid, 0.5))
    shore = np.full_like(far, scene.horizon + scene.h * 0.01)
    # The ice: brighter toward the viewer, where it mirrors the sky above.
    rows = scene.canvas.rows(scene.horizon, scene.canvas.y0 + scene.canvas.height)
    depth = np.clip((scene.canvas.ys[rows] - scene.horizon) / (scene.h * 0.45), 0, 1)[:, None, None]
    surface = mix(ICE, c.light, 0.3)
    fill_below(scene.bg, shore, surface)
    scene.bg.rgb[rows] = scene.bg.rgb[rows] * (0.85 + 0.25 * depth)
    cracks = ShapeMask(scene.canvas, -0.1 * scene.w, scene.horizon, 1.1 * scene.w, scene.h * 1.1)
    for _ in range(14):
        x, y = scene.w * rng.uniform(-0.1, 1.1), scene.h * rng.uniform(0.6, 1.05)
        points = [(x, y)]
        for _ in range(4):
            x, y = x + scene.u * rng.uniform(0.03, 0.09), y + scene.u * rng.uniform(-0.02, 0.02)
            points.append((x, y))
        cracks.line(points, scene.u * 0.0015)
    cracks.paint(scene.bg, mix(WHITE, ICE, 0.3))
    bank = ridge(scene, scene.h * 0.95, scene.h * 0.04, period=scene.u * 0.8)
    fill_below(scene.fg, bank, mix(WHITE, c.light, 0.2))
