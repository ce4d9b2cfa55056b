"""A spec as a user sends it (a storyboard edit, a remix): checked against the schema, its
numbers bounded, and nothing in it allowed to name a stored file.

Storage names in a spec (the narration's voice track) are the server's to set, from the
generation's own id; a user's spec may repeat the name the server gave it, or leave it out,
and the server's name is what is kept either way. Naming any other file is refused, so a
spec cannot pull another generation's files into a video."""

from __future__ import annotations

import copy
from typing import Any

from phases.request import SEED_MAX
from providers.spec import validate_spec
from toolbox.exceptions import ValidationException


def user_spec_check(*, spec: Any, own: dict[str, Any] | None) -> dict[str, Any]:
    """Return `spec` validated and with the server's storage names from `own` (the spec the
    server made for this generation or for the one remixed) put back.

    Raises ValidationException naming the field: the schema's problems, a seed or scene
    variation outside 0 … SEED_MAX, or a storage name other than the server's."""
    validate_spec(spec)
    spec = copy.deepcopy(spec)
    if not 0 <= spec["seed"] <= SEED_MAX:
        raise ValidationException(f"invalid spec: seed: must be between 0 and {SEED_MAX}")
    for number, scene in enumerate(spec["scenes"], start=1):
        if not 0 <= scene.get("variation", 0) <= SEED_MAX:
            raise ValidationException(
                f"invalid spec: scenes/{number}/variation: must be between 0 and {SEED_MAX}"
            )
    given = (spec.get("narration") or {}).get("track")
    server_track = ((own or {}).get("narration") or {}).get("track")
    if given is not None and given != server_track:
        raise ValidationException(
            "invalid spec: narration/track names a stored file, which only the server sets; "
            "leave it out or as it was"
        )
    if "narration" in spec:
        spec["narration"].pop("track", None)
        if server_track is not None:
            spec["narration"]["track"] = server_track
    return spec
