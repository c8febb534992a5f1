"""Who sees what through the API: staff see everything; other users the campaigns they own
and the datasets (and images) of those campaigns."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, QuerySet

from catalogue.models import Dataset, Image
from pipeline.models import Campaign

User = AbstractBaseUser | AnonymousUser


def sees_everything(user: User) -> bool:
    return bool(user.is_staff or user.is_superuser)


def visible_campaigns(user: User) -> QuerySet[Campaign]:
    """Staff see every campaign; other users the campaigns they own; an anonymous user none
    (its pk is None, which would match the campaigns without an owner: staff only)."""
    campaigns = Campaign.objects.all()
    if sees_everything(user):
        return campaigns
    return campaigns.filter(owner_id=user.pk) if user.is_authenticated else campaigns.none()


def visible_datasets(user: User) -> QuerySet[Dataset]:
    """Staff see every dataset; other users the datasets of the campaigns they own."""
    if sees_everything(user):
        return Dataset.objects.all()
    if not user.is_authenticated:
        return Dataset.objects.none()
    owned = Campaign.objects.filter(dataset=OuterRef("pk"), owner_id=user.pk)
    return Dataset.objects.filter(Exists(owned))


def visible_images(user: User) -> QuerySet[Image]:
    """The images of the datasets the user can see."""
    return Image.objects.filter(dataset__in=visible_datasets(user))
