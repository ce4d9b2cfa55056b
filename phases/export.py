"""Phase 6, export: the final MP4 (checked against the spec), its poster, its subtitles as
SRT and WebVTT beside it, their URLs."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from media.probe import ProbeResult, extract_frame, probe
from phases.contract import Artifact, BasePhase, PhaseContext, PhaseInput, PhaseOutput
from phases.storage import FINAL_PREFIX, artifact_name, local_copy, store_file
from phases.subtitles import cues_from_spec, write_subtitle_files
from toolbox.exceptions import PhaseException

DURATION_TOLERANCE_SECONDS = 0.1


class ExportPhase(BasePhase):
    name = "export"
    status = "exporting"
    label = "Exporting"
    timeout = 180
    weight = 10.0
    eta_seconds_per_video_second = 0.02
    record_fields = ("final_video_url", "poster_url", "subtitle_urls")
    artifacts = (
        Artifact("final", "final_video_url", "Final video"),
        Artifact("poster", "poster_url", "Poster"),
    )
    prefixes = (FINAL_PREFIX,)
    regenerate_resets = True

    def run(self, phase_input: PhaseInput, ctx: PhaseContext) -> PhaseOutput:
        spec = phase_input.spec
        # The refined file is already H.264 + AAC with its index in front (refine's stitch),
        # so it is published as it is: checked, and its poster taken meanwhile.
        final = local_copy(ctx.outputs["refine"]["refined_url"], ctx.workdir)
        poster = ctx.workdir / "poster.jpg"
        first_scene_seconds = spec["scenes"][0]["frames"] / spec["fps"]
        with ThreadPoolExecutor(max_workers=1) as beside:
            poster_taken = beside.submit(extract_frame, final, first_scene_seconds * 0.6, poster, timeout=60)
            probed = probe(final)
            check_final_video(probed, spec)
            poster_taken.result()
        cues = cues_from_spec(spec)
        subtitle_urls = {
            kind: store_file(path, artifact_name(FINAL_PREFIX, phase_input.video_id, path.name))
            for kind, path in (write_subtitle_files(cues, ctx.workdir).items() if cues else ())
        }
        return ctx.output(
            {
                "final_video_url": store_file(
                    final, artifact_name(FINAL_PREFIX, phase_input.video_id, "video.mp4")
                ),
                "poster_url": store_file(
                    poster, artifact_name(FINAL_PREFIX, phase_input.video_id, poster.name)
                ),
                "subtitle_urls": subtitle_urls,
                "width": probed.video.width if probed.video else None,
                "height": probed.video.height if probed.video else None,
                "duration": probed.duration,
                "size_bytes": probed.size_bytes,
                "bit_rate": probed.bit_rate,
            }
        )


def check_final_video(probed: ProbeResult, spec: dict) -> None:
    """Refuse to publish a video that does not match its spec."""
    problems = []
    video, audio = probed.video, probed.audio
    if video is None or video.codec != "h264":
        problems.append("no H.264 video stream")
    elif (video.width, video.height) != (spec["width"], spec["height"]):
        problems.append(f"size {video.width}x{video.height} instead of {spec['width']}x{spec['height']}")
    if audio is None or audio.codec != "aac":
        problems.append("no AAC audio stream")
    if abs(probed.duration - spec["duration"]) > DURATION_TOLERANCE_SECONDS:
        problems.append(f"duration {probed.duration:.3f} s instead of {spec['duration']} s")
    if problems:
        raise PhaseException("final video check failed: " + "; ".join(problems))
