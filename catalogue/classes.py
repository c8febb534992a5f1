"""The class catalogue: ImageNet's 1,000 classes with their words, superclasses, Wikipedia
links and WordNet hierarchy, loaded idempotently (re-loading updates in place)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from django.db import transaction
from timm.data import ImageNetInfo

from catalogue.models import LabelClass, Superclass
from catalogue.wordnet_data import ensure_wordnet

SUPERCLASSES_FILE = Path(__file__).resolve().parent / "data" / "imagenet_superclasses.json"


@dataclass
class ClassRecord:
    index: int
    wnid: str
    name: str
    synonyms: list[str]
    gloss: str
    wikipedia_url: str
    hypernym_distances: dict[str, int] = field(default_factory=dict)
    hypernym_path: list[str] = field(default_factory=list)


def wikipedia_url(name: str) -> str:
    """Wikipedia's search goes straight to the article when the title matches."""
    return f"https://en.wikipedia.org/wiki/Special:Search?search={quote(name)}&go=Go"


def imagenet_records() -> list[ClassRecord]:
    """The 1,000 classes in their usual order, with the lemmas and glosses timm ships."""
    info = ImageNetInfo("imagenet-1k")
    records = []
    for index, wnid in enumerate(info.label_names()):
        lemmas = info.label_name_to_description(wnid)
        detailed = info.label_name_to_description(wnid, detailed=True)
        synonyms = [word.strip() for word in lemmas.split(",") if word.strip()]
        gloss = detailed.removeprefix(f"{lemmas}:").strip()
        records.append(
            ClassRecord(index, wnid, synonyms[0], synonyms, gloss, wikipedia_url(synonyms[0]))
        )
    return records


def wnid_of(synset) -> str:
    return f"{synset.pos()}{synset.offset():08d}"


def add_hierarchy(records: Iterable[ClassRecord]) -> None:
    """Fill each record's WordNet ancestors (needs WordNet, see wordnet_data)."""
    from pipeline.rules import wordnet

    ensure_wordnet()
    for record in records:
        synset = wordnet.synset_for_wnid(record.wnid)
        record.hypernym_distances = wordnet.hypernym_distances(synset)
        record.hypernym_path = [wnid_of(s) for s in synset.hypernym_paths()[0]]


def load_superclasses(path: Path = SUPERCLASSES_FILE) -> dict[str, list[int]]:
    with open(path) as handle:
        return json.load(handle)


@transaction.atomic
def store_catalogue(
    records: list[ClassRecord], superclasses: dict[str, list[int]]
) -> dict[str, int]:
    """Upsert classes by index and attach superclasses; returns counts."""
    supers = {name: Superclass.objects.get_or_create(name=name)[0] for name in superclasses}
    super_of = {i: supers[name] for name, indices in superclasses.items() for i in indices}
    existing = {c.index: c for c in LabelClass.objects.filter(index__in=[r.index for r in records])}
    fields = [
        "wnid",
        "name",
        "synonyms",
        "gloss",
        "wikipedia_url",
        "hypernym_distances",
        "hypernym_path",
    ]
    new, changed = [], []
    for record in records:
        obj = existing.get(record.index) or LabelClass(index=record.index)
        for name in fields:
            setattr(obj, name, getattr(record, name))
        obj.superclass = super_of.get(record.index)
        (changed if obj.pk else new).append(obj)
    LabelClass.objects.bulk_create(new, batch_size=500)
    LabelClass.objects.bulk_update(changed, [*fields, "superclass"], batch_size=500)
    return {"created": len(new), "updated": len(changed), "superclasses": len(supers)}


def load_imagenet_classes(
    with_hierarchy: bool = True, log: Callable[[str], None] = lambda _: None
) -> dict[str, int]:
    records = imagenet_records()
    if with_hierarchy:
        log("Reading the WordNet hierarchy...")
        add_hierarchy(records)
    return store_catalogue(records, load_superclasses())


def class_distance(a: LabelClass, b: LabelClass) -> int | None:
    """Number of WordNet edges between two classes (None if they share no ancestor), as
    candidate rule 3 needs it; computed from the stored ancestors, no nltk needed."""
    if not a.hypernym_distances or not b.hypernym_distances:
        raise ValueError(
            "The class catalogue has no WordNet hierarchy: run "
            "`python manage.py load_imagenet_classes` with WordNet installed."
        )
    from pipeline.rules import wordnet

    return wordnet.wordnet_distance(a.hypernym_distances, b.hypernym_distances)
