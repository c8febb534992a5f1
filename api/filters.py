"""Query-string filters declared once: each parses and checks its value (a bad one is a 400
naming the parameter) and shows in the OpenAPI schema.

Every value read from the query string goes through checked_text first, and integers through
checked_int: the database refuses a NUL in a string (PostgreSQL) and numbers past its integer
types, and Python's int() takes more than the ASCII digits a client means (it reads "١٢" as
12, and refuses past 4,300 digits): such values are a 400 here, never an error further down."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from catalogue.models import LabelClass

# Ids, indices and counts fit a signed 64-bit integer; text values (names, searches, lists of
# names) are short.
MAX_INT_DIGITS = 18
MAX_TEXT_LENGTH = 1000


def _shown(raw: str) -> str:
    """The value as an error message quotes it (at most 40 characters)."""
    return repr(raw if len(raw) <= 40 else raw[:40] + "...")


def checked_text(name: str, raw: str) -> str:
    """`raw`, the value of query parameter `name`, unless it holds a NUL or is too long."""
    if "\x00" in raw:
        raise ValidationError({name: "must not contain a NUL character"})
    if len(raw) > MAX_TEXT_LENGTH:
        raise ValidationError({name: f"longer than {MAX_TEXT_LENGTH} characters"})
    return raw


def is_number(raw: str) -> bool:
    """ASCII digits only (str.isdigit also says yes to "²" and "١")."""
    return raw.isascii() and raw.isdigit()


def checked_int(name: str, raw: str) -> int:
    """The value of query parameter `name` as a non-negative integer of at most
    MAX_INT_DIGITS ASCII digits."""
    if not is_number(raw) or len(raw) > MAX_INT_DIGITS:
        raise ValidationError(
            {name: f"expected a whole number of at most {MAX_INT_DIGITS} digits, got {_shown(raw)}"}
        )
    return int(raw)


def checked_values(request: Request, names: list[str]) -> dict[str, str]:
    """The checked text of each named query parameter ("" when absent), for views that read
    their parameters themselves."""
    return {name: checked_text(name, request.query_params.get(name, "")) for name in names}


@dataclass(frozen=True)
class Filter:
    name: str
    description: str
    apply: Callable[[QuerySet, object, Request], QuerySet]
    kind: str = "int"  # int, str, bool or label
    enum: list[str] = field(default_factory=list)

    def parse(self, raw: str) -> object:
        raw = checked_text(self.name, raw)
        if self.kind == "int":
            return checked_int(self.name, raw)
        if self.kind == "bool":
            if raw.lower() in {"1", "true", "yes"}:
                return True
            if raw.lower() in {"0", "false", "no"}:
                return False
            raise ValidationError({self.name: f"expected true or false, got {_shown(raw)}"})
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
    raw = checked_text(name, raw)
    lookup = {"index": checked_int(name, raw)} if is_number(raw) else {"wnid": raw}
    try:
        return LabelClass.objects.get(**lookup)
    except LabelClass.DoesNotExist:
        raise ValidationError({name: f"no class with index or wnid {_shown(raw)}"}) from None


def apply_filters(queryset: QuerySet, request: Request, filters: list[Filter]) -> QuerySet:
    for item in filters:
        raw = request.query_params.get(item.name)
        if raw not in (None, ""):
            queryset = item.apply(queryset, item.parse(raw), request)
    return queryset


def parameters(filters: list[Filter]) -> list[OpenApiParameter]:
    return [item.parameter() for item in filters]
