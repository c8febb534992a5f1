from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from catalogue import image_urls
from config.handlers import HIT_PATH_PREFIX
from dashboard import home
from dashboard import views as dashboard_views

admin.site.site_header = "finelabel"
admin.site.site_title = "finelabel admin"
admin.site.index_title = "Datasets, campaigns and labels"
# A server error under /api/ or /hit/ is answered in their JSON error shape (and logged).
handler500 = "core.http.server_error"

urlpatterns = [
    # First: the crowd's pages and submits are most of the requests a campaign serves (and
    # config/handlers.py serves them through a short middleware chain).
    path(HIT_PATH_PREFIX.lstrip("/"), include("crowd.hits.urls")),
    path("admin/", admin.site.urls),
    # Researchers' and reviewers' sign-in (not the admin's, which is for staff only); failed
    # logins are throttled by django-axes like the admin's (core/auth.py).
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("campaigns/", include("studio.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("favicon.ico", dashboard_views.favicon),
    path("api/", include("api.urls")),
    path("", home.home, name="home"),
    path("health/", home.health, name="health"),
    path("img/<str:token>", image_urls.serve_image, name="image-file"),
    path("", include("review.urls")),
]
