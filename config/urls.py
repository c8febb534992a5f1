from django.contrib import admin
from django.urls import include, path

from dashboard import views as dashboard_views

admin.site.site_header = "finelabel"
admin.site.site_title = "finelabel admin"
admin.site.index_title = "Datasets, campaigns and labels"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("dashboard/", include("dashboard.urls")),
    path("favicon.ico", dashboard_views.favicon),
    path("api/", include("annotation.api.urls")),
    path("", include("annotation.urls")),
]
