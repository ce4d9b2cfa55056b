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

# A planned scene draws at most this many (a person may add more on review, up to the schema's).
MAX_ELEMENTS = 4

_IRREGULAR_PLURALS = {
    "people": "person",
    "men": "man",
    "women": "woman",
    "children": "child",
    "mice": "mouse",
    "geese": "goose",
    "feet": "foot",
    "teeth": "tooth",
    "oxen": "ox",
    "leaves": "leaf",
    "wolves": "wolf",
    "knives": "knife",
    "loaves": "loaf",
    "shelves": "shelf",
    "elves": "elf",
    "calves": "calf",
    "halves": "half",
    "scarves": "scarf",
    "thieves": "thief",
    "hooves": "hoof",
    "dice": "die",
    "cacti": "cactus",
    "fungi": "mushroom",
}
# Words kept as they are although they end in "s".
_SINGULAR_S = frozenset(
    "bus gas glass grass cactus octopus walrus bus lotus hippopotamus compass dress chess".split()
)

# Another word for a picture the library has under a different name. Values are picture
# names, or words the library index already knows.
SYNONYMS = {
    "keeper": "person",
    "human": "person",
    "stranger": "person",
    "traveler": "person-walking",
    "traveller": "person-walking",
    "hiker": "person-walking",
    "wanderer": "person-walking",
    "runner": "person-running",
    "climber": "person-climbing",
    "swimmer": "person-swimming",
    "surfer": "person-surfing",
    "cyclist": "person-biking",
    "dancer": "woman-dancing",
    "sailor": "person-rowing-boat",
    "fisherman": "person-rowing-boat",
    "kid": "child",
    "toddler": "baby",
    "grandmother": "old-woman",
    "grandfather": "old-man",
    "king": "prince",
    "queen": "princess",
    "knight": "guard",
    "soldier": "guard",
    "wizard": "person-mage",
    "witch": "woman-mage",
    "mage": "person-mage",
    "fairy": "person-fairy",
    "vampire": "person-vampire",
    "zombie": "person-zombie",
    "elf": "person-elf",
    "superhero": "person-superhero",
    "doctor": "health-worker",
    "nurse": "health-worker",
    "chef": "cook",
    "police": "police-officer",
    "policeman": "police-officer",
    "officer": "police-officer",
    "vessel": "ship",
    "boat": "sailboat",
    "yacht": "sailboat",
    "steamer": "ship",
    "liner": "passenger-ship",
    "car": "automobile",
    "taxi": "taxi",
    "truck": "delivery-truck",
    "lorry": "delivery-truck",
    "van": "minibus",
    "plane": "airplane",
    "aeroplane": "airplane",
    "jet": "airplane",
    "aircraft": "airplane",
    "spaceship": "rocket",
    "spacecraft": "rocket",
    "ufo": "flying-saucer",
    "bike": "bicycle",
    "train": "locomotive",
    "tree": "deciduous-tree",
    "birch": "deciduous-tree",
    "oak": "deciduous-tree",
    "maple": "deciduous-tree",
    "willow": "deciduous-tree",
    "pine": "evergreen-tree",
    "fir": "evergreen-tree",
    "spruce": "evergreen-tree",
    "flower": "blossom",
    "daisy": "blossom",
    "lily": "white-flower",
    "moon": "crescent-moon",
    "planet": "ringed-planet",
    "earth": "globe-showing-europe-africa",
    "globe": "globe-showing-europe-africa",
    "cake": "birthday-cake",
    "coffee": "hot-beverage",
    "tea": "teacup-without-handle",
    "burger": "hamburger",
    "lamp": "light-bulb",
    "lantern": "red-paper-lantern",
    "tower": "tokyo-tower",
    "cottage": "house",
    "home": "house",
    "cabin": "hut",
    "palace": "castle",
    "fortress": "castle",
    "temple": "hindu-temple",
    "bridge": "bridge-at-night",
    "puppy": "dog",
    "hound": "dog",
    "kitten": "cat",
    "pony": "horse",
    "stallion": "horse",
    "bunny": "rabbit",
    "hare": "rabbit",
    "sheep": "ewe",
    "lamb": "ewe",
    "hen": "chicken",
    "squirrel": "chipmunk",
    "seagull": "bird",
    "gull": "bird",
    "sparrow": "bird",
    "crow": "black-bird",
    "raven": "black-bird",
    "bee": "honeybee",
    "dinosaur": "t-rex",
    "insect": "beetle",
    "mermaid": "woman-merpeople",
    "merman": "man-merpeople",
    "cowboy": "cowboy-hat-face",
    "violinist": "violin",
    "guitarist": "guitar",
    "pianist": "musical-keyboard",
    "baker": "cook",
    "cup": "hot-beverage",
    "mug": "hot-beverage",
    "ball": "soccer-ball",
}

