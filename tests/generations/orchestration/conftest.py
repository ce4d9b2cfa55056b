"""A video provider whose camera fails on one scene, for the pipeline's failure paths."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from providers.local.video import LocalVideo


class VideoOutOfFilm(LocalVideo):
    """The local video provider, with a camera that runs out of film on one scene (0-based
    `on_scene`) until `out_of_film` is cleared."""

    on_scene = 1
    out_of_film = True

    def render_chunk(self, spec, scene_index, reference_path, out_path, meter) -> None:
        if scene_index == self.on_scene and self.out_of_film:
            raise RuntimeError("the camera ran out of film")
        super().render_chunk(spec, scene_index, reference_path, out_path, meter)


@pytest.fixture
def film_runs_out(registered: Callable[..., None], settings) -> type[VideoOutOfFilm]:
    VideoOutOfFilm.on_scene, VideoOutOfFilm.out_of_film = 1, True
    registered("video", "out-of-film", VideoOutOfFilm)
    settings.VIDEO_PROVIDER = "out-of-film"
    return VideoOutOfFilm
