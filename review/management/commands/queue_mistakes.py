"""Queue every remaining mistake of a model for the panel (Vasudevan et al.'s second phase)."""

from __future__ import annotations

from django.core.management.base import CommandError, CommandParser

from catalogue.models import Dataset
from core.commands import FinelabelCommand
from review import selectors
from review.services import queue_mistakes
from review.truth import EXPERT_SET, expert_set, resolve_sets


class Command(FinelabelCommand):
    help = (
        "Queue for the review panel every top-1 prediction of a model that the ground truth "
        "does not judge correct: wrong, unclear or unjudged, including predictions already "
        "judged wrong, so that the panel rates each one's severity and category."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--model", required=True, help="The model whose mistakes to queue.")
        parser.add_argument(
            "--ground-truth", required=True, help="Comma-separated sets, later ones winning."
        )
        parser.add_argument("--dataset", help="Only this dataset's images.")
        parser.add_argument(
            "--no-expert", action="store_true", help=f"Do not add the panel's set ({EXPERT_SET})."
        )

    def handle(self, *args, **options) -> None:
        names = [n.strip() for n in options["ground_truth"].split(",") if n.strip()]
        if not options["no_expert"] and EXPERT_SET not in names:
            expert_set()
            names.append(EXPERT_SET)
        sets = resolve_sets(names)
        dataset = None
        if options["dataset"]:
            dataset = Dataset.objects.filter(name=options["dataset"]).first()
            if dataset is None:
                raise CommandError(f"No dataset {options['dataset']!r}.")
        if options["model"] not in selectors.model_names():
            raise CommandError(f"No predictions for {options['model']}.")
        remaining, created = queue_mistakes(options["model"], sets, dataset)
        self.stdout.write(
            f"{options['model']}: {remaining} remaining mistakes (not judged correct), "
            f"{created} newly queued for the panel"
        )
