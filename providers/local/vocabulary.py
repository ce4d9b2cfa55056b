"""The English the local planner reads: plural and verb forms, another word for a picture,
and the words that are settings rather than subjects. Tables and pure functions on words."""

from __future__ import annotations

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
NOT_SUBJECTS = frozenset(
    "table gate fresh breathe family air roof branch smoke come shadow pad platform arm show".split()
)
# A noun that only names the kind of the one before it: "a pine tree" is one pine.
HEADS = frozenset("tree flower bird fish".split())
# The words ahead of a word that make it a noun: "a fly", "the watch".
DETERMINERS = frozenset(
    "a an the this that these those his her its their my your our one two three some".split()
)
LEADING_PRONOUNS = frozenset("it he she they then and".split())

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
_VERB_MOTION = {verb: motion for motion, verbs in VERBS.items() for verb in verbs.split()}


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
