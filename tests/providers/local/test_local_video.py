"""The local video provider: real chunks through ffmpeg, and frames straight from the renderer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from media.concat import concat_copy
from media.probe import probe
from providers.costs import CostMeter
from providers.local.images import LocalImages
from providers.local.video import FrameRenderer, LocalVideo, prepare
from providers.spec import MOTIFS
from tests.phases.spec_factory import make_spec
from tests.providers.local.test_local_images import HOSTILE_CAPTIONS

NO_REFERENCE = Path("/nonexistent/reference.png")


def luma_frames(
    spec: dict, scene_index: int, picks: list[int], reference: Path = NO_REFERENCE
) -> list[np.ndarray]:
    """The Y planes of the chosen frames, as the encoder would receive them."""
    renderer = FrameRenderer(spec, scene_index, prepare(spec, scene_index, reference))
    w, h = spec["width"], spec["height"]
    return [
        np.frombuffer(renderer.frame(i)[0], dtype=np.uint8).reshape(h, w).astype(np.float32) for i in picks
    ]


def horizontal_shift(before: np.ndarray, after: np.ndarray, limit: int) -> int:
    """The shift s (in pixels) for which after[:, x] best matches before[:, x + s]."""
    errors = {s: np.abs(after[:, :-limit] - before[:, s : s - limit]).mean() for s in range(limit)}
    return min(errors, key=errors.get)


@pytest.mark.parametrize("aspect", ["16:9", "9:16", "1:1"])
def test_chunk_is_h264_high_yuv420p_of_the_spec_size_with_exact_frames(tmp_path, aspect):
    spec = make_spec(duration=5, aspect_ratio=aspect, scene_overrides=[{}, {"frames": 40}])
    meter = CostMeter()
    LocalVideo().render_chunk(spec, 1, NO_REFERENCE, tmp_path / "chunk.mp4", meter)
    probed = probe(tmp_path / "chunk.mp4")
    video = probed.video
    assert (video.codec, video.profile, video.pix_fmt) == ("h264", "High", "yuv420p")
    assert (video.width, video.height, video.fps) == (spec["width"], spec["height"], 30.0)
    assert video.frames == 40
    assert probed.audio is None
    assert meter.total == 0


def test_chunks_of_consecutive_scenes_concatenate_by_stream_copy(tmp_path):
    spec = make_spec(duration=5, scene_overrides=[{"frames": 20}, {"frames": 25}])
    chunks = [tmp_path / "0.mp4", tmp_path / "1.mp4"]
    for index, chunk in enumerate(chunks):
        LocalVideo().render_chunk(spec, index, NO_REFERENCE, chunk, CostMeter())
    concat_copy(chunks, tmp_path / "joined.mp4", timeout=60)
    assert probe(tmp_path / "joined.mp4").video.frames == 45


@pytest.mark.parametrize("camera", ["zoom_in", "zoom_out", "pan_left", "pan_up", "static"])
def test_frames_really_move(camera):
    spec = make_spec(scene_overrides=[{}, {"camera": camera, "caption": "", "motif": "trees"}])
    last = spec["scenes"][1]["frames"] - 1
    first, middle, final = luma_frames(spec, 1, [0, last // 2, last])
    assert np.abs(first - final).mean() > 3
    assert np.abs(first - middle).mean() > 1


def test_a_pan_shifts_the_picture_and_the_foreground_faster_than_the_sky():
    spec = make_spec(scene_overrides=[{}, {"camera": "pan_right", "caption": "", "motif": "mountains"}])
    last = spec["scenes"][1]["frames"] - 1
    first, final = luma_frames(spec, 1, [0, last])
    near = horizontal_shift(first[-150:], final[-150:], limit=500)
    far = horizontal_shift(first[450:650], final[450:650], limit=500)
    # Panning right moves the picture left on screen: 12% of the width for the background,
    # 1.6 times that for the foreground.
    assert near == pytest.approx(0.12 * 1.6 * 1920, abs=12)
    assert far == pytest.approx(0.12 * 1920, abs=12)


def test_caption_fades_in_over_the_lower_third():
    with_caption = make_spec(scene_overrides=[{}, {"camera": "static", "caption": "Hello there, world"}])
    without = make_spec(scene_overrides=[{}, {"camera": "static", "caption": ""}])
    band = slice(int(1080 * 0.7), int(1080 * 0.95))
    start_with, shown_with = luma_frames(with_caption, 1, [0, 30])
    start_without, shown_without = luma_frames(without, 1, [0, 30])
    assert np.array_equal(start_with, start_without), "nothing shows before the caption's entrance"
    assert np.abs(shown_with[band] - shown_without[band]).mean() > 5
    assert np.array_equal(shown_with[: int(1080 * 0.6)], shown_without[: int(1080 * 0.6)]), (
        "only the lower third"
    )


@pytest.mark.parametrize("caption", HOSTILE_CAPTIONS)
def test_hostile_caption_renders_into_frames(caption):
    spec = make_spec(scene_overrides=[{}, {"caption": caption}])
    (frame,) = luma_frames(spec, 1, [40])
    assert frame.shape == (1080, 1920)


def test_video_fades_from_black_at_the_start_and_to_black_at_the_end():
    spec = make_spec()
    last_scene = len(spec["scenes"]) - 1
    (opening,) = luma_frames(spec, 0, [0])
    (closing,) = luma_frames(spec, last_scene, [spec["scenes"][last_scene]["frames"] - 1])
    (cut,) = luma_frames(spec, 1, [0])
    assert opening.max() <= 17 and closing.max() <= 17
    assert cut.mean() > 30, "scenes in the middle start without a fade"


@pytest.mark.parametrize("motif", MOTIFS)
def test_every_motif_animates(motif):
    spec = make_spec(scene_overrides=[{}, {"motif": motif, "camera": "zoom_in"}])
    first, later = luma_frames(spec, 1, [5, 45])
    assert np.abs(first - later).mean() > 0.5


def test_an_image_from_another_provider_is_animated_as_a_picture(tmp_path):
    spec = make_spec(scene_overrides=[{}, {"camera": "zoom_in", "caption": ""}])
    ramp = np.linspace(0, 255, 1920, dtype=np.float32)
    picture = np.stack([np.repeat(ramp[None, :], 1080, axis=0)] * 3, axis=-1).astype(np.uint8)
    Image.fromarray(picture).save(tmp_path / "painted.png")
    material = prepare(spec, 1, tmp_path / "painted.png")
    assert material.foreground is None and not material.particles
    (frame,) = luma_frames(spec, 1, [0], reference=tmp_path / "painted.png")
    columns = frame.mean(axis=0)
    assert columns[100] < columns[960] < columns[1800], "the picture's left-to-right ramp"


def test_the_local_reference_is_redrawn_as_layers_for_parallax(tmp_path):
    spec = make_spec()
    LocalImages().reference_image(spec, 1, tmp_path / "ref.png", CostMeter())
    assert prepare(spec, 1, tmp_path / "ref.png").foreground is not None


def test_first_frame_of_a_zoom_matches_the_reference_image(tmp_path):
    spec = make_spec(scene_overrides=[{}, {"camera": "zoom_in", "caption": ""}])
    LocalImages().reference_image(spec, 1, tmp_path / "ref.png", CostMeter())
    (frame,) = luma_frames(spec, 1, [0], reference=tmp_path / "ref.png")
    with Image.open(tmp_path / "ref.png") as reference:
        weights = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)
        expected = 16 + 219 * (np.asarray(reference, dtype=np.float32) / 255) @ weights
    assert np.abs(frame - expected).mean() < 4
