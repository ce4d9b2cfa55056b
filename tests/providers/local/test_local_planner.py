"""The local planner: a valid, deterministic spec made from the prompt's own clauses and words."""

from __future__ import annotations

import colorsys
import json
import os
import random
import subprocess
import sys
import unicodedata
from typing import Any

import pytest

from providers.base import PlanRequest
from providers.costs import CostMeter
from providers.local.planner import FRAMINGS, LocalPlanner
from providers.spec import FPS, SIZES, TEMPLATES, validate_spec
from tests.conftest import PROJECT_DIR
from toolbox.exceptions import ValidationException


def plan(prompt: str = "A calm ocean at night", **options: Any) -> dict[str, Any]:
    return LocalPlanner().plan(PlanRequest(prompt=prompt, **options), CostMeter())


def rgb(colour: str) -> tuple[float, float, float]:
    red, green, blue = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return red, green, blue


def mean_lightness(palette: list[str]) -> float:
    return sum(colorsys.rgb_to_hls(*rgb(colour))[1] for colour in palette) / len(palette)


def mean_saturation(palette: list[str]) -> float:
    return sum(colorsys.rgb_to_hls(*rgb(colour))[2] for colour in palette) / len(palette)


def channel_means(palette: list[str]) -> tuple[float, float, float]:
    red, green, blue = (sum(channel) / len(palette) for channel in zip(*map(rgb, palette), strict=True))
    return red, green, blue


def texts(spec: dict[str, Any]) -> list[str]:
    scenes = spec["scenes"]
    return [spec["title"], *(s["description"] for s in scenes), *(s["caption"] for s in scenes)]


def test_it_gives_the_same_spec_for_the_same_prompt_seed_and_options() -> None:
    assert plan("Waves under the moon", seed=7, duration=42) == plan(
        "Waves under the moon", seed=7, duration=42
    )


def test_it_gives_the_same_spec_in_another_process_with_another_hash_seed() -> None:
    code = (
        "import json; from providers.costs import CostMeter; from providers.base import PlanRequest; "
        "from providers.local.planner import LocalPlanner; "
        "print(json.dumps(LocalPlanner().plan(PlanRequest(prompt='Stars over a quiet lake', seed=3), CostMeter())))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=PROJECT_DIR,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        for hash_seed in ("1", "2")
    }
    assert len(outputs) == 1
    assert json.loads(outputs.pop()) == plan("Stars over a quiet lake", seed=3)


def test_another_seed_gives_another_spec_from_the_same_words() -> None:
    first, second = plan("Rain on a city street", seed=1), plan("Rain on a city street", seed=2)
    assert first != second
    assert [s["motif"] for s in first["scenes"]] == [s["motif"] for s in second["scenes"]]


def test_it_never_charges_the_meter() -> None:
    meter = CostMeter()
    LocalPlanner().plan(PlanRequest(prompt="A calm ocean at night", duration=120), meter)
    assert meter.charges == []


def test_it_picks_ocean_colours_for_an_ocean_prompt() -> None:
    scene = plan("Waves roll onto the beach")["scenes"][0]
    assert scene["motif"] == "waves"
    red, green, blue = channel_means(scene["palette"])
    assert blue > red and blue > green


def test_it_picks_forest_greens_for_a_forest_prompt() -> None:
    scene = plan("A path through the old forest")["scenes"][0]
    assert scene["motif"] == "trees"
    red, green, blue = channel_means(scene["palette"])
    assert green > red and green > blue


def test_it_picks_stars_for_a_space_prompt() -> None:
    assert plan("Galaxies drift through deep space")["scenes"][0]["motif"] == "stars"


@pytest.mark.parametrize(
    ("prompt", "motif"),
    [
        ("Snow falls on the village", "snow"),
        ("Lava pours from the volcano", "fire"),
        ("Camels cross the desert", "dunes"),
        ("Tulips bloom in the garden", "flowers"),
        ("Neon lights on a city street", "city"),
        ("Bubbles rise underwater", "bubbles"),
        ("Eagles soar", "birds"),
        ("A lighthouse keeper's morning", "abstract"),
    ],
)
def test_the_motif_follows_the_prompt_words(prompt: str, motif: str) -> None:
    assert plan(prompt)["scenes"][0]["motif"] == motif


