"""Phase 3, references: one full-resolution reference image per scene."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from phases.assets import fit_reference, image_assets
from phases.contract import Artifact, BasePhase, PhaseContext, PhaseInput, PhaseOutput
from phases.per_scene import store_each_scene
from phases.storage import REFERENCES_PREFIX
from providers.costs import CostMeter
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
        Artifact("references", "reference_urls", "Reference image", "image", many=True, item="scenes"),
    )
    prefixes = (REFERENCES_PREFIX,)
    regenerate_resets = True

    def run(self, phase_input: PhaseInput, ctx: PhaseContext) -> PhaseOutput:
        spec = phase_input.spec
        provider = get_image_provider()
        # The user's reference images stand in for the first scenes' pictures, in order.
        uploads = image_assets(ctx.outputs["plan"].get("assets", []))[: len(spec["scenes"])]

        def render(spec: dict[str, Any], index: int, path: Path, meter: CostMeter) -> None:
            if index >= len(uploads):
                provider.reference_image(spec, index, path, meter)
                return
            try:
                fit_reference(uploads[index], path, size=(spec["width"], spec["height"]), workdir=ctx.workdir)
            except PhaseException as exc:
                raise PhaseException(f"reference image {index + 1} {exc}") from None

        tags = [
            f"upload{hashlib.sha256(json.dumps(asset, sort_keys=True).encode()).hexdigest()[:8]}"
            for asset in uploads
        ]
        names = store_each_scene(spec, ctx, render, prefix=REFERENCES_PREFIX, tags=tags)
        return ctx.output(
            {"reference_urls": {"scenes": names, "uploads": [a.get("name") or a["url"] for a in uploads]}}
        )
