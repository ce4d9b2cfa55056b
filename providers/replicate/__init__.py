"""Replicate adapters: any image, video or music model on Replicate, chosen by name.

`client` runs predictions (create, poll, cancel, download); `schemas` reads and caches a
model's published inputs; `inputs` maps our request onto them, with `overrides` for the
models whose names do not tell; `clips` assembles and fits video; `pricing` reckons what a
prediction cost; `image_provider`, `video_provider` and `music_provider` are the capability adapters.
"""

from providers.replicate.client import Predictions
from providers.replicate.image_provider import ReplicateImages
from providers.replicate.music_provider import ReplicateMusic
from providers.replicate.video_provider import ReplicateVideo

__all__ = ["Predictions", "ReplicateImages", "ReplicateMusic", "ReplicateVideo"]
