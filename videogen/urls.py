from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from generations.pages.login import ThrottledLoginView

urlpatterns = [
    path("admin/rq/", include("django_rq.urls")),
    path("admin/", admin.site.urls),
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("generations.api.urls")),
    path("", include("generations.pages.urls")),
]

if settings.SERVE_MEDIA:
    # Local media storage has no other server in the embedded setup; on S3 users get
    # presigned URLs instead.
    media_prefix = settings.MEDIA_URL.strip("/")
    urlpatterns.append(
        re_path(rf"^{media_prefix}/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})
    )
