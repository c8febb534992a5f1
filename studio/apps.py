from django.apps import AppConfig


class StudioConfig(AppConfig):
    """The researcher's campaign page (/campaigns/) and the `campaign` command: create a
    campaign, see its cost and control coverage, add controls, start, pause, resume, close."""

    name = "studio"
    default_auto_field = "django.db.models.BigAutoField"
