from django.urls import path, re_path

from dashboard import class_views, views

urlpatterns = [
    path("", views.index, name="dashboard-index"),
    path("<int:campaign_id>/", views.campaign_dashboard, name="dashboard"),
    path("<int:campaign_id>/classes/", class_views.classes, name="dashboard-classes"),
    path(
        "<int:campaign_id>/classes/<int:index>/", class_views.class_detail, name="dashboard-class"
    ),
    re_path(
        r"^(?P<campaign_id>\d+)/chart/(?P<name>[\w.\-]+)\.(?P<fmt>png|svg|csv)$",
        views.chart,
        name="dashboard-chart",
    ),
]