def test_each_scene_prefers_the_words_of_its_own_clause() -> None:
    spec = plan("A forest path. The ocean at dawn. A city street.", duration=15)
    assert [s["motif"] for s in spec["scenes"]] == ["trees", "waves", "city"]


def test_a_night_prompt_gets_a_darker_palette_than_a_sunny_one() -> None:
    night = plan("A quiet lake at night")["scenes"][0]["palette"]
    plain = plan("A quiet lake")["scenes"][0]["palette"]
    sunny = plan("A quiet lake on a bright sunny day")["scenes"][0]["palette"]
    assert mean_lightness(night) < mean_lightness(plain) < mean_lightness(sunny)


def test_the_template_grades_the_palette() -> None:
    palettes = {t: plan("Tulips bloom in the garden", template=t)["scenes"][0]["palette"] for t in TEMPLATES}
    assert mean_saturation(palettes["noir"]) < 0.1
    assert mean_saturation(palettes["minimal"]) < mean_saturation(palettes["cinematic"])
    assert mean_saturation(palettes["cinematic"]) < mean_saturation(palettes["vibrant"])
    assert mean_lightness(palettes["pastel"]) > mean_lightness(palettes["cinematic"])


def test_the_template_defaults_to_cinematic() -> None:
    assert plan(template=None)["template"] == "cinematic"


def test_scene_descriptions_and_captions_come_from_the_prompt_sentences() -> None:
    spec = plan("The fox wakes. It runs across the snow! Night falls.", duration=15)
    assert [s["description"] for s in spec["scenes"]] == [
        "The fox wakes.",
        "It runs across the snow!",
        "Night falls.",
    ]
    assert [s["caption"] for s in spec["scenes"]] == [
        "The fox wakes",
        "It runs across the snow",
        "Night falls",
    ]


def test_it_splits_a_long_sentence_at_then_and_commas_when_it_needs_more_scenes() -> None:
    spec = plan(
        "A fox wakes up in the den, then it runs across the snow, and it sleeps under a pine", duration=15
    )
    assert [s["description"] for s in spec["scenes"]] == [
        "A fox wakes up in the den",
        "it runs across the snow",
        "it sleeps under a pine",
    ]


def test_it_frames_extra_scenes_when_the_prompt_is_shorter_than_the_video() -> None:
    descriptions = [s["description"] for s in plan("A lonely lighthouse", duration=30)["scenes"]]
    assert descriptions[0] == "A lonely lighthouse"
    assert descriptions[-1] == "Finale: A lonely lighthouse"
    labels = {label for label, _ in FRAMINGS}
    assert all(
        d.split(": ", 1)[0] in labels and d.endswith(": A lonely lighthouse") for d in descriptions[1:-1]
    )


def test_it_joins_neighbouring_sentences_when_the_prompt_has_more_than_the_video_needs() -> None:
    spec = plan("One. Two. Three. Four. Five. Six.", duration=5)
    assert [s["description"] for s in spec["scenes"]] == ["One. Two.", "Three. Four.", "Five. Six."]


def test_the_title_is_the_first_clause_in_title_case() -> None:
    assert plan("a calm ocean at night, then a storm rolls in")["title"] == "A Calm Ocean at Night"


def test_a_long_caption_is_cut_at_a_word_with_an_ellipsis() -> None:
    clause = "An old wooden sailing ship drifts slowly past the towering white cliffs of a forgotten coast"
    caption = plan(clause)["scenes"][0]["caption"]
    assert len(caption) <= 60
    assert caption.endswith("…")
    assert clause.startswith(caption[:-1]) and clause[len(caption) - 1] == " "


def test_a_short_caption_has_no_ellipsis() -> None:
    assert plan("Waves roll onto the beach")["scenes"][0]["caption"] == "Waves roll onto the beach"


