"""The typed request: built normalized, checked against every limit, stored and read back whole."""

from __future__ import annotations

import subprocess
import sys

import pytest

from phases.request import (
    MAX_ASSETS,
    MAX_DURATION,
    MIN_DURATION,
    PROMPT_MAX,
    SCRIPT_LIMIT,
    SEED_MAX,
    GenerationRequest,
    RequestInvalid,
)
from tests.conftest import PROJECT_DIR

PROMPT = "A calm ocean at night under the stars"
EVERY_OPTION = GenerationRequest(
    prompt=PROMPT,
    duration=45,
    aspect_ratio="9:16",
    resolution="480p",
    template="noir",
    seed=SEED_MAX,
    assets=({"type": "image", "url": "https://example.com/a.png"},),
    webhook_url="https://example.com/hook",
    review=True,
    script="The tide comes in.",
    narration=False,
    voice="en-gb+f3",
    language="en-GB",
    speech_rate=1.25,
    subtitles=False,
    burn_subtitles=True,
    subtitle_style={"position": "center", "font": "serif", "size": 64, "color": "#ffee00", "outline": 6},
)


def test_it_is_built_normalized():
    request = GenerationRequest(
        prompt=f"  {PROMPT}\n",
        template="",
        script="  Hello.  ",
        assets=[{"type": "image", "url": "https://a.example/x.png"}],
    )
    assert request.prompt == PROMPT and request.template is None and request.script == "Hello."
    assert request.assets == ({"type": "image", "url": "https://a.example/x.png"},)


def test_every_option_survives_the_round_trip_through_json():
    assert EVERY_OPTION.validate() is EVERY_OPTION
    assert GenerationRequest.from_dict(EVERY_OPTION.to_dict()) == EVERY_OPTION
    assert set(EVERY_OPTION.to_dict()) == set(GenerationRequest.field_names())


def test_absent_options_take_their_defaults_and_unknown_ones_are_refused():
    assert GenerationRequest.from_dict({"prompt": PROMPT}) == GenerationRequest(prompt=PROMPT)
    with pytest.raises(RequestInvalid) as refused:
        GenerationRequest.from_dict({"prompt": PROMPT, "durration": 30})
    assert refused.value.errors == {"durration": ["Unknown field."]}
    with pytest.raises(RequestInvalid, match="prompt"):
        GenerationRequest.from_dict({"duration": 30})


def test_replace_changes_only_what_it_is_given():
    remixed = EVERY_OPTION.replace(prompt="A storm over the mountains at dusk")
    assert remixed.prompt == "A storm over the mountains at dusk"
    assert {**remixed.to_dict(), "prompt": PROMPT} == EVERY_OPTION.to_dict()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("prompt", "too short"),
        ("prompt", "x" * (PROMPT_MAX + 1)),
        ("duration", MIN_DURATION - 1),
        ("duration", MAX_DURATION + 1),
        ("duration", 30.5),
        ("duration", True),
        ("aspect_ratio", "4:3"),
        ("resolution", "4k"),
        ("resolution", "1080"),
        ("template", "sepia"),
        ("seed", -1),
        ("seed", SEED_MAX + 1),
        (
            "assets",
            tuple({"type": "image", "url": f"https://e.example/{n}.png"} for n in range(MAX_ASSETS + 1)),
        ),
        ("assets", ({"type": "video", "url": "https://e.example/a.mp4"},)),
        ("assets", ({"type": "image", "url": "ftp://e.example/a.png"},)),
        ("assets", ({"type": "image", "url": "https://e.example/a.png", "extra": "x"},)),
        ("webhook_url", "not a url"),
        ("review", "yes"),
        ("narration", 1),
        ("script", "word " * SCRIPT_LIMIT),
        ("voice", "en; rm -rf /"),
        ("language", "english please"),
        ("speech_rate", 3.0),
        ("speech_rate", "fast"),
        ("subtitle_style", {"position": "left"}),
        ("subtitle_style", {"color": "red"}),
        ("subtitle_style", {"size": 500}),
        ("subtitle_style", {"shadow": True}),
    ],
)
def test_a_value_outside_its_limit_is_refused_under_its_field(field, value):
    with pytest.raises(RequestInvalid) as refused:
        GenerationRequest(prompt=PROMPT).replace(**{field: value}).validate()
    assert list(refused.value.errors) == [field]


def test_a_script_too_long_for_the_video_is_refused_with_the_reason():
    with pytest.raises(RequestInvalid) as refused:
        GenerationRequest(prompt=PROMPT, duration=5, script="word " * 300).validate()
    assert "too long for a 5 s video" in refused.value.errors["script"][0]


def test_uploads_count_toward_the_asset_limit():
    request = GenerationRequest(prompt=PROMPT, assets=({"type": "image", "url": "https://e.example/a.png"},))
    assert request.validate(uploads=MAX_ASSETS - 1)
    with pytest.raises(RequestInvalid, match="at most"):
        request.validate(uploads=MAX_ASSETS)


def test_importing_it_pulls_in_no_framework_and_no_media():
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, phases.request; print(' '.join(sorted(sys.modules)))"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    heavy = {"django", "numpy", "PIL", "media", "rest_framework", "generations"}
    assert heavy.isdisjoint(loaded)
