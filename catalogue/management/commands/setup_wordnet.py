from django.core.management.base import CommandError

from catalogue.wordnet_data import WordNetMissing, ensure_wordnet
from core.commands import FinelabelCommand


class Command(FinelabelCommand):
    help = "Prepare WordNet 3.0 for nltk under NLTK_DATA (from Debian's wordnet packages)."

    def handle(self, *args, **options):
        try:
            folder = ensure_wordnet()
        except WordNetMissing as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"WordNet ready in {folder}"))
