"""The local planner puts each sentence's own subjects, place, light and weather in its
scenes, and nothing from another sentence."""

from __future__ import annotations

from typing import Any

from providers.base import PlanRequest
from providers.costs import CostMeter
from providers.local.planner import LocalPlanner
from providers.spec import validate_spec

FOX = (
    "A red fox runs through a snowy birch forest at dawn, "
    "then rests on a hill watching the sunrise over a frozen lake"
)
LIGHTHOUSE = "A lighthouse keeper climbs the stairs at night, lights the lamp, and a ship passes safely through the storm"


def plan(prompt: str, **options: Any) -> dict[str, Any]:
    return validate_spec(LocalPlanner().plan(PlanRequest(prompt=prompt, **options), CostMeter()))


def by_caption(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {scene["caption"]: scene for scene in spec["scenes"]}


def subjects(scene: dict[str, Any]) -> list[str]:
    return [element["name"] for element in scene.get("elements", [])]


def test_the_fox_runs_through_snowy_trees_at_dawn_then_rests_by_a_frozen_lake() -> None:
    scenes = by_caption(plan(FOX))
    forest = scenes["A red fox runs through a snowy birch forest at dawn"]
    lake = scenes["Rests on a hill watching the sunrise over a frozen lake"]
    assert (forest["motif"], forest.get("time"), forest.get("weather")) == ("trees", "dawn", "snow")
    assert forest["elements"][0] == {"name": "fox", "icon": "fluent-emoji-flat:fox", "motion": "walk"}
    assert (lake["motif"], lake.get("time"), lake.get("weather")) == ("ice", "dawn", None)
    assert subjects(lake) == ["fox"]


def test_the_lighthouse_keeper_and_the_ship_each_appear_in_their_own_scene() -> None:
    scenes = by_caption(plan(LIGHTHOUSE))
    climb = scenes["A lighthouse keeper climbs the stairs at night"]
    assert (subjects(climb), climb["elements"][0]["motion"], climb.get("time")) == (
        ["keeper"],
        "rise",
        "night",
    )
    lamp = scenes["Lights the lamp"]
    assert "lamp" in subjects(lamp) and lamp["motif"] == "abstract" and "time" not in lamp
    storm = scenes["A ship passes safely through the storm"]
    assert subjects(storm) == ["ship"] and storm["weather"] == "storm" and "time" not in storm


def test_a_sentence_never_borrows_the_place_light_or_weather_of_another() -> None:
    spec = plan("A camel walks across the desert. A taxi waits in the city at night.", duration=12)
    desert, city = spec["scenes"][0], spec["scenes"][-1]
    assert desert["motif"] == "dunes" and "time" not in desert and subjects(desert) == ["camel"]
    assert city["motif"] == "city" and city["time"] == "night" and subjects(city) == ["taxi"]


def test_a_prompt_the_library_has_nothing_for_still_plans_with_todays_motifs() -> None:
    spec = plan("Waves of quantum probability collapse into silence")
    assert all("elements" not in scene for scene in spec["scenes"])
    assert {scene["motif"] for scene in spec["scenes"]} == {"waves"}


def test_a_subject_that_recurs_keeps_its_picture() -> None:
    spec = plan("A dog plays in the park. The dog sleeps by the fire. Dogs dream.", duration=15)
    icons = {e["icon"] for scene in spec["scenes"] for e in scene.get("elements", []) if e["name"] == "dog"}
    assert icons == {"fluent-emoji-flat:dog"}


def test_a_sentence_that_names_no_place_shows_its_ship_on_the_sea() -> None:
    scenes = by_caption(plan(LIGHTHOUSE))
    assert scenes["A ship passes safely through the storm"]["motif"] == "waves"
    assert scenes["A lighthouse keeper climbs the stairs at night"]["motif"] == "stars"
