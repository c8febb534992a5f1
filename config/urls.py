from django.contrib import admin
from django.urls import include, path

from config.handlers import HIT_PATH_PREFIX
from dashboard import views as dashboard_views

admin.site.site_header = "finelabel"
admin.site.site_title = "finelabel admin"
admin.site.index_title = "Datasets, campaigns and labels"

urlpatterns = [
    # First: the crowd's pages and submits are most of the requests a campaign serves (and
    # config/handlers.py serves them through a short middleware chain).
    path(HIT_PATH_PREFIX.lstrip("/"), include("annotation.hits.urls")),
    path("admin/", admin.site.urls),
    path("dashboard/", include("dashboard.urls")),
    path("favicon.ico", dashboard_views.favicon),
    path("api/", include("annotation.api.urls")),
    path("", include("annotation.urls")),
]
