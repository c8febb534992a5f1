from django.apps import AppConfig


class CrowdConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "crowd"
    verbose_name = "Crowd"

    def ready(self) -> None:
        from crowd import public_url  # noqa: F401  registers its system check
