import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils.text import slugify

from catalogue.models import Dataset, LabelClass
from core.commands import FinelabelCommand
from pipeline import exports, flow
from pipeline.models import Campaign, ImageLabels
from simulation.crowd_source import SimulatedCrowd
from simulation.demo_dataset import add_drawn_objects, demo_truth, write_demo_images

DATASET = "demo"
DEFAULT_HOST = "http://127.0.0.1:8000"  # where `make demo` serves (the Makefile's HOST)
# The label exports the demo points to, with how each is named (imagenet-multilabel: JSONL in
# the shape of the published ImageNetMultiLabel data).
EXPORT_FORMATS = [
    ("json", "JSON"),
    ("csv", "CSV"),
    ("jsonl", "JSONL"),
    ("imagenet-multilabel", "ImageNetMultiLabel"),
]


def base_url(host: str) -> str:
    """The origin the links are built on: `host` with http:// when it names no scheme, without
    a trailing slash; CommandError unless it is an http(s) origin (no path)."""
    url = host.strip() if "://" in host else f"http://{host.strip()}"
    parts = urlsplit(url)
    try:
        valid = (
            parts.scheme in ("http", "https")
            and bool(parts.hostname)
            and parts.port != 0  # reading the port raises on one that is not a number
            and parts.path in ("", "/")
            and not parts.query
            and not parts.fragment
        )
    except ValueError:
        valid = False
    if not valid:
        raise CommandError(
            f"--host must be the address the application is served at, such as {DEFAULT_HOST}, "
            f"not {host!r}"
        )
    return url.rstrip("/")


@dataclass(frozen=True)
class LabelsSummary:
    images: int  # the dataset's
    labelled: int  # with final labels
    multi_object: int  # final labels with more than one object
    relabelled: int  # main label other than the dataset label

    def __str__(self) -> str:
        return (
            f"{self.labelled} of {self.images} images labelled, {self.multi_object} with more "
            f"than one object, {self.relabelled} whose main label differs from the dataset label"
        )


def labels_summary(campaign: Campaign) -> LabelsSummary:
    """The campaign's final labels in three counts (one query), and its dataset's size."""
    counts = ImageLabels.objects.filter(campaign=campaign).aggregate(
        labelled=Count("pk"),
        multi_object=Count("pk", filter=Q(num_objects__gt=1)),
        relabelled=Count("pk", filter=~Q(main_label=F("image__label"))),
    )
    return LabelsSummary(images=campaign.dataset.images.count(), **counts)


def where_to_look(campaign: Campaign, base: str) -> list[tuple[str, str]]:
    """(what, where) for the campaign's final labels: dashboard, admin, API exports, command."""
    export = base + reverse("campaign-export", args=[campaign.pk])
    admin = reverse("admin:pipeline_imagelabels_changelist")
    rows = [
        ("Dashboard", base + reverse("dashboard", args=[campaign.pk])),
        ("Admin, final labels", f"{base}{admin}?campaign__id__exact={campaign.pk}"),
    ]
    rows += [(f"API export, {name}", f"{export}?format={fmt}") for fmt, name in EXPORT_FORMATS]
    output = f"{slugify(campaign.name)}-labels.{exports.EXTENSIONS['jsonl']}"
    rows.append(
        (
            "Export to a file",
            f"python manage.py export_labels --campaign {campaign.pk} --format jsonl "
            f"--output {output}",
        )
    )
    return rows


class Command(FinelabelCommand):
    help = (
        "Make the demo: drawn pictures of a few ImageNet classes (some with two objects), "
        "imported as the dataset 'demo', a campaign on it carried to final labels by a "
        "simulated crowd, and an admin account; ends with a summary of the final labels and "
        "where to see them (links built on --host). Safe to re-run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--per-class", type=int, default=6)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--adaptive",
            action="store_true",
            help="collect adaptively: each grid and CLASSIFY task gets 3 answers first, more "
            "(up to 9) only where its outcome is not settled (docs/pipeline.md)",
        )
        parser.add_argument(
            "--host",
            default=DEFAULT_HOST,
            help="where the application is served, for the links printed at the end "
            f"(default {DEFAULT_HOST}, where `make demo` serves it)",
        )

    def handle(self, *args, per_class: int, seed: int, host: str, adaptive: bool, **options):
        base = base_url(host)
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
        if adaptive:
            campaign.contains_min_assignments = campaign.classify_min_assignments = 3
            campaign.save(update_fields=["contains_min_assignments", "classify_min_assignments"])
        self.stdout.write(f"Campaign '{campaign.name}' (ensemble {campaign.ensemble}) is ready.")
        self.potential_labels(campaign, options["verbosity"])
        self.crowd_stages(campaign)
        self.ensure_admin()
        self.final_labels(campaign, base)

    def potential_labels(self, campaign: Campaign, verbosity: int) -> None:
        """Stage 1 in this process with the campaign's small ensemble and random weights (the
        demo runs offline); the predictions are stored marked as random."""
        self.stdout.write(
            f"Potential labels: ensemble '{campaign.ensemble}' with random weights, in-process."
        )
        call_command(
            "potential_labels",
            "--campaign",
            str(campaign.pk),
            "--random-weights",
            "--no-celery",
            stdout=self.stdout,
            verbosity=verbosity,
        )
        added = add_drawn_objects(campaign)
        self.stdout.write(
            f"Added {added} drawn second objects as potential labels: the random-weight models "
            "cannot see them, a trained ensemble would propose them."
        )

    def crowd_stages(self, campaign: Campaign) -> None:
        """Stages 2-6 with a simulated crowd that answers from what the pictures really hold
        (the dataset label, and the second object named in a two-object picture's file)."""
        crowd = SimulatedCrowd(truth=demo_truth(campaign))
        self.stdout.write("Stages 2-6 with a simulated crowd:")
        names = [*flow.CONTAINS, *flow.CLASSIFY]
        flow.run_stages(campaign, names, crowd, log=lambda line: self.stdout.write("  " + line))

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

    def final_labels(self, campaign: Campaign, base: str) -> None:
        """The last lines: the final labels in a few counts, and where to see them."""
        self.stdout.write(
            self.style.SUCCESS(
                f"Final labels of campaign '{campaign.name}' (id {campaign.pk}): "
                f"{labels_summary(campaign)}."
            )
        )
        self.stdout.write(
            "See them (log in as admin first; the API also takes a token: "
            "python manage.py drf_create_token admin):"
        )
        rows = where_to_look(campaign, base)
        width = max(len(what) for what, _ in rows) + 1
        for what, where in rows:
            self.stdout.write(f"  {what + ':':<{width}} {where}")
