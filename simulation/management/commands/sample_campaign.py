"""`manage.py sample_campaign --images N`: a simulated campaign with every stage's output."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.urls import reverse

from core.commands import FinelabelCommand
from simulation.sample_campaign import build_sample_campaign


class Command(FinelabelCommand):
    help = (
        "Build a simulated campaign with every stage's output filled in (simulated workers, "
        "answers, frequencies, candidates, final labels, model predictions), to look at a "
        "populated dashboard. Needs the class catalogue (load_imagenet_classes)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--images", type=int, default=2000, help="images (2000)")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--name", default=None, help="campaign name (default: generated)")
        parser.add_argument(
            "--files", action="store_true", help="write thumbnails for the galleries"
        )

    def handle(self, *args, **opts) -> None:
        if opts["images"] < 1:
            raise CommandError("--images must be at least 1.")
        try:
            campaign = build_sample_campaign(
                opts["images"], seed=opts["seed"], write_files=opts["files"], name=opts["name"]
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        url = reverse("dashboard", args=[campaign.pk])
        self.stdout.write(
            self.style.SUCCESS(f"Campaign {campaign.pk} {campaign.name!r}: dashboard at {url}")
        )
