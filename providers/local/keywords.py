"""Keyword tables for the local planner: "key: words" strings indexed by word, and the keys
a list of words points at. A plural in the prompt finds its singular in a table."""

from __future__ import annotations

from collections import Counter


def keyword_index(table: dict[str, str]) -> dict[str, str]:
    return {word: key for key, words in table.items() for word in words.split()}


def _lemma(word: str, index: dict[str, str]) -> str | None:
    forms = (word, word[:-1], word[:-2], word[:-3] + "y") if word.endswith("s") else (word,)
    return next((form for form in forms if form in index), None)


def hits(words: list[str], index: dict[str, str]) -> list[str]:
    """The keys that `words` point at, in the order the words come."""
    return [index[lemma] for word in words if (lemma := _lemma(word, index))]


def ranked(words: list[str], index: dict[str, str]) -> list[str]:
    """The keys that `words` point at, most hits first; ties keep the table's order."""
    counts = Counter(hits(words, index))
    order = list(dict.fromkeys(index.values()))
    return sorted(counts, key=lambda key: (-counts[key], order.index(key)))
