"""WordNet distances between classes, as a pure function over precomputed hypernym data.

Stage 3 (PIPELINE.md) admits a potential label into the candidate set when it is "more than 5
nodes away from the dataset label in the WordNet graph": such a label names a different
object, not a near synonym. Reading WordNet for every pair of 10,000 images x 14 labels would
be slow and would tie the stage to nltk's data files, so the work is split:

- once per class, `hypernym_distances` walks an nltk Synset up to the root and returns its
  ancestors with their distances; the caller stores that mapping (it is plain JSON);
- `wordnet_distance` then compares two such mappings with no WordNet at hand. It returns what
  nltk's `Synset.shortest_path_distance` returns: the fewest edges of a path that goes up from
  one class to a common ancestor and down to the other. Instance hypernyms count as
  hypernyms, as in nltk. No fake root is simulated (nltk's `simulate_root` only matters for
  verbs; every noun reaches `entity.n.01`), so two classes with no common ancestor are at
  distance None.

`synset_for_wnid` is the one function here that reads WordNet (through nltk's corpus reader);
it raises `WordNetUnavailable`, saying what to install, when the files are missing.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from core.errors import FinelabelError

AncestorDistances = Mapping[str, int]
"""Ancestor synset name -> fewest hypernym edges from the class's synset (itself at 0)."""

_WNID = re.compile(r"^n\d{8}$")

INSTALL_HINT = (
    "Install WordNet 3.0 (Debian: `apt-get install wordnet-base wordnet-sense-index`, which "
    "puts the files under /usr/share/wordnet), then copy those files into "
    "$NLTK_DATA/corpora/wordnet together with a `lexnames` file (nltk refuses symlinks that "
    "leave its data folder); `python manage.py setup_wordnet` does both. With network access, "
    "`python -m nltk.downloader wordnet` also works."
)


class WordNetUnavailable(FinelabelError, RuntimeError):
    """nltk cannot read WordNet: the data files are not under any NLTK_DATA folder."""


class UnknownWnid(FinelabelError, ValueError):
    """The wnid is malformed or names no noun synset of this WordNet."""


def wordnet_distance(anc_a: AncestorDistances, anc_b: AncestorDistances) -> int | None:
    """Fewest edges between two classes through a common ancestor; None when they share none.

    Each argument is a class's `hypernym_distances`. The result is min over common ancestors
    of the sum of the two distances, which is 0 for a class and itself (the synset is its own
    ancestor at distance 0)."""
    if len(anc_b) < len(anc_a):
        anc_a, anc_b = anc_b, anc_a
    best: int | None = None
    for name, dist_a in anc_a.items():
        dist_b = anc_b.get(name)
        if dist_b is not None and (best is None or dist_a + dist_b < best):
            best = dist_a + dist_b
    return best


def hypernym_distances(synset: Any) -> dict[str, int]:
    """Every ancestor of an nltk Synset (itself included, at 0) with its fewest edges away.

    A breadth-first walk over hypernyms and instance hypernyms, so the first time a synset is
    reached is along a shortest path, exactly like nltk's own shortest_path_distance."""
    distances: dict[str, int] = {}
    queue: deque[tuple[Any, int]] = deque([(synset, 0)])
    while queue:
        node, depth = queue.popleft()
        name = node.name()
        if name in distances:
            continue
        distances[name] = depth
        for parent in (*node.hypernyms(), *node.instance_hypernyms()):
            queue.append((parent, depth + 1))
    return distances


def distance_function(
    ancestors: Mapping[int, AncestorDistances],
) -> Callable[[int, int], int | None]:
    """The `distance(label_a, label_b)` that stage 3 takes, over label ids.

    `ancestors` maps a label id to its class's `hypernym_distances`; a label id missing from it
    raises KeyError when asked about."""

    def distance(label_a: int, label_b: int) -> int | None:
        if label_a == label_b:
            return 0
        return wordnet_distance(ancestors[label_a], ancestors[label_b])

    return distance


def synset_for_wnid(wnid: str, reader: Any = None) -> Any:
    """The nltk noun Synset of an ImageNet wnid such as 'n02123045' (the part after 'n' is
    the synset's offset in WordNet 3.0's data.noun).

    `reader` is a WordNetCorpusReader; by default nltk's `nltk.corpus.wordnet`, which looks
    for the files under the folders of `nltk.data.path` (NLTK_DATA). Raises
    WordNetUnavailable when nltk or its WordNet data is missing, and UnknownWnid when the wnid
    is malformed or names no synset."""
    if not isinstance(wnid, str) or not _WNID.match(wnid):
        raise UnknownWnid(f"{wnid!r} is not a WordNet noun id ('n' and 8 digits)")
    reader = reader if reader is not None else _default_reader()
    try:
        synset = reader.synset_from_pos_and_offset("n", int(wnid[1:]))
    except LookupError as exc:  # the lazy corpus loader found no files
        raise WordNetUnavailable(f"nltk finds no WordNet data. {INSTALL_HINT}") from exc
    except (PermissionError, ValueError) as exc:  # nltk's path checks refused the files
        raise WordNetUnavailable(f"nltk refuses its WordNet files ({exc}). {INSTALL_HINT}") from exc
    if synset is None:  # nltk warns and returns None for an offset that is no synset
        raise UnknownWnid(f"{wnid} names no noun synset in this WordNet")
    return synset


def _default_reader() -> Any:
    try:
        from nltk.corpus import wordnet
    except ImportError as exc:
        raise WordNetUnavailable(f"nltk is not installed. {INSTALL_HINT}") from exc
    return wordnet
