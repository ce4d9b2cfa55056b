"""The OpenAI planner, through the real `openai` client, against the fake chat completions over HTTP."""

from __future__ import annotations

import json
import time

import pytest

from providers.base import PlanRequest
from providers.costs import COST_GPT4_TURBO, CostMeter
from providers.openai import OpenAIPlanner
from providers.spec import validate_spec
from tests.phases.spec_factory import make_spec
from tests.providers.fake_services import FakeServices, llm_style_spec
from toolbox.exceptions import ProviderError

PROMPT = 'A lighthouse in a storm, then calm at dawn: "quoted" words and emoji 🌊'
REQUEST = PlanRequest(prompt=PROMPT, duration=10, aspect_ratio="9:16", template="noir", seed=42)


def plan(meter: CostMeter | None = None, request: PlanRequest = REQUEST) -> dict:
    return OpenAIPlanner().plan(request, meter or CostMeter())


def test_it_plans_a_valid_spec_for_the_request(fake: FakeServices):
    meter = CostMeter()
    spec = plan(meter)
    assert validate_spec(spec) is spec
    assert (spec["prompt"], spec["duration"], spec["aspect_ratio"]) == (PROMPT, 10, "9:16")
    assert (spec["width"], spec["height"], spec["template"], spec["seed"]) == (1080, 1920, "noir", 42)
    assert [(c.provider, c.model, c.usd) for c in meter.charges] == [
        ("openai", "gpt-4-turbo", COST_GPT4_TURBO)
    ]


def test_it_sends_the_model_the_request_and_the_schema_in_json_mode(fake: FakeServices):
    plan()
    [body] = fake.chat_requests
    assert body["model"] == "gpt-4-turbo"
    assert body["response_format"] == {"type": "json_object"}
    system, user = body["messages"]
    assert '"scenes"' in system["content"] and "zoom_in" in system["content"]
    assert json.loads(user["content"]) == {
        "prompt": PROMPT,
        "duration": 10,
        "aspect_ratio": "9:16",
        "template": "noir",
        "seed": 42,
    }


def test_structured_output_sends_the_spec_schema_when_chosen(fake: FakeServices, settings):
    settings.OPENAI_RESPONSE_FORMAT = "json_schema"
    settings.OPENAI_MODEL = "gpt-4o-2024-08-06"
    plan()
    [body] = fake.chat_requests
    assert body["model"] == "gpt-4o-2024-08-06"
    schema = body["response_format"]["json_schema"]["schema"]
    assert body["response_format"]["type"] == "json_schema"
    assert schema["properties"]["scenes"]["maxItems"] == 60


def test_the_frame_arithmetic_the_model_got_wrong_is_redone_from_its_scene_lengths(fake: FakeServices):
    request = {"prompt": "p", "duration": 10, "aspect_ratio": "16:9"}
    reply = llm_style_spec({"messages": [{"role": "user", "content": json.dumps(request)}]})
    for scene, seconds in zip(reply["scenes"], [2, 3, 5], strict=True):
        scene["duration"], scene["frames"] = seconds, 1
    fake.reply_with(json.dumps(reply))
    spec = plan()
    assert [scene["frames"] for scene in spec["scenes"]] == [60, 90, 150]
    assert [scene["duration"] for scene in spec["scenes"]] == [2.0, 3.0, 5.0]


def test_invalid_json_is_sent_back_once_and_the_fixed_reply_is_used(fake: FakeServices):
    fake.reply_with('{"title": "Lighthouse", "scenes": [')
    meter = CostMeter()
    spec = plan(meter)
    assert spec["duration"] == 10
    assert len(fake.chat_requests) == 2
    retry = fake.chat_requests[1]["messages"]
    assert retry[-2] == {"role": "assistant", "content": '{"title": "Lighthouse", "scenes": ['}
    assert retry[-1]["content"].startswith("That reply is not usable: it is not valid JSON")
    assert len(meter.charges) == 2, "both completions are billed"


