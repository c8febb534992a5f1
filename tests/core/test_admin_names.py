"""The admin names every model in plain English, plurals included."""

import re

from django.apps import apps

PROJECT_APPS = {"catalogue", "crowd", "pipeline", "review"}


def test_every_plural_is_an_english_plural() -> None:
    wrong = [
        f"{model.__name__}: {model._meta.verbose_name_plural}"
        for model in apps.get_models()
        if model._meta.app_label in PROJECT_APPS
        # Django's default plural appends "s": "superclasss", "selection frequencys".
        and re.search(r"(ss|sh|ch|x|[^aeiou]y)s$", str(model._meta.verbose_name_plural))
    ]
    assert wrong == []
