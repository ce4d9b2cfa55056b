"""The things a sentence names, as picture-library elements, and what their verbs make them do.

`find_elements("A red fox runs through the snow")` gives
`[{"name": "fox", "icon": "fluent-emoji-flat:fox", "motion": "walk"}]`. Words are matched as
they are, then singular ("foxes", "wolves", "mice"), then through a synonym table ("keeper" is
a person, a "vessel" is a ship); words the library lacks are skipped, so a sentence without
any still plans (its scene keeps only its motif). Places, light and weather are not elements:
the scene's own setting draws them.
"""

from __future__ import annotations

import re
from typing import Any

from providers.local.icons import PREFIX, Icon, library
from providers.local.vocabulary import (
    DETERMINERS,
    HEADS,
    LEADING_PRONOUNS,
    NOT_SUBJECTS,
    SETTING_WORDS,
    SYNONYMS,
    singular,
    verb_motion,
)

# A planned scene draws at most this many (a person may add more on review, up to the schema's).
MAX_ELEMENTS = 4


# A subject's own way of moving when no verb says otherwise, by the words of its picture.
_KIND_MOTIONS = (
    ("fly", {"bird", "wing", "wings", "fly", "insect", "airplane", "plane", "helicopter", "flight", "bat"}),
    ("drift", {"boat", "ship", "sail", "sailing", "cloud", "balloon", "kite"}),
    ("swim", {"fish", "sea", "ocean", "whale", "dolphin", "swim", "octopus", "shark"}),
    ("drive", {"car", "vehicle", "automobile", "truck", "bus", "train", "bicycle", "bike", "motorcycle"}),
    ("shine", {"light", "lamp", "candle", "star", "moon", "sun", "sunny", "bulb", "lantern"}),
)
# Subjects that belong on water: a sentence that names no place shows them on the sea.
_WATER = frozenset("boat ship sail sailing fish whale dolphin shark octopus ocean sea".split())
# A gait gives way to a subject's own way of travelling: a ship that "passes" sails.
_TRAVEL = frozenset({"fly", "drift", "swim", "drive"})


def lookup(word: str) -> Icon | None:
    """The picture a noun (any number) names, or None when the library has none for it."""
    lib = library()
    noun = singular(word)
    if {noun, word} & (SETTING_WORDS | NOT_SUBJECTS):
        return None
    target = SYNONYMS.get(noun, noun)
    icon_id = f"{PREFIX}:{target}" if f"{PREFIX}:{target}" in lib else lib.words.get(target)
    return lib.icons[icon_id] if icon_id else None


def default_motion(icon: Icon) -> str:
    words = set(icon.name.split("-")) | set(icon.keywords)
    return next((motion for motion, kind in _KIND_MOTIONS if words & kind), "idle")


def implied_places(elements: list[dict[str, Any]]) -> list[str]:
    """Place words the subjects need: ships and fish are on the sea."""
    lib = library()
    pictures = [lib.icons[e["icon"]] for e in elements if e["icon"] in lib]
    return ["sea"] if any((set(p.name.split("-")) | set(p.keywords)) & _WATER for p in pictures) else []


def _phrase(tokens: list[str], start: int) -> tuple[int, Icon] | None:
    """A picture named by two or three words ("polar bear", "hot air balloon")."""
    lib = library()
    for length in (3, 2):
        words = tokens[start : start + length]
        if len(words) == length:
            name = "-".join([*words[:-1], singular(words[-1])])
            if f"{PREFIX}:{name}" in lib:
                return length, lib.icons[f"{PREFIX}:{name}"]
    return None


def find_elements(clause: str, previous: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The subjects `clause` names, in order, each once, with the motion its verb gives it.

    A clause that starts with a verb or a pronoun ("then rests on a hill", "It sleeps") goes
    on with the first subject of `previous`, the scene before it."""
    tokens = re.findall(r"[a-z]+", clause.lower())
    found: list[tuple[int, Icon, str]] = []  # position, picture, the word as matched
    verbs: list[tuple[int, str]] = []
    i = 0
    while i < len(tokens):
        word = tokens[i]
        after_determiner = i > 0 and tokens[i - 1] in DETERMINERS
        motion = None if after_determiner else verb_motion(word)
        if motion:
            verbs.append((i, motion))
            i += 1
            continue
        phrase = _phrase(tokens, i)
        if phrase:
            length, icon = phrase
            found.append((i, icon, " ".join([*tokens[i : i + length - 1], singular(tokens[i + length - 1])])))
            i += length
            continue
        icon = lookup(word)
        merged = found and found[-1][0] == i - 1 and singular(word) in HEADS
        if icon is not None and not merged:
            found.append((i, icon, singular(word)))
        i += 1
    elements: list[dict[str, Any]] = []
    positions: list[int] = []
    for position, icon, name in found:
        if any(e["name"] == name or e["icon"] == icon.id for e in elements):
            continue
        elements.append({"name": name, "icon": icon.id, "motion": ""})
        positions.append(position)
    first = next((i for i, t in enumerate(tokens) if t not in LEADING_PRONOUNS), None)
    carried = (
        previous
        and first is not None
        and (tokens[0] in ("it", "he", "she", "they") or verb_motion(tokens[first]))
    )
    if carried and previous and (not positions or (verbs and verbs[0][0] < positions[0])):
        elements.insert(0, {**previous[0], "motion": ""})
        positions.insert(0, -1)
    _assign_motions(elements, positions, verbs)
    return elements[:MAX_ELEMENTS]


def _assign_motions(
    elements: list[dict[str, Any]], positions: list[int], verbs: list[tuple[int, str]]
) -> None:
    """Each verb moves its subjects: the elements since the verb before it that have no
    motion yet ("a robot and a ghost dance"), else the first one after it ("lights the lamp":
    the lamp shines)."""
    since = -2
    for position, motion in verbs:
        free = [k for k, p in enumerate(positions) if not elements[k]["motion"]]
        before = [k for k in free if since < positions[k] < position]
        after = [k for k in free if positions[k] > position][:1]
        # Light falls on what is lit ("lights the lamp"), other verbs move their subjects.
        for target in (after or before) if motion == "shine" else (before or after):
            elements[target]["motion"] = motion
        since = position
    lib = library()
    for element in elements:
        own = default_motion(lib.icons[element["icon"]])
        if not element["motion"] or (element["motion"] == "walk" and own in _TRAVEL):
            element["motion"] = own


def known_elements(elements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`elements` from elsewhere (a remote planner) with pictures the library has: an
    unknown picture is replaced by the one its name finds, and dropped if there is none."""
    lib = library()
    known = []
    for element in elements:
        icon = element["icon"] if element.get("icon") in lib else None
        found = None if icon else lookup(str(element.get("name", "")))
        if icon or found:
            known.append({**element, "icon": icon or found.id})  # type: ignore[union-attr]
    return known
