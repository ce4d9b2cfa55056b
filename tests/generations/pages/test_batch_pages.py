"""The batch pages: upload a CSV, the same row errors as the API, the table, the actions;
and `manage.py generate --batch FILE.csv`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from generations import services
from generations.models import Batch, VideoGeneration
from tests.generations.api.test_batches import csv_rows


def upload(client, text: str):
    return client.post("/batches/", {"csv_file": SimpleUploadedFile("videos.csv", text.encode(), "text/csv")})


def test_an_uploaded_csv_starts_a_batch_and_its_page_shows_the_table(client, alice):
    client.force_login(alice)
    response = upload(client, csv_rows(3))
    batch = Batch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/batches/{batch.id}/"
    page = client.get(response["Location"]).content.decode()
    assert page.count('<tr data-row="') == 3
    assert f'hx-get="/batches/{batch.id}/table/"' in page, "the table is polled while the batch runs"
    assert f'href="/api/batches/{batch.id}/download/"' in page
    assert 'data-total="queued">3<' in page
    assert "Batch of 3" in client.get("/batches/").content.decode()


def test_bad_rows_are_listed_on_the_page_and_nothing_starts(client, alice):
    client.force_login(alice)
    response = upload(
        client, csv_rows(5, bad={2: "short,5,16:9,false,,2\n", 5: "A fine prompt here,0,16:9,no,,5\n"})
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Row 2: prompt:" in page and "Row 5: duration:" in page and "Row 1:" not in page
    assert not Batch.objects.exists() and not VideoGeneration.objects.exists()


def test_the_actions_cancel_and_retry_and_others_see_nothing(client, alice, bob):
    client.force_login(alice)
    upload(client, csv_rows(2))
    batch = Batch.objects.get()
    first = batch.items.get(row=1).generation
    services.generation_fail(video_id=first.id, message="Phase 1 (plan) failed: no voice")
    page = client.get(f"/batches/{batch.id}/table/").content.decode()
    assert (
        "<strong>plan</strong> Phase 1 (plan) failed: no voice" in page
        or "Phase 1 (plan) failed: no voice" in page
    )
    client.post(f"/batches/{batch.id}/retry/")
    assert VideoGeneration.objects.get(id=first.id).attempts == 2
    client.post(f"/batches/{batch.id}/cancel/")
    assert set(VideoGeneration.objects.values_list("status", flat=True)) == {"canceled"}
    client.force_login(bob)
    assert client.get(f"/batches/{batch.id}/").status_code == 404
    assert client.post(f"/batches/{batch.id}/cancel/").status_code == 404


@pytest.mark.django_db
def test_generate_batch_checks_every_row_then_queues_them(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(csv_rows(3), encoding="utf-8")
    out = StringIO()
    call_command("generate", "--batch", str(good), stdout=out)
    batch = Batch.objects.get()
    assert f"batch {batch.id}: 3 videos queued" in out.getvalue()
    assert VideoGeneration.objects.filter(user=None).count() == 3
    bad = tmp_path / "bad.csv"
    bad.write_text(csv_rows(4, bad={3: "tiny,5,16:9,false,,3\n"}), encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError, match="1 bad row"):
        call_command("generate", "--batch", str(bad), stderr=err)
    assert err.getvalue().startswith("row 3: prompt:")
    assert Batch.objects.count() == 1
