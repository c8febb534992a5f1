from django.urls import path, re_path

from dashboard import views

urlpatterns = [
    path("", views.index, name="dashboard-index"),
    path("<int:campaign_id>/", views.campaign_dashboard, name="dashboard"),
    re_path(
        r"^(?P<campaign_id>\d+)/chart/(?P<name>[\w.\-]+)\.(?P<fmt>png|svg|csv)$",
        views.chart,
        name="dashboard-chart",
    ),
]
