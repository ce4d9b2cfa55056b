"""A local stand-in for Replicate and OpenAI, over real HTTP on 127.0.0.1.

`FakeServices` speaks enough of Replicate's predictions API and OpenAI's chat completions and
speech for the official `replicate` and `openai` clients to run unchanged against it; its outputs are
real PNG, MP4 and WAV files made when it starts. Tests script it: what each kind of model
does next (succeed, fail with a message, never finish) and faults on any route (429 with
Retry-After, 500, malformed JSON, a hung answer).
"""

from __future__ import annotations

import email.policy
import json
import math
import struct
import threading
import time
import wave
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
from django.core.cache import caches
from PIL import Image, ImageDraw

from media.run import run_ffmpeg
from providers import registry
from providers.replicate.schemas import forget_schemas
from tests.phases.spec_factory import make_spec
from tests.providers.replicate_models import CATALOG, CatalogModel

REPLICATE_TOKEN = "r8_fake_token"
OPENAI_KEY = "sk-fake-key"
VARIANTS = 4
# Model outputs at the models' own sizes, so the adapters' fitting is exercised.
IMAGE_SIZE = (1344, 768)
CLIP_SIZE = (640, 360)
MUSIC_RATE, MUSIC_SECONDS = 32000, 8
COLOURS = [(200, 40, 40), (40, 160, 60), (40, 70, 200), (220, 200, 40)]


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


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        fake = self.server.fake
        path = self.path.split("?", 1)[0]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        with fake.lock:
            fake.requests.append((method, path))
        fault = fake.take_fault(method, path)
        if fault is not None:
            time.sleep(fault.delay)
            self._send(fault.status, fault.body, fault.headers)
            return
        try:
            route = self._route(method, path)
        except KeyError:
            self._json(404, {"detail": "Not found", "status": 404})
            return
        multipart = self.headers.get("Content-Type", "").startswith("multipart/")
        try:
            route({"multipart": raw} if multipart else json.loads(raw) if raw else {})
        except Exception as exc:  # a bug in this fake: answer it, rather than drop the connection
            self._json(500, {"detail": f"fake server error: {exc!r}", "status": 500})

    def _route(self, method: str, path: str) -> Callable[[dict[str, Any]], None]:
        parts = path.strip("/").split("/")
        if path.startswith("/files/") and method == "GET":
            return lambda body: self._file(parts[-1])
        if not self._authorized(path):
            return lambda body: self._unauthorized(path)
        if (method, path) == ("POST", "/v1/chat/completions"):
            return self._chat
        if (method, path) == ("POST", "/v1/audio/speech"):
            return self._speech
        if (method, path) == ("POST", "/v1/files"):
            return lambda body: self._upload(body["multipart"])
        if (method, path) == ("POST", "/v1/predictions"):
            return lambda body: self._create(body.get("version", ""), body)
        if (
            method == "POST"
            and len(parts) == 5
            and parts[:2] == ["v1", "models"]
            and parts[4] == "predictions"
        ):
            return lambda body: self._create(f"{parts[2]}/{parts[3]}", body)
        if method == "GET" and parts[:2] == ["v1", "models"] and len(parts) in (4, 6):
            return lambda body: self._model(f"{parts[2]}/{parts[3]}", parts[5] if len(parts) == 6 else None)
        if method == "GET" and len(parts) == 3 and parts[:2] == ["v1", "predictions"]:
            return lambda body: self._get(parts[2])
        if (
            method == "POST"
            and len(parts) == 4
            and parts[:2] == ["v1", "predictions"]
            and parts[3] == "cancel"
        ):
            return lambda body: self._cancel(parts[2])
        raise KeyError(path)

    def _authorized(self, path: str) -> bool:
        key = OPENAI_KEY if path.startswith(("/v1/chat", "/v1/audio")) else REPLICATE_TOKEN
        return self.headers.get("Authorization") == f"Bearer {key}"

    def _unauthorized(self, path: str) -> None:
        if path.startswith(("/v1/chat", "/v1/audio")):
            error = {
                "message": "Incorrect API key provided",
                "type": "invalid_request_error",
                "code": "invalid_api_key",
            }
            self._json(401, {"error": error})
        else:
            self._json(
                401,
                {
                    "title": "Unauthenticated",
                    "detail": "You did not pass a valid authentication token",
                    "status": 401,
                },
            )

    def _create(self, key: str, body: dict[str, Any]) -> None:
        fake = self.server.fake
        if key not in fake.models:
            self._json(
                422, {"title": "Invalid version", "detail": "Invalid version or not permitted", "status": 422}
            )
            return
        self._json(201, _public(fake.create_prediction(key, body)))

    def _upload(self, raw: bytes) -> None:
        """A file sent to be passed as an input, as Replicate's files API answers it."""
        fake = self.server.fake
        head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
        message = BytesParser(policy=email.policy.default).parsebytes(head + raw)
        part = next(
            p for p in message.iter_parts() if p.get_param("name", header="content-disposition") == "content"
        )
        with fake.lock:
            file_id = f"file{len(fake.uploads) + 1:04d}"
            url = f"{fake.base_url}/v1/files/{file_id}"
            fake.uploads[url] = part.get_payload(decode=True)
        self._json(
            201,
            {
                "id": file_id,
                "name": part.get_filename(),
                "content_type": part.get_content_type(),
                "size": len(fake.uploads[url]),
                "etag": file_id,
                "checksums": {},
                "metadata": {},
                "created_at": "2026-01-01T00:00:00.000Z",
                "expires_at": "2026-01-02T00:00:00.000Z",
                "urls": {"get": url},
            },
        )

    def _model(self, name: str, version: str | None) -> None:
        """A model and its latest version, or one version of it, with the version's schema."""
        fake = self.server.fake
        with fake.lock:
            fake.schema_requests.append(name)
        model = fake.model_named(name)
        if model is None or (version is not None and version != model.version):
            self._json(404, {"detail": "Not found", "status": 404})
            return
        found = {
            "id": model.version,
            "created_at": "2025-06-01T00:00:00.000000Z",
            "cog_version": "0.14.0",
            "openapi_schema": model.spec.openapi(),
        }
        if version is not None:
            self._json(200, found)
            return
        owner, short = name.split("/")
        self._json(
            200,
            {
                "url": f"https://replicate.com/{name}",
                "owner": owner,
                "name": short,
                "description": f"{name}, as the fake serves it",
                "visibility": "public",
                "github_url": None,
                "paper_url": None,
                "license_url": None,
                "run_count": 1000,
                "cover_image_url": None,
                "default_example": None,
                "latest_version": found,
            },
        )

    def _get(self, prediction_id: str) -> None:
        prediction = self.server.fake.predictions.get(prediction_id)
        if prediction is None:
            self._json(404, {"detail": "Not found", "status": 404})
            return
        self.server.fake.advance(prediction)
        self._json(200, _public(prediction))

    def _cancel(self, prediction_id: str) -> None:
        fake = self.server.fake
        prediction = fake.predictions[prediction_id]
        with fake.lock:
            fake.canceled.append(prediction_id)
            if prediction["status"] in ("starting", "processing"):
                prediction["status"] = "canceled"
        self._json(200, _public(prediction))

    def _file(self, name: str) -> None:
        path = self.server.fake.assets / name
        if not path.is_file():
            self._json(404, {"detail": "Not found"})
            return
        types = {".png": "image/png", ".mp4": "video/mp4", ".wav": "audio/wav"}
        self._send(200, path.read_bytes(), {"Content-Type": types[path.suffix]})

    def _chat(self, body: dict[str, Any]) -> None:
        fake = self.server.fake
        with fake.lock:
            fake.chat_requests.append(body)
        reply = fake.chat_reply(body)
        prompt_tokens = sum(len(m["content"]) for m in body["messages"]) // 4
        completion_tokens = len(reply["content"]) // 4
        self._json(
            200,
            {
                "id": f"chatcmpl-{len(fake.chat_requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": reply["content"]},
                        "finish_reason": reply["finish_reason"],
                        "logprobs": None,
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            },
        )

    def _speech(self, body: dict[str, Any]) -> None:
        fake = self.server.fake
        with fake.lock:
            fake.speech_requests.append(body)
        self._send(200, speech_wav(body["input"], body.get("speed", 1.0)), {"Content-Type": "audio/wav"})

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode(), {"Content-Type": "application/json"})

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        try:
            self.send_response(status)
            headers = {"Content-Type": "application/json", **headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a hung-server test)


