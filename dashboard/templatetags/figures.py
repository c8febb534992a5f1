"""`{{ interval|interval }}` and `{{ value|figure }}`: a figure with no value (a mean over
nothing measured is NaN) reads as a dash, not as "nan [nan, nan]"."""

from __future__ import annotations

import math
from typing import Any

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()
MISSING = "–"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@register.filter
def figure(value: float | None, digits: int = 3) -> str:
    return MISSING if _missing(value) else floatformat(value, digits)


@register.filter
def interval(iv: Any, digits: int = 3) -> str:
    """An Interval (value, low, high) as "0.812 [0.790, 0.830]", or a dash without a value."""
    if iv is None or _missing(iv.value):
        return MISSING
    return f"{figure(iv.value, digits)} [{figure(iv.low, digits)}, {figure(iv.high, digits)}]"
