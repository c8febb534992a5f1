from django.core.management.base import CommandError

from catalogue.classes import load_imagenet_classes
from catalogue.wordnet_data import WordNetMissing
from core.commands import FinelabelCommand


class Command(FinelabelCommand):
    help = (
        "Load the 1,000 ImageNet classes (wnid, lemmas, gloss), their 11 superclasses, a "
        "Wikipedia link per class and the WordNet hierarchy. Safe to re-run."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-hierarchy",
            action="store_true",
            help="Skip WordNet (candidate rule 3 then cannot run).",
        )

    def handle(self, *args, no_hierarchy: bool = False, **options):
        try:
            counts = load_imagenet_classes(with_hierarchy=not no_hierarchy, log=self.stdout.write)
        except WordNetMissing as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Classes: {counts['created']} created, {counts['updated']} updated; "
                f"{counts['superclasses']} superclasses."
            )
        )
