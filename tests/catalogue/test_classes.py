"""The class catalogue: 1,000 classes, superclasses, Wikipedia links, WordNet distances."""

import json
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalogue import wordnet_data
from catalogue.classes import SUPERCLASSES_FILE, class_distance
from catalogue.models import LabelClass, Superclass
from tests.conftest import wordnet_available

pytestmark = pytest.mark.django_db

needs_wordnet = pytest.mark.skipif(
    not wordnet_available(), reason="WordNet files missing: apt-get install wordnet-base"
)


def test_thousand_classes_in_imagenet_order(catalogue):
    assert LabelClass.objects.count() == 1000
    first, last = LabelClass.objects.get(index=0), LabelClass.objects.get(index=999)
    assert (first.wnid, first.name) == ("n01440764", "tench")
    assert first.synonyms == ["tench", "Tinca tinca"]
    assert "freshwater" in first.gloss and not first.gloss.startswith("tench")
    assert last.wnid == "n15075141"  # toilet tissue
    assert first.wikipedia_url.startswith("https://en.wikipedia.org/")
    assert "tench" in first.wikipedia_url


def test_superclasses_cover_every_class_exactly_once(catalogue):
    assert Superclass.objects.count() == 11
    assert not LabelClass.objects.filter(superclass__isnull=True).exists()
    with open(SUPERCLASSES_FILE) as handle:
        listed = Counter(i for indices in json.load(handle).values() for i in indices)
    assert set(listed) == set(range(1000)) and set(listed.values()) == {1}
    dogs = Superclass.objects.get(name="Dogs")
    assert LabelClass.objects.get(wnid="n02099601").superclass == dogs  # golden retriever


def test_reloading_updates_in_place(catalogue):
    LabelClass.objects.filter(index=0).update(name="changed")
    call_command("load_imagenet_classes", "--no-hierarchy", verbosity=0)
    assert LabelClass.objects.count() == 1000
    assert LabelClass.objects.get(index=0).name == "tench"


@needs_wordnet
@pytest.mark.parametrize(
    "a, b, expected",
    [
        ("n02123045", "n02123045", 0),  # tabby, itself
        ("n02123045", "n02123159", 2),  # tabby - tiger cat: siblings under domestic cat
        ("n02099601", "n02099712", 2),  # golden retriever - Labrador: both retrievers
        ("n02099601", "n02123045", 7),  # golden retriever - tabby: meet at carnivore
    ],
)
def test_wordnet_distance_of_known_pairs(catalogue, a, b, expected):
    assert class_distance(catalogue[a], catalogue[b]) == expected


@needs_wordnet
def test_wordnet_distance_agrees_with_nltk(catalogue):
    from nltk.corpus import wordnet as wn

    wordnet_data.ensure_wordnet()
    pairs = [("n02099601", "n04285008"), ("n01440764", "n02123045"), ("n07753592", "n07747607")]
    for a, b in pairs:
        sa = wn.synset_from_pos_and_offset("n", int(a[1:]))
        sb = wn.synset_from_pos_and_offset("n", int(b[1:]))
        assert class_distance(catalogue[a], catalogue[b]) == sa.shortest_path_distance(sb)
    # A dog and a sports car are far apart: rule 3 would keep such a label.
    assert class_distance(catalogue["n02099601"], catalogue["n04285008"]) > 5


@needs_wordnet
def test_hierarchy_path_runs_from_entity(catalogue):
    path = catalogue["n02099601"].hypernym_path
    assert path[0] == "n00001740"  # entity.n.01
    assert path[-1] == "n02099601"


def test_missing_wordnet_gives_a_clear_error(tmp_path, settings, monkeypatch):
    settings.NLTK_DATA = tmp_path / "nltk_data"
    monkeypatch.setattr(wordnet_data, "DEBIAN_WORDNET", tmp_path / "no-debian-files")
    monkeypatch.setattr(wordnet_data.nltk, "download", lambda *a, **k: False)  # no network here
    with pytest.raises(CommandError, match="apt-get install wordnet-base wordnet-sense-index"):
        call_command("setup_wordnet")


def test_distance_without_hierarchy_says_what_to_run(db):
    a = LabelClass(index=0, wnid="n1", name="a")
    with pytest.raises(ValueError, match="load_imagenet_classes"):
        class_distance(a, a)
