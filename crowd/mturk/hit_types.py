"""What a HIT of each task kind looks like on MTurk: its HIT type (title, reward, duration,
qualification requirements) and its ExternalQuestion pointing at our HTTPS page."""

from __future__ import annotations

from decimal import Decimal
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from crowd.models import Hit, MTurkSettings
from crowd.mturk.costs import cents
from pipeline.models import Campaign

EXTERNAL_QUESTION_NS = (
    "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2006-07-14/"
    "ExternalQuestion.xsd"
)
# MTurk's system qualification types (the same ids in the sandbox and on the live market).
LOCALE = "00000000000000000071"
APPROVAL_RATE = "000000000000000000L0"
APPROVED_HITS = "00000000000000000040"


def settings_for(campaign: Campaign) -> MTurkSettings:
    """The campaign's MTurk settings, created with the defaults on first use."""
    return MTurkSettings.objects.get_or_create(campaign=campaign)[0]


def reward_of(campaign: Campaign, kind: str) -> Decimal:
    return campaign.contains_reward if kind == Hit.Kind.CONTAINS else campaign.classify_reward


def assignments_of(campaign: Campaign, kind: str) -> int:
    """MaxAssignments a new HIT is published with: the adaptive minimum when the campaign
    sets one (more come later, crowd.mturk.adaptive), else the answers per task."""
    if kind == Hit.Kind.CONTAINS:
        return campaign.contains_min_assignments or campaign.contains_assignments
    return campaign.classify_min_assignments or campaign.classify_assignments


def qualification_requirements(s: MTurkSettings) -> list[dict]:
    """Locale, approval rate and approved HITs (MTurk's own), then ours: screening passed and
    not excluded. Excluded workers do not even see the HITs."""
    reqs: list[dict] = []
    countries = [c.strip().upper() for c in s.locales.split(",") if c.strip()]
    if countries:
        reqs.append(
            {
                "QualificationTypeId": LOCALE,
                "Comparator": "In",
                "LocaleValues": [{"Country": c} for c in countries],
                "ActionsGuarded": "Accept",
            }
        )
    if s.min_approval_rate:
        reqs.append(
            {
                "QualificationTypeId": APPROVAL_RATE,
                "Comparator": "GreaterThanOrEqualTo",
                "IntegerValues": [s.min_approval_rate],
                "ActionsGuarded": "Accept",
            }
        )
    if s.min_approved_hits:
        reqs.append(
            {
                "QualificationTypeId": APPROVED_HITS,
                "Comparator": "GreaterThanOrEqualTo",
                "IntegerValues": [s.min_approved_hits],
                "ActionsGuarded": "Accept",
            }
        )
    if s.screening_qualification:
        reqs.append(
            {
                "QualificationTypeId": s.screening_qualification,
                "Comparator": "Exists",
                "ActionsGuarded": "DiscoverPreviewAndAccept",
            }
        )
    if s.exclusion_qualification:
        reqs.append(
            {
                "QualificationTypeId": s.exclusion_qualification,
                "Comparator": "DoesNotExist",
                "ActionsGuarded": "DiscoverPreviewAndAccept",
            }
        )
    return reqs


def hit_type_params(campaign: Campaign, kind: str) -> dict:
    """Parameters of CreateHITType for the campaign's HITs of `kind`."""
    s = settings_for(campaign)
    contains = kind == Hit.Kind.CONTAINS
    return {
        "AutoApprovalDelayInSeconds": s.auto_approval_delay,
        "AssignmentDurationInSeconds": s.contains_duration if contains else s.classify_duration,
        "Reward": str(cents(reward_of(campaign, kind))),
        "Title": s.contains_title if contains else s.classify_title,
        "Keywords": s.keywords,
        "Description": s.contains_description if contains else s.classify_description,
        "QualificationRequirements": qualification_requirements(s),
    }


def public_base_url() -> str:
    """FINELABEL_PUBLIC_URL, checked: MTurk only frames HTTPS pages."""
    base = (getattr(settings, "FINELABEL_PUBLIC_URL", "") or "").rstrip("/")
    if not base.startswith("https://"):
        raise ImproperlyConfigured(
            "Set FINELABEL_PUBLIC_URL to the public https:// address of this server: MTurk "
            f"shows HIT pages from it (now {base or 'unset'!r})."
        )
    return base


def task_url(kind: str, public_id: str) -> str:
    """The HTTPS address of a task's HIT page ("hit-contains" / "hit-classify")."""
    return public_base_url() + reverse(f"hit-{kind}", kwargs={"public_id": public_id})


def external_question(url: str, frame_height: int) -> str:
    """An ExternalQuestion document (MTurk's 2006-07-14 schema) framing `url`."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<ExternalQuestion xmlns="{EXTERNAL_QUESTION_NS}">'
        f"<ExternalURL>{escape(url)}</ExternalURL>"
        f"<FrameHeight>{int(frame_height)}</FrameHeight>"
        "</ExternalQuestion>"
    )
