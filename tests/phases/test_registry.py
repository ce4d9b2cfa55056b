"""The registry is the one place that lists phases: a phase added here (a throwaway seventh
one) runs end to end through the real queue with no other file changed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from django.core.files.storage import default_storage
from PIL import Image

from generations import selectors, services
from generations.models import PhaseRun, Status, StatusEvent, status_choices
from media.overlay import TimedOverlay, burn_overlays
from media.probe import extract_frame, probe
from media.run import run_ffmpeg
from phases.contract import BasePhase, PhaseContext, PhaseInput, PhaseOutput
from phases.registry import PHASES, get_phase, phase_number, register, unregister
from phases.request import GenerationRequest
from phases.storage import FINAL_PREFIX, artifact_name, local_copy, store_file

MARK = (255, 0, 255)
MARK_BOX = (16, 16, 96, 96)  # x, y, width, height


class WatermarkPhase(BasePhase):
    """Re-encodes the exported video with a magenta square in its corner."""

    name = "watermark"
    status = "watermarking"
    label = "Watermarking"
    timeout = 120
    weight = 2.0
    record_fields = ("final_video_url",)
    prefixes = (FINAL_PREFIX,)

    def run(self, phase_input: PhaseInput, ctx: PhaseContext) -> PhaseOutput:
        spec = phase_input.spec
        exported = local_copy(ctx.outputs["export"]["final_video_url"], ctx.workdir)
        mark = ctx.workdir / "mark.png"
        Image.new("RGB", MARK_BOX[2:], MARK).save(mark)
        frames = sum(scene["frames"] for scene in spec["scenes"])
        seconds = frames / spec["fps"]
        silent = ctx.workdir / "marked-silent.mp4"
        overlay = TimedOverlay(mark, MARK_BOX[0], MARK_BOX[1], 0.0, seconds + 1)
        burn_overlays(exported, silent, [overlay], fps=spec["fps"], frames=frames, timeout=self.timeout)
        marked = ctx.workdir / "video-watermarked.mp4"
        # The exported video's sound, copied onto the marked picture.
        streams = ["-map", "0:v:0", "-map", "1:a:0", "-c", "copy", str(marked)]
        run_ffmpeg(["-i", str(silent), "-i", str(exported), *streams], timeout=self.timeout)
        name = store_file(marked, artifact_name(FINAL_PREFIX, phase_input.video_id, marked.name))
        return ctx.output({"final_video_url": name})


@pytest.fixture
def watermark():
    phase = WatermarkPhase()
    register(phase, after="export")
    yield phase
    unregister(phase.name)


def test_a_registered_phase_takes_its_place_in_the_order(watermark):
    assert [phase.name for phase in PHASES][-2:] == ["export", "watermark"]
    assert phase_number(watermark) == 7
    assert ("watermarking", "Watermarking") in status_choices()
    with pytest.raises(ValueError):
        register(WatermarkPhase(), after="export")


def test_an_unregistered_phase_is_gone():
    register(WatermarkPhase())
    unregister("watermark")
    with pytest.raises(KeyError):
        get_phase("watermark")
    assert "watermarking" not in dict(status_choices())


@pytest.mark.django_db(transaction=True)
def test_a_seventh_phase_runs_end_to_end_through_the_queue(alice, watermark, work_queue, tmp_path: Path):
    generation = services.generation_create(
        user=alice,
        request=GenerationRequest(
            prompt="A calm ocean at night under the stars. Waves roll onto the beach.", duration=5
        ),
    )
    work_queue()
    generation.refresh_from_db()

    assert generation.status == Status.COMPLETE, generation.error_message
    assert generation.progress == 100.0
    assert generation.final_video_url == f"final/{generation.id}/video-watermarked.mp4"
    runs = PhaseRun.objects.filter(generation=generation, status=PhaseRun.State.SUCCEEDED)
    assert [run.phase for run in runs] == [phase.name for phase in PHASES]
    moves = list(StatusEvent.objects.filter(generation=generation).values_list("to_status", flat=True))
    assert moves[-2:] == ["watermarking", "complete"]
    steps = selectors.generation_timeline(generation=generation)
    assert (steps[-1].number, steps[-1].label, steps[-1].state) == (7, "Watermarking", "done")
    assert selectors.generation_eta_seconds(generation) == 0

    video = Path(default_storage.path(generation.final_video_url))
    probed = probe(video)
    assert probed.video is not None and probed.audio is not None
    assert probed.video.frames == generation.duration * 30
    frame = tmp_path / "frame.png"
    extract_frame(video, 1.0, frame, timeout=30)
    pixels = np.asarray(Image.open(frame).convert("RGB"), dtype=np.int16)
    x, y, width, height = MARK_BOX
    inside = pixels[y + 8 : y + height - 8, x + 8 : x + width - 8].reshape(-1, 3).mean(axis=0)
    assert np.abs(inside - np.array(MARK)).max() < 40, "the mark is not in the picture"
