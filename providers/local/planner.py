"""The local planner: a rule-based spec built from the prompt's own clauses and words.

It costs nothing and needs no network. The same prompt, seed and options always give the
same spec: every choice comes from a `random.Random` seeded with a SHA-256 of the prompt
and seed, never from `hash()`, which is salted per process.
"""

from __future__ import annotations

import hashlib
import logging
import math
import random
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from providers.base import PlanRequest
from providers.costs import CostMeter
from providers.local.icons import IconLibraryMissing
from providers.local.keywords import hits, keyword_index, ranked
from providers.local.setting import scene_setting
from providers.local.subjects import find_elements, implied_places
from providers.script import as_sentence, estimate_seconds, shorten_in_order
from providers.spec import (
    CAMERA_MOTIONS,
    FPS,
    MAX_DURATION,
    MAX_SCENES,
    MIN_DURATION,
    MIN_SCENES,
    NARRATION_LIMIT,
    SIZES,
    TEMPLATES,
    frames_to_seconds,
    split_frames,
)
from toolbox.exceptions import ValidationException

logger = logging.getLogger(__name__)

DEFAULT_TEMPLATE = "cinematic"
TITLE_LIMIT = CAPTION_LIMIT = 60
# Leaves room for a framing prefix under the schema's 500.
DESCRIPTION_LIMIT = 400
MIN_SCENE_SECONDS = 1.5
MAX_SCENE_SHARE = 2.5  # times the mean scene length
# Room a scene leaves around its narration (the plan phase's lead-in and tail).
NARRATION_MARGIN_SECONDS = 0.6

# Keyword tables are "key: words"; a plural in the prompt finds its singular here. On a tie the
# earlier key wins.
CAMERA_KEYWORDS = {
    "pan_up": "rise rising up ascend climb soar lift tower tall",
    "pan_down": "fall falling down descend dive sink drop below",
    "zoom_in": "approach closer close into enter toward towards focus",
    "zoom_out": "away reveal vast wide retreat depart horizon panorama",
    "pan_left": "left west back return",
    "pan_right": "right east across travel drive walk run sail along",
    "static": "still quiet rest pause sleep wait",
}
# How extra scenes are framed when the prompt has fewer clauses than scenes, and the camera each suggests.
FRAMINGS = (
    ("Wide shot", "zoom_out"),
    ("Close-up", "zoom_in"),
    ("Aerial view", "pan_down"),
    ("Detail", "zoom_in"),
    ("Slow pan", "pan_right"),
    ("Silhouette", "static"),
)
FINALE = ("Finale", "zoom_out")

MOOD_KEYWORDS = {
    "dramatic": "storm war intense chase danger fight thunder explosion fierce",
    "epic": "epic battle hero heroic legend triumph dragon warrior quest majestic",
    "mysterious": "dark mystery mysterious secret shadow ghost haunted strange cave",
    "upbeat": "happy fun party dance joy joyful celebrate cheerful festival",
    "playful": "kid child toy play playful cartoon puppy kitten silly cute",
    "calm": "calm peaceful serene quiet gentle relax relaxing tranquil dreamy",
}
TEMPLATE_MOODS = {
    "cinematic": "calm",
    "minimal": "calm",
    "vibrant": "upbeat",
    "noir": "mysterious",
    "pastel": "playful",
}
MOOD_TEMPOS = {
    "calm": (64, 84),
    "upbeat": (112, 132),
    "dramatic": (92, 120),
    "mysterious": (60, 80),
    "playful": (100, 126),
    "epic": (84, 108),
}
PACE_WORDS = {"slow": -10, "slowly": -10, "fast": 14, "quick": 10, "quickly": 10, "rush": 14, "race": 16}

# Sentence ends that need no space after them (CJK), written by name to keep them unambiguous.
_UNSPACED_STOPS = (
    "\N{IDEOGRAPHIC FULL STOP}\N{FULLWIDTH EXCLAMATION MARK}\N{FULLWIDTH QUESTION MARK}"
    "\N{FULLWIDTH SEMICOLON}\N{ARABIC QUESTION MARK}"
)
_SENTENCE_BREAK = re.compile(rf"(?<=[.!?;…])\s+|(?<=[{_UNSPACED_STOPS}])")
# Tried in order when a clause must be split further: the strongest break that exists wins.
_SPLIT_POINTS = (
    re.compile(r",?\s+(?:and then|then)\s+", re.IGNORECASE),
    re.compile(r",\s+and\s+", re.IGNORECASE),
    re.compile(r"\s*[,\N{ARABIC COMMA}\N{FULLWIDTH COMMA}\N{IDEOGRAPHIC COMMA}]\s*"),
)
_EDGE_PUNCTUATION = (
    f" .,;:!?…{_UNSPACED_STOPS}\N{ARABIC COMMA}\N{FULLWIDTH COMMA}\N{IDEOGRAPHIC COMMA}\N{FULLWIDTH COLON}"
)
_SMALL_WORDS = frozenset("a an and as at but by for in of on or the to with".split())


