"""/api/: the router over every app's viewsets, token login, the OpenAPI schema and its docs."""

from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)
from rest_framework.permissions import IsAuthenticated
from rest_framework.routers import DefaultRouter

from api.views import docs
from catalogue.api.views import DatasetViewSet, LabelClassViewSet
from core.auth import TokenLogin
from crowd.api.views import WorkerViewSet
from pipeline.api.views import CampaignViewSet, ImageViewSet
from review.api.views import (
    EvaluationSliceViewSet,
    GroundTruthSetViewSet,
    HumanSessionViewSet,
    ReviewItemViewSet,
    ScoreViewSet,
)

router = DefaultRouter()
router.register("datasets", DatasetViewSet, basename="dataset")
router.register("classes", LabelClassViewSet, basename="class")
router.register("images", ImageViewSet, basename="image")
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("workers", WorkerViewSet, basename="worker")
router.register("ground-truth-sets", GroundTruthSetViewSet, basename="ground-truth-set")
router.register("review-items", ReviewItemViewSet, basename="review-item")
router.register("evaluation-slices", EvaluationSliceViewSet, basename="evaluation-slice")
router.register("human-sessions", HumanSessionViewSet, basename="human-session")
router.register("scores", ScoreViewSet, basename="score")

urlpatterns = [
    path(
        "schema/",
        SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]),
        name="api-schema",
    ),
    path("docs/", docs, name="api-docs"),
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
    path("token/", TokenLogin.as_view(), name="api-token"),  # failed logins throttled
    path("auth/", include("rest_framework.urls")),
    path("", include(router.urls)),
]
