"""A local stand-in for Replicate and OpenAI, over real HTTP on 127.0.0.1.

`FakeServices` speaks enough of Replicate's predictions API and OpenAI's chat completions and
speech for the official `replicate` and `openai` clients to run unchanged against it; its outputs are
real PNG, MP4 and WAV files made when it starts. Tests script it: what each kind of model
does next (succeed, fail with a message, never finish) and faults on any route (429 with
Retry-After, 500, malformed JSON, a hung answer). Its routes are in `fake_http`, the files it
hands out in `fake_outputs`.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.cache import caches

from providers import registry
from providers.replicate.schemas import forget_schemas
from tests.phases.spec_factory import make_spec
from tests.providers.fake_outputs import VARIANTS, clip_length, make_clip
from tests.providers.replicate_models import CATALOG, CatalogModel

REPLICATE_TOKEN = "r8_fake_token"
OPENAI_KEY = "sk-fake-key"


@dataclass
class Fault:
    method: str
    path: str  # a prefix of the request path
    status: int
    body: bytes
    headers: dict[str, str]
    delay: float
    times: int


@dataclass
class FakeModel:
    name: str  # owner/name
    version: str
    spec: CatalogModel

    @property
    def kind(self) -> str:
        return self.spec.kind


@dataclass
class FakeServices:
    assets: Path
    base_url: str = ""
    models: dict[str, FakeModel] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.predictions: dict[str, dict[str, Any]] = {}
            self.outcomes: dict[str, deque[Any]] = {"image": deque(), "video": deque(), "audio": deque()}
            self.faults: list[Fault] = []
            self.requests: list[tuple[str, str]] = []
            self.canceled: list[str] = []
            self.chat_requests: list[dict[str, Any]] = []
            self.chat_replies: deque[dict[str, str]] = deque()
            self.speech_requests: list[dict[str, Any]] = []
            self.schema_requests: list[str] = []
            self.uploads: dict[str, bytes] = {}  # URL -> content

    # --- scripting -----------------------------------------------------------------------

    def add_model(self, ref: str, spec: CatalogModel | None = None) -> None:
        """Serve `ref` (`owner/name:version` or `owner/name`) as the catalog's model of that
        name, or as `spec`."""
        name, _, version = ref.partition(":")
        self.models[version or name] = FakeModel(
            name=name, version=version or f"{abs(hash(name)):064x}"[-64:], spec=spec or CATALOG[name]
        )

    def model_named(self, name: str) -> FakeModel | None:
        return next((model for model in self.models.values() if model.name == name), None)

    def script(self, kind: str, *outcomes: Any) -> None:
        """What the next predictions of `kind` do: "succeed", "hang" or ("fail", message)."""
        self.outcomes[kind].extend(outcomes)

    def fault(
        self,
        method: str,
        path: str,
        *,
        status: int = 500,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        times: int = 1,
    ) -> None:
        """Answer the next `times` matching requests with this instead of the real thing."""
        default = json.dumps({"detail": f"fake fault {status}", "status": status}).encode()
        self.faults.append(
            Fault(method, path, status, default if body is None else body, headers or {}, delay, times)
        )

    def reply_with(self, content: str, finish_reason: str = "stop") -> None:
        """The next chat completion answers `content` instead of a spec for the request."""
        self.chat_replies.append({"content": content, "finish_reason": finish_reason})

    # --- what happened -------------------------------------------------------------------

    def created(self, kind: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            made = list(self.predictions.values())
        return [p for p in made if kind is None or self.models[p["_key"]].kind == kind]

    def count(self, method: str, path_prefix: str) -> int:
        return sum(1 for m, p in self.requests if m == method and p.startswith(path_prefix))

    # --- answering -----------------------------------------------------------------------

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and fault.method == method and path.startswith(fault.path):
                    fault.times -= 1
                    return fault
        return None

    def create_prediction(self, key: str, body: dict[str, Any]) -> dict[str, Any]:
        model = self.models[key]
        with self.lock:
            number = sum(1 for p in self.predictions.values() if self.models[p["_key"]].kind == model.kind)
            outcome = self.outcomes[model.kind].popleft() if self.outcomes[model.kind] else "succeed"
            prediction_id = f"fake{len(self.predictions) + 1:04d}"
            prediction = {
                "id": prediction_id,
                "model": model.name,
                "version": key if key != model.name else "official",
                "status": "starting",
                "input": body.get("input", {}),
                "output": None,
                "logs": "",
                "error": None,
                "metrics": {},
                "created_at": "2026-01-01T00:00:00.000Z",
                "started_at": None,
                "completed_at": None,
                "urls": {
                    "get": f"{self.base_url}/v1/predictions/{prediction_id}",
                    "cancel": f"{self.base_url}/v1/predictions/{prediction_id}/cancel",
                },
                "_key": key,
                "_outcome": outcome,
                "_number": number,
                "_polls": 0,
            }
            self.predictions[prediction_id] = prediction
        return prediction

    def advance(self, prediction: dict[str, Any]) -> None:
        """Each poll moves a prediction on: starting, processing, then its scripted end."""
        with self.lock:
            prediction["_polls"] += 1
            if prediction["status"] == "starting":
                prediction["status"] = "processing"
                prediction["started_at"] = "2026-01-01T00:00:01.000Z"
            elif prediction["status"] == "processing" and prediction["_outcome"] != "hang":
                outcome = prediction["_outcome"]
                prediction["completed_at"] = "2026-01-01T00:00:05.000Z"
                if isinstance(outcome, tuple) and outcome[0] == "fail":
                    prediction["status"], prediction["error"] = "failed", outcome[1]
                else:
                    prediction["status"] = "succeeded"
                    prediction["output"] = self.output_for(prediction)
                    spec = self.models[prediction["_key"]].spec
                    prediction["metrics"] = {
                        "predict_time": spec.predict_time,
                        "total_time": spec.predict_time + 1,
                    }

    def output_for(self, prediction: dict[str, Any]) -> Any:
        model = self.models[prediction["_key"]]
        variant = prediction["_number"] % VARIANTS
        if model.kind == "video":
            seconds, fps = clip_length(model.spec, prediction["input"])
            name = make_clip(self.assets, variant, seconds, fps)
        else:
            name = {"image": f"image-{variant}.png", "audio": "music.wav"}[model.kind]
        url = f"{self.base_url}/files/{prediction['id']}/{name}"
        return [url] if model.spec.list_output else url

    def chat_reply(self, body: dict[str, Any]) -> dict[str, str]:
        with self.lock:
            if self.chat_replies:
                return self.chat_replies.popleft()
        return {"content": json.dumps(llm_style_spec(body)), "finish_reason": "stop"}


def llm_style_spec(body: dict[str, Any]) -> dict[str, Any]:
    """A spec for the request (the first user message), written the way a language model
    writes one: right in substance, wrong in the arithmetic (frames that do not add up)."""
    request = json.loads(next(m["content"] for m in body["messages"] if m["role"] == "user"))
    spec = make_spec(duration=request["duration"], aspect_ratio=request["aspect_ratio"], scenes=3)
    spec["prompt"] = request["prompt"]
    for number, scene in enumerate(spec["scenes"], start=1):
        scene["description"] = f"Scene {number}: {request['prompt'][:80]}"
        scene["frames"] = 100
        scene["duration"] = round(request["duration"] / 3, 1)
    return spec


def use_fake_services(settings: Any, fake: FakeServices) -> None:
    """Point every capability at `fake` (`settings` is pytest-django's fixture, restored after
    the test), with short waits so retries and polls take milliseconds."""
    settings.OPENAI_API_KEY = OPENAI_KEY
    settings.OPENAI_BASE_URL = f"{fake.base_url}/v1"
    settings.REPLICATE_API_TOKEN = REPLICATE_TOKEN
    settings.REPLICATE_BASE_URL = fake.base_url
    settings.PLANNER_PROVIDER = "openai"
    settings.IMAGE_PROVIDER = settings.VIDEO_PROVIDER = settings.MUSIC_PROVIDER = "replicate"
    settings.REPLICATE_POLL_INTERVAL = 0.02
    settings.PROVIDER_RETRY_BASE_DELAY = 0.01
    settings.PROVIDER_RETRY_MAX_DELAY = 2.0
    for ref in (
        settings.REPLICATE_IMAGE_MODEL,
        settings.REPLICATE_ZEROSCOPE_MODEL,
        settings.REPLICATE_ANIMATEDIFF_MODEL,
        settings.REPLICATE_MUSIC_MODEL,
    ):
        fake.add_model(ref)


def clear_providers() -> None:
    """Forget the providers built so far and the model schemas they read, here and in the
    test Redis, so the next getter call reads the settings (and the fake's schemas) again."""
    forget_schemas()
    caches["replicate"].clear()
    registry.forget()