@pytest.mark.parametrize(
    ("duration", "counts"), [(5, {3}), (7, {3}), (30, {5, 6}), (61, {10}), (120, {20}), (600, {60})]
)
def test_the_scene_count_follows_the_duration(duration: int, counts: set[int]) -> None:
    assert len(plan("A lonely lighthouse", duration=duration)["scenes"]) in counts
    assert (
        len(plan("One. Two. Three. Four. Five. Six. Seven. Eight. Nine.", duration=duration)["scenes"])
        in counts
    )


def test_the_scene_count_follows_the_clauses_within_the_durations_range() -> None:
    assert len(plan("A lonely lighthouse", duration=30)["scenes"]) == 5
    assert len(plan("One. Two. Three. Four. Five. Six. Seven.", duration=30)["scenes"]) == 6


@pytest.mark.parametrize("duration", [5, 7, 30, 61, 120])
def test_frames_add_up_exactly_and_no_scene_is_too_short_or_too_long(duration: int) -> None:
    prompt = "Go. A very long and winding sentence about a river that runs through the hills and the valleys."
    scenes = plan(prompt, duration=duration)["scenes"]
    frames = [s["frames"] for s in scenes]
    assert sum(frames) == duration * FPS
    assert min(frames) >= min(1.4 * FPS, duration * FPS / len(scenes))
    assert max(frames) <= 2.5 * duration * FPS / len(scenes) + 1
    assert all(s["duration"] == round(s["frames"] / FPS, 3) for s in scenes)


@pytest.mark.parametrize("seed", range(10))
def test_neighbouring_scenes_never_share_a_camera_move(seed: int) -> None:
    for prompt in ("A lonely lighthouse", "Rise up. Rise up. Rise up. Rise up.", "Go closer, closer, closer"):
        cameras = [s["camera"] for s in plan(prompt, seed=seed, duration=60)["scenes"]]
        assert all(a != b for a, b in zip(cameras, cameras[1:], strict=False))


@pytest.mark.parametrize(
    ("prompt", "camera"),
    [
        ("Balloons rise into the sky", "pan_up"),
        ("We approach the castle", "zoom_in"),
        ("Leaves fall", "pan_down"),
    ],
)
def test_the_camera_follows_motion_words(prompt: str, camera: str) -> None:
    assert plan(prompt)["scenes"][0]["camera"] == camera


@pytest.mark.parametrize(
    ("prompt", "mood"),
    [
        ("A peaceful, serene morning", "calm"),
        ("Friends dance at a happy party", "upbeat"),
        ("The hero rides into an epic battle", "epic"),
        ("A secret door in a dark cave", "mysterious"),
        ("Kids play with toys", "playful"),
        ("An intense storm at sea", "dramatic"),
    ],
)
def test_the_music_mood_follows_the_prompt_words(prompt: str, mood: str) -> None:
    music = plan(prompt)["music"]
    assert music["mood"] == mood
    assert 50 <= music["tempo"] <= 180


def test_upbeat_music_is_faster_than_calm_music() -> None:
    assert plan("Friends dance at a happy party")["music"]["tempo"] > plan("A serene lake")["music"]["tempo"]


@pytest.mark.parametrize(
    ("template", "mood"), [("noir", "mysterious"), ("vibrant", "upbeat"), ("cinematic", "calm")]
)
def test_without_mood_words_the_music_follows_the_template(template: str, mood: str) -> None:
    assert plan("A lonely lighthouse", template=template)["music"]["mood"] == mood


@pytest.mark.parametrize("duration", [5, 7, 30, 61, 120])
@pytest.mark.parametrize("aspect_ratio", list(SIZES))
@pytest.mark.parametrize("template", [*TEMPLATES, None])
def test_the_spec_is_valid_for_every_duration_aspect_and_template(
    duration: int, aspect_ratio: str, template: str | None
) -> None:
    prompt = "A calm ocean at night, waves rolling under the stars, and then the sun rises over the sea."
    spec = plan(prompt, duration=duration, aspect_ratio=aspect_ratio, template=template)
    assert validate_spec(spec) is spec
    assert (spec["width"], spec["height"]) == SIZES[aspect_ratio]


