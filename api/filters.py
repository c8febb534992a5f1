"""Query-string filters declared once: each parses and checks its value (a bad one is a 400
naming the parameter) and shows in the OpenAPI schema."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from catalogue.models import LabelClass


@dataclass(frozen=True)
class Filter:
    name: str
    description: str
    apply: Callable[[QuerySet, object, Request], QuerySet]
    kind: str = "int"  # int, str, bool or label
    enum: list[str] = field(default_factory=list)

    def parse(self, raw: str) -> object:
        if self.kind == "int":
            try:
                return int(raw)
            except ValueError:
                raise ValidationError({self.name: f"expected an integer, got {raw!r}"}) from None
        if self.kind == "bool":
            if raw.lower() in {"1", "true", "yes"}:
                return True
            if raw.lower() in {"0", "false", "no"}:
                return False
            raise ValidationError({self.name: f"expected true or false, got {raw!r}"})
        if self.kind == "label":
            return parse_label(self.name, raw)
        if self.enum and raw not in self.enum:
            raise ValidationError({self.name: f"expected one of {', '.join(self.enum)}"})
        return raw

    def parameter(self) -> OpenApiParameter:
        types = {
            "int": OpenApiTypes.INT,
            "bool": OpenApiTypes.BOOL,
            "str": OpenApiTypes.STR,
            "label": OpenApiTypes.STR,
        }
        return OpenApiParameter(
            self.name, types[self.kind], description=self.description, enum=self.enum or None
        )


def parse_label(name: str, raw: str) -> LabelClass:
    """A class named by its index (e.g. 809) or WordNet id (e.g. n04254680)."""
    lookup = {"index": int(raw)} if raw.isdigit() else {"wnid": raw}
    try:
        return LabelClass.objects.get(**lookup)
    except LabelClass.DoesNotExist:
        raise ValidationError({name: f"no class with index or wnid {raw!r}"}) from None


def apply_filters(queryset: QuerySet, request: Request, filters: list[Filter]) -> QuerySet:
    for item in filters:
        raw = request.query_params.get(item.name)
        if raw not in (None, ""):
            queryset = item.apply(queryset, item.parse(raw), request)
    return queryset


def parameters(filters: list[Filter]) -> list[OpenApiParameter]:
    return [item.parameter() for item in filters]
