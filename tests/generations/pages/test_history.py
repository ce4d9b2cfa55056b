"""The history page (mine only, newest first, in pages, filtered by status) and how its
numbers read."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from generations.models import Status
from generations.templatetags.videogen import seconds, usd
from tests.generations.pages.test_pages import make_complete, make_generation

# Each test stores its files in a folder of its own.
pytestmark = pytest.mark.usefixtures("media_root")

# --- history ---------------------------------------------------------------------------


def test_history_lists_only_my_generations_newest_first_in_pages(client, alice, bob, settings):
    settings.MAX_ACTIVE_GENERATIONS_PER_USER = 0  # more at once than the active cap allows
    mine = [make_generation(alice) for _ in range(14)]
    make_generation(bob)
    client.force_login(alice)
    first = client.get(reverse("generation-history"))
    cards = first.context["cards"]
    assert [card.generation.id for card in cards] == [g.id for g in reversed(mine)][:12]
    assert "Page 1 of 2" in first.content.decode()
    second = client.get(reverse("generation-history"), {"page": 2})
    assert [card.generation.id for card in second.context["cards"]] == [mine[1].id, mine[0].id]
    assert second.context["previous_url"] == "?page=1"


def test_history_filters_by_status_and_shows_posters(client, alice):
    done = make_complete(alice)
    failed = make_generation(alice, Status.FAILED)
    make_generation(alice, "generating_chunks")
    client.force_login(alice)
    response = client.get(reverse("generation-history"), {"status": "complete"})
    assert [card.generation.id for card in response.context["cards"]] == [done.id]
    assert 'src="/media/final/x/poster.jpg"' in response.content.decode()
    response = client.get(reverse("generation-history"), {"status": "failed"})
    assert [card.generation.id for card in response.context["cards"]] == [failed.id]
    active = client.get(reverse("generation-history"), {"status": "active"}).context["cards"]
    assert len(active) == 1


def test_history_marks_drafts_with_their_resolution(client, alice):
    make_generation(alice, resolution="360p")
    make_generation(alice)
    client.force_login(alice)
    html = client.get(reverse("generation-history")).content.decode()
    assert html.count("<span>360p draft</span>") == 1
    assert "1080p" not in html


def test_history_with_an_unknown_filter_shows_everything(client, alice):
    make_generation(alice)
    client.force_login(alice)
    response = client.get(reverse("generation-history"), {"status": "bogus", "page": "x"})
    assert response.status_code == 200 and len(response.context["cards"]) == 1


def test_an_empty_history_points_to_the_form(client, alice):
    client.force_login(alice)
    html = client.get(reverse("generation-history")).content.decode()
    assert "No videos yet." in html


# --- how numbers read ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "\u2013"), (0.04, "0.0 s"), (4.25, "4.2 s"), (42.6, "43 s"), (60, "1 min"), (75, "1 min 15 s")],
)
def test_durations_read_naturally(value, text):
    assert seconds(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(Decimal("0"), "$0.00"), (Decimal("0.0055"), "$0.0055"), ("0.1000", "$0.10"), (Decimal("1.5"), "$1.50")],
)
def test_money_keeps_the_ledgers_precision_without_trailing_zeros(value, text):
    assert usd(value) == text