def speech_wav(text: str, speed: float) -> bytes:
    """Speech-like audio the way the OpenAI endpoint sends it (24 kHz mono 16-bit WAV, with
    the unknown-length header of a streamed response): a voiced buzz per word, gaps between."""
    rate, words = 24000, max(len(text.split()), 1)
    word, gap = int(0.25 * rate / speed), int(0.08 * rate / speed)
    t = np.arange(word) / rate
    syllable = np.sin(2 * math.pi * 140 * t) * np.sin(math.pi * t / t[-1]) * 0.6
    samples = np.concatenate([np.concatenate([syllable, np.zeros(gap)]) for _ in range(words)])
    pcm = (samples * 32767).astype("<i2").tobytes()
    # RIFF and data sizes of 0xFFFFFFFF: the length was not known when the header was sent.
    header = b"RIFF" + struct.pack("<I", 0xFFFFFFFF) + b"WAVEfmt "
    header += struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    header += b"data" + struct.pack("<I", 0xFFFFFFFF)
    return header + pcm


def _public(prediction: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in prediction.items() if not key.startswith("_")}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeServices


def clip_length(spec: CatalogModel, inputs: dict[str, Any]) -> tuple[float, int]:
    """Seconds and frame rate of the clip a video model makes for `inputs`, as the model
    would: from its frame count and rate, or its duration, else its one clip length."""
    fps = int(inputs.get(spec.fps_input, spec.fps)) if spec.fps_input else spec.fps
    if spec.frames_input and spec.frames_input in inputs:
        return int(inputs[spec.frames_input]) / fps, fps
    if spec.seconds_input and spec.seconds_input in inputs:
        return float(inputs[spec.seconds_input]), fps
    return spec.clip_seconds, fps


