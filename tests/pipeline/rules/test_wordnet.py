"""WordNet distances: the pure comparison on hand-made hierarchies, and agreement with nltk's
own shortest_path_distance on real ImageNet classes when WordNet 3.0 is installed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from catalogue.wordnet_data import DEBIAN_WORDNET, link_debian_files
from pipeline.rules.wordnet import (
    UnknownWnid,
    WordNetUnavailable,
    distance_function,
    hypernym_distances,
    synset_for_wnid,
    wordnet_distance,
)

TABBY, TIGER_CAT, PERSIAN = "n02123045", "n02123159", "n02123394"
GOLDEN, LABRADOR, CHIHUAHUA = "n02099601", "n02099712", "n02085620"
SPORTS_CAR, DOG_SYNSET = "n04285008", "n02084071"


# A small hierarchy: cat -> feline -> carnivore -> animal; dog -> canine -> carnivore;
# car -> vehicle -> artifact; a diamond (mule: horse and donkey both under equine).
CAT = {"cat": 0, "feline": 1, "carnivore": 2, "animal": 3, "entity": 4}
DOG = {"dog": 0, "canine": 1, "carnivore": 2, "animal": 3, "entity": 4}
CAR = {"car": 0, "vehicle": 1, "artifact": 2, "entity": 3}
MULE = {"mule": 0, "horse": 1, "donkey": 1, "equine": 2, "animal": 4, "entity": 5}
ROCK = {"rock": 0}


def test_distance_of_a_class_to_itself_is_zero():
    assert wordnet_distance(CAT, CAT) == 0


def test_distance_goes_through_the_nearest_common_ancestor():
    assert wordnet_distance(CAT, DOG) == 4  # cat-feline-carnivore-canine-dog
    assert wordnet_distance(CAT, CAR) == 7  # up 4 to entity, down 3
    assert wordnet_distance(MULE, CAT) == 7  # via animal: 4 + 3


def test_distance_is_symmetric_and_none_without_common_ancestor():
    assert wordnet_distance(DOG, CAR) == wordnet_distance(CAR, DOG) == 7
    assert wordnet_distance(CAT, ROCK) is None


def test_distance_to_an_ancestor_is_its_depth():
    assert wordnet_distance(MULE, {"equine": 0, "animal": 2, "entity": 3}) == 2


def test_distance_function_over_label_ids():
    distance = distance_function({1: CAT, 2: DOG, 3: CAR})
    assert distance(1, 2) == 4
    assert distance(3, 3) == 0
    with pytest.raises(KeyError):
        distance(1, 99)


def test_malformed_wnid_is_refused_before_reading_wordnet():
    for wnid in ["02123045", "n0212304", "v02123045", "n02123045x", 2123045]:
        with pytest.raises(UnknownWnid):
            synset_for_wnid(wnid, reader=object())


def test_missing_wordnet_data_says_what_to_install(monkeypatch):
    import nltk.corpus
    from nltk.corpus.reader.wordnet import WordNetCorpusReader
    from nltk.corpus.util import LazyCorpusLoader

    absent = LazyCorpusLoader("no_such_wordnet_corpus", WordNetCorpusReader, None)
    with pytest.raises(WordNetUnavailable, match="wordnet-base wordnet-sense-index"):
        synset_for_wnid(TABBY, reader=absent)
    monkeypatch.setattr(
        nltk.corpus,
        "wordnet",
        LazyCorpusLoader("no_such_wordnet_corpus", WordNetCorpusReader, None),
    )
    with pytest.raises(WordNetUnavailable, match="NLTK_DATA"):
        synset_for_wnid(TABBY)


# --- Real WordNet ---------------------------------------------------------------------------

requires_wordnet = pytest.mark.skipif(
    not (DEBIAN_WORDNET / "data.noun").exists(),
    reason=(
        "WordNet 3.0 files are not under /usr/share/wordnet: "
        "`apt-get install wordnet-base wordnet-sense-index` to run these tests"
    ),
)


@pytest.fixture(scope="module")
def nltk_data(tmp_path_factory) -> Iterator[Path]:
    """An NLTK_DATA folder holding Debian's WordNet 3.0 and a generated `lexnames`. Copies,
    not symlinks: nltk refuses corpus files that resolve outside its data folder."""
    import nltk

    root = tmp_path_factory.mktemp("nltk_data")
    link_debian_files(root, DEBIAN_WORDNET)

    # nltk reads corpus files only under the folders of nltk.data.path.
    nltk.data.path.insert(0, str(root))
    yield root
    nltk.data.path.remove(str(root))


@pytest.fixture(scope="module")
def reader(nltk_data):
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    return WordNetCorpusReader(str(nltk_data / "corpora" / "wordnet"), None)


@requires_wordnet
def test_lexnames_fixture_has_the_45_standard_files(nltk_data):
    lines = (nltk_data / "corpora" / "wordnet" / "lexnames").read_text().splitlines()
    assert len(lines) == 45
    assert lines[0] == "00\tadj.all\t3" and lines[44] == "44\tadj.ppl\t3"


@requires_wordnet
def test_synset_for_wnid_reads_the_right_synset(reader):
    assert synset_for_wnid(TABBY, reader).name() == "tabby.n.01"
    assert synset_for_wnid(GOLDEN, reader).name() == "golden_retriever.n.01"
    assert synset_for_wnid(SPORTS_CAR, reader).name() == "sports_car.n.01"


@requires_wordnet
def test_offset_that_is_no_synset_is_unknown(reader):
    with pytest.raises(UnknownWnid):
        synset_for_wnid("n02123046", reader)


@requires_wordnet
def test_default_reader_follows_nltk_data_path(nltk_data, monkeypatch):
    import nltk
    import nltk.corpus
    from nltk.corpus.reader.wordnet import WordNetCorpusReader
    from nltk.corpus.util import LazyCorpusLoader

    monkeypatch.setattr(nltk.data, "path", [])  # no folder on the path holds WordNet
    with pytest.raises(WordNetUnavailable):  # not yet on the path: refused, with the hint
        synset_for_wnid(TIGER_CAT, LazyCorpusLoader("wordnet", WordNetCorpusReader, None))
    monkeypatch.setattr(nltk.data, "path", [str(nltk_data), *nltk.data.path])
    fresh = LazyCorpusLoader("wordnet", WordNetCorpusReader, None)
    monkeypatch.setattr(nltk.corpus, "wordnet", fresh)
    assert synset_for_wnid(TIGER_CAT).name() == "tiger_cat.n.02"  # the domestic one


@requires_wordnet
def test_hypernym_distances_start_at_the_synset_and_reach_the_root(reader):
    tabby = synset_for_wnid(TABBY, reader)
    ancestors = hypernym_distances(tabby)
    assert ancestors["tabby.n.01"] == 0
    assert ancestors["domestic_cat.n.01"] == 1
    assert ancestors["cat.n.01"] == 2
    assert "entity.n.01" in ancestors
    assert wordnet_distance(ancestors, ancestors) == 0


@requires_wordnet
@pytest.mark.parametrize(
    ("wnid_a", "wnid_b"),
    [
        (TABBY, TIGER_CAT),
        (GOLDEN, LABRADOR),
        (CHIHUAHUA, TABBY),
        (DOG_SYNSET, TABBY),
        (DOG_SYNSET, PERSIAN),
        (GOLDEN, SPORTS_CAR),
        (CHIHUAHUA, GOLDEN),
        (DOG_SYNSET, GOLDEN),
    ],
)
def test_distance_matches_nltk_shortest_path_distance(reader, wnid_a, wnid_b):
    a, b = synset_for_wnid(wnid_a, reader), synset_for_wnid(wnid_b, reader)
    expected = a.shortest_path_distance(b)
    assert expected is not None
    assert wordnet_distance(hypernym_distances(a), hypernym_distances(b)) == expected


@requires_wordnet
def test_known_distances(reader):
    def dist(wnid_a: str, wnid_b: str) -> int | None:
        a, b = synset_for_wnid(wnid_a, reader), synset_for_wnid(wnid_b, reader)
        return wordnet_distance(hypernym_distances(a), hypernym_distances(b))

    assert dist(TABBY, TIGER_CAT) == 2  # siblings under domestic_cat
    assert dist(GOLDEN, LABRADOR) == 2  # siblings under retriever
    assert dist(GOLDEN, GOLDEN) == 0
    assert dist(GOLDEN, SPORTS_CAR) > 5  # a different object for candidate rule 3


@requires_wordnet
def test_instance_hypernyms_count_like_nltk(reader):
    # An instance synset (a named person) reaches its class only through instance hypernyms.
    einstein = reader.synset("einstein.n.01")
    physicist = reader.synset("physicist.n.01")
    assert einstein.hypernyms() == [] and einstein.instance_hypernyms()
    ancestors = hypernym_distances(einstein)
    assert ancestors["physicist.n.01"] == 1
    assert wordnet_distance(ancestors, hypernym_distances(physicist)) == (
        einstein.shortest_path_distance(physicist)
    )
