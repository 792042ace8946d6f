"""list_entities' name index gives each entity the strength a test of every name and name word gives."""

from __future__ import annotations

from newscorpus.query.api import CorpusQuery, _similar
from newscorpus.query.name_index import NameIndex
from newscorpus.query.text import fold


def _strength(key: str, names: tuple[str, ...]) -> int:
    """3 exact, 2 prefix of the name or of a word in it, 1 close spelling of the name or a word, else 0."""
    if not key:
        return 0
    if key in names:
        return 3
    if any(f" {key}" in f" {n}" for n in names):
        return 2
    return int(any(_similar(key, t) for n in names for t in (n, *n.split())))


def test_strengths_equal_testing_every_name(corpus_query: CorpusQuery) -> None:
    names = {
        eid: tuple(fold(n) for n in (info.entity.name, *info.entity.aliases))
        for eid, info in corpus_query.store.entities.items()
    }
    index = NameIndex(names, _similar)
    keys = {"", " ", "a", "ag", "\x00", "x" * 300, "deutsche tel", "microsft", "nvdia", "open ai", "blackrok"}
    for folded in names.values():
        for n in folded:
            keys |= {n, n[:3], n[:6], n[1:], n[::-1], n + "s", *n.split()[-1:], n.replace("e", "a", 1)}
    assert len(keys) > 100
    matched = 0
    for key in sorted(keys):
        expected = {eid: s for eid, ns in names.items() if (s := _strength(key, ns))}
        assert index.strengths(key) == expected, key
        matched += bool(expected)
    assert matched > 50