def test_two_bad_replies_fail_the_plan_with_a_clear_message(fake: FakeServices):
    fake.reply_with('{"title": "Light', finish_reason="length")
    fake.reply_with(
        json.dumps({**make_spec(duration=10, aspect_ratio="9:16"), "music": {"mood": "sleepy", "tempo": 90}})
    )
    with pytest.raises(ProviderError) as failure:
        plan()
    assert not failure.value.retryable
    message = str(failure.value)
    assert message.startswith("OpenAI: gpt-4-turbo did not return a valid spec in 2 tries: invalid spec:")
    assert "music/mood" in message
    assert "cut off" in fake.chat_requests[1]["messages"][-1]["content"]


def test_rate_limits_are_retried_after_the_wait_openai_asks_for(fake: FakeServices):
    fake.fault("POST", "/v1/chat/completions", status=429, headers={"Retry-After": "1"})
    meter = CostMeter()
    started = time.monotonic()
    plan(meter)
    assert time.monotonic() - started >= 1.0
    assert fake.count("POST", "/v1/chat/completions") == 2
    assert len(meter.charges) == 1, "a refused request is not billed"


def test_an_exhausted_quota_is_not_retried(fake: FakeServices):
    error = {
        "message": "You exceeded your current quota",
        "type": "insufficient_quota",
        "code": "insufficient_quota",
    }
    fake.fault("POST", "/v1/chat/completions", status=429, body=json.dumps({"error": error}).encode())
    with pytest.raises(ProviderError, match="HTTP 429: You exceeded your current quota") as failure:
        plan()
    assert not failure.value.retryable
    assert fake.count("POST", "/v1/chat/completions") == 1


def test_server_errors_and_malformed_bodies_are_retried(fake: FakeServices):
    fake.fault("POST", "/v1/chat/completions", status=500)
    fake.fault("POST", "/v1/chat/completions", status=200, body=b'{"id": "chatcmpl-1", "choices": [{"mess')
    fake.fault(
        "POST",
        "/v1/chat/completions",
        status=200,
        body=b"<html>proxy</html>",
        headers={"Content-Type": "text/html"},
    )
    plan()
    assert fake.count("POST", "/v1/chat/completions") == 4


def test_a_hung_server_times_out_and_the_retries_are_bounded(fake: FakeServices, settings):
    settings.OPENAI_TIMEOUT = 0.3
    settings.PROVIDER_MAX_RETRIES = 1
    fake.fault("POST", "/v1/chat/completions", status=200, delay=1.0, times=2)
    with pytest.raises(ProviderError, match="timed out") as failure:
        plan()
    assert failure.value.retryable
    assert "gave up after 2 attempts" in str(failure.value)


def test_a_wrong_key_fails_at_once_with_openais_message(fake: FakeServices, settings):
    settings.OPENAI_API_KEY = "sk-wrong"
    with pytest.raises(ProviderError, match="HTTP 401: Incorrect API key provided") as failure:
        plan()
    assert not failure.value.retryable


def test_the_models_subjects_keep_pictures_the_library_has(fake: FakeServices):
    request = {"prompt": "p", "duration": 10, "aspect_ratio": "16:9"}
    reply = llm_style_spec({"messages": [{"role": "user", "content": json.dumps(request)}]})
    reply["scenes"][0]["elements"] = [
        {"name": "fox", "icon": "fluent-emoji-flat:fox", "motion": "walk"},
        {"name": "ship", "icon": "fluent-emoji-flat:big-ship", "motion": "drift"},  # no such picture
        {"name": "flux capacitor", "icon": "fluent-emoji-flat:flux", "motion": "idle"},  # nothing like it
    ]
    reply["scenes"][0]["time"] = "night"
    fake.reply_with(json.dumps(reply))
    scene = plan()["scenes"][0]
    assert scene["elements"] == [
        {"name": "fox", "icon": "fluent-emoji-flat:fox", "motion": "walk"},
        {"name": "ship", "icon": "fluent-emoji-flat:ship", "motion": "drift"},
    ]
    assert scene["time"] == "night"
    system = fake.chat_requests[0]["messages"][0]["content"]
    assert "elements" in system and "fluent-emoji-flat:fox" in system
