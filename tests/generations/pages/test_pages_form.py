"""The new-video form: validation messages next to the fields, reference uploads stored
re-encoded under the generation's references folder, and the job on the real queue."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from generations.models import VideoGeneration
from phases.request import MAX_ASSETS

# Each test stores its files in a folder of its own.
pytestmark = pytest.mark.usefixtures("media_root")

PROMPT = "A paper boat drifting down a rainy street, then out to a calm sea."


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def image_file(name: str = "ref.png", size=(64, 48), mode="RGBA", fmt="PNG") -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new(mode, size, "red" if mode != "1" else 0).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def submit(client, **fields):
    data = {"prompt": PROMPT, "duration": "5", "aspect_ratio": "16:9", "template": ""} | fields
    return client.post(reverse("home"), data)


def field_errors(response, field: str) -> list[str]:
    return response.context["form"].errors.get(field, [])


def test_submitting_makes_a_generation_queues_it_and_opens_its_page(
    alice_client, alice, queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(
            alice_client, aspect_ratio="9:16", template="noir", duration="10", resolution="480p"
        )
    generation = VideoGeneration.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("generation-detail", args=[generation.id])
    assert (generation.user, generation.prompt, generation.duration) == (alice, PROMPT, 10)
    assert (generation.aspect_ratio, generation.template) == ("9:16", "noir")
    assert generation.request["resolution"] == "480p"
    assert queue.fetch_job(f"vg-{generation.id}-plan-1") is not None


@pytest.mark.parametrize(
    ("prompt", "message"),
    [
        ("", "Describe the video you want."),
        ("too short", "Write at least 10 characters (this has 9)."),
        ("   padded   ", "Write at least 10 characters (this has 6)."),
        ("x" * 1001, "Keep it to 1000 characters (this has 1001)."),
    ],
)
def test_a_bad_prompt_is_explained_next_to_the_field(alice_client, prompt, message):
    response = submit(alice_client, prompt=prompt)
    assert response.status_code == 200
    assert field_errors(response, "prompt") == [message]
    html = response.content.decode()
    assert f'<ul class="errorlist" id="id_prompt_error"><li>{message}</li></ul>' in html
    assert 'aria-invalid="true"' in html
    assert not VideoGeneration.objects.exists()


def test_only_offered_lengths_shapes_sizes_and_styles_are_accepted(alice_client):
    response = submit(alice_client, duration="7", aspect_ratio="4:3", resolution="4k", template="sepia")
    assert set(response.context["form"].errors) == {"duration", "aspect_ratio", "resolution", "template"}
    assert not VideoGeneration.objects.exists()


def test_the_size_is_full_unless_a_draft_is_chosen(alice_client):
    html = alice_client.get(reverse("home"), headers={"Accept": "text/html"}).content.decode()
    assert '<option value="1080p" selected>1080p</option>' in html
    assert '<option value="240p">240p draft</option>' in html
    submit(alice_client)  # a page from before the size was asked sends none
    assert VideoGeneration.objects.get().request["resolution"] == "1080p"


def test_a_form_with_errors_keeps_what_was_typed(alice_client):
    response = submit(alice_client, prompt="short", aspect_ratio="1:1", duration="60")
    html = response.content.decode()
    assert ">\nshort</textarea>" in html
    assert 'value="1:1" id="id_aspect_ratio_2" required checked' in html
    assert '<option value="60" selected>' in html


def test_a_form_with_errors_keeps_the_chosen_size(alice_client):
    html = submit(alice_client, prompt="short", resolution="360p").content.decode()
    assert '<option value="360p" selected>360p draft</option>' in html


def test_reference_images_are_reencoded_and_stored_with_the_generation(alice_client, media_root):
    jpeg = image_file("photo.jpg", size=(3000, 1500), mode="RGB", fmt="JPEG")
    response = submit(alice_client, reference_images=[image_file(), jpeg])
    assert response.status_code == 302
    generation = VideoGeneration.objects.get()
    names = [f"references/{generation.id}/upload_01.png", f"references/{generation.id}/upload_02.png"]
    assert generation.uploaded_assets == [{"type": "image", "name": name} for name in names]
    first = Image.open(default_storage.open(names[0]))
    assert (first.format, first.mode, first.size) == ("PNG", "RGB", (64, 48))
    # Large images are scaled down to what providers use.
    assert Image.open(default_storage.open(names[1])).size == (2048, 1024)


def test_reference_links_become_url_assets(alice_client):
    response = submit(alice_client, reference_urls="https://example.com/a.png\n\n http://example.com/b.jpg ")
    assert response.status_code == 302
    assert VideoGeneration.objects.get().uploaded_assets == [
        {"type": "image", "url": "https://example.com/a.png"},
        {"type": "image", "url": "http://example.com/b.jpg"},
    ]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.com/a.png", "not a url"])
def test_reference_links_must_be_web_addresses(alice_client, url):
    response = submit(alice_client, reference_urls=url)
    assert field_errors(response, "reference_urls") == ["Enter a valid URL."]
    assert not VideoGeneration.objects.exists()


def test_a_file_that_is_not_an_image_is_refused(alice_client, media_root):
    fake = SimpleUploadedFile("notes.png", b"<?php echo 'hi'; ?>", content_type="image/png")
    response = submit(alice_client, reference_images=[fake])
    assert field_errors(response, "reference_images") == [
        "“notes.png” is not a PNG, JPEG or WebP image we can read."
    ]
    assert not VideoGeneration.objects.exists()
    assert not any(media_root.iterdir())


def test_an_image_with_too_many_pixels_is_refused_before_decoding(alice_client):
    # 48 megapixels of one colour compress to a few kilobytes: size on disk proves nothing.
    response = submit(alice_client, reference_images=[image_file(size=(8000, 6000), mode="1")])
    assert field_errors(response, "reference_images") == [
        "“ref.png” is 8000 x 6000 pixels; keep images under 40 megapixels."
    ]


def test_a_decompression_bomb_is_refused(alice_client):
    bomb = image_file("bomb.png", size=(10_000, 10_000), mode="1")
    assert bomb.size < 200_000
    response = submit(alice_client, reference_images=[bomb])
    assert field_errors(response, "reference_images") == [
        "“bomb.png” claims to be too many pixels to open safely."
    ]


def test_an_oversized_file_is_refused(alice_client, monkeypatch):
    monkeypatch.setattr("generations.pages.forms.MAX_ASSET_BYTES", 100)
    response = submit(alice_client, reference_images=[image_file()])
    assert field_errors(response, "reference_images") == ["“ref.png” is larger than 0 MB."]


def test_at_most_ten_references_in_all(alice_client):
    response = submit(
        alice_client,
        reference_images=[image_file(f"r{n}.png") for n in range(8)],
        reference_urls="\n".join(f"https://example.com/{n}.png" for n in range(3)),
    )
    assert response.context["form"].non_field_errors() == [
        f"Use at most {MAX_ASSETS} reference images in all, uploads and links."
    ]
    response = submit(alice_client, reference_images=[image_file(f"r{n}.png") for n in range(11)])
    assert field_errors(response, "reference_images") == [f"Choose at most {MAX_ASSETS} images."]
    assert not VideoGeneration.objects.exists()