_CAMERA_INDEX = keyword_index(CAMERA_KEYWORDS)
_MOOD_INDEX = keyword_index(MOOD_KEYWORDS)


@dataclass(frozen=True)
class _Shot:
    clause: str
    repeat: int  # how many earlier scenes came from the same clause
    framing: tuple[str, str] | None
    camera: str


class LocalPlanner:
    name = "local"

    def plan(self, request: PlanRequest, meter: CostMeter) -> dict[str, Any]:
        _check(request)
        prompt = _strip_controls(request.prompt) or "Untitled"
        template = request.template or DEFAULT_TEMPLATE
        rng = random.Random(int.from_bytes(hashlib.sha256(f"{request.seed}\0{prompt}".encode()).digest()[:8]))
        clauses = _clauses(prompt) or [" ".join(prompt.split()) or "Abstract motion"]
        count = _scene_count(request.duration, len(clauses))
        shots = _shots(_fit(clauses, count), count, rng)
        frames = split_frames(request.duration * FPS, _weights([s.clause for s in shots], request.duration))
        prompt_words = _words(prompt)
        width, height = SIZES[request.aspect_ratio]
        narrations = _narrations(shots, request.duration)
        return {
            "version": 1,
            "title": _shorten(_title_case(_trim(_head(clauses[0]))), TITLE_LIMIT) or "Untitled",
            "prompt": prompt,
            "duration": request.duration,
            "fps": FPS,
            "aspect_ratio": request.aspect_ratio,
            "width": width,
            "height": height,
            "template": template,
            "seed": request.seed,
            "scenes": [
                {**_scene(shot, n, template, rng, found), "narration": narration}
                for shot, n, narration, found in zip(shots, frames, narrations, _elements(shots), strict=True)
            ],
            "music": _music(prompt_words, template, rng),
        }


def _check(request: PlanRequest) -> None:
    if not MIN_DURATION <= request.duration <= MAX_DURATION:
        raise ValidationException(f"duration must be {MIN_DURATION} to {MAX_DURATION} seconds")
    if request.aspect_ratio not in SIZES:
        raise ValidationException(f"aspect ratio must be one of {', '.join(SIZES)}")
    if request.template is not None and request.template not in TEMPLATES:
        raise ValidationException(f"template must be one of {', '.join(TEMPLATES)}")


def _strip_controls(text: str) -> str:
    # NUL cannot live in a Postgres JSON column, and lone surrogates cannot be encoded at all.
    return "".join(c for c in text if c in "\t\n\r" or unicodedata.category(c) not in ("Cc", "Cs"))


def _meaningful(text: str) -> bool:
    return any(not c.isspace() and unicodedata.category(c)[0] not in "PZ" for c in text)


def _clauses(prompt: str) -> list[str]:
    pieces = (" ".join(p.split()) for line in prompt.splitlines() for p in _SENTENCE_BREAK.split(line))
    return [p for p in pieces if _meaningful(p)]


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _scene_count(duration: int, clauses: int) -> int:
    fewest = min(MAX_SCENES, max(MIN_SCENES, round(duration / 6)))
    most = min(MAX_SCENES, max(fewest, round(duration / 5)))
    return min(max(clauses, fewest), most)


def _split_once(clause: str) -> list[str] | None:
    for pattern in _SPLIT_POINTS:
        cuts = [
            m
            for m in pattern.finditer(clause)
            if _meaningful(clause[: m.start()]) and _meaningful(clause[m.end() :])
        ]
        if cuts:
            cut = min(cuts, key=lambda m: abs(m.start() - len(clause) / 2))
            return [clause[: cut.start()], clause[cut.end() :]]
    return None


def _head(clause: str) -> str:
    """The clause up to its first split point: "A calm sea, then rain" gives "A calm sea"."""
    cuts = [m.start() for p in _SPLIT_POINTS for m in p.finditer(clause) if _meaningful(clause[: m.start()])]
    return clause[: min(cuts)] if cuts else clause


def _fit(clauses: list[str], count: int) -> list[str]:
    """Split the longest clauses, or join neighbours, until there are at most `count`."""
    clauses = list(clauses)
    while len(clauses) < count:
        splittable = [i for i, c in enumerate(clauses) if _split_once(c)]
        if not splittable:
            break
        longest = max(splittable, key=lambda i: len(clauses[i]))
        clauses[longest : longest + 1] = _split_once(clauses[longest]) or []
    size, extra = divmod(len(clauses), count)
    if size == 0:
        return clauses
    bounds = [g * size + min(g, extra) for g in range(count + 1)]
    return [" ".join(clauses[bounds[g] : bounds[g + 1]]) for g in range(count)]


