"""`{{ amount|dollars }}`: money as the admin and the mturk commands print it ($1,234.56)."""

from __future__ import annotations

from decimal import Decimal

from django import template

from crowd.mturk.costs import dollars as format_dollars

register = template.Library()


@register.filter
def dollars(amount: Decimal | None) -> str:
    return "" if amount is None else format_dollars(Decimal(amount))
