"""Who sees and does what, for the API and the pages alike. Staff see everything; a signed-in
researcher the campaigns they own and the datasets (and images) of those campaigns; members of
the "reviewers" group (review/migrations/0002) the review screens; an anonymous user nothing."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from catalogue.models import Dataset, Image
from pipeline.models import Campaign

User = AbstractBaseUser | AnonymousUser
View = Callable[..., HttpResponse]
REVIEWERS = "reviewers"


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


def can_review(user: User) -> bool:
    """Staff, or a member of the reviewers group."""
    if not user.is_authenticated:
        return False
    return sees_everything(user) or user.groups.filter(name=REVIEWERS).exists()


def owned_campaign(user: User, campaign_id: int) -> Campaign:
    """The campaign if the user may see (and manage) it; a 404 otherwise, as for a campaign
    that does not exist, so that ids of other people's campaigns reveal nothing."""
    campaign = visible_campaigns(user).select_related("dataset").filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404("No such campaign.")
    return campaign


def _guarded(allowed: Callable[[User], bool]) -> Callable[[View], View]:
    """A view decorator: anonymous users go to the login page (settings.LOGIN_URL), signed-in
    users who are not allowed get a 403."""

    def decorator(view: View) -> View:
        @wraps(view)
        def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not allowed(request.user):
                raise PermissionDenied("You may not use this page.")
            return view(request, *args, **kwargs)

        return guarded

    return decorator


# Any signed-in user: a researcher's pages show only what visible_campaigns allows.
researcher_required = _guarded(lambda user: bool(user.is_active))
reviewer_required = _guarded(can_review)
