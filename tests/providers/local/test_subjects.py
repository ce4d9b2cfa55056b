"""Nouns become library pictures and verbs become motions: singular and plural, synonyms,
words the library lacks, and subjects that go on from one sentence to the next."""

from __future__ import annotations

import pytest

from providers.local.icons import library
from providers.local.subjects import find_elements, lookup
from providers.local.vocabulary import singular, verb_motion


def names(clause: str, previous: list | None = None) -> list[tuple[str, str, str]]:
    return [(e["name"], e["icon"].split(":")[1], e["motion"]) for e in find_elements(clause, previous)]


@pytest.mark.parametrize(
    ("plural", "single"),
    [
        ("foxes", "fox"),
        ("wolves", "wolf"),
        ("ponies", "pony"),
        ("birches", "birch"),
        ("mice", "mouse"),
        ("geese", "goose"),
        ("people", "person"),
        ("children", "child"),
        ("ships", "ship"),
        ("waves", "wave"),
        ("hooves", "hoof"),
        ("bus", "bus"),
        ("cactus", "cactus"),
        ("grass", "grass"),
    ],
)
def test_plurals_become_singular(plural: str, single: str) -> None:
    assert singular(plural) == single


@pytest.mark.parametrize(
    ("word", "motion"),
    [
        ("runs", "walk"),
        ("running", "walk"),
        ("ran", "walk"),
        ("walked", "walk"),
        ("flies", "fly"),
        ("flew", "fly"),
        ("sails", "drift"),
        ("floating", "drift"),
        ("drifts", "drift"),
        ("climbs", "rise"),
        ("rises", "rise"),
        ("falls", "fall"),
        ("jumped", "jump"),
        ("hopping", "jump"),
        ("spins", "spin"),
        ("grows", "grow"),
        ("shines", "shine"),
        ("rests", "idle"),
        ("roses", None),
        ("quickly", None),
    ],
)
def test_verbs_become_motions(word: str, motion: str | None) -> None:
    assert verb_motion(word) == motion


@pytest.mark.parametrize(
    ("word", "icon"),
    [
        ("fox", "fox"),
        ("foxes", "fox"),
        ("keeper", "person"),
        ("vessel", "ship"),
        ("ship", "ship"),
        ("boats", "sailboat"),
        ("car", "automobile"),
        ("plane", "airplane"),
        ("puppies", "dog"),
        ("birch", "deciduous-tree"),
        ("castle", "castle"),
        ("pizza", "pizza"),
        ("robot", "robot"),
    ],
)
def test_nouns_and_their_synonyms_find_their_picture(word: str, icon: str) -> None:
    found = lookup(word)
    assert found is not None and found.name == icon


@pytest.mark.parametrize(
    "word", ["forest", "night", "storm", "snow", "lake", "over", "three", "quiet", "zorblax"]
)
def test_places_weather_small_words_and_unknown_words_are_not_subjects(word: str) -> None:
    assert lookup(word) is None


def test_a_sentence_gives_its_subjects_in_order_with_the_motion_of_their_verbs() -> None:
    assert names("A red fox runs through a snowy birch forest at dawn") == [
        ("fox", "fox", "walk"),
        ("birch", "deciduous-tree", "idle"),
    ]


def test_a_verb_moves_every_subject_before_it_and_lights_what_it_lights() -> None:
    assert names("A robot and a ghost dance") == [("robot", "robot", "spin"), ("ghost", "ghost", "spin")]
    assert [n[2] for n in names("The keeper lights the lamp")] == ["idle", "shine"]


def test_things_that_travel_their_own_way_keep_it() -> None:
    assert names("A ship passes through the storm") == [("ship", "ship", "drift")]
    assert names("An eagle watches from above") == [("eagle", "eagle", "idle")]
    assert names("An eagle over the valley") == [("eagle", "eagle", "fly")]


def test_two_word_names_are_one_subject() -> None:
    assert names("A polar bear swims past a hot air balloon")[0] == ("polar bear", "polar-bear", "swim")


def test_plural_and_repeated_subjects_appear_once() -> None:
    assert names("Foxes, more foxes and a fox") == [("fox", "fox", "idle")]


def test_a_sentence_that_goes_on_without_its_subject_keeps_the_one_before() -> None:
    first = find_elements("A red fox runs through the forest")
    assert names("then rests on a hill", first) == [("fox", "fox", "idle")]
    assert names("It sleeps", first) == [("fox", "fox", "idle")]
    assert names("A cat sleeps", first) == [("cat", "cat", "idle")]


def test_a_sentence_the_library_has_nothing_for_has_no_elements() -> None:
    assert find_elements("Quantum entanglement of abstract thought") == []
    assert find_elements("") == []


def test_every_element_names_a_picture_of_the_library() -> None:
    lib = library()
    assert len(lib.icons) > 1000
    for element in find_elements("A chef bakes a pizza and a cake while a dog and a cat watch"):
        assert element["icon"] in lib


def test_the_library_search_finds_pictures_by_name_and_keyword() -> None:
    lib = library()
    assert lib.search("sailboat")[0].name == "sailboat"
    assert {icon.name for icon in lib.search("boat")} >= {"sailboat", "motor-boat", "canoe"}
    assert lib.search("") == []
    assert lib.search("zzzzqqq") == []
