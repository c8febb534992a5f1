"""`manage.py compute_candidates`: the old name of `potential_labels`, kept for one release."""

from pipeline.management.commands.potential_labels import Command as PotentialLabels


class Command(PotentialLabels):
    help = "Deprecated name of `potential_labels` (stage 1); it runs the same command."
