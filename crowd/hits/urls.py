from django.urls import path

from crowd.hits import views

# Under hit/ (config/urls.py).

urlpatterns = [
    path("contains/<str:public_id>/", views.contains_page, name="hit-contains"),
    path("contains/<str:public_id>/submit", views.contains_submit, name="hit-contains-submit"),
    path("classify/<str:public_id>/", views.classify_page, name="hit-classify"),
    path("classify/<str:public_id>/submit", views.classify_submit, name="hit-classify-submit"),
]
