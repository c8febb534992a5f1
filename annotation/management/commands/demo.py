import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from annotation.demo import demo_truth, write_demo_images
from annotation.models import Campaign, Dataset, LabelClass

DATASET = "demo"


class Command(BaseCommand):
    help = (
        "Make the demo: drawn pictures of a few ImageNet classes (some with two objects), "
        "imported as the dataset 'demo', a campaign on it, and an admin account. Safe to re-run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--per-class", type=int, default=6)
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, per_class: int, seed: int, **options):
        if not LabelClass.objects.exists():
            call_command("load_imagenet_classes", stdout=self.stdout)
        folder = settings.VAR_DIR / "demo_images"
        paths = write_demo_images(folder, per_class=per_class, seed=seed)
        self.stdout.write(f"Drew {len(paths)} demo pictures in {folder}")
        call_command(
            "import_images",
            str(folder),
            "--dataset",
            DATASET,
            "--description",
            "Drawn pictures of a few classes, some with two objects.",
            stdout=self.stdout,
            verbosity=options["verbosity"],
        )
        campaign, _ = Campaign.objects.get_or_create(
            name="demo", defaults={"dataset": Dataset.objects.get(name=DATASET), "ensemble": "tiny"}
        )
        self.stdout.write(f"Campaign '{campaign.name}' (ensemble {campaign.ensemble}) is ready.")
        self.potential_labels(campaign, options["verbosity"])
        self.crowd_stages(campaign)
        self.ensure_admin()

    def potential_labels(self, campaign: Campaign, verbosity: int) -> None:
        """Stage 1 in this process with the campaign's small ensemble and random weights (the
        demo runs offline); the predictions are stored marked as random."""
        self.stdout.write(
            f"Potential labels: ensemble '{campaign.ensemble}' with random weights, in-process."
        )
        call_command(
            "compute_candidates",
            "--campaign",
            str(campaign.pk),
            "--random-weights",
            "--no-celery",
            stdout=self.stdout,
            verbosity=verbosity,
        )

    def crowd_stages(self, campaign: Campaign) -> None:
        """Stages 2-6 with a simulated crowd that answers from what the pictures really hold
        (the dataset label, and the second object named in a two-object picture's file)."""
        from pipeline.stages.classify_pipeline import run_classify_to_labels
        from pipeline.stages.contains import run_contains

        self.stdout.write("CONTAINS with a simulated crowd:")
        run_contains(
            campaign, truth=demo_truth(campaign), log=lambda line: self.stdout.write("  " + line)
        )
        self.stdout.write("CLASSIFY with a simulated crowd:")
        for step, summary in run_classify_to_labels(campaign, simulate=True).items():
            self.stdout.write(f"  {step}: {summary}")

    def ensure_admin(self) -> None:
        """A local admin account; its password is kept in var/ so later runs can show it."""
        path = settings.VAR_DIR / "demo-admin-password"
        users = get_user_model()
        if not path.exists() or not users.objects.filter(username="admin").exists():
            password = secrets.token_urlsafe(12)
            user = users.objects.filter(username="admin").first() or users(username="admin")
            user.is_staff = user.is_superuser = True
            user.set_password(password)
            user.save()
            path.write_text(password)
            path.chmod(0o600)
        self.stdout.write(
            self.style.SUCCESS(f"Admin login: admin / {path.read_text().strip()} (kept in {path})")
        )
