"""Build the major-mistakes slice (ImageNet-M of Vasudevan et al.)."""

from __future__ import annotations

from django.core.management.base import CommandError, CommandParser

from catalogue.models import Dataset
from core.commands import FinelabelCommand
from review.class_slices import build_without_dogs_slice
from review.services import build_major_slice
from review.truth import resolve_sets


class Command(FinelabelCommand):
    help = (
        "Keep as a named evaluation slice (ImageNet-M) the images, among the major mistakes of "
        "the reviewed model, on which at least --min-major of the given models make a major "
        "mistake (as decided by the review panel), among images with some correct label. "
        "With --without-dogs instead: the images of every class but the 118 dog classes "
        "(Shankar et al.'s 882-class slice)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="Slice name, e.g. imagenet-m.")
        parser.add_argument("--models", help="Comma-separated model names (ImageNet-M).")
        parser.add_argument(
            "--without-dogs",
            action="store_true",
            help="Build the slice of the classes that are not dogs (descendants of dog.n.01).",
        )
        parser.add_argument("--min-major", type=int, default=3, help="Models that must err (3).")
        parser.add_argument(
            "--reviewed-model",
            help="The model whose major mistakes are the pool (default: the first of --models).",
        )
        parser.add_argument("--dataset", help="Only this dataset's images.")
        parser.add_argument(
            "--ground-truth", default="", help="Sets besides the panel's that give correct labels."
        )

    def handle(self, *args, **options) -> None:
        dataset = None
        if options["dataset"]:
            dataset = Dataset.objects.filter(name=options["dataset"]).first()
            if dataset is None:
                raise CommandError(f"No dataset {options['dataset']!r}.")
        if options["without_dogs"]:
            if options["models"]:
                raise CommandError("--without-dogs takes no --models: it keeps classes.")
            self._without_dogs(options["name"], dataset)
            return
        if not options["models"]:
            raise CommandError("Give --models (ImageNet-M) or --without-dogs.")
        models = [m.strip() for m in options["models"].split(",") if m.strip()]
        sets = resolve_sets(options["ground_truth"].split(","))
        report = build_major_slice(
            options["name"],
            models,
            options["min_major"],
            sets,
            dataset,
            reviewed_model=options["reviewed_model"],
        )
        reviewed = report.evaluation_slice.params["reviewed_model"]
        self.stdout.write(
            f"slice {report.evaluation_slice.name}: {report.images} images "
            f"(pool: {report.pool} major mistakes of {reviewed}; "
            f"{report.candidates} with >= {options['min_major']} of {len(models)} major "
            f"mistakes, {report.candidates - report.images} dropped for lack of a correct label)"
        )

    def _without_dogs(self, name: str, dataset) -> None:
        report = build_without_dogs_slice(name, dataset)
        self.stdout.write(
            f"slice {report.evaluation_slice.name}: {report.images} images of {report.classes} "
            f"classes ({report.dropped_classes} dog classes left out)"
        )