def _shots(clauses: list[str], count: int, rng: random.Random) -> list[_Shot]:
    """Spread the clauses over `count` scenes. A clause's extra scenes get a framing, and no
    two neighbouring scenes share a camera move."""
    framings = rng.sample(FRAMINGS, len(FRAMINGS))
    shots: list[_Shot] = []
    for i in range(count):
        clause = clauses[i * len(clauses) // count]
        repeat = sum(1 for shot in shots if shot.clause == clause)
        previous = shots[-1].camera if shots else None
        framing = None if repeat == 0 else FINALE if i == count - 1 else None
        if repeat and not framing:
            framing = next(f for f in framings if f[1] != previous)
            framings.remove(framing)
            framings.append(framing)
        hints = ([framing[1]] if framing else []) + hits(_words(clause), _CAMERA_INDEX)
        camera = next((c for c in hints if c != previous), None)
        camera = camera or rng.choice([c for c in CAMERA_MOTIONS if c != previous])
        shots.append(_Shot(clause, repeat, framing, camera))
    return shots


def _weights(clauses: list[str], duration: int) -> list[float]:
    # Square root: reading time grows slower than text, and the extremes are clamped anyway.
    weights = [math.sqrt(len(c)) for c in clauses]
    lowest = min(1.0, MIN_SCENE_SECONDS * len(clauses) / duration)
    for _ in range(8):  # clamping moves the mean, so settle it over a few passes
        mean = sum(weights) / len(weights)
        weights = [min(max(w / mean, lowest), MAX_SCENE_SHARE) for w in weights]
    return weights


def _scene(
    shot: _Shot, frames: int, template: str, rng: random.Random, elements: list[dict[str, Any]]
) -> dict[str, Any]:
    description = _shorten(shot.clause.rstrip(",;: ") or shot.clause, DESCRIPTION_LIMIT)
    return {
        "description": f"{shot.framing[0]}: {description}" if shot.framing else description,
        "caption": _shorten(_capitalise(_trim(shot.clause)), CAPTION_LIMIT),
        "duration": frames_to_seconds(frames),
        "frames": frames,
        "camera": shot.camera,
        # The place, light and weather come from this scene's own sentence, never the prompt's
        # others; a sentence that names no place gets the one its subjects need (a ship, the sea).
        **scene_setting(_words(shot.clause), template, rng, implied=implied_places(elements)),
        **({"elements": elements} if elements else {}),
    }


def _elements(shots: list[_Shot]) -> list[list[dict[str, Any]]]:
    """Each scene's subjects from its own sentence; one that goes on without naming its
    subject ("then rests on a hill") keeps the scene before's."""
    found: list[list[dict[str, Any]]] = []
    for shot in shots:
        try:
            found.append(find_elements(shot.clause, found[-1] if found else None))
        except IconLibraryMissing:
            logger.warning("no icon library installed: scenes are planned without their subjects")
            return [[] for _ in shots]
    return found


def _narrations(shots: list[_Shot], duration: int) -> list[str]:
    """The prompt's own words, read once per clause over its first scene; when they take
    longer to say than the video lasts, the later ones are left out (the plan phase then
    fits the scenes to the real speech)."""
    texts = ["" if shot.repeat else as_sentence(shot.clause) for shot in shots]
    seconds = [estimate_seconds(text) for text in texts]
    available = max(duration - NARRATION_MARGIN_SECONDS * sum(1 for text in texts if text), 1.0)
    shorten_in_order(texts, seconds, available)
    return [text[:NARRATION_LIMIT] for text in texts]


def _music(words: list[str], template: str, rng: random.Random) -> dict[str, Any]:
    moods = ranked(words, _MOOD_INDEX)
    mood = moods[0] if moods else TEMPLATE_MOODS[template]
    low, high = MOOD_TEMPOS[mood]
    pace = min(max(sum(PACE_WORDS.get(w, 0) for w in words), -20), 20)
    return {"mood": mood, "tempo": min(max(rng.randint(low, high) + pace, 50), 180)}


def _trim(text: str) -> str:
    return text.strip(_EDGE_PUNCTUATION)


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _title_case(text: str) -> str:
    words = text.split(" ")
    return " ".join(
        w.lower() if i and w.lower() in _SMALL_WORDS else _capitalise(w) for i, w in enumerate(words)
    )


def _shorten(text: str, limit: int) -> str:
    """Cut `text` to `limit` characters at a word boundary, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if text[limit - 1] != " " and cut.rfind(" ") > 0:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(_EDGE_PUNCTUATION) + "…"
