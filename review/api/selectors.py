"""Which ground-truth sets a user may see and score with through the API."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from rest_framework.exceptions import ValidationError

from api.access import User, sees_everything, visible_campaigns
from api.filters import checked_text
from catalogue.models import Image
from review.models import GroundTruthSet
from review.truth import GroundTruthError, resolve_sets


def visible_truth_sets(user: User) -> QuerySet[GroundTruthSet]:
    """Sets of no campaign (imported, the panel's) and those of the user's campaigns."""
    sets = GroundTruthSet.objects.all()
    if sees_everything(user):
        return sets
    return sets.filter(Q(campaign__isnull=True) | Q(campaign__in=visible_campaigns(user)))


def default_truth_sets(user: User) -> list[GroundTruthSet]:
    """Every visible set, imported first, then crowd, then the panel's (later sets win)."""
    order = Case(
        When(kind=GroundTruthSet.Kind.IMPORTED, then=Value(0)),
        When(kind=GroundTruthSet.Kind.CROWD, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return list(visible_truth_sets(user).order_by(order, "name"))


def chosen_truth_sets(user: User, raw: str) -> list[GroundTruthSet]:
    """Comma-separated set names, in that order, all visible to the user; none named: every
    visible set (imported, then crowd, then the panel's)."""
    if not checked_text("truth_set", raw):
        return default_truth_sets(user)
    try:
        chosen = resolve_sets(raw.split(","))
    except GroundTruthError as error:
        raise ValidationError({"truth_set": str(error)}) from None
    visible = set(visible_truth_sets(user).values_list("pk", flat=True))
    hidden = [s.name for s in chosen if s.pk not in visible]
    if hidden:
        raise ValidationError({"truth_set": f"not visible to you: {', '.join(hidden)}"})
    return chosen


def image_refs(images: QuerySet[Image]) -> QuerySet[Image]:
    """`images` in id order, with their dataset label."""
    return images.select_related("label").order_by("id")
