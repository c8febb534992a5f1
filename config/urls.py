from django.contrib import admin
from django.urls import include, path

from dashboard import views as dashboard_views

admin.site.site_header = "finelabel"
admin.site.site_title = "finelabel admin"
admin.site.index_title = "Datasets, campaigns and labels"

urlpatterns = [
    # First: the crowd's pages and submits are most of the requests a campaign serves.
    path("hit/", include("annotation.hits.urls")),
    path("admin/", admin.site.urls),
    path("dashboard/", include("dashboard.urls")),
    path("favicon.ico", dashboard_views.favicon),
    path("api/", include("annotation.api.urls")),
    path("", include("annotation.urls")),
]
