from django.urls import path

from generations import views

urlpatterns = [
    path("", views.root, name="home"),
    path("health", views.health, name="health"),
]
