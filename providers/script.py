"""Narration text, before any audio: which language it is, its sentences, how long it takes
to read, cutting it to a length of time, and handing a user's script out over the scenes.

Pure functions on strings. Times are estimates for planning only; the plan phase measures
the real speech (phases.narration) and times subtitles from that.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

# Sentence ends; the CJK and Arabic ones need no space after them.
_UNSPACED_ENDS = "\N{IDEOGRAPHIC FULL STOP}\N{FULLWIDTH EXCLAMATION MARK}\N{FULLWIDTH QUESTION MARK}"
_SPACED_ENDS = ".!?…\N{ARABIC QUESTION MARK}"
_SENTENCE_BREAK = re.compile(f"(?<=[{_SPACED_ENDS}])\\s+|(?<=[{_UNSPACED_ENDS}])")
_CLAUSE_MARKS = ",;:\N{ARABIC COMMA}\N{FULLWIDTH COMMA}\N{IDEOGRAPHIC COMMA}\N{FULLWIDTH SEMICOLON}"
_FINAL_MARKS = _SPACED_ENDS + _UNSPACED_ENDS
_DANGLING = frozenset("a an and as at but by for from in into of on onto or the to with".split())

# (first, last) code points of the scripts we tell apart, and the language each suggests.
_SCRIPTS: tuple[tuple[str, str, tuple[tuple[int, int], ...]], ...] = (
    ("kana", "ja", ((0x3040, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9F))),
    ("han", "zh", ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))),
    ("hangul", "ko", ((0x1100, 0x11FF), (0x3130, 0x318F), (0xAC00, 0xD7A3))),
    ("arabic", "ar", ((0x0600, 0x06FF), (0x0750, 0x077F), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))),
    ("hebrew", "he", ((0x0590, 0x05FF),)),
    ("cyrillic", "ru", ((0x0400, 0x04FF),)),
    ("greek", "el", ((0x0370, 0x03FF),)),
    ("devanagari", "hi", ((0x0900, 0x097F),)),
    ("thai", "th", ((0x0E00, 0x0E7F),)),
)
# Seconds per character at rate 1, measured on espeak-ng 1.51 (the slowest voice we ship);
# remote voices are faster, which only leaves more room.
_SECONDS_PER_CHAR = {"han": 0.42, "kana": 0.13, "hangul": 0.15, "arabic": 0.1, "hebrew": 0.1, "thai": 0.1}
_SECONDS_PER_OTHER_CHAR = 0.065
_SECONDS_PER_PAUSE = 0.25  # a clause or sentence mark


def script_of(char: str) -> str | None:
    code = ord(char)
    for name, _language, ranges in _SCRIPTS:
        if any(first <= code <= last for first, last in ranges):
            return name
    return None


def detect_language(text: str) -> str:
    """A BCP 47 primary language for `text` from its letters: Japanese when it has kana,
    else the script most of its letters are in; English for Latin and anything unknown."""
    scripts = Counter(script_of(c) for c in text if c.isalpha())
    scripts.pop(None, None)
    if not scripts:
        return "en"
    if scripts["kana"]:
        return "ja"
    latin = sum(1 for c in text if c.isascii() and c.isalpha())
    name, count = scripts.most_common(1)[0]
    if count < latin:
        return "en"
    return next(language for script, language, _ in _SCRIPTS if script == name)


def is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def clean(text: str) -> str:
    """One line of plain text: controls and line breaks become spaces, runs of space one."""
    kept = "".join(
        " " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c
        for c in text
        if unicodedata.category(c) != "Cs"
    )
    return " ".join(kept.split())


def split_sentences(text: str) -> list[str]:
    pieces = (clean(p) for line in text.splitlines() for p in _SENTENCE_BREAK.split(line))
    return [p for p in pieces if _meaningful(p)]


def _meaningful(text: str) -> bool:
    return any(unicodedata.category(c)[0] in "LN" for c in text)


def estimate_seconds(text: str, rate: float = 1.0) -> float:
    """About how long `text` takes to say at `rate` (1 = the voice's normal pace)."""
    seconds = 0.0
    for char in text:
        if char in _CLAUSE_MARKS or char in _FINAL_MARKS:
            seconds += _SECONDS_PER_PAUSE
        elif unicodedata.category(char)[0] in "LN":
            seconds += _SECONDS_PER_CHAR.get(script_of(char) or "", _SECONDS_PER_OTHER_CHAR)
    return seconds / rate


def as_sentence(text: str) -> str:
    """`text` with a capital first letter and a full stop (a CJK one after CJK) if it has none."""
    text = clean(text).strip(f" {_CLAUSE_MARKS}")
    if not text:
        return ""
    text = text[:1].upper() + text[1:]
    if text[-1] not in _FINAL_MARKS and unicodedata.category(text[-1])[0] in "LN":
        text += "\N{IDEOGRAPHIC FULL STOP}" if is_wide(text[-1]) else "."
    return text


def fit_to_seconds(text: str, seconds: float, rate: float = 1.0) -> str:
    """`text` cut so that it takes at most about `seconds` to say: whole sentences if the
    first fits, else at the last clause mark or word that fits; at least one word."""
    if estimate_seconds(text, rate) <= seconds:
        return text
    sentences = split_sentences(text)
    kept = ""
    for sentence in sentences:
        candidate = f"{kept} {sentence}".strip() if kept and not is_wide(kept[-1]) else kept + sentence
        if estimate_seconds(candidate, rate) > seconds:
            break
        kept = candidate
    if kept:
        return kept
    first = sentences[0] if sentences else clean(text)
    units = _units(first)
    cut = ""
    for end in range(1, len(units) + 1):
        candidate = "".join(units[:end]).strip()
        if estimate_seconds(candidate, rate) > seconds and cut:
            break
        cut = candidate
    if estimate_seconds(cut, rate) > seconds:
        # One word longer than the time allowed ("aaaa…"): cut it between characters.
        # (The estimate is a sum over characters, so it can be counted up as it goes.)
        total, keep = 0.0, 1
        for end, char in enumerate(cut, start=1):
            total += estimate_seconds(char, rate)
            if total > seconds:
                break
            keep = end
        cut = cut[:keep]
    clause = max((cut.rfind(mark) for mark in _CLAUSE_MARKS), default=-1)
    if clause > len(cut) * 0.5:
        cut = cut[:clause]
    # "Waves roll onto the" reads worse than "Waves roll".
    words = cut.split(" ")
    while len(words) > 1 and words[-1].lower() in _DANGLING:
        words.pop()
    return as_sentence(" ".join(words))


def shorten_in_order(
    texts: list[str], seconds: list[float], budget: float, *, shortest: float = 1.0
) -> list[int]:
    """Make `texts` (taking `seconds` each) fit in `budget`, in place: whole texts from the
    first on while they fit, the first that does not is cut (or dropped when less than
    `shortest` is left), the rest are dropped. Returns the indices of the texts cut."""
    remaining, cut = budget, []
    for index, text in enumerate(texts):
        if not text:
            continue
        if seconds[index] <= remaining:
            remaining -= seconds[index]
        elif remaining >= shortest:
            texts[index] = fit_to_seconds(text, estimate_seconds(text) * remaining / seconds[index] * 0.9)
            remaining = 0.0
            cut.append(index)
        else:
            texts[index] = ""
    return cut


def _units(text: str) -> list[str]:
    """Words with the space before them, and each wide character on its own."""
    return re.findall(r"\s*[^\s\u2E80-\u9FFF\uAC00-\uD7A3\uF900-\uFAFF\uFF00-\uFFEF]+|\s*\S", text)


def assign_script(script: str, weights: list[float]) -> list[str]:
    """Hand a user's script out over scenes of relative lengths `weights`, in order: one
    paragraph per scene when the counts match, else each sentence to the scene in which the
    middle of its reading time falls. Scenes that get nothing are silent."""
    paragraphs = [clean(p) for p in re.split(r"\n\s*\n", script) if _meaningful(p)]
    if len(paragraphs) == len(weights):
        return paragraphs
    sentences = split_sentences(script)
    times = [max(estimate_seconds(s), 0.01) for s in sentences]
    total_time, total_weight = sum(times), sum(weights)
    bounds, edge = [], 0.0
    for weight in weights:
        edge += weight / total_weight
        bounds.append(edge)
    parts: list[list[str]] = [[] for _ in weights]
    elapsed = 0.0
    for sentence, seconds in zip(sentences, times):
        middle = (elapsed + seconds / 2) / total_time
        scene = next((i for i, bound in enumerate(bounds) if middle <= bound), len(weights) - 1)
        parts[scene].append(sentence)
        elapsed += seconds
    return [join_sentences(part) for part in parts]


def join_sentences(sentences: list[str]) -> str:
    text = ""
    for sentence in sentences:
        text += sentence if not text or is_wide(text[-1]) else " " + sentence
    return text


def width_units(text: str) -> int:
    """Display width in half-width units: a CJK character counts two."""
    return sum(2 if is_wide(c) else 1 for c in text)


def split_for_display(sentence: str, max_units: int) -> list[str]:
    """A sentence cut into pieces of at most `max_units` display units, at the clause mark or
    space nearest the middle (between characters for text without spaces)."""
    sentence = sentence.strip()
    if width_units(sentence) <= max_units:
        return [sentence] if sentence else []
    middle = len(sentence) // 2
    marks = [i + 1 for i, c in enumerate(sentence[:-1]) if c in _CLAUSE_MARKS]
    spaces = [i for i, c in enumerate(sentence) if c.isspace()]
    candidates = marks or spaces
    # A clause mark far from the middle makes one tiny piece; a space is better then.
    if marks and min(abs(i - middle) for i in marks) > len(sentence) / 4 and spaces:
        candidates = spaces
    cut = min(candidates, key=lambda i: abs(i - middle)) if candidates else middle
    cut = min(max(cut, 1), len(sentence) - 1)
    return split_for_display(sentence[:cut], max_units) + split_for_display(sentence[cut:], max_units)


# Vowel letters of the alphabets whose syllables are their vowel groups (Latin, Cyrillic, Greek).
_VOWELS = frozenset(
    "aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿœāēīōūăĕĭŏŭąęįųőűạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
    "аеёиоуыэюяіїєў"
    "αεηιουωάέήίόύώϊϋΐΰ"
)
# Scripts where each character is a syllable (or a mora, which takes about as long to say).
_SYLLABIC_SCRIPTS = frozenset({"han", "kana", "hangul"})


def split_words(text: str) -> list[str]:
    """The words of `text` as they are spoken one after another: runs between spaces, and
    each character of a script written without spaces (CJK) on its own. Punctuation stays
    with the word before it, so the words joined back give the text's visible characters."""
    words: list[str] = []
    for run in clean(text).split(" "):
        for unit in re.findall(r"[^\u2E80-\u9FFF\uAC00-\uD7A3\uF900-\uFAFF\uFF00-\uFFEF]+|.", run):
            if words and not _meaningful(unit) and not words[-1].endswith(" "):
                words[-1] += unit
            else:
                words.append(unit)
        if words:
            words[-1] += " "
    return [word.strip() for word in words if word.strip()]


def syllables(word: str) -> int:
    """About how many syllables `word` has, at least 1: its vowel groups in alphabets that
    write vowels, one per character in CJK, a digit each for numbers, and one per two
    letters in scripts that mostly leave vowels out (Arabic, Hebrew) or that we do not know."""
    count, letters, in_vowel = 0, 0, False
    for char in word.lower():
        if char.isdigit():
            count, in_vowel = count + 1, False
        elif char in _VOWELS:
            count, in_vowel = count + (not in_vowel), True
        elif unicodedata.category(char)[0] == "L":
            if script_of(char) in _SYLLABIC_SCRIPTS:
                count += 1
            elif not char.isascii() and not ("\u0400" <= char <= "\u04ff" or "\u0370" <= char <= "\u03ff"):
                letters += 1
            in_vowel = False
        else:
            in_vowel = False
    # A silent final "e" ("stone", "wave") is not a syllable of its own.
    if count > 1 and re.search(r"[^aeiouy]e$", word.lower().rstrip(_FINAL_MARKS + _CLAUSE_MARKS + "\"')")):
        count -= 1
    return max(count + (letters + 1) // 2, 1)


def word_weight(word: str) -> float:
    """How long `word` takes to say relative to other words: its syllables, plus a breath
    after a clause or sentence mark."""
    pause = 0.6 if word and word[-1] in _CLAUSE_MARKS + _FINAL_MARKS else 0.0
    return syllables(word) + 0.3 + pause