# Words that never become elements: the setting draws places, light and weather, and these
# other words name pictures only by accident of a keyword.
SETTING_WORDS = frozenset(
    """
    forest wood woods jungle grove desert dune sand beach shore coast sea ocean lake pond river stream
    waterfall island mountain hill valley peak cliff canyon city town street skyline village field meadow
    garden park sky space galaxy universe underwater reef horizon landscape world road path trail
    night dawn sunrise sunset dusk twilight morning evening noon day daylight midnight
    sun sunshine sunlight star stars snow snowfall snowflake rain raindrop storm thunder lightning
    thunderstorm fog mist haze cloud clouds wind ice frost weather wave water fire flame
    light way top time end back side left right front middle part piece kind lot
    """.split()
)
# Words the library's keywords tie to a picture of something else.
_NOT_SUBJECTS = frozenset(
    "table gate fresh breathe family air roof branch smoke come shadow pad platform arm show".split()
)
# A noun that only names the kind of the one before it: "a pine tree" is one pine.
_HEADS = frozenset("tree flower bird fish".split())
# The words ahead of a word that make it a noun: "a fly", "the watch".
_DETERMINERS = frozenset(
    "a an the this that these those his her its their my your our one two three some".split()
)
_LEADING_PRONOUNS = frozenset("it he she they then and".split())

VERBS = {
    "walk": "walk run jog stroll wander march trot gallop hurry race chase pass cross travel hike roam prowl "
    "step stride sprint dash",
    "drive": "drive ride roll speed",
    "fly": "fly soar flutter hover swoop flap",
    "drift": "sail float drift row paddle cruise slide glide",
    "swim": "swim dive",
    "rise": "climb rise ascend lift launch raise",
    "fall": "fall drop sink descend tumble land",
    "jump": "jump hop bounce leap skip swing",
    "spin": "spin turn twirl whirl dance rotate swirl",
    "grow": "grow bloom blossom sprout",
    "shine": "shine glow light sparkle glitter twinkle flash flicker burn",
    "idle": "rest sit sleep stand wait watch look stare gaze listen sing smile stay lie nap dream eat read "
    "write hold point bark peck knit mix blink steam play clap hide arrive take cast spray pull build "
    "stalk circle show",
}
_IRREGULAR_VERBS = {
    "ran": "run",
    "flew": "fly",
    "flown": "fly",
    "rose": "rise",
    "risen": "rise",
    "fell": "fall",
    "fallen": "fall",
    "swam": "swim",
    "grew": "grow",
    "grown": "grow",
    "shone": "shine",
    "drove": "drive",
    "rode": "ride",
    "sprang": "jump",
    "spun": "spin",
    "leapt": "leap",
    "sank": "sink",
    "lit": "light",
    "sat": "sit",
    "slept": "sleep",
    "stood": "stand",
}
_VERB_MOTION = {verb: motion for motion, verbs in VERBS.items() for verb in verbs.split() if "_" not in verb}

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


def singular(word: str) -> str:
    """The singular of an English noun, by the usual rules and a table of irregular ones."""
    word = word.lower()
    if word in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[word]
    if len(word) < 4 or not word.endswith("s") or word in _SINGULAR_S or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses", "zes", "oes")):
        return word[:-2]
    return word[:-1]


def verb_motion(word: str) -> str | None:
    """The motion a verb form asks for: "runs", "running", "ran" all walk."""
    # Only the word itself is looked up as irregular: "roses" is not a form of "rose".
    word = _IRREGULAR_VERBS.get(word, word)
    forms = [word]
    if word.endswith("ies") or word.endswith("ied"):
        forms.append(word[:-3] + "y")
    if word.endswith("ing") and len(word) > 5:
        stem = word[:-3]
        forms += [stem, stem + "e", stem[:-1] if len(stem) > 2 and stem[-1] == stem[-2] else stem]
    if word.endswith("ed") and len(word) > 4:
        stem = word[:-2]
        forms += [stem, word[:-1], stem[:-1] if stem[-1] == stem[-2] else stem]
    if word.endswith("es"):
        forms.append(word[:-2])
    if word.endswith("s"):
        forms.append(word[:-1])
    return next((_VERB_MOTION[form] for form in forms if form in _VERB_MOTION), None)


def lookup(word: str) -> Icon | None:
    """The picture a noun (any number) names, or None when the library has none for it."""
    lib = library()
    noun = singular(word)
    if {noun, word} & (SETTING_WORDS | _NOT_SUBJECTS):
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
        after_determiner = i > 0 and tokens[i - 1] in _DETERMINERS
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
        merged = found and found[-1][0] == i - 1 and singular(word) in _HEADS
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
    first = next((i for i, t in enumerate(tokens) if t not in _LEADING_PRONOUNS), None)
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
