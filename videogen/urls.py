from django.contrib import admin
from django.urls import include, path

from generations.pages.login import ThrottledLoginView

urlpatterns = [
    path("admin/rq/", include("django_rq.urls")),
    path("admin/", admin.site.urls),
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("generations.api.urls")),
    path("", include("generations.pages.urls")),
]
