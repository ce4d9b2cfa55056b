"""Webhooks, received by a real HTTP server on 127.0.0.1 and delivered through the real
paths: the cancel endpoint, the pipeline's failure, and a real RQ worker with retries."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import standardwebhooks.webhooks
from django.contrib.auth import get_user_model
from rq import SimpleWorker
from standardwebhooks import Webhook, WebhookVerificationError

from generations import services
from generations.models import Status, WebhookDelivery
from generations.orchestration import dispatch, webhooks
from generations.webhook_secrets import webhook_secret_rotate
from phases.request import GenerationRequest
from tests.conftest import PROJECT_DIR
from tests.factories import PROMPT, walk_to
from toolbox import ssrf


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    # Status codes to answer, in order; 200 once they run out.
    answers: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append(Received(headers=dict(self.headers), body=body))
            self.send_response(state.answers.pop(0) if state.answers else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/hooks/videogen"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def local_receivers_allowed(settings) -> None:
    settings.ALLOW_PRIVATE_URLS = True


@pytest.fixture
def webhook_queue(queue, settings):
    """The queue deliveries go to (the `queue` fixture empties the Redis database it shares)."""
    return dispatch.get_queue(settings.WEBHOOK_QUEUE)


def test_canceling_posts_the_signed_video_response_to_the_webhook(
    alice, alice_api, receiver, local_receivers_allowed, work_queue
):
    secret = alice_api.post("/api/webhook-secret/").json()["secret"]
    created = alice_api.post("/generate", {"prompt": PROMPT, "webhook_url": receiver.url}, format="json")
    video_id = created.json()["video_id"]
    assert alice_api.post(f"/api/generations/{video_id}/cancel/").status_code == 200
    work_queue()

    [delivery] = receiver.received
    # Verified with the Standard Webhooks reference implementation and the user's secret.
    assert Webhook(secret).verify(delivery.body, delivery.headers)["status"] == "canceled"
    assert delivery.headers["webhook-id"] == f"{video_id}-1-canceled"
    assert delivery.headers["Content-Type"] == "application/json"
    assert delivery.headers["X-Videogen-Event"] == "canceled"
    payload = json.loads(delivery.body)
    assert payload == alice_api.get(f"/video/{video_id}").json()
    assert payload["status"] == "canceled"
    record = WebhookDelivery.objects.get()
    assert (record.event, record.attempt, record.status_code, record.ok) == ("canceled", 1, 200, True)
    assert record.payload == payload


def test_a_failure_in_the_pipeline_posts_the_webhook(
    alice, receiver, local_receivers_allowed, queue, work_queue
):
    generation = services.generation_create(
        user=alice, request=GenerationRequest(prompt=PROMPT, webhook_url=receiver.url)
    )
    queue.empty()  # the pipeline itself is not under test here
    walk_to(generation, "generating_chunks")
    services.generation_fail(video_id=generation.id, message="Phase 4 (chunks) failed: boom")
    work_queue()
    [delivery] = receiver.received
    assert delivery.headers["X-Videogen-Event"] == "failed"
    assert json.loads(delivery.body)["status"] == "failed"


def test_a_generation_without_a_webhook_enqueues_no_delivery(alice, queue, work_queue):
    generation = services.generation_create(user=alice, request=GenerationRequest(prompt=PROMPT))
    services.generation_cancel(video_id=generation.id)
    assert not [job_id for job_id in queue.get_job_ids() if job_id.startswith("webhook-")]


def test_a_worker_retries_a_refused_delivery_and_records_each_attempt(
    alice,
    receiver,
    local_receivers_allowed,
    queue,
    webhook_queue,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.WEBHOOK_RETRY_INTERVALS = [0]  # retry at once, so one burst sees both attempts
    receiver.answers = [503]
    generation = services.generation_create(
        user=alice, request=GenerationRequest(prompt=PROMPT, webhook_url=receiver.url)
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.generation_cancel(video_id=generation.id)
    # Not on the pipeline's queue: a worker of the pipeline never waits on a receiver.
    assert f"webhook-{generation.id}-1-canceled" not in queue.get_job_ids()
    assert webhook_queue.get_job_ids() == [f"webhook-{generation.id}-1-canceled"]
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    assert receiver.received == []

    SimpleWorker([webhook_queue], connection=webhook_queue.connection).work(burst=True)

    assert len(receiver.received) == 2
    assert receiver.received[0].headers["webhook-id"] == receiver.received[1].headers["webhook-id"]
    attempts = list(WebhookDelivery.objects.values_list("attempt", "status_code", "ok", "error"))
    assert attempts == [(1, 503, False, "the receiver answered HTTP 503"), (2, 200, True, "")]


def test_a_receiver_that_never_answers_is_recorded_and_retried(
    alice, local_receivers_allowed, webhook_queue, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_INTERVALS = [60]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    generation = services.generation_create(
        user=alice,
        request=GenerationRequest(prompt=PROMPT, webhook_url=f"http://127.0.0.1:{closed_port}/hooks"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.generation_cancel(video_id=generation.id)
    SimpleWorker([webhook_queue], connection=webhook_queue.connection).work(burst=True)
    record = WebhookDelivery.objects.get()
    assert (record.ok, record.status_code) == (False, None)
    assert record.error.startswith("ConnectError")
    assert webhook_queue.scheduled_job_registry.get_job_ids() == [f"webhook-{generation.id}-1-canceled"]


def test_a_receiver_that_became_private_is_refused_at_delivery_and_not_retried(
    alice, receiver, settings, queue, work_queue
):
    # Accepted while private URLs were allowed; the installation has since forbidden them.
    settings.ALLOW_PRIVATE_URLS = True
    generation = services.generation_create(
        user=alice, request=GenerationRequest(prompt=PROMPT, webhook_url=receiver.url)
    )
    services.generation_cancel(video_id=generation.id)
    settings.ALLOW_PRIVATE_URLS = False
    work_queue()
    assert queue.scheduled_job_registry.get_job_ids() == []
    assert receiver.received == []
    record = WebhookDelivery.objects.get()
    assert record.error == "refused: the URL host '127.0.0.1' is not a public internet address"


def test_a_notification_for_a_state_that_has_passed_is_not_sent(alice, receiver, local_receivers_allowed):
    generation = services.generation_create(
        user=alice, request=GenerationRequest(prompt=PROMPT, webhook_url=receiver.url)
    )
    services.generation_cancel(video_id=generation.id)
    services.generation_retry(video_id=generation.id)
    webhooks.deliver(generation.id, "canceled", 1)
    assert receiver.received == []
    assert not WebhookDelivery.objects.exists()


def test_delivery_connects_to_the_address_it_checked_and_keeps_the_name_in_host(
    alice, receiver, monkeypatch, work_queue
):
    # DNS is faked (a public name answering with this machine's address, taken as public)
    # to see that the request goes to the checked address, not to a second lookup.
    lookups: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(ssrf.socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(ssrf, "is_public", lambda address: True)
    port = receiver.url.split(":")[2].split("/")[0]
    generation = services.generation_create(
        user=alice,
        request=GenerationRequest(prompt=PROMPT, webhook_url=f"http://hooks.example.com:{port}/in"),
    )
    services.generation_cancel(video_id=generation.id)
    work_queue()
    [delivery] = receiver.received
    assert delivery.headers["Host"] == f"hooks.example.com:{port}"
    # Resolved once, when checked; the connection itself used the address.
    assert lookups.count("hooks.example.com") == 1


def test_a_completed_pipeline_posts_the_finished_video(
    alice, receiver, local_receivers_allowed, settings, work_queue
):
    settings.PUBLIC_BASE_URL = "https://videogen.example.com"
    generation = services.generation_create(
        user=alice,
        request=GenerationRequest(
            prompt=PROMPT, duration=5, aspect_ratio="1:1", resolution="240p", webhook_url=receiver.url
        ),
    )
    work_queue()
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETE, generation.error_message
    [delivery] = receiver.received
    payload = json.loads(delivery.body)
    assert delivery.headers["X-Videogen-Event"] == "complete"
    assert payload["status"] == "complete"
    assert payload["final_video_url"] == (
        f"https://videogen.example.com{settings.MEDIA_URL}{generation.final_video_url}"
    )
    assert payload["spec"]["duration"] == 5


def test_operators_see_deliveries_in_the_admin(
    delivered_to, alice, staff, receiver, local_receivers_allowed, client, work_queue
):
    generation = services.generation_create(
        user=alice, request=GenerationRequest(prompt=PROMPT, webhook_url=receiver.url)
    )
    services.generation_cancel(video_id=generation.id)
    work_queue()
    client.force_login(staff)
    listing = client.get("/admin/generations/webhookdelivery/")
    assert listing.status_code == 200
    assert generation.id in listing.content.decode()
    page = client.get(f"/admin/generations/videogeneration/{generation.id}/change/")
    assert "Webhook deliveries" in page.content.decode()


@pytest.fixture
def delivered_to(work_queue):
    """Make a generation of `user` whose webhook is `receiver`, cancel it, deliver the news."""

    def deliver(user, receiver) -> tuple[bytes, dict[str, str]]:
        generation = services.generation_create(
            user=user, request=GenerationRequest(prompt=PROMPT, webhook_url=receiver.url)
        )
        services.generation_cancel(video_id=generation.id)
        work_queue()
        delivery = receiver.received[-1]
        return delivery.body, delivery.headers

    return deliver


def test_a_delivery_fails_verification_with_another_users_secret(
    delivered_to, alice, bob, receiver, local_receivers_allowed
):
    alices = webhook_secret_rotate(user=alice).secret
    bobs = webhook_secret_rotate(user=bob).secret
    body, headers = delivered_to(alice, receiver)
    assert Webhook(alices).verify(body, headers)["status"] == "canceled"
    with pytest.raises(WebhookVerificationError):
        Webhook(bobs).verify(body, headers)
    # Bob's own deliveries verify with his secret only.
    body, headers = delivered_to(bob, receiver)
    Webhook(bobs).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(alices).verify(body, headers)


def test_a_captured_delivery_fails_verification_once_outside_the_tolerance(
    delivered_to, alice, receiver, local_receivers_allowed, monkeypatch
):
    secret = webhook_secret_rotate(user=alice).secret
    body, headers = delivered_to(alice, receiver)
    Webhook(secret).verify(body, headers)

    class SixMinutesLater(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.now(tz) + timedelta(minutes=6)

    # The receiver's clock moves on; the timestamp is signed, so it cannot be refreshed.
    monkeypatch.setattr(standardwebhooks.webhooks, "datetime", SixMinutesLater)
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(body, headers)
    fresh = {**headers, "webhook-timestamp": str(int(SixMinutesLater.now().timestamp()))}
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(secret).verify(body, fresh)


def test_rotating_the_secret_signs_later_deliveries_with_the_new_one(
    delivered_to, alice, receiver, local_receivers_allowed
):
    old = webhook_secret_rotate(user=alice).secret
    new = webhook_secret_rotate(user=alice).secret
    assert old != new and new.startswith("whsec_")
    body, headers = delivered_to(alice, receiver)
    Webhook(new).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(body, headers)


def test_the_api_shows_the_secret_once_and_only_its_date_after(alice_api):
    assert alice_api.get("/api/webhook-secret/").json() == {"exists": False, "created_at": None}
    made = alice_api.post("/api/webhook-secret/")
    assert made.status_code == 201
    assert made["Cache-Control"] == "no-store"
    assert made.json()["secret"].startswith("whsec_")
    state = alice_api.get("/api/webhook-secret/").json()
    assert state == {"exists": True, "created_at": made.json()["created_at"]}


def test_the_page_shows_a_new_secret_once(alice, client):
    client.force_login(alice)
    assert "You have no secret yet" in client.get("/account/webhooks/").content.decode()
    page = client.post("/account/webhooks/").content.decode()
    secret = get_user_model().objects.get(pk=alice.pk).webhook_secret.secret
    assert secret in page
    again = client.get("/account/webhooks/").content.decode()
    assert secret not in again and "You have a secret" in again


def test_the_verification_snippet_in_the_docs_accepts_a_delivery_and_refuses_a_forgery(
    delivered_to, alice, bob, receiver, local_receivers_allowed
):
    docs = (PROJECT_DIR / "docs" / "api.md").read_text()
    snippet = next(block for block in docs.split("```python")[1:] if "def verify(" in block)
    namespace: dict[str, object] = {}
    exec(snippet.split("```")[0], namespace)
    verify = namespace["verify"]
    secret = webhook_secret_rotate(user=alice).secret
    body, headers = delivered_to(alice, receiver)
    assert verify(body, headers, secret)
    assert not verify(body, headers, webhook_secret_rotate(user=bob).secret)
    assert not verify(body.replace(b"canceled", b"complete"), headers, secret)
