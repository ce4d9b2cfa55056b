"""The API's routes, included at the site root under the "api" namespace."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from generations.api.account import WebhookSecretView
from generations.api.batches import BatchViewSet
from generations.api.narration import NarrationView, RevoiceView, SceneNarrationView
from generations.api.views import GenerationViewSet, StatusView, TokenView, VideoView

app_name = "api"

router = DefaultRouter()
router.include_format_suffixes = False
router.register("generations", GenerationViewSet, basename="generation")
router.register("batches", BatchViewSet, basename="batch")

urlpatterns = [
    path("generate", GenerationViewSet.as_view({"post": "create"}), name="generate"),
    path("status/<str:video_id>", StatusView.as_view(), name="status"),
    path("video/<str:video_id>", VideoView.as_view(), name="video"),
    path("api/token/", TokenView.as_view(), name="token"),
    path("api/webhook-secret/", WebhookSecretView.as_view(), name="webhook-secret"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/generations/<str:video_id>/narration/", NarrationView.as_view(), name="narration"),
    path(
        "api/generations/<str:video_id>/scenes/<str:scene>/narration/",
        SceneNarrationView.as_view(),
        name="scene-narration",
    ),
    path("api/generations/<str:video_id>/revoice/", RevoiceView.as_view(), name="revoice"),
    path("api/", include(router.urls)),
    path("docs", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
