from django.urls import include, path

from . import images_access, views

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("img/<str:token>", images_access.serve_image, name="image-file"),
    path("", include("annotation.review.urls")),
]
