from django.urls import path

from generations.pages import batches, files, icons, narration, views

urlpatterns = [
    path("", views.root, name="home"),
    path("health", views.health, name="health"),
    path("metrics", views.metrics, name="metrics"),
    path("icons/search/", icons.icon_search, name="icon-search"),
    path("icons/<str:icon_id>.svg", icons.icon_svg, name="icon-svg"),
    # settings.MEDIA_URL: every link to a stored file.
    path("media/<path:name>", files.stored_file, name="stored-file"),
    path("generations/", views.history, name="generation-history"),
    path("account/webhooks/", views.webhook_secret, name="webhook-secret"),
    path("batches/", batches.batch_list, name="batch-list"),
    path("batches/<str:batch_id>/", batches.batch_detail, name="batch-detail"),
    path("batches/<str:batch_id>/table/", batches.batch_table, name="batch-table"),
    path("batches/<str:batch_id>/cancel/", batches.batch_cancel, name="batch-cancel"),
    path("batches/<str:batch_id>/retry/", batches.batch_retry, name="batch-retry"),
    path("generations/<str:video_id>/", views.generation_detail, name="generation-detail"),
    path("generations/<str:video_id>/live/", views.generation_live, name="generation-live"),
    path("generations/<str:video_id>/cancel/", views.generation_cancel, name="generation-cancel"),
    path("generations/<str:video_id>/retry/", views.generation_retry, name="generation-retry"),
    path("generations/<str:video_id>/review/", views.generation_review, name="generation-review"),
    path(
        "generations/<str:video_id>/narration/", narration.generation_narration, name="generation-narration"
    ),
    path("generations/<str:video_id>/revoice/", narration.generation_revoice, name="generation-revoice"),
    path(
        "generations/<str:video_id>/scenes/<int:scene_number>/regenerate/",
        views.generation_regenerate_scene,
        name="generation-regenerate-scene",
    ),
]
