from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "Dashboard"

    def ready(self) -> None:
        from dashboard import warm

        warm.connect()  # a finished stage run queues the redraw of its campaign's dashboard
