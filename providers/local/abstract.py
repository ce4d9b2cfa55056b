"""The "abstract" motif: soft glows, rings, discs and triangles in the palette's colours, for
a prompt that names no place."""

from __future__ import annotations

import math

from providers.local import particles as sprites
from providers.local.elements import Scene, add_particles, glow, particle_velocity, sky
from providers.local.painting import ShapeMask, disc, mix
from providers.local.particles import scatter


def abstract(scene: Scene) -> None:
    c, rng = scene.colors, scene.rng
    scene.horizon = scene.h * 0.5
    sky(scene, c.dark, c.mid, mix(c.dark, c.accent, 0.4))
    palette = scene.colors.extra
    for _ in range(6):
        x, y = scene.w * rng.uniform(0, 1), scene.h * rng.uniform(0, 1)
        glow(scene.bg, x, y, scene.u * rng.uniform(0.1, 0.3), palette[rng.integers(len(palette))], 0.2)
    for i in range(7):
        x, y = scene.w * rng.uniform(0.05, 0.95), scene.h * rng.uniform(0.05, 0.95)
        r = scene.u * rng.uniform(0.04, 0.14)
        color = palette[rng.integers(1, len(palette))]
        if i % 3 == 0:
            angle = rng.uniform(0, 2 * math.pi)
            tri = ShapeMask(scene.canvas, x - r, y - r, x + r, y + r)
            corners = [
                (x + r * math.cos(angle + k * 2.094), y + r * math.sin(angle + k * 2.094)) for k in range(3)
            ]
            tri.polygon(corners, value=215)
            tri.paint(scene.fg, color)
            continue
        rows, cols, mask = disc(scene.canvas, x, y, r, inner=r * 0.7 if i % 3 == 1 else 0.0)
        scene.fg.paint(rows, cols, mask * 0.85, color)
    xy = scatter(rng, 20, scene.frame_size)
    dots = [[sprites.flake(scene.u * 0.006, color, 0.8)] for color in palette[1:]]
    add_particles(
        scene, dots, xy, particle_velocity(20, scene.u * 0.02, -scene.u * 0.015, rng, 0.8), depth="fg"
    )
