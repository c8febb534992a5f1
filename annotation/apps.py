from django.apps import AppConfig


class AnnotationConfig(AppConfig):
    """The schema's history. Its migrations created every table; the models now live in the
    domain apps (catalogue, crowd, pipeline, review), which keep those tables by name."""

    name = "annotation"
    verbose_name = "Schema history"
