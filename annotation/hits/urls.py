from django.urls import path

from . import views

urlpatterns = [
    path("hit/contains/<str:public_id>/", views.contains_page, name="hit-contains"),
    path("hit/contains/<str:public_id>/submit", views.contains_submit, name="hit-contains-submit"),
    path("hit/classify/<str:public_id>/", views.classify_page, name="hit-classify"),
    path("hit/classify/<str:public_id>/submit", views.classify_submit, name="hit-classify-submit"),
]
