from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "finelabel"
admin.site.site_title = "finelabel admin"
admin.site.index_title = "Datasets, campaigns and labels"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("annotation.api.urls")),
    path("", include("annotation.urls")),
]
