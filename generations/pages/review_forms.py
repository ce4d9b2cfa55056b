"""The storyboard review forms (scenes, subjects, music, re-voicing) and the form that
regenerates one scene of a finished video."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

from django import forms

from generations.pages.forms import (
    GenerationForm,
)
from phases.request import (
    MAX_SCENES,
    MIN_SCENES,
    SCENE_CAPTION_MAX,
    SCENE_DESCRIPTION_MAX,
)
from providers.spec import MUSIC_MOODS, frames_to_seconds, split_frames


class RevoiceForm(forms.Form):
    """The new-video form's voice fields, for voicing the narration again on the review screen."""

    voice = copy.deepcopy(GenerationForm.base_fields["voice"])
    language = copy.deepcopy(GenerationForm.base_fields["language"])
    speech_rate = copy.deepcopy(GenerationForm.base_fields["speech_rate"])


class SceneReviewForm(forms.Form):
    """One scene on the storyboard screen."""

    description = forms.CharField(max_length=SCENE_DESCRIPTION_MAX, widget=forms.Textarea(attrs={"rows": 2}))
    caption = forms.CharField(max_length=SCENE_CAPTION_MAX, required=False)
    duration = forms.DecimalField(min_value=Decimal("0.5"), max_value=60, decimal_places=3, label="Seconds")
    order = forms.IntegerField(min_value=1, max_value=99, label="Order")
    remove = forms.BooleanField(required=False, label="Remove")
    # The subjects drawn in the scene, as the spec's JSON list; the page's script edits it
    # (remove, or swap for another picture) and the service checks every picture.
    elements = forms.JSONField(required=False, widget=forms.HiddenInput)

    def clean_elements(self) -> list[dict[str, Any]]:
        elements = self.cleaned_data["elements"] or []
        if not isinstance(elements, list) or not all(isinstance(e, dict) for e in elements):
            raise forms.ValidationError("The subjects must be a list.")
        return elements

    def shown_elements(self) -> list[dict[str, Any]]:
        """The subjects as the page shows them: as posted, or as planned."""
        value = self["elements"].value()
        try:
            elements = json.loads(value) if isinstance(value, str) else value
        except ValueError:
            return []
        return [e for e in elements or [] if isinstance(e, dict) and isinstance(e.get("icon"), str)]


class StoryboardReviewForm(forms.Form):
    """The spec-wide part of the storyboard screen; the scenes are a formset beside it."""

    music_mood = forms.ChoiceField(
        choices=[(mood, mood.capitalize()) for mood in MUSIC_MOODS], label="Music mood"
    )

    def __init__(self, *args: Any, spec: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spec = spec
        count = len(spec["scenes"])
        # Exactly one form per scene of the spec: a posted formset with more (or fewer) is
        # an error on the form, never an index past the spec's scenes.
        scene_formset = forms.formset_factory(
            SceneReviewForm,
            extra=0,
            min_num=count,
            max_num=count,
            absolute_max=count,
            validate_min=True,
            validate_max=True,
        )
        self.scenes = scene_formset(
            *args,
            prefix="scene",
            initial=[
                {
                    "description": scene["description"],
                    "caption": scene["caption"],
                    "duration": scene["duration"],
                    "order": number,
                    "elements": scene.get("elements", []),
                }
                for number, scene in enumerate(spec["scenes"], start=1)
            ],
        )
        self.fields["music_mood"].initial = spec["music"]["mood"]

    def is_valid(self) -> bool:
        valid = super().is_valid()
        if not self.scenes.is_valid():
            for message in self.scenes.non_form_errors():
                self.add_error(None, message)
            return False
        return valid and self._check_scene_count()

    def _check_scene_count(self) -> bool:
        kept = [form for form in self.scenes.forms if not form.cleaned_data.get("remove")]
        if not MIN_SCENES <= len(kept) <= MAX_SCENES:
            self.add_error(None, f"Keep between {MIN_SCENES} and {MAX_SCENES} scenes.")
            return False
        return True

    def edited_spec(self) -> dict[str, Any]:
        """The spec with the edits applied: scenes in their new order, removed ones dropped,
        and their lengths scaled to fill exactly the video's duration."""
        kept = sorted(
            (
                (form.cleaned_data["order"], number, form.cleaned_data)
                for number, form in enumerate(self.scenes.forms)
                if not form.cleaned_data.get("remove")
            ),
            key=lambda item: (item[0], item[1]),
        )
        spec = copy.deepcopy(self.spec)
        total_frames = spec["duration"] * spec["fps"]
        frames = split_frames(total_frames, [float(data["duration"]) for _, _, data in kept])
        scenes = []
        for (_, original, data), scene_frames in zip(kept, frames, strict=True):
            scene = {**spec["scenes"][original], "description": data["description"].strip()}
            scene["caption"] = data["caption"].strip()
            scene.pop("elements", None)
            if data["elements"]:
                scene["elements"] = data["elements"]
            scene["frames"] = scene_frames
            scene["duration"] = frames_to_seconds(scene_frames, spec["fps"])
            scenes.append(scene)
        spec["scenes"] = scenes
        spec["music"] = {**spec["music"], "mood": self.cleaned_data["music_mood"]}
        return spec


class RegenerateSceneForm(forms.Form):
    caption = forms.CharField(max_length=SCENE_CAPTION_MAX, required=False, label="New caption (optional)")
