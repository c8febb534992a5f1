"""/api/: the routers, token login, OpenAPI schema and its docs page."""

from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.permissions import IsAuthenticated
from rest_framework.routers import DefaultRouter

from api import review, views

router = DefaultRouter()
router.register("datasets", views.DatasetViewSet, basename="dataset")
router.register("classes", views.LabelClassViewSet, basename="class")
router.register("images", views.ImageViewSet, basename="image")
router.register("campaigns", views.CampaignViewSet, basename="campaign")
router.register("workers", views.WorkerViewSet, basename="worker")
router.register("ground-truth-sets", review.GroundTruthSetViewSet, basename="ground-truth-set")
router.register("review-items", review.ReviewItemViewSet, basename="review-item")
router.register("evaluation-slices", review.EvaluationSliceViewSet, basename="evaluation-slice")
router.register("human-sessions", review.HumanSessionViewSet, basename="human-session")
router.register("scores", review.ScoreViewSet, basename="score")

urlpatterns = [
    path(
        "schema/",
        SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]),
        name="api-schema",
    ),
    path("docs/", views.docs, name="api-docs"),
    path(
        "swagger/",
        SpectacularSwaggerView.as_view(url_name="api-schema", permission_classes=[IsAuthenticated]),
        name="api-swagger",
    ),
    path(
        "redoc/",
        SpectacularRedocView.as_view(url_name="api-schema", permission_classes=[IsAuthenticated]),
        name="api-redoc",
    ),
    path("token/", obtain_auth_token, name="api-token"),
    path("auth/", include("rest_framework.urls")),
    path("", include(router.urls)),
]
