"""Phase 3, references: one full-resolution reference image per scene, each its own part, so
a scene's clip can start as soon as its reference is drawn."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from phases.assets import fit_reference, image_assets
from phases.contract import Artifact, BasePhase, PhaseContext, PhaseInput, PhaseOutput
from phases.per_scene import find_or_make, scene_filename
from phases.storage import REFERENCES_PREFIX
from providers.registry import get_image_provider
from toolbox.exceptions import PhaseException


class ReferencesPhase(BasePhase):
    name = "references"
    status = "generating_references"
    label = "References"
    timeout = 300
    weight = 10.0
    eta_seconds_per_video_second = 0.08
    progress_unit = "images"
    record_fields = ("reference_urls",)
    artifacts = (
        Artifact(
            "references",
            "reference_urls",
            "Reference image",
            "image",
            many=True,
            item="scenes",
            part_key="reference_url",
        ),
    )
    prefixes = (REFERENCES_PREFIX,)
    regenerate_resets = True

    def part_count(self, phase_input: PhaseInput) -> int:
        return len(phase_input.spec["scenes"])

    def run_part(self, phase_input: PhaseInput, index: int, ctx: PhaseContext) -> dict[str, Any]:
        spec = phase_input.spec
        # The user's reference images stand in for the first scenes' pictures, in order.
        uploads = _uploads(ctx, spec)
        upload = uploads[index] if index < len(uploads) else None

        def render(path: Path) -> None:
            if upload is None:
                get_image_provider().reference_image(spec, index, path, ctx.meter)
                return
            try:
                fit_reference(upload, path, size=(spec["width"], spec["height"]), workdir=ctx.workdir)
            except PhaseException as exc:
                raise PhaseException(f"reference image {index + 1} {exc}") from None

        tag = "" if upload is None else f"upload{_fingerprint(upload)}"
        name = find_or_make(ctx, REFERENCES_PREFIX, scene_filename(spec, index, ".png", tag), render)
        return {"reference_url": name}

    def run(self, phase_input: PhaseInput, ctx: PhaseContext) -> PhaseOutput:
        uploads = _uploads(ctx, phase_input.spec)
        return ctx.output(
            {
                "reference_urls": {
                    "scenes": [part["reference_url"] for part in ctx.parts],
                    "uploads": [asset.get("name") or asset["url"] for asset in uploads],
                }
            }
        )


def _uploads(ctx: PhaseContext, spec: dict[str, Any]) -> list[dict[str, Any]]:
    return image_assets(ctx.outputs["plan"].get("assets", []))[: len(spec["scenes"])]


def _fingerprint(asset: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(asset, sort_keys=True).encode()).hexdigest()[:8]
