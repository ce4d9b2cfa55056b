"""Writes of creative control: approving a storyboard, editing it, regenerating one scene of a
finished video and remixing a generation. Status moves still go through
`services.generation_transition`; the per-user policy is asked first, as on every path that
starts or re-runs work."""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from generations import policy
from generations.models import (
    PartRun,
    PhaseRun,
    Status,
    VideoGeneration,
)
from generations.orchestration import dispatch, pipeline
from generations.services import (
    InvalidTransition,
    generation_transition,
    record_fields,
)
from generations.user_spec import user_spec_check
from phases.registry import PHASES, first_phase, is_fan_out, next_phase, review_gate
from phases.request import SEED_MAX
from providers.local.icons import check_pictures
from providers.spec import spec_resolution, validate_spec
from toolbox.exceptions import ValidationException

logger = logging.getLogger(__name__)


def generation_approve(*, video_id: str) -> VideoGeneration:
    """Approve the storyboard of a generation awaiting review: it goes on to its references.
    Raises InvalidTransition unless it is awaiting review (so a second approve is refused),
    and policy.LimitExceeded when the owner is past their rate."""
    gate = review_gate()
    after = next_phase(gate) if gate is not None else None
    with transaction.atomic():
        current = VideoGeneration.objects.select_for_update().get(id=video_id)
        if current.status != Status.AWAITING_REVIEW or after is None:
            raise InvalidTransition(current, after.status if after else Status.AWAITING_REVIEW)
        # Already active while it waited for review: only the rate applies.
        policy.admit(user=current.user, starts_generation=False)
        generation = generation_transition(
            video_id=video_id,
            to=after.status,
            note="storyboard approved",
            approved_at=timezone.now(),
            current_phase=after.name,
        )
        pipeline.advance_after_commit(video_id)
    return generation


def generation_update_spec(*, video_id: str, spec: dict[str, Any]) -> VideoGeneration:
    """Replace the spec of a generation awaiting review (scenes edited, reordered or removed)
    and have its storyboard redrawn where scenes changed.

    Raises InvalidTransition unless it is awaiting review, ValidationException when the
    spec breaks the schema, names a stored file, or changes the requested duration or shape, and
    policy.LimitExceeded when the owner is past their rate (each edit redraws frames)."""
    with transaction.atomic():
        generation = VideoGeneration.objects.select_for_update().get(id=video_id)
        if generation.status != Status.AWAITING_REVIEW:
            raise InvalidTransition(generation, Status.AWAITING_REVIEW)
        spec = user_spec_check(spec=spec, own=generation.spec)
        check_pictures(spec)
        _check_same_request(generation, spec)
        policy.admit(user=generation.user, starts_generation=False)
        store_reviewed_spec(generation=generation, spec=spec)
    return generation


def store_reviewed_spec(*, generation: VideoGeneration, spec: dict[str, Any]) -> None:
    """Make `spec` the plan of a generation awaiting review, locked and checked by the caller
    (an edit, a re-voice), and have the storyboard redrawn where scenes changed."""
    generation.spec = spec
    # An edit may ask for another frame: the ETA goes by the one it renders at.
    generation.resolution = spec_resolution(spec)
    generation.save(update_fields=["spec", "resolution", "updated_at"])
    _replace_planned_spec(generation, spec)
    dispatch.enqueue_storyboard_refresh(generation.id)


