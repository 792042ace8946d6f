"""Suggestions for unknown ids: the bounded search gives exactly what difflib's full comparison gives."""

from __future__ import annotations

import difflib
import random
import string

import pytest

from newscorpus.query.api import CorpusQuery
from newscorpus.query.errors import NotFoundError, closest
from newscorpus.query.suggest import close_matches, closest_ids


def _needles(pool: list[str], rng: random.Random, count: int) -> list[str]:
    """Typos, truncations, dropped and shuffled characters, made-up ids, and odd text."""
    out = ["", "a", "-", "zzzz", "x" * 250, "2026-01-16", "ä-ü-ß", "ALIBABA", " "]
    for _ in range(count):
        x = rng.choice(pool)
        i = rng.randrange(len(x))
        out += [x[:-2] + "zz", x[: i + 1], x[:i] + x[i + 1 :], "".join(rng.sample(x, len(x))),
                "-".join(rng.sample(x.split("-"), len(x.split("-")))), x[i:] + "-extra"]
    return out


def _pool(rng: random.Random, size: int) -> list[str]:
    words = ["ki", "rechenzentrum", "microsoft", "partnerschaft", "nvidia", "leipzig", "milliarden", "cloud"]
    ids = set()
    for _ in range(size):
        ids.add(f"2026-0{rng.randint(1, 9)}-{rng.randint(10, 28)}-" + "-".join(rng.choices(words, k=rng.randint(1, 5))))
    return sorted(ids)


def test_close_matches_equal_difflib_on_random_strings() -> None:
    rng = random.Random(5)
    for _ in range(300):
        alphabet = rng.choice([string.ascii_lowercase[:4], string.ascii_lowercase + "-", "aäbß "])
        word = "".join(rng.choices(alphabet, k=rng.randint(0, 30)))
        pool = ["".join(rng.choices(alphabet, k=rng.randint(0, 30))) for _ in range(rng.randint(0, 60))]
        n, cutoff = rng.randint(1, 5), rng.choice([0.0, 0.3, 0.6, 0.9, 1.0])
        assert close_matches(word, pool, n, cutoff) == difflib.get_close_matches(word, pool, n, cutoff)


@pytest.mark.parametrize("kind", ["article", "deal", "entity"])
def test_suggestions_equal_closest_for_the_corpus_ids(corpus_query: CorpusQuery, kind: str) -> None:
    pool = corpus_query.complete_ids(kind, "", limit=100_000)
    for needle in _needles(pool, random.Random(kind), 25):
        assert closest_ids(needle, pool) == closest(needle, pool), needle


def test_suggestions_equal_closest_for_many_similar_ids() -> None:
    rng = random.Random(9)
    pool = _pool(rng, 1500)
    for needle in _needles(pool, rng, 15):
        assert closest_ids(needle, pool) == closest(needle, pool), needle


def test_an_unknown_id_error_names_the_closest_ids(corpus_query: CorpusQuery) -> None:
    article_id = corpus_query.complete_ids("article", "2026-01-21")[0]
    with pytest.raises(NotFoundError) as caught:
        corpus_query.get_article(article_id[:-3] + "xyz")
    assert caught.value.suggestions == closest(article_id[:-3] + "xyz", corpus_query.complete_ids("article", ""))
    assert article_id in caught.value.suggestions


def test_name_similarity_equals_difflibs_three_steps(corpus_query: CorpusQuery) -> None:
    """list_entities' fuzzy test, with its bounds worked out without a SequenceMatcher, decides as before."""
    from newscorpus.query.api import _similar
    from newscorpus.query.text import fold

    def reference(a: str, b: str) -> bool:
        m = difflib.SequenceMatcher(None, a, b)
        return m.real_quick_ratio() >= 0.8 and m.quick_ratio() >= 0.8 and m.ratio() >= 0.8

    names = sorted({fold(n) for e in corpus_query.list_entities(limit=200).entities for n in (e.name, *e.aliases)})
    words = sorted({w for n in names for w in n.split()})
    rng = random.Random(2)
    keys = [*names[:60], *(n[:-1] + "x" for n in names[:60]), *(n[: rng.randint(1, len(n))] for n in names[:60]),
            "", "a", "micrsoft", "alibab", "nvdia", "ß", "x" * 40]
    pairs = [(k, b) for k in keys for b in names + words]
    assert any(reference(a, b) and a != b for a, b in pairs), "some near misses are similar"
    assert all(_similar(a, b) == reference(a, b) for a, b in pairs)


def test_longest_common_subsequence_of_the_bound() -> None:
    from newscorpus.query.suggest import _lcs_length

    def reference(a: str, b: str) -> int:
        prev = [0] * (len(b) + 1)
        for x in a:
            cur = [0]
            for j, y in enumerate(b):
                cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
            prev = cur
        return prev[-1]

    rng = random.Random(8)
    for _ in range(2000):
        a = "".join(rng.choices("ab-ä", k=rng.randint(0, 20)))
        b = "".join(rng.choices("ab-ä", k=rng.randint(0, 20)))
        masks: dict[str, int] = {}
        for i, c in enumerate(b):
            masks[c] = masks.get(c, 0) | 1 << i
        assert _lcs_length(a, masks, (1 << len(b)) - 1) == reference(a, b), (a, b)


def test_made_up_ids_get_the_same_suggestions() -> None:
    """Ids sharing every character with the pool: the subsequence bound decides, not the character one."""
    rng = random.Random(12)
    pool = _pool(rng, 3000)
    for _ in range(6):
        needle = "-".join(rng.choices(["2026", "01", "ki", "cloud", "nvidia", "bau", "muenchen", "x7"], k=6))
        assert closest_ids(needle, pool) == closest(needle, pool), needle
