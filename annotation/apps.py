from django.apps import AppConfig


class AnnotationConfig(AppConfig):
    """The schema's history: its migrations create every table, and the models of the domain
    apps (catalogue, crowd, pipeline, review) keep those tables by name."""

    name = "annotation"
    verbose_name = "Schema history"
