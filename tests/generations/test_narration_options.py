"""Narration and subtitle options through the API, the form and the result page."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from generations.management.commands.generate import Command
from generations.models import VideoGeneration
from phases.request import GenerationRequest
from tests.factories import PROMPT
from tests.generations.api.conftest import token_client
from tests.generations.pages.test_pages import detail_url, make_complete

# Each test stores its files in a folder of its own.
pytestmark = pytest.mark.usefixtures("media_root")

OPTIONS = {
    "script": "The tide comes in. The gulls fly home.",
    "narration": True,
    "voice": "en-gb+f3",
    "language": "en-GB",
    "speech_rate": 1.25,
    "subtitles": True,
    "burn_subtitles": True,
    "subtitle_style": {"position": "center", "font": "serif", "size": 64, "color": "#FFEE00", "outline": 6},
}


def test_the_api_stores_every_narration_option_on_the_generation(alice):
    api = token_client(alice)
    response = api.post("/generate", {"prompt": PROMPT, "duration": 10, **OPTIONS}, format="json")
    assert response.status_code == 202, response.json()
    generation = VideoGeneration.objects.get(id=response.json()["video_id"])
    assert generation.request["script"] == OPTIONS["script"] and generation.request["voice"] == "en-gb+f3"
    assert (generation.request["language"], generation.request["speech_rate"]) == ("en-GB", 1.25)
    assert (
        generation.request["narration"]
        and generation.request["subtitles"]
        and generation.request["burn_subtitles"]
    )
    assert generation.request["subtitle_style"] == OPTIONS["subtitle_style"]
    detail = api.get(f"/api/generations/{generation.id}/").json()
    assert detail["voice"] == "en-gb+f3" and detail["subtitle_style"]["font"] == "serif"
    assert detail["subtitle_urls"] == {"srt": None, "vtt": None}


def test_the_api_defaults_are_narration_and_subtitle_files_without_burning(alice):
    response = token_client(alice).post("/generate", {"prompt": PROMPT}, format="json")
    generation = VideoGeneration.objects.get(id=response.json()["video_id"])
    assert (
        generation.request["narration"],
        generation.request["subtitles"],
        generation.request["burn_subtitles"],
    ) == (True, True, False)
    assert (
        generation.request["script"],
        generation.request["voice"],
        generation.request["speech_rate"],
        generation.request["subtitle_style"],
    ) == (
        "",
        "",
        1.0,
        {},
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("voice", "en; rm -rf /"),
        ("language", "english please"),
        ("speech_rate", 3.0),
        ("subtitle_style", {"position": "left"}),
        ("subtitle_style", {"color": "red"}),
        ("subtitle_style", {"size": 500}),
        ("subtitle_style", {"shadow": True}),
        ("script", "word " * 300),
    ],
)
def test_the_api_refuses_options_it_cannot_honour(alice, field, value):
    response = token_client(alice).post(
        "/generate", {"prompt": PROMPT, "duration": 5, field: value}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not VideoGeneration.objects.exists()


def test_the_video_response_gives_absolute_subtitle_urls(alice):
    generation = make_complete(alice)
    VideoGeneration.objects.filter(id=generation.id).update(
        subtitle_urls={"srt": "final/x/subtitles.srt", "vtt": "final/x/subtitles.vtt"}
    )
    body = token_client(alice).get(f"/video/{generation.id}").json()
    assert body["subtitle_urls"] == {
        "srt": "http://testserver/media/final/x/subtitles.srt",
        "vtt": "http://testserver/media/final/x/subtitles.vtt",
    }


def test_the_result_page_plays_the_video_with_the_subtitle_track(client, alice):
    generation = make_complete(alice)
    spec = {**generation.spec, "subtitles": {"language": "ja", "burn": False, "style": {}, "cues": []}}
    VideoGeneration.objects.filter(id=generation.id).update(
        spec=spec, subtitle_urls={"srt": "final/x/subtitles.srt", "vtt": "final/x/subtitles.vtt"}
    )
    client.force_login(alice)
    html = client.get(detail_url(generation)).content.decode()
    video = html[html.index('<video id="result-video"') : html.index("</video>")]
    assert (
        '<track kind="subtitles" src="/media/final/x/subtitles.vtt" srclang="ja" label="Subtitles" default>'
        in video
    )
    assert 'href="/media/final/x/subtitles.srt"' in html


def test_burned_subtitles_keep_the_track_but_do_not_show_it_twice(client, alice):
    generation = make_complete(alice)
    spec = {**generation.spec, "subtitles": {"language": "en", "burn": True, "style": {}, "cues": []}}
    VideoGeneration.objects.filter(id=generation.id).update(
        spec=spec, subtitle_urls={"srt": "final/x/subtitles.srt", "vtt": "final/x/subtitles.vtt"}
    )
    client.force_login(alice)
    html = client.get(detail_url(generation)).content.decode()
    assert (
        '<track kind="subtitles" src="/media/final/x/subtitles.vtt" srclang="en" label="Subtitles">' in html
    )


def test_a_result_without_subtitles_has_no_track(client, alice):
    client.force_login(alice)
    html = client.get(detail_url(make_complete(alice))).content.decode()
    assert "<track" not in html


def test_the_form_offers_the_options_and_passes_them_on(client, alice):
    client.force_login(alice)
    page = client.get(reverse("home"), HTTP_ACCEPT="text/html").content.decode()
    for name in ("script", "narration", "voice", "burn_subtitles", "subtitle_position", "subtitle_color"):
        assert f'name="{name}"' in page
    response = client.post(
        reverse("home"),
        {
            "prompt": PROMPT,
            "duration": "5",
            "aspect_ratio": "9:16",
            "script": "Hello there.",
            "narration": "on",
            "voice": "+f2",
            "language": "en",
            "speech_rate": "0.8",
            "subtitles": "on",
            "burn_subtitles": "on",
            "subtitle_position": "bottom",
            "subtitle_font": "mono",
            "subtitle_size": "72",
            "subtitle_color": "#00FF00",
            "subtitle_outline": "8",
            "subtitle_mode": "words",
        },
    )
    assert response.status_code == 302
    generation = VideoGeneration.objects.get()
    assert (generation.request["script"], generation.request["voice"], generation.request["speech_rate"]) == (
        "Hello there.",
        "+f2",
        0.8,
    )
    assert generation.request["burn_subtitles"] and generation.request["narration"]
    assert generation.request["subtitle_style"] == {
        "position": "bottom",
        "font": "mono",
        "size": 72,
        "color": "#00ff00",
        "outline": 8,
        "mode": "words",
    }


def test_the_form_explains_a_script_too_long_for_the_video(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("home"), {"prompt": PROMPT, "duration": "5", "aspect_ratio": "16:9", "script": "word " * 300}
    )
    assert response.status_code == 200
    assert "too long for a 5 s video" in response.context["form"].errors["script"][0]


def test_the_generate_command_turns_its_flags_into_options(tmp_path):
    command = Command()
    script = tmp_path / "script.txt"
    script.write_text("Read from a file.\n", encoding="utf-8")
    flags = ["--no-narration", "--no-subtitles", "--burn-subtitles", "--voice", "+f3", "--rate", "1.5"]
    flags += ["--subtitle-position", "center", "--script", f"@{script}"]
    options = vars(command.create_parser("manage.py", "generate").parse_args([PROMPT, *flags]))
    asked = command._request(options)
    assert asked == GenerationRequest(
        prompt=PROMPT,
        script="Read from a file.",
        narration=False,
        voice="+f3",
        speech_rate=1.5,
        subtitles=False,
        burn_subtitles=True,
        subtitle_style={"position": "center"},
    )


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--voice", "en us"], "--voice"),
        (["--language", "english"], "--language"),
        (["--rate", "3"], "--rate"),
        (["--script", "word " * 300], "too long for a 5 s video"),
    ],
)
def test_the_generate_command_refuses_bad_narration_flags(db, flags, message):
    with pytest.raises(CommandError, match=message):
        call_command("generate", PROMPT, "--duration", "5", *flags)
    assert not VideoGeneration.objects.exists()
