"""Admin of the MTurk tables, and the campaign's MTurk figures shown on the campaign page."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from crowd.models import Bonus, Hit, MTurkCall, MTurkSettings
from crowd.mturk.costs import dollars
from crowd.mturk.selectors import mturk_summary
from crowd.selectors import answer_verification
from pipeline.models import Campaign


def mturk_figures(campaign: Campaign) -> str:
    """HITs published, assignments done, money spent and committed, projected total."""
    if campaign.pk is None:
        return "-"
    s = mturk_summary(campaign)
    rows = [
        ("Environment", "sandbox" if s.sandbox else "LIVE"),
        (
            "HITs published",
            ", ".join(f"{k.upper()} {s.hits.get(k, 0)}" for k in Hit.Kind.values),
        ),
        (
            "Not published yet",
            ", ".join(f"{k.upper()} {s.unpublished.get(k, 0)}" for k in Hit.Kind.values),
        ),
        (
            "Assignments done",
            f"{s.assignments_done} of {s.assignments_max} ({s.approved} approved, "
            f"{s.rejected} rejected, {s.submitted} to review)",
        ),
        ("Spent", f"{dollars(s.spent)} (bonuses {dollars(s.spent_bonuses)}, fees included)"),
        ("Committed", dollars(s.committed)),
        ("Projected total", dollars(s.projected_total)),
        ("Budget", dollars(s.budget) if s.budget is not None else "none set"),
    ]
    figures = answer_verification(campaign).values()
    rows += [
        (
            "Answers waiting for MTurk",
            ", ".join(f"{f.label} {f.pending}" for f in figures)
            + " (they count once the sync confirms them)",
        ),
        (
            "Answers MTurk did not confirm",
            ", ".join(f"{f.label} {f.unconfirmed}" for f in figures) + " (never counted)",
        ),
    ]
    return format_html(
        "<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows)
    )


@admin.register(MTurkSettings)
class MTurkSettingsAdmin(admin.ModelAdmin):
    list_display = ["campaign", "locales", "min_approval_rate", "min_approved_hits"]
    search_fields = ["campaign__name"]


@admin.register(Hit)
class HitAdmin(admin.ModelAdmin):
    list_display = [
        "hit_id",
        "campaign",
        "kind",
        "sandbox",
        "status",
        "done",
        "max_assignments",
        "reward",
        "created",
        "expiration",
    ]
    list_filter = ["campaign", "kind", "sandbox", "status", "done"]
    search_fields = ["hit_id", "hit_type_id", "unique_request_token"]
    raw_id_fields = ["grid", "classify_task"]
    readonly_fields = [f.name for f in Hit._meta.fields]


@admin.register(Bonus)
class BonusAdmin(admin.ModelAdmin):
    list_display = ["worker", "amount", "campaign", "sandbox", "sent_at", "created_at"]
    list_filter = ["campaign", "sandbox"]
    search_fields = ["worker__external_id", "assignment__external_id", "unique_request_token"]
    readonly_fields = [f.name for f in Bonus._meta.fields]


@admin.register(MTurkCall)
class MTurkCallAdmin(admin.ModelAdmin):
    list_display = ["created_at", "operation", "sandbox", "attempt", "error_code", "duration_ms"]
    list_filter = ["operation", "sandbox", "error_code", "campaign"]
    search_fields = ["operation", "request_id", "error"]
    readonly_fields = [f.name for f in MTurkCall._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
