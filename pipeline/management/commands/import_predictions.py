from pathlib import Path

from core.commands import FinelabelCommand
from pipeline.selectors import get_campaign
from pipeline.stages.imported_predictions import import_predictions


class Command(FinelabelCommand):
    help = (
        "Import a model's top-5 predictions on a campaign's images, to score the model against "
        "the campaign's labels on the dashboard. CSV rows: image public id or source, then 5 "
        "class indices or wnids, best first. NPY: an N x 5 array of class indices aligned to "
        "--images (default: the dataset's images in import order). Bad input stores nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="predictions.csv or predictions.npy")
        parser.add_argument("--campaign", required=True, help="Campaign id or name.")
        parser.add_argument("--model", required=True, help="Name the model is shown under.")
        parser.add_argument("--images", type=Path, help="For NPY: image ids, one a line.")

    def handle(self, *args, **opts):
        campaign = get_campaign(opts["campaign"])
        images = Path(opts["images"]) if opts["images"] else None
        n = import_predictions(campaign, opts["model"], Path(opts["file"]), images)
        self.stdout.write(f"Stored {n} predictions of {opts['model']} on {campaign}.")
