"""The HTTP side of the fake Replicate and OpenAI services: the routes the official clients
call, on a real server on 127.0.0.1; `FakeServices` decides what each answers."""

from __future__ import annotations

import email.policy
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.providers.fake_outputs import make_assets, speech_wav
from tests.providers.fake_services import OPENAI_KEY, REPLICATE_TOKEN, FakeServices


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


def _public(prediction: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in prediction.items() if not key.startswith("_")}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeServices


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
