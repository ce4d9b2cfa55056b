"""Who may touch whose generations: users only their own, staff as far as their Django
permissions go (view, change, delete)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from generations.models import Status, VideoGeneration
from tests.factories import PROMPT, finish, make, walk_to
from tests.generations.api.conftest import token_client


def staff_with(*codenames: str):
    user = get_user_model().objects.create_user(
        "viewer", "viewer@example.com", "viewer-password-1", is_staff=True
    )
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return get_user_model().objects.get(pk=user.pk)  # a fresh permission cache


@pytest.fixture
def alices_review(alice) -> VideoGeneration:
    generation = make(alice, review=True)
    walk_to(generation, "generating_animatic")
    VideoGeneration.objects.filter(id=generation.id).update(status=Status.AWAITING_REVIEW)
    return generation


def test_another_users_approve_patch_regenerate_and_remix_are_404(alice, bob_api, alices_review):
    finished = finish(make(alice))
    responses = [
        bob_api.post(f"/api/generations/{alices_review.id}/approve/"),
        bob_api.patch(f"/api/generations/{alices_review.id}/", {"spec": {}}, format="json"),
        bob_api.post(f"/api/generations/{finished.id}/scenes/1/regenerate/", {}, format="json"),
        bob_api.post(f"/api/generations/{finished.id}/remix/", {"prompt": PROMPT}, format="json"),
        bob_api.post(f"/api/generations/{alices_review.id}/cancel/"),
        bob_api.delete(f"/api/generations/{finished.id}/"),
    ]
    assert [response.status_code for response in responses] == [404] * 6
    assert VideoGeneration.objects.count() == 2
    alices_review.refresh_from_db()
    assert alices_review.status == Status.AWAITING_REVIEW


def test_a_view_only_staff_user_sees_but_cannot_cancel_or_delete(alice):
    generation = make(alice)
    viewer = token_client(staff_with("view_videogeneration"))
    assert viewer.get(f"/api/generations/{generation.id}/").status_code == 200
    cancel = viewer.post(f"/api/generations/{generation.id}/cancel/")
    assert cancel.status_code == 403
    assert "not change" in cancel.json()["detail"]
    assert viewer.delete(f"/api/generations/{generation.id}/").status_code == 403
    generation.refresh_from_db()
    assert generation.status == Status.QUEUED


def test_staff_without_view_permission_get_404_for_others_generations(alice):
    generation = make(alice)
    plain_staff = token_client(staff_with())
    assert plain_staff.get(f"/api/generations/{generation.id}/").status_code == 404
    assert plain_staff.post(f"/api/generations/{generation.id}/cancel/").status_code == 404
    assert plain_staff.get("/api/generations/").json()["count"] == 0


def test_change_permission_lets_staff_cancel_but_not_delete(alice):
    generation = make(alice)
    operator = token_client(staff_with("view_videogeneration", "change_videogeneration"))
    assert operator.post(f"/api/generations/{generation.id}/cancel/").status_code == 200
    assert operator.delete(f"/api/generations/{generation.id}/").status_code == 403
    assert VideoGeneration.objects.filter(id=generation.id).exists()


def test_delete_permission_lets_staff_delete(alice):
    generation = make(alice)
    operator = token_client(staff_with("view_videogeneration", "delete_videogeneration"))
    assert operator.delete(f"/api/generations/{generation.id}/").status_code == 204
    assert not VideoGeneration.objects.filter(id=generation.id).exists()