def generation_regenerate_scene(
    *,
    video_id: str,
    scene_number: int,
    description: str | None = None,
    caption: str | None = None,
    seed: int | None = None,
) -> VideoGeneration:
    """Redo one scene of a finished video: its reference and clip are made again (with the
    new description, caption or seed when given), every other clip is reused as it is, and
    the video is stitched and exported again. Earlier files stay in storage as versions.

    Raises InvalidTransition unless the generation is complete, ValidationException for
    a scene number out of range or text the spec schema refuses, and policy.LimitExceeded
    when the owner is past their rate or active cap."""
    with transaction.atomic():
        generation = VideoGeneration.objects.select_for_update().get(id=video_id)
        if generation.status != Status.COMPLETE:
            raise InvalidTransition(generation, Status.QUEUED)
        spec = copy.deepcopy(generation.spec)
        if not 1 <= scene_number <= len(spec["scenes"]):
            raise ValidationException(f"scene must be between 1 and {len(spec['scenes'])}")
        if seed is not None and not 0 <= seed <= SEED_MAX:
            raise ValidationException(f"seed must be between 0 and {SEED_MAX}")
        scene = spec["scenes"][scene_number - 1]
        scene.update(
            {k: v for k, v in {"description": description, "caption": caption}.items() if v is not None}
        )
        # A new variation of the scene: part of its fingerprint, so its files get new names.
        scene["variation"] = seed if seed is not None else scene.get("variation", 0) + 1
        validate_spec(spec)
        policy.admit(user=generation.user, starts_generation=True)
        redone = [phase for phase in PHASES if phase.regenerate_resets]
        PhaseRun.objects.filter(
            generation=generation,
            phase__in=[phase.name for phase in redone],
            status=PhaseRun.State.SUCCEEDED,
        ).update(status=PhaseRun.State.SUPERSEDED)
        _replace_planned_spec(generation, spec)
        # A fan-out phase with one part per scene redoes only the regenerated scene's; one
        # whose parts span the scenes (the soundtrack) redoes them all.
        fan_outs = [phase for phase in redone if is_fan_out(phase)]
        PartRun.objects.filter(
            Q(phase__in=[phase.name for phase in fan_outs if phase.parts_per_scene], index=scene_number - 1)
            | Q(phase__in=[phase.name for phase in fan_outs if not phase.parts_per_scene]),
            generation=generation,
        ).update(status=PartRun.State.PENDING, error_message=None)
        generation.spec = spec
        generation.save(update_fields=["spec", "updated_at"])
        generation = generation_transition(
            video_id=video_id,
            to=Status.QUEUED,
            allow_restart=True,
            note=f"regenerate scene {scene_number}",
            completed_at=None,
            current_phase=None,
            progress=0.0,
            attempts=F("attempts") + 1,
        )
        pipeline.advance_after_commit(video_id)
    generation.refresh_from_db()
    return generation


def generation_remix(
    *,
    parent: VideoGeneration,
    user: AbstractBaseUser | None,
    prompt: str | None = None,
    spec: dict[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> VideoGeneration:
    """A new generation linked to `parent` (`remixed_from`), with the parent's request copied
    whole: every option stays the parent's unless `prompt`, `spec` or `overrides` (request
    fields) change it. With a `spec` (the parent's, changed) the plan is taken as given; with
    only a new `prompt` it is planned again. Any storyboard frame, reference or clip whose
    inputs match the parent's is copied from the parent instead of being made and paid for
    again.

    Raises ValidationException for a spec that breaks the schema or names a stored file,
    RequestInvalid for an override that breaks a limit, and policy.LimitExceeded when `user`
    is past their rate or active cap."""
    changes: dict[str, Any] = dict(overrides or {})
    if parent.user_id != getattr(user, "pk", None):
        # Another user's receiver must not hear about a remix it did not ask for.
        changes.setdefault("webhook_url", "")
    if spec is not None:
        spec = user_spec_check(spec=spec, own=parent.spec)
        check_pictures(spec)
        changes.update(
            duration=spec["duration"],
            aspect_ratio=spec["aspect_ratio"],
            resolution=spec_resolution(spec),
            template=spec["template"],
            seed=spec["seed"],
        )
        if spec.get("prompt"):
            changes.setdefault("prompt", spec["prompt"])
    if prompt:
        changes["prompt"] = prompt
    request = parent.generation_request.replace(**changes).validate()
    with transaction.atomic():
        policy.admit(user=user, starts_generation=True)
        generation = VideoGeneration.objects.create(
            user=user, remixed_from=parent, spec=spec, **record_fields(request)
        )
        if spec is not None:
            PhaseRun.objects.create(
                generation=generation,
                phase=first_phase().name,
                status=PhaseRun.State.SUCCEEDED,
                finished_at=timezone.now(),
                duration_seconds=0.0,
                output_data={
                    "spec": spec,
                    "template": spec["template"],
                    "assets": request.image_assets,
                    "remixed_from": parent.id,
                },
            )
        pipeline.advance_after_commit(generation.id)
    logger.info("generation=%s remixed from %s", generation.id, parent.id)
    return generation


def _replace_planned_spec(generation: VideoGeneration, spec: dict[str, Any]) -> None:
    """Put an edited spec in place of the first (planning) phase's output, keeping the rest of that
    output (the user's reference images, which the references phase reads from it)."""
    planned = PhaseRun.objects.filter(
        generation=generation, phase=first_phase().name, status=PhaseRun.State.SUCCEEDED
    )
    for run in planned:
        run.output_data = {**run.output_data, "spec": spec, "template": spec["template"]}
        run.save(update_fields=["output_data"])


def _check_same_request(generation: VideoGeneration, spec: dict[str, Any]) -> None:
    if spec["duration"] != generation.duration or spec["aspect_ratio"] != generation.aspect_ratio:
        raise ValidationException(
            f"the spec must keep the requested {generation.duration} s at {generation.aspect_ratio}"
        )
