"""The picture library the offline providers draw a prompt's subjects with.

Microsoft's Fluent Emoji (flat), as the Iconify JSON set `@iconify-json/fluent-emoji-flat`
(MIT): 3,000+ vector images with names and categories, plus the keywords of `emojilib` and
the Unicode names of `unicode-emoji-json` (both MIT). `scripts/setup.sh` installs the three
npm packages, pinned, into `var/icons`; after that everything here works offline. Pictures
are rasterised with resvg (resvg-py).
"""

from __future__ import annotations

import functools
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import resvg_py
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from PIL import Image

from toolbox.exceptions import ValidationException

PREFIX = "fluent-emoji-flat"
# Categories of things a prompt can name and a scene can show; symbols, flags and faces are not.
CATEGORIES = ("Animals & Nature", "Food & Drink", "People & Body", "Travel & Places", "Objects", "Activities")
# Creatures filed with the faces, which a story can name as well.
CREATURES = (
    "robot",
    "ghost",
    "alien",
    "alien-monster",
    "skull",
    "ogre",
    "goblin",
    "clown-face",
    "cowboy-hat-face",
)
# Skin-tone variants share the name and keywords of their default picture.
_TONED = re.compile(r"-(?:medium-)?(?:dark|light|medium)$")
_WORD = re.compile(r"^[a-z]+$")
# Rank of the ways a word can name a picture: its whole name, its name before "-face",
# the last word of its name, then a keyword that names at most KEYWORD_SPREAD pictures.
BY_NAME, BY_FACE, BY_TAIL, BY_KEYWORD = range(4)
KEYWORD_SPREAD = 2
# Words that reach a picture only through a keyword or the tail of a longer name, and are
# almost never the name of a thing in a prompt.
_NOT_NOUNS = frozenset(
    """
    a about above across after again against all almost along also always among an and another any
    around as at away back because before behind below beneath beside between beyond both but by can
    could day down during each east either even ever every far few first for from front full good great
    half has have her here high him his how into its just last left less like little long low many may
    me more most much must near never new next night no none north not now of off old on once one only
    onto or other our out over own past perhaps quite rather right same set several she should side
    since small so some south still such take than that the their them then there these they thing this
    those though three through to together too top toward towards two under until up upon very was way
    we well were west what when where which while who why will with within without yet you young your
    red orange yellow green blue purple pink brown black white gray grey golden silver big large tiny
    huge hot cold warm cool wet dry dark bright frozen icy snowy rainy sunny stormy happy sad calm
    quiet silent loud soft gentle peaceful safe lonely beautiful magic magical ancient tall short slow
    fast quick empty busy wild sweet fresh clean deep wide
    silence sound noise love hope dream peace memory thought idea life death joy fear anger freedom
    """.split()
)


class IconLibraryMissing(RuntimeError):
    """The npm packages are not installed: run ./run.sh or ./test.sh (scripts/setup.sh)."""


@dataclass(frozen=True)
class Icon:
    id: str  # "fluent-emoji-flat:fox"
    name: str  # "fox"
    title: str  # the Unicode name, "fox"
    category: str
    keywords: tuple[str, ...]


