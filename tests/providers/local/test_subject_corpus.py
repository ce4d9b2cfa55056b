"""A corpus of varied prompts (animals, people, vehicles, buildings, food, weather, places,
several subjects per sentence, subjects that recur): every concrete noun the picture library
covers is an element of its own sentence's scene and is visible in that scene's frame, and
each scene's place, light and weather come from its own sentence."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from providers.base import PlanRequest
from providers.costs import CostMeter
from providers.local.actors import Actor
from providers.local.images import scene_layers
from providers.local.planner import LocalPlanner
from providers.local.setting import MOTIF_KEYWORDS, TIME_KEYWORDS, WEATHER_KEYWORDS
from providers.local.subjects import implied_places
from providers.local.vocabulary import singular

FRAME = (480, 270)
CORPUS = [
    # (prompt of three sentences, the subjects each sentence names)
    (
        "A red fox runs through the snowy forest. The fox rests by a frozen lake at dawn. An owl watches from a pine tree at night.",
        [["fox"], ["fox"], ["owl", "pine"]],
    ),
    (
        "A lighthouse keeper climbs the stairs at night. He lights the lamp. A ship passes through the storm.",
        [["keeper"], ["keeper", "lamp"], ["ship"]],
    ),
    (
        "Two horses gallop across the meadow. A farmer drives a tractor past the barn. Chickens peck in the yard.",
        [["horse"], ["farmer", "tractor"], ["chicken"]],
    ),
    (
        "A chef bakes a pizza in a small kitchen. The cake cools on the table. A cat sleeps by the oven.",
        [["chef", "pizza"], ["cake"], ["cat"]],
    ),
    (
        "An astronaut floats near the moon. A rocket rises from the launch pad. The planet glows in the dark.",
        [["astronaut", "moon"], ["rocket"], ["planet"]],
    ),
    (
        "A whale swims in the deep ocean. Dolphins jump over the waves. A sailboat drifts toward the island.",
        [["whale"], ["dolphin"], ["sailboat"]],
    ),
    (
        "A girl reads a book under an oak tree. Her dog chases a butterfly. The sun sets behind the hills.",
        [["girl", "book", "oak"], ["dog", "butterfly"], []],
    ),
    (
        "A taxi waits on a rainy city street at night. A bus passes the old church. A police officer walks past the bank.",
        [["taxi"], ["bus", "church"], ["police officer", "bank"]],
    ),
    (
        "A camel walks across the desert at sunset. A lizard hides under a rock. The stars come out over the dunes.",
        [["camel"], ["lizard", "rock"], []],
    ),
    (
        "A penguin slides on the ice. A polar bear swims in the cold sea. Snow falls on the mountains.",
        [["penguin"], ["polar bear"], []],
    ),
    (
        "A train crosses the bridge at dawn. A man reads a newspaper on the platform. A clock shows noon.",
        [["train", "bridge"], ["man", "newspaper"], ["clock"]],
    ),
    (
        "A robot walks through the ruined city. A drone flies over the towers. A ghost hides in the shadows.",
        [["robot"], ["tower"], ["ghost"]],
    ),
    (
        "A bee lands on a sunflower. A rabbit eats a carrot in the garden. A snail climbs the fence.",
        [["bee", "sunflower"], ["rabbit", "carrot"], ["snail"]],
    ),
    (
        "The knight rides his horse to the castle. The king waits on his throne. A dragon flies over the towers.",
        [["knight", "horse", "castle"], ["king"], ["dragon", "tower"]],
    ),
    (
        "A family has a picnic with sandwiches and watermelon. Children fly a kite on the hill. An ice cream truck arrives.",
        [["picnic", "sandwich", "watermelon"], ["child", "kite"], ["ice cream", "truck"]],
    ),
    (
        "A surfer rides a big wave. A crab walks along the beach. A seagull steals a french fry.",
        [["surfer"], ["crab"], ["seagull"]],
    ),
    (
        "An old woman knits by the fireplace. Her grandson plays the guitar. The kitten chases a ball of yarn.",
        [["old woman"], ["guitar"], ["kitten", "ball", "yarn"]],
    ),
    (
        "A helicopter lands on the hospital roof. A doctor runs to the ambulance. The nurse holds a baby.",
        [["helicopter", "hospital"], ["doctor", "ambulance"], ["nurse", "baby"]],
    ),
    (
        "A tiger stalks through the jungle. A monkey swings from the branches. A parrot sings in the rain.",
        [["tiger"], ["monkey"], ["parrot"]],
    ),
    (
        "A wizard casts a spell in the tower. A unicorn gallops through the enchanted forest. A fairy sparkles above the mushrooms.",
        [["wizard", "tower"], ["unicorn"], ["fairy", "mushroom"]],
    ),
    (
        "A cyclist rides along the river at sunrise. A fisherman casts his line. A duck paddles past the canoe.",
        [["cyclist"], ["fisherman"], ["duck", "canoe"]],
    ),
    (
        "The baker pulls fresh bread from the oven. Coffee steams in a cup. A croissant sits on a plate.",
        [["baker", "bread"], ["coffee"], ["croissant", "plate"]],
    ),
    (
        "A snowman stands in the yard at night. Children build a sled. A deer walks through the snowy woods.",
        [["snowman"], ["child", "sled"], ["deer"]],
    ),
    (
        "A firefighter sprays water on the burning house. The fire engine races down the street. A dog barks at the smoke.",
        [["firefighter", "house"], ["fire engine"], ["dog"]],
    ),
    (
        "An airplane takes off at sunset. A pilot waves from the cockpit. Clouds drift across the sky.",
        [["airplane"], ["pilot"], []],
    ),
    (
        "A frog jumps into the pond. A turtle suns itself on a log. A dragonfly hovers over the water.",
        [["frog"], ["turtle", "log"], []],
    ),
    (
        "A student writes in her notebook. The teacher points at the globe. A pencil falls to the floor.",
        [["student", "notebook"], ["teacher", "globe"], ["pencil"]],
    ),
    (
        "A scientist looks through a microscope. A robot arm mixes chemicals. A computer blinks in the lab.",
        [["scientist", "microscope"], ["robot"], ["computer"]],
    ),
    (
        "An elephant walks across the savanna at dawn. A giraffe eats leaves from a tree. A lion sleeps in the sun.",
        [["elephant"], ["giraffe", "leaf", "tree"], ["lion"]],
    ),
    (
        "A motorcycle speeds down the highway at night. A truck pulls into the gas station. A cowboy rides into town.",
        [["motorcycle", "highway"], ["truck", "station"], ["cowboy"]],
    ),
    (
        "A mermaid swims past the coral reef. An octopus hides in a shell. A shark circles the shipwreck.",
        [["mermaid", "coral"], ["octopus", "shell"], ["shark"]],
    ),
    (
        "A violinist plays on the stage. The audience claps. A rose falls at her feet.",
        [["violinist"], [], ["rose", "foot"]],
    ),
]


def plan(prompt: str) -> dict[str, Any]:
    # 15 s makes exactly one scene per sentence of three.
    return LocalPlanner().plan(PlanRequest(prompt=prompt, duration=15), CostMeter())


def frame(spec: dict[str, Any], index: int) -> tuple[np.ndarray, list[Actor]]:
    layers = scene_layers(spec, index, frame_size=FRAME)
    return layers.composite(0.0), [group for group in layers.particles if isinstance(group, Actor)]


def own_words(scene: dict[str, Any]) -> set[str]:
    words = "".join(c if c.isalpha() else " " for c in scene["caption"].lower()).split()
    return set(words) | {singular(word) for word in words}


@pytest.mark.parametrize(("prompt", "subjects"), CORPUS, ids=[p[:40] for p, _ in CORPUS])
def test_every_subject_is_in_its_own_scene(prompt: str, subjects: list[list[str]]) -> None:
    spec = plan(prompt)
    assert [[e["name"] for e in scene.get("elements", [])] for scene in spec["scenes"]] == subjects


@pytest.mark.parametrize(("prompt", "subjects"), CORPUS, ids=[p[:40] for p, _ in CORPUS])
def test_every_subject_is_visible_where_it_stands(prompt: str, subjects: list[list[str]]) -> None:
    spec = plan(prompt)
    for index, scene in enumerate(spec["scenes"]):
        picture, actors = frame(spec, index)
        assert len(actors) == len(scene.get("elements", []))
        for number, actor in enumerate(actors):
            without = copy.deepcopy(spec)
            del without["scenes"][index]["elements"][number]
            bare, _ = frame(without, index)
            (x, y), (h, w) = actor.state(0.0)[0][0], actor.patches[0][0].shape[:2]
            top, left = max(int(y), 0), max(int(x), 0)
            region = np.abs(picture - bare)[top : int(y + h), left : int(x + w)]
            name = scene["elements"][number]["name"]
            # A tenth of its box changes clearly: its picture, not a faint tint.
            changed = (region.max(axis=2) > 0.1).mean() if region.size else 0.0
            assert changed > 0.1, f"{name} is not visible in scene {index + 1}"


@pytest.mark.parametrize(("prompt", "subjects"), CORPUS, ids=[p[:40] for p, _ in CORPUS])
def test_each_scenes_setting_comes_from_its_own_sentence(prompt: str, subjects: list[list[str]]) -> None:
    sentences = [sentence.strip(" .") for sentence in prompt.split(". ")]
    for scene, sentence in zip(plan(prompt)["scenes"], sentences, strict=True):
        assert scene["caption"].lower().startswith(sentence.lower()[:50])
        words = own_words(scene)
        if scene["motif"] not in ("abstract", "ice"):
            # Its own words name the place, or its subjects need it (a ship sails on the sea).
            named = words & set(MOTIF_KEYWORDS[scene["motif"]].split())
            assert named or implied_places(scene.get("elements", [])), (scene["motif"], sentence)
        if scene["motif"] == "ice":
            assert {"frozen", "ice", "icy"} & words
        if "time" in scene:
            assert words & set(TIME_KEYWORDS[scene["time"]].split()), (scene["time"], sentence)
        if "weather" in scene:
            assert words & set(WEATHER_KEYWORDS[scene["weather"]].split()), (scene["weather"], sentence)
