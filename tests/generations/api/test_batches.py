"""/api/batches/: JSON and CSV submissions, row errors before anything starts, the size
limit, items waiting their turn under the active cap, cancel, and the streamed ZIP."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from generations import batches, services
from generations.models import Batch, BatchItem, Status, VideoGeneration
from generations.orchestration import jobs
from tests.factories import PROMPT, finish

HEADER = "prompt,duration,aspect_ratio,narration,voice,seed\n"


def csv_rows(count: int, bad: dict[int, str] | None = None) -> str:
    lines = [f"{PROMPT} number {n},5,16:9,false,,{n}\n" for n in range(1, count + 1)]
    for row, line in (bad or {}).items():
        lines[row - 1] = line
    return HEADER + "".join(lines)


def post_csv(client, text: str):
    return client.generic("POST", "/api/batches/", text.encode(), content_type="text/csv")


def test_a_json_batch_starts_every_item_and_answers_201_with_its_id(alice, alice_api):
    items = [{"prompt": f"{PROMPT} {n}", "duration": 5, "narration": False} for n in range(3)]
    items[1]["aspect_ratio"] = "9:16"
    response = alice_api.post("/api/batches/", {"items": items}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    batch = Batch.objects.get(id=body["id"])
    assert batch.user == alice and body["totals"]["queued"] == 3
    assert [item["row"] for item in body["items"]] == [1, 2, 3]
    generations = [VideoGeneration.objects.get(id=item["video_id"]) for item in body["items"]]
    assert [g.aspect_ratio for g in generations] == ["16:9", "9:16", "16:9"]
    assert all(g.user == alice and g.duration == 5 and not g.request["narration"] for g in generations)
    assert alice_api.get(f"/api/batches/{batch.id}/").json()["items"][1]["status"] == "queued"


def test_a_csv_batch_takes_typed_cells_and_defaults_for_empty_ones(alice, alice_api):
    text = (
        "prompt,duration,review,speech_rate,subtitle_style,assets\n"
        f'{PROMPT},10,yes,1.5,"{{""mode"": ""words""}}",http://93.184.215.14/cat.png\n'
        f"{PROMPT} again,,,,,\n"
    )
    response = post_csv(alice_api, text)
    assert response.status_code == 201, response.json()
    first, second = (VideoGeneration.objects.get(id=i["video_id"]) for i in response.json()["items"])
    assert (first.duration, first.review, first.request["speech_rate"]) == (10, True, 1.5)
    assert first.request["subtitle_style"] == {"mode": "words"}
    assert first.uploaded_assets == [{"type": "image", "url": "http://93.184.215.14/cat.png"}]
    assert (second.duration, second.review, second.request["speech_rate"]) == (30, False, 1.0)


def test_bad_rows_are_listed_by_number_and_nothing_is_created(alice, alice_api):
    text = csv_rows(
        12,
        bad={
            4: "too short,5,16:9,false,,4\n",
            7: f"{PROMPT},700,16:9,false,,7\n",
            11: f"{PROMPT},5,4:3,maybe,,11\n",
        },
    )
    response = post_csv(alice_api, text)
    assert response.status_code == 400
    body = response.json()
    assert [error["row"] for error in body["rows"]] == [4, 7, 11]
    assert "prompt" in body["rows"][0]["errors"] and "duration" in body["rows"][1]["errors"]
    assert {"aspect_ratio", "narration"} <= set(body["rows"][2]["errors"])
    assert "4, 7, 11" in body["detail"]
    assert not Batch.objects.exists() and not VideoGeneration.objects.exists()


def test_a_json_batch_reports_bad_items_the_same_way(alice, alice_api):
    items = [{"prompt": PROMPT}, "not an object", {"prompt": PROMPT, "durration": 5}]
    response = alice_api.post("/api/batches/", {"items": items}, format="json")
    assert response.status_code == 400
    assert [(e["row"], sorted(e["errors"])) for e in response.json()["rows"]] == [
        (2, ["row"]),
        (3, ["durration"]),
    ]
    assert not VideoGeneration.objects.exists()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("prompt,colour\nhello there world,red\n", "Unknown column(s) 'colour'"),
        ("duration\n5\n", "prompt column"),
        ("prompt\n", "no items"),
    ],
)
def test_a_csv_that_cannot_be_read_says_why(alice_api, text, says):
    response = post_csv(alice_api, text)
    assert response.status_code == 400 and says in response.json()["detail"]


def test_a_thousand_rows_are_refused_unless_the_limit_is_raised(alice_api, settings):
    response = post_csv(alice_api, csv_rows(1000))
    assert response.status_code == 400
    assert response.json()["detail"].startswith("A batch holds at most 500 items and this one has 1000.")
    assert not VideoGeneration.objects.exists()
    settings.BATCH_MAX_ITEMS = 1000
    response = post_csv(alice_api, csv_rows(1000))
    assert response.status_code == 201
    assert BatchItem.objects.count() == 1000
    # Only as many start as the active cap allows; the rest wait their turn.
    assert VideoGeneration.objects.count() == settings.MAX_ACTIVE_GENERATIONS_PER_USER


def test_items_wait_their_turn_under_the_active_cap(
    alice, alice_api, settings, queue, django_capture_on_commit_callbacks
):
    settings.MAX_ACTIVE_GENERATIONS_PER_USER = 2
    response = post_csv(alice_api, csv_rows(5))
    assert response.status_code == 201
    batch = Batch.objects.get()
    items = response.json()["items"]
    assert [item["video_id"] is not None for item in items] == [True, True, False, False, False]
    assert [item["status"] for item in items] == ["queued"] * 5
    # One of the two running ends: the release job is queued, and it starts the next row.
    with django_capture_on_commit_callbacks(execute=True):
        services.generation_cancel(video_id=items[0]["video_id"])
    assert queue.fetch_job(f"batch-release-{alice.id}") is not None
    batches.batch_release_for_user(user_id=alice.id)
    started = [item["video_id"] for item in alice_api.get(f"/api/batches/{batch.id}/").json()["items"]]
    assert [video_id is not None for video_id in started] == [True, True, True, False, False]
    assert batches.batch_release(batch_id=batch.id) == [], "no slot is free: nothing more starts"


def test_cancel_stops_running_items_and_waiting_ones_never_start(alice, alice_api, settings):
    settings.MAX_ACTIVE_GENERATIONS_PER_USER = 2
    batch_id = post_csv(alice_api, csv_rows(4)).json()["id"]
    response = alice_api.post(f"/api/batches/{batch_id}/cancel/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "canceled" and body["totals"]["canceled"] == 4
    assert set(VideoGeneration.objects.values_list("status", flat=True)) == {Status.CANCELED}
    assert batches.batch_release(batch_id=batch_id) == []
    assert BatchItem.objects.filter(generation=None).count() == 2


def test_retry_puts_failed_items_back_in_line(alice, alice_api):
    body = post_csv(alice_api, csv_rows(3)).json()
    failed, done = body["items"][0]["video_id"], body["items"][1]["video_id"]
    services.generation_fail(video_id=failed, message="Phase 3 (references) failed: answered HTTP 404")
    finish(VideoGeneration.objects.get(id=done))
    item = alice_api.get(f"/api/batches/{body['id']}/").json()["items"][0]
    assert item["status"] == "failed"
    assert item["error"] == {"phase": None, "reason": "Phase 3 (references) failed: answered HTTP 404"}
    response = alice_api.post(f"/api/batches/{body['id']}/retry/")
    assert response.status_code == 200
    assert response.json()["items"][0]["status"] == "queued" and response.json()["totals"]["done"] == 1
    retried = VideoGeneration.objects.get(id=failed)
    assert retried.status == Status.QUEUED and retried.attempts == 2


def test_another_users_batch_is_not_found(alice_api, bob_api):
    batch_id = post_csv(alice_api, csv_rows(1)).json()["id"]
    assert bob_api.get(f"/api/batches/{batch_id}/").status_code == 404
    assert bob_api.post(f"/api/batches/{batch_id}/cancel/").status_code == 404
    assert bob_api.get(f"/api/batches/{batch_id}/download/").status_code == 404
    assert bob_api.get("/api/batches/").json()["results"] == []


def test_the_zip_streams_every_finished_video_and_only_those(alice, alice_api):
    body = post_csv(alice_api, csv_rows(3)).json()
    contents = {}
    for item in body["items"][:2]:
        generation = VideoGeneration.objects.get(id=item["video_id"])
        # 3 MB each: several chunks per file, so the archive leaves as it is made.
        contents[generation.id] = bytes(range(256)) * 12_000
        generation.final_video_url = default_storage.save(
            f"final/{generation.id}/video.mp4", ContentFile(contents[generation.id])
        )
        generation.save(update_fields=["final_video_url"])
        finish(generation)
    response = alice_api.get(f"/api/batches/{body['id']}/download/")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/zip"
    assert f'filename="batch-{body["id"]}.zip"' in response["Content-Disposition"]
    chunks = list(response.streaming_content)
    assert len(chunks) > 4 and max(len(chunk) for chunk in chunks) < 2 * 1024 * 1024
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    names = archive.namelist()
    assert len(names) == 2 and names[0].startswith("001-") and names[1].startswith("002-")
    for name in names:
        video_id = name.rsplit("-", 1)[1].removesuffix(".mp4")
        assert archive.read(name) == contents[video_id]


def test_items_the_start_rate_put_off_wait_and_the_periodic_release_starts_them(alice_api, settings):
    settings.MAX_ACTIVE_GENERATIONS_PER_USER = 0
    settings.GENERATE_RATE = "2/hour"
    body = post_csv(alice_api, csv_rows(4)).json()
    assert [item["video_id"] is not None for item in body["items"]] == [True, True, False, False]
    assert BatchItem.objects.filter(state=BatchItem.State.WAITING).count() == 2
    settings.GENERATE_RATE = "10/hour"
    jobs.release_all_batches()  # what the cron job runs every minute
    items = alice_api.get(f"/api/batches/{body['id']}/").json()["items"]
    assert all(item["video_id"] is not None for item in items)
    assert VideoGeneration.objects.count() == 4