class Library:
    def __init__(self, root: Path) -> None:
        package = root / "@iconify-json" / PREFIX
        try:
            data = json.loads((package / "icons.json").read_text(encoding="utf-8"))
            categories = json.loads((package / "metadata.json").read_text(encoding="utf-8"))["categories"]
            chars = json.loads((package / "chars.json").read_text(encoding="utf-8"))
            keywords = json.loads(
                (root / "emojilib" / "dist" / "emoji-en-US.json").read_text(encoding="utf-8")
            )
            names = json.loads(
                (root / "unicode-emoji-json" / "data-by-emoji.json").read_text(encoding="utf-8")
            )
        except FileNotFoundError as exc:
            raise IconLibraryMissing(
                f"the icon library is not installed ({exc.filename}); run ./run.sh"
            ) from exc
        self.size = (data.get("width", 16), data.get("height", 16))
        bodies = {name: icon["body"] for name, icon in data["icons"].items()}
        emoji_of = {name: "".join(chr(int(c, 16)) for c in code.split("-")) for code, name in chars.items()}
        plain = {emoji.replace("\ufe0f", ""): value for emoji, value in keywords.items()}
        titles = {emoji.replace("\ufe0f", ""): value["name"] for emoji, value in names.items()}
        self.icons: dict[str, Icon] = {}
        for category, members in categories.items():
            for name in members:
                wanted = category in CATEGORIES or name in CREATURES
                if not wanted or name not in bodies or _TONED.search(name):
                    continue
                emoji = emoji_of.get(name, "").replace("\ufe0f", "")
                self.icons[f"{PREFIX}:{name}"] = Icon(
                    id=f"{PREFIX}:{name}",
                    name=name,
                    title=titles.get(emoji, name.replace("-", " ")),
                    category=category,
                    keywords=tuple(k for k in plain.get(emoji, []) if _WORD.match(k)),
                )
        # Only the pictures a scene can show are kept, not the flags, symbols and skin tones.
        self._bodies = {icon.name: bodies[icon.name] for icon in self.icons.values()}
        self.words = self._index()

    def _index(self) -> dict[str, str]:
        """Each single word that names a picture, and the picture it names best."""
        candidates: dict[str, tuple[int, int, str]] = {}

        def offer(word: str, rank: int, icon: Icon) -> None:
            best = candidates.get(word)
            if best is None or (rank, len(icon.name)) < best[:2]:
                candidates[word] = (rank, len(icon.name), icon.id)

        spread: dict[str, int] = {}
        for icon in self.icons.values():
            for keyword in set(icon.keywords):
                spread[keyword] = spread.get(keyword, 0) + 1
        for icon in self.icons.values():
            parts = icon.name.split("-")
            if len(parts) == 1:
                offer(icon.name, BY_NAME, icon)
            elif parts[-1] == "face" and len(parts) == 2:
                offer(parts[0], BY_FACE, icon)
            elif _noun_like(parts[-1]):
                offer(parts[-1], BY_TAIL, icon)
            for keyword in icon.keywords:
                if spread[keyword] <= KEYWORD_SPREAD and _noun_like(keyword):
                    offer(keyword, BY_KEYWORD, icon)
        return {word: icon_id for word, (_, _, icon_id) in candidates.items()}

    def __contains__(self, icon_id: object) -> bool:
        return icon_id in self.icons

    def search(self, query: str, limit: int = 24) -> list[Icon]:
        """Pictures whose name, Unicode name or keywords contain every word of `query`,
        whole-name and whole-word matches first."""
        terms = re.findall(r"[a-z0-9]+", query.lower())
        if not terms:
            return []
        scored = []
        for order, icon in enumerate(self.icons.values()):
            name_words = set(icon.name.split("-")) | set(icon.title.split())
            haystack = " ".join([icon.name, icon.title, *icon.keywords])
            if not all(term in haystack for term in terms):
                continue
            exact = icon.name == "-".join(terms)
            whole = sum(term in name_words for term in terms)
            keyword = sum(term in icon.keywords for term in terms)
            scored.append((not exact, -whole, -keyword, len(icon.name), order, icon))
        return [item[-1] for item in sorted(scored)[:limit]]

    def svg(self, icon_id: str) -> str:
        icon = self.icons[icon_id]
        width, height = self.size
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}">{self._bodies[icon.name]}</svg>'
        )

    def rasterise(self, icon_id: str, size: int) -> np.ndarray:
        """The picture as straight-colour RGBA float32, `size` pixels square."""
        png = resvg_py.svg_to_bytes(
            svg_string=self.svg(icon_id), width=size, height=size, skip_system_fonts=True
        )
        with Image.open(io.BytesIO(bytes(png))) as image:
            return np.asarray(image.convert("RGBA"), dtype=np.float32) / 255


def _noun_like(word: str) -> bool:
    return (
        len(word) > 2
        and _WORD.match(word) is not None
        and word not in _NOT_NOUNS
        and not word.endswith(("ing", "ed", "ly"))
    )


def check_pictures(spec: dict[str, Any]) -> None:
    """Raise ValidationException naming every scene element whose picture the library lacks
    (an element edited by hand, on the review page or through the API)."""
    lib = library()
    problems = [
        f"scenes/{number}/elements: no picture {element['icon']!r} in the library"
        for number, scene in enumerate(spec["scenes"], start=1)
        for element in scene.get("elements", [])
        if element["icon"] not in lib
    ]
    if problems:
        raise ValidationException("invalid spec: " + "; ".join(problems))


@functools.cache
def library() -> Library:
    try:
        root = Path(settings.ICON_LIBRARY_DIR)
    except ImproperlyConfigured:
        # The planner also runs outside Django (a script, a test's own process): the default place.
        root = Path(__file__).resolve().parents[2] / "var" / "icons" / "node_modules"
    return Library(root)