HOSTILE_PROMPTS = [
    "She said \"hello\" and 'goodbye'",
    "Time: 12:30; place: the pier: at dusk",
    "C:\\Users\\ocean\\n \\ backslashes \\\\",
    "100% of the sea, %s %d %(name)s {0} {}",
    "🌊🌊 Surfing 🏄‍♀️ at sunset 🌅",
    "Line one\nLine two\r\nLine three\n\n",
    "東京の夜景。ネオンが光る街\N{FULLWIDTH EXCLAMATION MARK}雨が降る。",
    "غابة خضراء في الربيع، والطيور تطير فوق الأشجار.",
    "1234567890",
    "...!!!???",
    "   ",
    "x",
    "Null\x00 bell\x07 escape\x1b[31m delete\x7f",
    "\x00\x01\x02",
    "A lone surrogate \ud800 in the sea",
    "<script>alert('x')</script> & {{ template }}",
    "word " * 200,
    "a" * 1000,
    "Close-up: Finale: Wide shot: Detail:",
]


@pytest.mark.parametrize("prompt", HOSTILE_PROMPTS)
@pytest.mark.parametrize("duration", [5, 120])
def test_hostile_text_still_makes_a_valid_spec(prompt: str, duration: int) -> None:
    spec = plan(prompt, duration=duration)
    validate_spec(spec)
    json.dumps(spec, ensure_ascii=False).encode("utf-8")
    assert all(len(caption) <= 60 for caption in (s["caption"] for s in spec["scenes"]))
    assert len(spec["title"]) <= 60


FUZZ_ALPHABET = [
    *"ab xy.,;:!?'\"\\%\n\t\r-",
    "🌊",
    "🏄‍♀️",
    "東",
    "。",
    "،",
    "ش",
    "\x00",
    "\ud800",
    "…",
    ", then ",
]


@pytest.mark.parametrize("case", range(200))
def test_any_prompt_of_1_to_1000_characters_makes_a_valid_spec(case: int) -> None:
    # Seeded, so the same 200 odd prompts every run.
    rng = random.Random(case)
    prompt = "".join(rng.choices(FUZZ_ALPHABET, k=rng.choice([1, 2, 5, 40, 400])))[:1000]
    options = {"duration": rng.randint(5, 120), "aspect_ratio": rng.choice(list(SIZES))}
    validate_spec(plan(prompt, template=rng.choice([*TEMPLATES, None]), seed=case, **options))


@pytest.mark.parametrize("prompt", HOSTILE_PROMPTS)
def test_it_strips_control_characters_from_all_text(prompt: str) -> None:
    spec = plan(prompt)
    assert not any(unicodedata.category(c) in ("Cc", "Cs") for text in texts(spec) for c in text)
    assert not any(unicodedata.category(c) in ("Cc", "Cs") for c in spec["prompt"] if c not in "\t\n\r")


@pytest.mark.parametrize(
    "prompt",
    ['She said "hello": 100% \\ yes', "🌊🌊 Surfing 🏄‍♀️ at sunset", "東京の夜景。", "Line one\nLine two"],
)
def test_it_keeps_the_prompt_and_its_words_verbatim(prompt: str) -> None:
    spec = plan(prompt)
    assert spec["prompt"] == prompt
    assert spec["scenes"][0]["description"] == prompt.splitlines()[0]


def test_a_prompt_of_digits_keeps_its_digits() -> None:
    spec = plan("1234567890")
    assert spec["title"] == "1234567890"
    assert spec["scenes"][0]["caption"] == "1234567890"


@pytest.mark.parametrize(
    "options",
    [{"duration": 4}, {"duration": 601}, {"aspect_ratio": "4:3"}, {"template": "sepia"}],
)
def test_it_refuses_options_outside_the_contract(options: dict[str, Any]) -> None:
    with pytest.raises(ValidationException):
        plan(**options)
