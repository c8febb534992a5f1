"""Adding control images to a campaign's dataset before it starts: known-label images from a
CSV (`path_or_url,label`) or a folder laid out label/image.jpg, imported by catalogue.imports.
An image whose dataset label is q is a control of q's grids (pipeline.rules.grids), so the
grids built at start take them; once the grids are built, controls can no longer be added."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings

from catalogue.imports.service import ImportReport, import_items
from catalogue.imports.sources import ImportItem, iter_source
from core.errors import FinelabelError
from crowd.models import ContainsGrid
from pipeline.models import Campaign
from studio.lifecycle import CampaignRefused


class ControlsRefused(FinelabelError):
    """A control source this user may not read."""


def check_locators(items: list[ImportItem], root: Path, url_hosts: Sequence[str] = ()) -> None:
    """Web uploads may name files under `root` (settings.FINELABEL_CONTROLS_ROOT) and http(s)
    URLs of `url_hosts` (FINELABEL_CONTROLS_URL_HOSTS) only: a researcher must not read the
    server's other files, nor make it request other addresses (its own network's)."""
    root = root.resolve()
    for item in items:
        url = urlparse(item.locator)
        if url.scheme in ("http", "https") and url.hostname in url_hosts:
            continue
        if url.scheme == "" and Path(item.locator).resolve().is_relative_to(root):
            continue
        hosts = ", ".join(url_hosts) or "none: set FINELABEL_CONTROLS_URL_HOSTS"
        raise ControlsRefused(
            f"{item.locator!r} is neither a file under {root} nor an http(s) URL of an "
            f"allowed host ({hosts})."
        )


def add_controls(
    campaign: Campaign, source: str, *, root: Path | None = None, uploaded: bool = False
) -> ImportReport:
    """Import the images of `source` (a .csv manifest or a folder) into the campaign's
    dataset. With `root` (the web page), only URLs and files under it are read, and the
    source itself must lie under it unless it is an `uploaded` manifest."""
    if campaign.closed_at is not None:
        raise CampaignRefused(f"Campaign {campaign.name!r} is closed.")
    if ContainsGrid.objects.filter(campaign=campaign).exists():
        raise CampaignRefused(
            f"Campaign {campaign.name!r} has its grids already: controls are added before it "
            "starts."
        )
    inside = root is None or uploaded or Path(source).resolve().is_relative_to(root.resolve())
    if not inside:
        raise ControlsRefused(f"{source!r} is not under {root.resolve()}.")
    items = list(iter_source(source))
    if not items:
        raise FinelabelError(f"No images found in {source}.")
    if root is not None:
        check_locators(items, root, settings.FINELABEL_CONTROLS_URL_HOSTS)
    return import_items(campaign.dataset, items, workers=0)


def report_lines(report: ImportReport) -> list[str]:
    lines = [
        f"Control images: {report.imported} imported of {report.offered} offered "
        f"({report.already_imported} already there, {len(report.duplicates)} duplicates)."
    ]
    for locator, label in report.unknown_class[:5]:
        lines.append(f"  unknown label {label!r}: {locator}")
    for locator, reason in report.unreadable[:5]:
        lines.append(f"  unreadable: {locator}: {reason}")
    return lines