def make_clip(folder: Path, variant: int, seconds: float, fps: int) -> str:
    """A clip of `variant`'s colour with a moving box, made once per length and rate."""
    name = f"clip-{variant}-{seconds:.3f}s-{fps}fps.mp4"
    if not (folder / name).exists():
        colour = COLOURS[variant]
        width, height = CLIP_SIZE
        partial = folder / f".{name}"
        run_ffmpeg(
            [
                *["-f", "lavfi", "-i", f"color=c=0x{bytes(colour).hex()}:s={width}x{height}:r={fps}"],
                *["-vf", f"drawbox=x='mod(t*300,{width})':y=200:w=160:h=160:color=white:t=fill"],
                *["-t", f"{seconds:.3f}", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"],
                *["-f", "mp4", str(partial)],
            ],
            timeout=60,
        )
        partial.replace(folder / name)
    return name


def make_assets(folder: Path) -> None:
    """The files the fake models hand out: distinct images and a loud WAV (clips are made
    on demand, as long as each request asks)."""
    folder.mkdir(parents=True, exist_ok=True)
    for variant, colour in enumerate(COLOURS):
        image = Image.new("RGB", IMAGE_SIZE, colour)
        draw = ImageDraw.Draw(image)
        draw.ellipse((400, 150, 944, 618), fill=tuple(255 - c for c in colour))
        image.save(folder / f"image-{variant}.png")
    t = np.arange(MUSIC_RATE * MUSIC_SECONDS) / MUSIC_RATE
    chord = sum(np.sin(2 * math.pi * f * t) for f in (220.0, 277.2, 329.6)) / 3
    samples = (0.5 * chord * 32767).astype("<i2")
    with wave.open(str(folder / "music.wav"), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(MUSIC_RATE)
        out.writeframes(np.repeat(samples, 2).tobytes())


@contextmanager
def running_fake_services(assets: Path) -> Iterator[FakeServices]:
    make_assets(assets)
    fake = FakeServices(assets=assets)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.fake = fake
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


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
