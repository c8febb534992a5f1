"""The class list shipped once to the human-accuracy screen: every class with its synonyms,
and the WordNet tree above them (from LabelClass.hypernym_path) with a name per node."""

from __future__ import annotations

import threading
from typing import Any

from catalogue.models import LabelClass

_lock = threading.Lock()
_cache: dict[tuple, dict[str, Any]] = {}


def _node_names(wnids: set[str]) -> dict[str, str]:
    """First lemma of each WordNet node; the wnid itself when WordNet cannot be read."""
    names = dict.fromkeys(wnids, "")
    try:
        from catalogue.wordnet_data import ensure_wordnet
        from pipeline.rules import wordnet

        ensure_wordnet()
        for wnid in wnids:
            synset = wordnet.synset_for_wnid(wnid)
            names[wnid] = synset.lemma_names()[0].replace("_", " ")
    except Exception:  # noqa: BLE001  (names are a nicety: the tree works with wnids)
        pass
    return {wnid: name or wnid for wnid, name in names.items()}


def class_catalogue() -> dict[str, Any]:
    """{"classes": [[index, name, synonyms, wnid], ...], "nodes": {wnid: [name, parent]}}.
    Cached per catalogue state (count and last change of the classes)."""
    rows = list(
        LabelClass.objects.values_list("index", "name", "synonyms", "wnid", "hypernym_path")
    )
    key = (len(rows), hash(tuple((r[0], r[3], len(r[4])) for r in rows)))
    with _lock:
        if key in _cache:
            return _cache[key]
    parents: dict[str, str | None] = {}
    for _, _, _, wnid, path in rows:
        path = path or [wnid]
        for i, node in enumerate(path):
            parents.setdefault(node, path[i - 1] if i else None)
    class_names = {wnid: name for _, name, _, wnid, _ in rows}
    names = _node_names(set(parents) - set(class_names))
    names.update(class_names)
    data = {
        "classes": [[index, name, synonyms, wnid] for index, name, synonyms, wnid, _ in rows],
        "nodes": {wnid: [names[wnid], parent] for wnid, parent in parents.items()},
    }
    with _lock:
        _cache.clear()
        _cache[key] = data
    return data
