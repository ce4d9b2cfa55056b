from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from generations import review, services
from generations.models import PhaseRun, Status, VideoGeneration, status_choices
from phases.request import GenerationRequest

SEED_FIELDS = [
    "id",
    "user",
    "prompt",
    "uploaded_assets",
    "spec",
    "template",
    "status",
    "progress",
    "current_phase",
    "error_message",
    "animatic_urls",
    "reference_urls",
    "chunk_urls",
    "stitched_url",
    "refined_url",
    "final_video_url",
    "cost_usd",
    "cost_breakdown",
    "generation_time_seconds",
    "created_at",
    "completed_at",
]


@pytest.fixture
def generation(alice, queue):
    generation = services.generation_create(
        user=alice, request=GenerationRequest(prompt='A "stormy" sea <b>at night</b>', duration=12)
    )
    VideoGeneration.objects.filter(id=generation.id).update(
        spec={"title": "Stormy sea", "scenes": [{"caption": "Waves"}]},
        chunk_urls=[f"chunks/{generation.id}/scene_01.mp4"],
        final_video_url=f"final/{generation.id}/video.mp4",
        cost_usd=Decimal("0.1055"),
        cost_breakdown={"chunks": "0.1000", "references": "0.0055"},
    )
    PhaseRun.objects.create(
        generation=generation, phase="plan", status=PhaseRun.State.SUCCEEDED, duration_seconds=0.4
    )
    return generation


def test_the_model_has_every_field_of_the_seed():
    names = {field.name for field in VideoGeneration._meta.get_fields()}
    assert set(SEED_FIELDS) <= names
    assert {value for value, _label in status_choices()} == {
        "queued",
        "validating",
        "generating_animatic",
        "generating_references",
        "generating_chunks",
        "refining",
        "exporting",
        "complete",
        "failed",
        "canceled",
        "awaiting_review",
    }


def test_staff_see_the_generation_in_the_list(client, staff, generation):
    client.force_login(staff)
    response = client.get(reverse("admin:generations_videogeneration_changelist"))
    assert response.status_code == 200
    body = response.content.decode()
    assert generation.id in body
    assert "0.1055" in body
    assert "alice" in body


def test_staff_see_every_field_and_the_phase_runs_on_the_detail_page(client, staff, generation):
    client.force_login(staff)
    response = client.get(reverse("admin:generations_videogeneration_change", args=[generation.id]))
    assert response.status_code == 200
    body = response.content.decode()
    for label in ["Prompt", "Spec", "Cost breakdown", "Final video", "Chunks", "Phase runs", "Progress"]:
        assert label.lower() in body.lower(), label
    assert "&quot;stormy&quot;" in body and "<b>at night</b>" not in body  # escaped, not rendered
    assert f"/media/final/{generation.id}/video.mp4" in body
    assert "&quot;title&quot;: &quot;Stormy sea&quot;" in body  # spec as formatted JSON


def test_the_list_filters_by_status_and_searches_prompts(client, staff, generation):
    client.force_login(staff)
    url = reverse("admin:generations_videogeneration_changelist")
    assert generation.id in client.get(url, {"status__exact": "queued"}).content.decode()
    assert generation.id not in client.get(url, {"status__exact": "complete"}).content.decode()
    assert generation.id in client.get(url, {"q": "stormy"}).content.decode()
    assert generation.id not in client.get(url, {"q": "desert"}).content.decode()


def test_the_cancel_action_goes_through_the_service(client, staff, generation):
    client.force_login(staff)
    client.post(
        reverse("admin:generations_videogeneration_changelist"),
        {"action": "cancel_generations", "_selected_action": [generation.id]},
    )
    generation.refresh_from_db()
    assert generation.status == Status.CANCELED


def test_the_rq_dashboard_is_reachable_for_staff(client, staff):
    client.force_login(staff)
    assert client.get("/admin/rq/").status_code == 200


def test_non_staff_cannot_open_the_admin(client, alice):
    client.force_login(alice)
    response = client.get(reverse("admin:generations_videogeneration_changelist"))
    assert response.status_code == 302


def test_staff_see_remix_links_both_ways(client, staff, generation):
    child = review.generation_remix(
        parent=generation, user=generation.user, prompt="A calm sea at dawn, remixed"
    )
    client.force_login(staff)
    child_page = client.get(
        reverse("admin:generations_videogeneration_change", args=[child.id])
    ).content.decode()
    parent_page = client.get(
        reverse("admin:generations_videogeneration_change", args=[generation.id])
    ).content.decode()
    assert reverse("admin:generations_videogeneration_change", args=[generation.id]) in child_page
    assert reverse("admin:generations_videogeneration_change", args=[child.id]) in parent_page


def view_only_staff():
    user = get_user_model().objects.create_user(
        "viewer", "viewer@example.com", "viewer-password-1", is_staff=True
    )
    user.user_permissions.set(Permission.objects.filter(codename="view_videogeneration"))
    return user


def test_a_view_only_operator_is_offered_no_action_and_cannot_cancel(client, generation):
    client.force_login(view_only_staff())
    url = reverse("admin:generations_videogeneration_changelist")
    page = client.get(url)
    assert page.status_code == 200
    assert "cancel_generations" not in page.content.decode()
    client.post(url, {"action": "cancel_generations", "_selected_action": [generation.id]})
    generation.refresh_from_db()
    assert generation.status == Status.QUEUED


def test_a_view_only_operator_cannot_delete(client, generation):
    client.force_login(view_only_staff())
    response = client.post(
        reverse("admin:generations_videogeneration_delete", args=[generation.id]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert VideoGeneration.objects.filter(id=generation.id).exists()


def test_deleting_in_the_admin_cancels_and_removes_the_files(client, staff, generation):
    name = default_storage.save(f"final/{generation.id}/video.mp4", ContentFile(b"video"))
    client.force_login(staff)
    response = client.post(
        reverse("admin:generations_videogeneration_delete", args=[generation.id]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not VideoGeneration.objects.filter(id=generation.id).exists()
    assert not default_storage.exists(name)


def test_bulk_delete_in_the_admin_goes_through_the_service(client, staff, generation):
    name = default_storage.save(f"final/{generation.id}/video.mp4", ContentFile(b"video"))
    client.force_login(staff)
    client.post(
        reverse("admin:generations_videogeneration_changelist"),
        {"action": "delete_selected", "_selected_action": [generation.id], "post": "yes"},
    )
    assert not VideoGeneration.objects.filter(id=generation.id).exists()
    assert not default_storage.exists(name)
