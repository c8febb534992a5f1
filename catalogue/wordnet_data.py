"""Offline WordNet for nltk: copy Debian's WordNet 3.0 files into an NLTK_DATA folder.

nltk reads WordNet from NLTK_DATA/corpora/wordnet. Debian's wordnet-base and
wordnet-sense-index install the same WordNet 3.0 files under /usr/share/wordnet, lacking only
the `lexnames` file nltk wants, which we write. Without those packages nltk's own downloader is
tried (it needs the network); failing both, the error says what to install.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nltk
from django.conf import settings

from core.errors import FinelabelError

DEBIAN_WORDNET = Path("/usr/share/wordnet")
REQUIRED = ["data.noun", "index.noun", "index.sense", "noun.exc"]

# WordNet 3.0's lexicographer files: number, name, syntactic category.
LEXNAMES = [
    "adj.all",
    "adj.pert",
    "adv.all",
    "noun.Tops",
    "noun.act",
    "noun.animal",
    "noun.artifact",
    "noun.attribute",
    "noun.body",
    "noun.cognition",
    "noun.communication",
    "noun.event",
    "noun.feeling",
    "noun.food",
    "noun.group",
    "noun.location",
    "noun.motive",
    "noun.object",
    "noun.person",
    "noun.phenomenon",
    "noun.plant",
    "noun.possession",
    "noun.process",
    "noun.quantity",
    "noun.relation",
    "noun.shape",
    "noun.state",
    "noun.substance",
    "noun.time",
    "verb.body",
    "verb.change",
    "verb.cognition",
    "verb.communication",
    "verb.competition",
    "verb.consumption",
    "verb.contact",
    "verb.creation",
    "verb.emotion",
    "verb.motion",
    "verb.perception",
    "verb.possession",
    "verb.social",
    "verb.stative",
    "verb.weather",
    "adj.ppl",
]
_CATEGORY = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}


class WordNetMissing(FinelabelError, RuntimeError):
    """WordNet 3.0 files are not where nltk can read them."""


def lexnames_text() -> str:
    lines = [f"{i:02d}\t{name}\t{_CATEGORY[name.split('.')[0]]}" for i, name in enumerate(LEXNAMES)]
    return "\n".join(lines) + "\n"


def wordnet_dir(nltk_data: Path | None = None) -> Path:
    return Path(nltk_data or settings.NLTK_DATA) / "corpora" / "wordnet"


def is_ready(nltk_data: Path | None = None) -> bool:
    folder = wordnet_dir(nltk_data)
    return all((folder / name).exists() for name in [*REQUIRED, "lexnames"])


def link_debian_files(nltk_data: Path | None = None, source: Path = DEBIAN_WORDNET) -> Path:
    """Copy the Debian files into NLTK_DATA and write `lexnames`. Idempotent. A copy, not a
    symlink: nltk refuses to read corpus files that resolve outside its data folder."""
    if not all((source / name).exists() for name in REQUIRED):
        raise WordNetMissing(missing_message(source))
    folder = wordnet_dir(nltk_data)
    folder.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        target = folder / path.name
        if path.is_file() and not _same_file(path, target):
            shutil.copyfile(path, target)
    (folder / "lexnames").write_text(lexnames_text())
    return folder


def _same_file(source: Path, target: Path) -> bool:
    return target.exists() and target.stat().st_size == source.stat().st_size


def missing_message(source: Path = DEBIAN_WORDNET) -> str:
    return (
        f"WordNet 3.0 is not available: expected its files (data.noun, index.sense, ...) under "
        f"{wordnet_dir()} or {source}. Install them with "
        f"`apt-get install wordnet-base wordnet-sense-index` and run "
        f"`python manage.py setup_wordnet` (the Makefile's setup does both), or point NLTK_DATA "
        f"at a folder holding corpora/wordnet."
    )


def ensure_wordnet(nltk_data: Path | None = None) -> Path:
    """Make WordNet readable by nltk from NLTK_DATA, or raise WordNetMissing saying how."""
    nltk_data = Path(nltk_data or settings.NLTK_DATA)
    if not is_ready(nltk_data):
        if all((DEBIAN_WORDNET / name).exists() for name in REQUIRED):
            link_debian_files(nltk_data)
        elif not nltk.download(
            "wordnet", download_dir=str(nltk_data), quiet=True, raise_on_error=False
        ):
            raise WordNetMissing(missing_message())
    if str(nltk_data) not in nltk.data.path:
        nltk.data.path.insert(0, str(nltk_data))
    return wordnet_dir(nltk_data)
