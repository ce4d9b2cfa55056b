"""Subjects drawn and moving: each motion moves its picture its own way, and a subject that
recurs keeps its picture, size and side from scene to scene."""

from __future__ import annotations

import numpy as np
import pytest

from providers.local.actors import Actor, place_actors
from providers.local.elements import Colors, Scene
from providers.local.painting import Canvas, Layer

FRAME = (640, 360)


def scene(seconds: float = 4.0) -> Scene:
    canvas = Canvas.around_frame(*FRAME)
    return Scene(
        canvas=canvas,
        rng=np.random.default_rng(0),
        colors=Colors.from_palette(["#102030", "#405060", "#8090a0", "#f0f0f0"]),
        bg=Layer(canvas, opaque=True),
        fg=Layer(canvas, opaque=False),
        horizon=FRAME[1] * 0.6,
    )


def actor(name: str, icon: str, motion: str, others: list[dict] | None = None) -> Actor:
    elements = [{"name": name, "icon": f"fluent-emoji-flat:{icon}", "motion": motion}, *(others or [])]
    return place_actors(scene(), elements, 4.0)[0]


def centre(a: Actor, t: float) -> np.ndarray:
    xy, _, pose = a.state(t)
    h, w = a.patches[0][int(pose[0])].shape[:2]
    return xy[0] + np.array([w / 2, h / 2])


def test_walking_crosses_the_frame_with_a_bob_and_rising_goes_up():
    walker = actor("fox", "fox", "walk")
    start, end = centre(walker, 0.0), centre(walker, 4.0)
    assert abs(end[0] - start[0]) > FRAME[0] * 0.2
    heights = [centre(walker, t)[1] for t in np.linspace(0, 1, 12)]
    assert max(heights) - min(heights) > 2  # the gait bob
    climber = actor("keeper", "person", "rise")
    assert centre(climber, 4.0)[1] < centre(climber, 0.0)[1] - FRAME[1] * 0.2


def test_flying_arcs_up_and_comes_down_again():
    bird = actor("eagle", "eagle", "fly")
    ys = [centre(bird, t)[1] for t in (0.0, 2.0, 4.0)]
    assert ys[1] < ys[0] - 10 and ys[1] < ys[2] - 10


@pytest.mark.parametrize(("motion", "poses"), [("spin", 12), ("grow", 8), ("shine", 4), ("idle", 1)])
def test_spinning_growing_and_shining_are_poses_drawn_once(motion: str, poses: int):
    subject = actor("ghost", "ghost", motion)
    assert len(subject.patches[0]) == poses
    shown = {int(subject.state(t)[2][0]) for t in np.linspace(0, 4, 40)}
    assert len(shown) == poses
    if motion == "grow":
        assert subject.patches[0][0].shape[0] < subject.patches[0][-1].shape[0]


def test_a_recurring_subject_keeps_its_picture_size_and_side():
    alone = actor("fox", "fox", "idle")
    with_company = actor(
        "fox", "fox", "idle", [{"name": "owl", "icon": "fluent-emoji-flat:owl", "motion": "idle"}]
    )
    assert alone.size == with_company.size
    assert alone.anchor == with_company.anchor
    assert np.array_equal(alone.patches[0][0], with_company.patches[0][0])


def test_a_picture_the_library_lacks_is_left_out():
    unknown = {"name": "thing", "icon": "fluent-emoji-flat:no-such-thing", "motion": "idle"}
    assert place_actors(scene(), [unknown], 4.0) == []
