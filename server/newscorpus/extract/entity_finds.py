"""A build's entity finds in the compact form an incremental update reads back (`entity-finds.bin`).

Entities are found corpus-wide in two steps: the rules name entities anywhere in the corpus, then every
article is searched for every name. Given the names, an article's spans depend on that article alone, so
an update that only adds articles keeps the spans of every old article in which no new name can match
(`find_entities` with `previous`). It needs three things from the previous build: which names the rules
found, each with the article it was first found in (the first find decides a name's spelling and type),
every article's spans, and every word of the corpus: a new name with a word no old article has cannot
occur in one, so the old texts are searched only for the other new names (`entities._articles_matching`).

Layout: a magic line, the length of a JSON header (8 bytes, little-endian), the header (gazetteer digest,
names, entity ids, per article the number of spans of each passage, the words), then one array of
little-endian 32-bit integers, three per span (index into the entity ids, start, end): reading 100 000
articles' spans is one `frombytes`, not millions of JSON values. A span's surface is its passage's text
between start and end, and its type its entity's, so neither is stored.
"""

from __future__ import annotations

import json
import sys
from array import array
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from newscorpus.models import EntityType

MAGIC = b"newscorpus-entity-finds 2\n"


class FirstFind(NamedTuple):
    """A rule-found name as first found (in corpus order) and the article it was found in."""

    name: str
    type: EntityType
    article_id: str


class StoredSpan(NamedTuple):
    entity_id: str
    start: int
    end: int


class StoredFinds:
    """What `load` reads: the names, the words (`words`), and the spans of each article, decoded when
    asked for."""

    def __init__(
        self,
        gazetteer: str,
        names: dict[str, FirstFind],
        entity_ids: list[str],
        counts: dict[str, list[int]],
        values: array,
        words: frozenset[str] = frozenset(),
    ) -> None:
        self.gazetteer = gazetteer
        self.names = names
        self.words = words
        self._entity_ids = entity_ids
        self._counts = counts
        self._values = values
        self._offsets: dict[str, int] = {}
        at = 0
        for article_id, per_passage in counts.items():
            self._offsets[article_id] = at
            at += 3 * sum(per_passage)
        if at != len(values):
            raise ValueError(f"entity finds hold {len(values)} values where their header counts {at}")

    def articles(self) -> dict[str, int]:
        """Passages per article, by article id."""
        return {article_id: len(per_passage) for article_id, per_passage in self._counts.items()}

    def spans(self, article_id: str) -> list[list[StoredSpan]]:
        """The article's spans, passage by passage in the article's order."""
        ids, values, at = self._entity_ids, self._values, self._offsets[article_id]
        out = []
        for n in self._counts[article_id]:
            chunk = values[at:at + 3 * n].tolist()
            out.append([StoredSpan(ids[chunk[i]], chunk[i + 1], chunk[i + 2]) for i in range(0, 3 * n, 3)])
            at += 3 * n
        return out


def dump(
    gazetteer: str,
    names: dict[str, FirstFind],
    articles: Iterable[tuple[str, Sequence[Sequence[StoredSpan]]]],
    words: Iterable[str],
) -> bytes:
    """The stored form of a corpus's finds; `articles` gives each article's spans, passage by passage, in
    corpus order, `words` every word of its passages (`entities.passage_words`). The same finds give the
    same bytes."""
    entity_ids: dict[str, int] = {}
    values = array("i")
    counts: list[list[object]] = []
    for article_id, passages in articles:
        counts.append([article_id, _extend(values, passages, entity_ids)])
    return _encode(gazetteer, names, list(entity_ids), counts, values, words)


def splice(
    previous: StoredFinds,
    names: dict[str, FirstFind],
    changed: Mapping[str, Sequence[Sequence[StoredSpan]]],
    words: Iterable[str],
) -> bytes:
    """`previous` with the spans of the articles in `changed` (new ones, or old ones searched again),
    `names`, and the new articles' `words` added: what an update stores. The other articles' spans are
    copied as stored, not decoded (the same finds as `dump` gives, though not the same bytes: new entities
    are numbered after the old ones). Corpus order is id order."""
    entity_ids = {eid: n for n, eid in enumerate(previous._entity_ids)}
    old = previous._counts
    values = array("i")
    counts: list[list[object]] = []
    run_start = run_end = 0  # values of consecutive unchanged old articles, copied at once
    for article_id in sorted(old.keys() | changed.keys()):
        per_passage = old.get(article_id)
        at = previous._offsets.get(article_id, run_end)
        if article_id in changed:
            values.extend(previous._values[run_start:run_end])
            run_start = run_end = at + (3 * sum(per_passage) if per_passage is not None else 0)
            counts.append([article_id, _extend(values, changed[article_id], entity_ids)])
        else:
            if at != run_end:
                values.extend(previous._values[run_start:run_end])
                run_start = at
            run_end = at + 3 * sum(per_passage)
            counts.append([article_id, per_passage])
    values.extend(previous._values[run_start:run_end])
    return _encode(previous.gazetteer, names, list(entity_ids), counts, values, previous.words.union(words))


def _extend(values: array, passages: Sequence[Sequence[StoredSpan]], entity_ids: dict[str, int]) -> list[int]:
    """Append an article's spans to `values` (numbering new entities); its span count per passage."""
    per_passage = []
    for spans in passages:
        per_passage.append(len(spans))
        for entity_id, start, end in spans:
            index = entity_ids.setdefault(entity_id, len(entity_ids))
            values.extend((index, start, end))
    return per_passage


def _encode(
    gazetteer: str,
    names: dict[str, FirstFind],
    entity_ids: list[str],
    counts: list[list[object]],
    values: array,
    words: Iterable[str],
) -> bytes:
    if sys.byteorder == "big":
        values = array("i", values)
        values.byteswap()
    header = json.dumps(
        {
            "gazetteer": gazetteer,
            "names": [[key, *names[key]] for key in sorted(names)],
            "entities": entity_ids,
            "articles": counts,
            "words": sorted(set(words)),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    return MAGIC + len(header).to_bytes(8, "little") + header + values.tobytes()


def load(data: bytes) -> StoredFinds:
    """`dump`'s bytes read back; ValueError when they are not (a caller then finds everything anew)."""
    if not data.startswith(MAGIC):
        raise ValueError("not entity finds of this format")
    at = len(MAGIC)
    size = int.from_bytes(data[at:at + 8], "little")
    try:
        header = json.loads(data[at + 8:at + 8 + size])
        names = {key: FirstFind(name, etype, article_id) for key, name, etype, article_id in header["names"]}
        counts = {article_id: per_passage for article_id, per_passage in header["articles"]}
        entity_ids = header["entities"]
        gazetteer = header["gazetteer"]
        words = frozenset(header["words"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"unreadable entity finds header: {exc}") from exc
    values = array("i")
    if values.itemsize != 4:
        raise ValueError("this platform has no 32-bit array type")
    body = data[at + 8 + size:]
    if len(body) % 4:
        raise ValueError("entity finds are truncated")
    values.frombytes(body)
    if sys.byteorder == "big":
        values.byteswap()
    return StoredFinds(gazetteer, names, entity_ids, counts, values, words)
