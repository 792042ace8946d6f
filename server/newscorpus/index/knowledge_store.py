"""The knowledge base of a build in one SQLite file, read record by record instead of loaded whole.

A server over 100 000 articles cannot parse every article, passage, mention and deal at start and keep
them as Python objects (at 10 000 articles `knowledge.json` was 157 MB, 9.5 s to load, 1.2 GB resident).
The build writes the knowledge base here once; an open store keeps in memory only what is small and
wanted by most calls (entity names with their counts, the publishers, the corpus statistics) and reads
articles, passages, mentions and deals per call through indexed lookups.

Records are stored as the JSON of their pydantic models (articles without their body, entities without
their mentions), so a record read back is the record that was written. Passages are not stored: they are
cut from the article's body on read by the same rule as `Article.passages` (`passage_texts`), which keeps
the file at the size of the text. Mentions are rows (entity, order, article, passage suffix, surface).

Row numbers are order keys with gaps, so that an incremental update can copy the previous build's file
and change it by rows (`apply_delta`) instead of writing 100 000 articles again: an article's `seq` sorts
as its id does, `ORDER_GAP` apart in a full build, and new articles take numbers between their
neighbours'; an extracted deal's is its article's times `DEAL_SLOTS` plus its place in the article,
curated deals come first; an entity's is only a name for its mentions (entities are read in id order).

The file is opened read-only and immutable (no locks, no journal): a build folder never changes once
written, and a process still reading a replaced build keeps its open file. One connection per thread.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from newscorpus.models import Article, Deal, Entity, KnowledgeBase, Mention, Passage

if TYPE_CHECKING:
    import numpy as np
from newscorpus.query.text import fold

STORE_FORMAT = 2
ORDER_GAP = 1 << 24  # between consecutive articles' `seq` in a full build: room for updates to insert
DEAL_SLOTS = 1 << 16  # deal `seq`s per article (an extracted deal's: article seq * DEAL_SLOTS + its place)
RELATED_KEPT = 10  # related entities kept per entity: at least as many as the query API shows
_PAIRS_PER_CHUNK = 4_000_000  # `_pair_counts`: ordered row pairs counted at once (~100 MB of arrays)
PAIR_SHIFT = 32  # a pair's key in `write_pairs`' file: entity row number << PAIR_SHIFT | the other's

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE articles (
    seq INTEGER PRIMARY KEY,        -- sorts as the ids do, with gaps (see the module's docstring)
    id TEXT NOT NULL UNIQUE,
    publisher TEXT NOT NULL,
    published TEXT NOT NULL,
    published_end TEXT NOT NULL,    -- see `period_end`
    record TEXT NOT NULL,           -- the Article's JSON without its body
    body TEXT NOT NULL              -- last: reading the columns before it skips its overflow pages
);
CREATE TABLE entities (
    seq INTEGER PRIMARY KEY,        -- what mentions refer to (entities are read in id order)
    id TEXT NOT NULL UNIQUE,
    mention_count INTEGER NOT NULL,
    article_count INTEGER NOT NULL,
    related TEXT NOT NULL,          -- JSON [[entity id, co-mentions], ...]: see `_related_and_pairs`
    record TEXT NOT NULL            -- the Entity's JSON without its mentions
);
CREATE TABLE mentions (
    entity INTEGER NOT NULL,        -- entities.seq
    article INTEGER NOT NULL,       -- articles.seq
    n INTEGER NOT NULL,             -- position among the entity's mentions in the article
    passage TEXT NOT NULL,          -- the passage id after '#': p3, t1
    surface TEXT NOT NULL,
    PRIMARY KEY (entity, article, n) -- an entity's mentions in corpus order
) WITHOUT ROWID;
CREATE TABLE deals (
    seq INTEGER PRIMARY KEY,        -- knowledge-base order, with gaps (see the module's docstring)
    id TEXT NOT NULL UNIQUE,
    extracted INTEGER NOT NULL,     -- 0 curated, 1 extracted: list_deals' order is (extracted, id)
    type TEXT NOT NULL,
    announced TEXT NOT NULL,
    announced_end TEXT NOT NULL,
    title TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE TABLE deal_articles (article INTEGER NOT NULL, deal INTEGER NOT NULL, PRIMARY KEY (article, deal))
    WITHOUT ROWID;
CREATE TABLE party_names (seq INTEGER PRIMARY KEY, folded TEXT NOT NULL UNIQUE);
CREATE TABLE deal_parties (deal INTEGER NOT NULL, entity TEXT, name INTEGER NOT NULL);
"""

# Built after the rows are in: one sort per index instead of a b-tree insert per row.
_INDEXES = """
CREATE INDEX mentions_by_article ON mentions (article, passage, entity);
CREATE INDEX articles_by_filters ON articles (published, published_end, publisher, id);
CREATE INDEX deals_in_order ON deals (extracted, id, type, announced, announced_end);
CREATE INDEX deals_by_type ON deals (type, extracted, id, announced, announced_end);
CREATE INDEX parties_by_entity ON deal_parties (entity, deal);
CREATE INDEX parties_by_name ON deal_parties (name, deal);
"""


def period_end(date: str) -> str:
    """A (possibly partial) date padded to the last day it may stand for, as the date filters compare it:
    `2026-01` → `2026-01-99`. Stored so that the filter runs in SQL with the query API's exact rule."""
    return date + "-99"[: 10 - len(date)]


def passage_texts(body: str) -> list[str]:
    """The body passages' texts in order: `Article.passages`' rule (blank-line blocks, empty ones skipped)."""
    blocks = [b.strip("\n") for b in body.split("\n\n")]
    return [b for b in blocks if b.strip()]


def passage_article(passage_id: str) -> str:
    """The article id of a passage id (`<article id>#p3`)."""
    return passage_id.rpartition("#")[0]


def passage_number(passage_id: str) -> int:
    """`n` of a passage id: 3 for `…#p3` and for `…#t3`."""
    return int(passage_id.rpartition("#")[2][1:])


def _stats(kb: KnowledgeBase, body_passages: int) -> dict:
    dates = sorted(a.published for a in kb.articles if a.published)
    return {
        "articles": len(kb.articles),
        "passages": body_passages,
        "entities": len(kb.entities),
        "deals": len(kb.deals),
        "date_from": dates[0] if dates else "",
        "date_to": dates[-1] if dates else "",
        "languages": sorted({a.language for a in kb.articles if a.language}),
        "publishers": sorted(Counter(a.publisher for a in kb.articles if a.publisher).items()),
    }


def write_store(kb: KnowledgeBase, path: Path, pairs: Path | None = None) -> None:
    """Write `kb` into a new SQLite file at `path` (which must not exist), and the co-mention counts of its
    entities to `pairs` (`write_pairs`). SQLite's own failures (disk full, file too large) are raised as
    OSError, like every other write of a build."""
    try:
        counts = _write(kb, path)
    except sqlite3.Error as exc:
        raise OSError(f"{path.name}: {exc}") from exc
    if pairs is not None:
        write_pairs(pairs, counts)


def write_pairs(path: Path, counts: np.ndarray) -> None:
    """Co-mention counts as a NumPy file (the build's `related-pairs.npy`): rows (entity << PAIR_SHIFT |
    other entity, co-mentions) by entity row number, sorted by key."""
    import numpy as np

    with path.open("wb") as fh:
        np.save(fh, np.ascontiguousarray(counts, dtype=np.int64), allow_pickle=False)


def _write(kb: KnowledgeBase, path: Path) -> np.ndarray:
    article_seq = {aid: (n + 1) * ORDER_GAP for n, aid in enumerate(sorted(a.id for a in kb.articles))}
    entity_seq = {e.entity_id: n for n, e in enumerate(kb.entities)}
    if len(article_seq) != len(kb.articles) or len(entity_seq) != len(kb.entities):
        raise ValueError("the knowledge base repeats an article or entity id")
    con = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "page_size=4096"):
            con.execute(f"PRAGMA {pragma}")
        con.execute("BEGIN")
        _script(con, _SCHEMA)
        body_passages = sum(len(passage_texts(a.body)) for a in kb.articles)
        teasers = sum(len(a.teasers) for a in kb.articles)
        # Rows are generated as SQLite takes them: as lists they held a second copy of the corpus.
        con.executemany("INSERT INTO articles VALUES (?,?,?,?,?,?,?)", (_article_row(article_seq[a.id], a)
                                                                       for a in kb.articles))
        related, counts = _related_and_pairs(kb)
        con.executemany("INSERT INTO entities VALUES (?,?,?,?,?,?)", (
            (n, e.entity_id, len(e.mentions), len({m.article_id for m in e.mentions}), listed,
             e.model_dump_json(exclude={"mentions"}))
            for (n, e), listed in zip(enumerate(kb.entities), related, strict=True)
        ))
        con.executemany("INSERT INTO mentions VALUES (?,?,?,?,?)", _mention_rows(
            ((n, e.entity_id, m.article_id, m.passage_id, m.surface) for n, e in enumerate(kb.entities)
             for m in e.mentions),
            article_seq,
        ))
        _insert_deals(con, list(zip(_deal_seqs(kb.deals, article_seq), kb.deals, strict=True)), article_seq, {})
        meta = {"format": STORE_FORMAT, "fingerprint": kb.fingerprint, "stats": _stats(kb, body_passages),
                "passages": body_passages + teasers,
                "publishers": sorted({a.publisher for a in kb.articles})}
        con.executemany("INSERT INTO meta VALUES (?,?)", ((k, json.dumps(v)) for k, v in meta.items()))
        _script(con, _INDEXES)
        con.execute("COMMIT")
    finally:
        con.close()
    return counts


def _article_row(seq: int, a: Article) -> tuple:
    return seq, a.id, a.publisher, a.published, period_end(a.published), a.model_dump_json(exclude={"body"}), a.body


def _deal_seqs(deals: list[Deal], article_seq: dict[str, int]) -> list[int]:
    """Each deal's `seq`: a curated deal its place, an extracted one (of one article) its article's seq
    times DEAL_SLOTS plus its place among the article's deals."""
    out, places = [], {}
    for n, d in enumerate(deals):
        if d.provenance == "curated":
            if n >= DEAL_SLOTS:  # below every extracted deal's number, whose article's is at least 1
                raise ValueError(f"more than {DEAL_SLOTS} curated deals")
            out.append(n)
            continue
        article_ids = d.article_ids
        if len(article_ids) != 1:
            raise ValueError(f"extracted deal {d.deal_id} cites {len(article_ids)} articles, not one")
        place = places[article_ids[0]] = places.get(article_ids[0], -1) + 1
        if place >= DEAL_SLOTS:
            raise ValueError(f"article {article_ids[0]} has more than {DEAL_SLOTS} deals")
        out.append(article_seq[article_ids[0]] * DEAL_SLOTS + place)
    return out


def _insert_deals(
    con: sqlite3.Connection, deals: list[tuple[int, Deal]], article_seq: Mapping[str, int], names: dict[str, int]
) -> None:
    """Insert deals under their `seq` with their article and party rows; `names` maps the party names the
    file holds (folded) to their row and takes new ones."""
    con.executemany("INSERT INTO deals VALUES (?,?,?,?,?,?,?,?)", (
        (n, d.deal_id, int(d.provenance != "curated"), d.type, d.announced, period_end(d.announced), d.title,
         d.model_dump_json())
        for n, d in deals
    ))
    con.executemany("INSERT INTO deal_articles VALUES (?,?)", (
        (article_seq[aid], n) for n, d in deals for aid in d.article_ids
    ))
    folded: dict[str, str] = {}  # party names repeat: fold each once
    fresh: list[tuple[int, str]] = []
    parties = []
    for n, d in deals:
        for p in d.parties:
            key = folded.get(p.name)
            if key is None:
                key = folded[p.name] = fold(p.name)
            row = names.get(key)
            if row is None:
                row = names[key] = len(names)
                fresh.append((row, key))
            parties.append((n, p.entity_id, row))
    con.executemany("INSERT INTO party_names VALUES (?,?)", fresh)
    con.executemany("INSERT INTO deal_parties VALUES (?,?,?)", parties)


def _related_and_pairs(kb: KnowledgeBase) -> tuple[list[str], np.ndarray]:
    """Per entity, the RELATED_KEPT entities most often in a passage with one of its mentions: for each
    mention, each other entity of the mention's passage counts once; best first, ties by id. Worked out at
    build time because at query time it reads every mention of a frequent entity (23 000 at 10 000
    articles: 0.5 s of SQL).

    Also the counts it is drawn from, every pair of entities mentioned together (`write_pairs`), which an
    update by rows changes instead of counting everything again (`store_delta`)."""
    import numpy as np  # only builds write a store; the server's start does not import it here

    size = len(kb.entities)
    passage_of: dict[str, int] = {}
    rows = np.fromiter(
        (passage_of.setdefault(m.passage_id, len(passage_of)) * size + n for n, e in enumerate(kb.entities)
         for m in e.mentions),
        np.int64,
    )
    keys, mentions = np.unique(rows, return_counts=True)  # sorted by passage, then entity
    pair, together = _pair_counts(keys // size, keys % size, mentions, size)
    one, other = pair // size, pair % size
    ids = [e.entity_id for e in kb.entities]
    rank = np.argsort(np.argsort(np.array(ids, dtype=object), kind="stable"), kind="stable")
    order = np.lexsort((rank[other], -together, one))
    sorted_one = one[order]
    within = np.arange(order.size) - np.searchsorted(sorted_one, sorted_one, side="left")
    best = order[within < RELATED_KEPT]
    out: list[list[tuple[str, int]]] = [[] for _ in range(size)]
    for n, o, k in zip(one[best].tolist(), other[best].tolist(), together[best].tolist(), strict=True):
        out[n].append((ids[o], k))
    return [json.dumps(x) for x in out], np.column_stack(((one << PAIR_SHIFT) | other, together))


def _pair_counts(passage: np.ndarray, entity: np.ndarray, mentions: np.ndarray, size: int) -> tuple:
    """(entity × `size` + other entity, co-mentions) of every pair of different entities mentioned in one
    passage, sorted: rows (passage, entity, its mentions there) grouped by passage, every ordered pair of
    different rows of a passage adding the first row's mentions to the pair of entities. Counted with
    arrays (37 s of Python loops at 100 000 articles), passages taken in chunks to bound the pairs held at
    once."""
    import numpy as np

    starts = np.flatnonzero(np.r_[True, passage[1:] != passage[:-1]]) if len(passage) else np.zeros(0, np.int64)
    sizes = np.diff(np.r_[starts, len(passage)])
    pairs: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    chunk_start = 0
    cumulative = np.cumsum(sizes.astype(np.int64) ** 2)
    while chunk_start < len(starts):
        budget = (cumulative[chunk_start - 1] if chunk_start else 0) + _PAIRS_PER_CHUNK
        chunk_end = max(chunk_start + 1, int(np.searchsorted(cumulative, budget, side="right")))
        g, s = sizes[chunk_start:chunk_end], starts[chunk_start:chunk_end]
        per_row = np.repeat(g, g)  # each row of the chunk: its passage's row count
        first = np.repeat(s, g)  # and its passage's first row
        left = np.repeat(np.arange(s[0], s[0] + per_row.size), per_row)
        offsets = np.arange(per_row.sum()) - np.repeat(np.cumsum(per_row) - per_row, per_row)
        right = np.repeat(first, per_row) + offsets
        differ = left != right
        left, right = left[differ], right[differ]
        pair, inverse = np.unique(entity[left] * size + entity[right], return_inverse=True)
        pairs.append(pair)
        weights.append(np.bincount(inverse, weights=mentions[left], minlength=pair.size))
        chunk_start = chunk_end
    pair, inverse = np.unique(np.concatenate(pairs) if pairs else np.zeros(0, np.int64), return_inverse=True)
    together = np.rint(np.bincount(inverse, weights=np.concatenate(weights) if weights else None,
                                   minlength=pair.size)).astype(np.int64)
    return pair, together


def related_json(others: np.ndarray, counts: np.ndarray, rank: np.ndarray, ids: Mapping[int, str]) -> str:
    """One entity's related entities as the store keeps them, from its co-mention counts with `others`
    (row numbers; `rank` orders them by id, `ids` names them)."""
    import numpy as np

    best = np.lexsort((rank[others], -counts))[:RELATED_KEPT]
    return json.dumps([(ids[o], k) for o, k in zip(others[best].tolist(), counts[best].tolist(), strict=True)])


def _script(con: sqlite3.Connection, script: str) -> None:
    """Run `;`-separated statements inside the open transaction (`executescript` would commit it first)."""
    for statement in script.split(";"):
        if statement.strip():
            con.execute(statement)


def _mention_rows(
    mentions: Iterable[tuple[int, str, str, str, str]], article_seq: Mapping[str, int]
) -> Iterator[tuple]:
    """Rows (entity, article, n, passage suffix, surface) of mentions given as (entity seq, entity id, article
    id, passage id, surface), each entity's in one article together and in order; a mention's passage must
    be of its article (the store keeps the passage id as the suffix only)."""
    last, n = None, 0
    for entity, eid, aid, pid, surface in mentions:
        if pid[len(aid) : len(aid) + 1] != "#" or not pid.startswith(aid) or aid not in article_seq:
            raise ValueError(f"mention of {eid} in {pid} is not in article {aid}")
        n = n + 1 if last == (entity, aid) else 0
        last = (entity, aid)
        yield entity, article_seq[aid], n, pid[len(aid) + 1 :], surface


def store_stats(path: Path) -> dict:
    """The corpus statistics of a store file (counts, dates, publishers), without opening it for queries."""
    con = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1", uri=True)
    try:
        return json.loads(con.execute("SELECT value FROM meta WHERE key = 'stats'").fetchone()[0])
    finally:
        con.close()


@dataclass(frozen=True)
class EntityInfo:
    """An entity without its mentions (the `Entity` record with an empty list) and its counts."""

    entity: Entity
    mention_count: int
    article_count: int


class StoreError(RuntimeError):
    """The store file is not a knowledge store this code can read (older format, damaged)."""


class KnowledgeStore:
    """Read access to a store file; thread-safe (one connection per thread)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._uri = f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1"
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        if not path.is_file():
            raise StoreError(f"{path} is missing")
        meta = {k: json.loads(v) for k, v in self._con().execute("SELECT key, value FROM meta")}
        if meta.get("format") != STORE_FORMAT:
            raise StoreError(f"{path} has store format {meta.get('format')!r}, this code reads {STORE_FORMAT}")
        self.fingerprint: str = meta["fingerprint"]
        self.stats: dict = meta["stats"]
        self.passage_count: int = meta["passages"]
        self.entities: dict[str, EntityInfo] = {}
        self._entity_seq: dict[str, int] = {}
        for seq, eid, mentions, articles, record in self._con().execute(
            "SELECT seq, id, mention_count, article_count, record FROM entities ORDER BY id"
        ):
            self.entities[eid] = EntityInfo(Entity.model_validate_json(record), mentions, articles)
            self._entity_seq[eid] = seq
        self._entity_of_seq = {seq: eid for eid, seq in self._entity_seq.items()}
        # Every distinct publisher value, the empty one included (a filter matching "" matches it too).
        self.publishers: list[str] = meta["publishers"]

    def _con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self._uri, uri=True, check_same_thread=False)
            self._local.con = con
            with self._lock:
                self._all.append(con)
        return con

    def close(self) -> None:
        with self._lock:
            for con in self._all:
                with contextlib.suppress(sqlite3.Error):
                    con.close()
            self._all.clear()
        self._local = threading.local()

    def _rows(self, sql: str, *params: object) -> list[tuple]:
        try:
            return self._con().execute(sql, params).fetchall()
        except UnicodeEncodeError:  # text no stored value can equal or contain (a lone surrogate)
            return []

    # -- articles and passages -------------------------------------------------------------------

    @property
    def article_count(self) -> int:
        return self.stats["articles"]

    def has_article(self, article_id: str) -> bool:
        return bool(self._rows("SELECT 1 FROM articles WHERE id = ?", article_id))

    def article(self, article_id: str) -> Article | None:
        rows = self._rows("SELECT body, record FROM articles WHERE id = ?", article_id)
        return _article(*rows[0]) if rows else None

    def articles(self, article_ids: Iterable[str]) -> dict[str, Article]:
        """The articles among `article_ids` that exist, by id."""
        rows = self._rows(
            "SELECT id, body, record FROM articles WHERE id IN (SELECT value FROM json_each(?))",
            json.dumps(list(article_ids)),
        )
        return {aid: _article(body, record) for aid, body, record in rows}

    def article_ids(self) -> Iterator[str]:
        """Every article id, in knowledge-base order."""
        for (aid,) in self._con().execute("SELECT id FROM articles ORDER BY id"):
            yield aid

    def passages(self, passage_ids: Iterable[str]) -> dict[str, Passage]:
        """The passages among `passage_ids` that exist, by id (one read per article)."""
        wanted: dict[str, list[str]] = {}
        for pid in passage_ids:
            wanted.setdefault(passage_article(pid), []).append(pid)
        rows = self._rows(
            "SELECT id, body, record FROM articles WHERE id IN (SELECT value FROM json_each(?))",
            json.dumps(list(wanted)),
        )
        out: dict[str, Passage] = {}
        for aid, body, record in rows:
            texts: list[str] | None = None
            teasers: list[dict] | None = None
            for pid in wanted[aid]:
                suffix = pid.rpartition("#")[2]
                kind, number = suffix[:1], suffix[1:]
                if not (number.isascii() and number.isdigit()) or number != str(int(number)) or number == "0":
                    continue
                n = int(number)
                if kind == "p":
                    texts = passage_texts(body) if texts is None else texts
                    if n <= len(texts):
                        out[pid] = Passage(passage_id=pid, article_id=aid, n=n, text=texts[n - 1])
                elif kind == "t":
                    teasers = json.loads(record).get("teasers", []) if teasers is None else teasers
                    if n <= len(teasers):
                        out[pid] = Passage(passage_id=pid, article_id=aid, n=n, kind="teaser",
                                           text=teasers[n - 1]["title"])
        return out

    def passage_ids(self) -> Iterator[str]:
        """Every passage id, in knowledge-base order (reads every article)."""
        for aid, body, record in self._con().execute("SELECT id, body, record FROM articles ORDER BY id"):
            yield from (f"{aid}#p{n}" for n in range(1, len(passage_texts(body)) + 1))
            yield from (f"{aid}#t{n}" for n in range(1, len(json.loads(record).get("teasers", [])) + 1))

    def texts_by_article(self) -> Iterator[tuple[str, list[str]]]:
        """(article id, its passages' texts in order) of every article, in id order (an update searches
        them for new names)."""
        for aid, body, record in self._con().execute("SELECT id, body, record FROM articles ORDER BY id"):
            teasers = [] if '"teasers":[]' in record else json.loads(record).get("teasers", [])
            yield aid, [*passage_texts(body), *(t["title"] for t in teasers)]

    def passage(self, passage_id: str) -> Passage | None:
        article_id, _, suffix = passage_id.rpartition("#")
        if suffix[:1] == "p" and suffix[1:].isascii() and suffix[1:].isdigit() and suffix[1:2] != "0":
            rows = self._rows("SELECT body FROM articles WHERE id = ?", article_id)
            texts = passage_texts(rows[0][0]) if rows else []
            n = int(suffix[1:])
            if n > len(texts):
                return None
            return Passage(passage_id=passage_id, article_id=article_id, n=n, text=texts[n - 1])
        return self.passages([passage_id]).get(passage_id)

    def article_ids_where(
        self, date_from: str | None, date_to: str | None, publishers: list[str] | None, entity_ids: list[str] | None
    ) -> set[str]:
        """Ids of the articles dated within [date_from, date_to] (see `period_end`), by one of `publishers`,
        mentioning one of `entity_ids`; a None argument does not filter."""
        sql, params = ["SELECT id FROM articles WHERE 1"], []
        if date_from or date_to:
            sql.append("AND published != ''")
        if date_from:
            sql.append("AND published_end >= ?")
            params.append(date_from)
        if date_to:
            sql.append("AND substr(published, 1, ?) <= ?")
            params += [len(date_to), date_to]
        if publishers is not None:
            sql.append("AND publisher IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(publishers))
        if entity_ids is not None:
            sql.append("AND seq IN (SELECT article FROM mentions WHERE entity IN (SELECT value FROM json_each(?)))")
            params.append(json.dumps([self._entity_seq[e] for e in entity_ids]))
        return {aid for (aid,) in self._rows(" ".join(sql), *params)}

    # -- entities and mentions -------------------------------------------------------------------

    def entity(self, entity_id: str) -> Entity | None:
        """The whole record, mentions included."""
        info = self.entities.get(entity_id)
        if info is None:
            return None
        return info.entity.model_copy(update={"mentions": list(self.mentions(entity_id))})

    def mentions(self, entity_id: str) -> Iterator[Mention]:
        """The entity's mentions in order, read as they are consumed."""
        rows = self._con().execute(
            "SELECT a.id, m.passage, m.surface FROM mentions m JOIN articles a ON a.seq = m.article "
            "WHERE m.entity = ? ORDER BY m.article, m.n",
            (self._entity_seq[entity_id],),
        )
        for aid, passage, surface in rows:
            yield Mention(passage_id=f"{aid}#{passage}", article_id=aid, surface=surface)

    def entities_in_article(self, article_id: str) -> set[str]:
        """Ids of the entities mentioned in the article's passages."""
        rows = self._rows(
            "SELECT DISTINCT m.entity FROM mentions m JOIN articles a ON m.article = a.seq WHERE a.id = ?",
            article_id,
        )
        return {self._entity_of_seq[n] for (n,) in rows}

    def related(self, entity_id: str) -> list[tuple[str, int]]:
        """(entity id, co-mentions) of the RELATED_KEPT entities most often in a passage with one of the
        entity's mentions, best first (see `_related_and_pairs`)."""
        rows = self._rows("SELECT related FROM entities WHERE id = ?", entity_id)
        return [(other, k) for other, k in json.loads(rows[0][0])] if rows else []

    # -- deals -----------------------------------------------------------------------------------

    @property
    def deal_count(self) -> int:
        return self.stats["deals"]

    def has_deal(self, deal_id: str) -> bool:
        return bool(self._rows("SELECT 1 FROM deals WHERE id = ?", deal_id))

    def deal(self, deal_id: str) -> Deal | None:
        rows = self._rows("SELECT record FROM deals WHERE id = ?", deal_id)
        return Deal.model_validate_json(rows[0][0]) if rows else None

    def deals(self, deal_ids: list[str]) -> list[Deal]:
        """The deals of `deal_ids` that exist, in that order."""
        rows = dict(self._rows(
            "SELECT id, record FROM deals WHERE id IN (SELECT value FROM json_each(?))", json.dumps(deal_ids)
        ))
        return [Deal.model_validate_json(rows[i]) for i in deal_ids if i in rows]

    def deal_ids(self) -> Iterator[str]:
        """Every deal id, in knowledge-base order."""
        for (did,) in self._con().execute("SELECT id FROM deals ORDER BY seq"):
            yield did

    def deal_titles_of_article(self, article_id: str) -> list[tuple[str, str]]:
        """(id, title) of the deals with evidence in the article, in knowledge-base order."""
        return self._rows(
            "SELECT d.id, d.title FROM articles a JOIN deal_articles x ON x.article = a.seq "
            "JOIN deals d ON d.seq = x.deal WHERE a.id = ? ORDER BY d.seq",
            article_id,
        )

    def deal_titles_of_entity(self, entity_id: str) -> list[tuple[str, str]]:
        """(id, title) of the deals the entity is a party of, in knowledge-base order."""
        return self._rows(
            "SELECT d.id, d.title FROM deals d WHERE d.seq IN (SELECT deal FROM deal_parties WHERE entity = ?) "
            "ORDER BY d.seq",
            entity_id,
        )

    def _deal_where(
        self, party: tuple[list[str], str] | None, type: str | None, date_from: str | None, date_to: str | None
    ) -> tuple[str, list]:
        sql, params = ["WHERE 1"], []
        if party is not None:
            entity_ids, key = party
            sql.append(
                "AND seq IN (SELECT deal FROM deal_parties WHERE entity IN (SELECT value FROM json_each(?)) UNION "
                "SELECT deal FROM deal_parties WHERE name IN (SELECT seq FROM party_names WHERE instr(folded, ?)))"
            )
            params += [json.dumps(entity_ids), key]
        if type is not None:
            sql.append("AND type = ?")
            params.append(type)
        if date_from or date_to:
            sql.append("AND announced != ''")
        if date_from:
            sql.append("AND announced_end >= ?")
            params.append(date_from)
        if date_to:
            sql.append("AND substr(announced, 1, ?) <= ?")
            params += [len(date_to), date_to]
        return " ".join(sql), params

    def deal_ids_where(
        self, party: tuple[list[str], str] | None, type: str | None, date_from: str | None, date_to: str | None
    ) -> set[str]:
        """Ids of the deals with a party among `party`'s entity ids or whose folded name contains its key,
        of that type, announced within the dates; a None argument does not filter."""
        where, params = self._deal_where(party, type, date_from, date_to)
        return {did for (did,) in self._rows(f"SELECT id FROM deals {where}", *params)}

    def deal_page(
        self, party: tuple[list[str], str] | None, type: str | None, date_from: str | None, date_to: str | None,
        offset: int, limit: int,
    ) -> tuple[int, list[Deal]]:
        """(how many deals match, the page of them) in list_deals' order: curated first, then by id."""
        where, params = self._deal_where(party, type, date_from, date_to)
        total = (
            self.deal_count if where == "WHERE 1" else self._rows(f"SELECT COUNT(*) FROM deals {where}", *params)[0][0]
        )
        rows = self._rows(
            f"SELECT record FROM deals {where} ORDER BY extracted, id LIMIT ? OFFSET ?", *params, limit, offset
        )
        return total, [Deal.model_validate_json(r) for (r,) in rows]

    def extracted_deals(self, article_id: str) -> list[Deal]:
        """The extracted deals of one article, in knowledge-base order (an update replaces them)."""
        rows = self._rows(
            "SELECT d.record FROM articles a JOIN deals d ON d.seq >= a.seq * ? AND d.seq < (a.seq + 1) * ? "
            "WHERE a.id = ? ORDER BY d.seq",
            DEAL_SLOTS, DEAL_SLOTS, article_id,
        )
        return [Deal.model_validate_json(r) for (r,) in rows]

    def curated_deals(self) -> list[Deal]:
        return [Deal.model_validate_json(r) for (r,) in self._rows("SELECT record FROM deals WHERE extracted = 0 "
                                                                  "ORDER BY seq")]

    # -- ids -------------------------------------------------------------------------------------

    def ids(self, kind: str) -> Iterator[str]:
        """Every article or deal id, sorted."""
        table = {"article": "articles", "deal": "deals"}[kind]
        for (i,) in self._con().execute(f"SELECT id FROM {table} ORDER BY id"):
            yield i

    def ids_starting(self, kind: str, prefix: str, limit: int) -> list[str]:
        """The first `limit` article or deal ids starting with `prefix`, sorted."""
        table = {"article": "articles", "deal": "deals"}[kind]
        if not prefix:
            return [i for (i,) in self._rows(f"SELECT id FROM {table} ORDER BY id LIMIT ?", limit)]
        # Every string from `prefix` up to (excluded) `prefix` with its last character raised starts with it.
        last = ord(prefix[-1]) + 1
        last = 0xE000 if 0xD800 <= last <= 0xDFFF else last  # no surrogate: it cannot be stored or compared
        upper = prefix[:-1] + chr(last) if last <= 0x10FFFF else None
        sql = f"SELECT id FROM {table} WHERE id >= ?" + (" AND id < ?" if upper else "")
        sql += " AND substr(id, 1, ?) = ? ORDER BY id LIMIT ?"
        params = [prefix, *([upper] if upper else []), len(prefix), prefix, limit]
        return [i for (i,) in self._rows(sql, *params)]

    def ids_containing(self, kind: str, part: str, limit: int) -> list[str]:
        """The first `limit` article or deal ids containing `part` but not starting with it, sorted."""
        table = {"article": "articles", "deal": "deals"}[kind]
        return [i for (i,) in self._rows(
            f"SELECT id FROM {table} WHERE instr(id, ?) > 1 ORDER BY id LIMIT ?", part, limit
        )]

    # -- the whole knowledge base ----------------------------------------------------------------

    def knowledge_base(self, *, mentions: bool = True) -> KnowledgeBase:
        """Every record, as the build had it (for an incremental update and for tests); without `mentions`,
        entities have none (most of the time at scale goes into making the mentions' records)."""
        articles, ids = [], {}
        for seq, body, record in self._con().execute("SELECT seq, body, record FROM articles ORDER BY id"):
            articles.append(_article(body, record))
            ids[seq] = articles[-1].id
        found: dict[int, list[Mention]] = {seq: [] for seq in self._entity_seq.values()}
        rows = self._con().execute(
            "SELECT entity, article, passage, surface FROM mentions ORDER BY entity, article, n"
            if mentions
            else "SELECT entity, article, passage, surface FROM mentions LIMIT 0"
        )
        for entity, article, passage, surface in rows:
            aid = ids[article]
            found[entity].append(Mention(passage_id=f"{aid}#{passage}", article_id=aid, surface=surface))
        entities = [
            info.entity.model_copy(update={"mentions": found[self._entity_seq[eid]]})
            for eid, info in self.entities.items()
        ]
        deals = [Deal.model_validate_json(r) for (r,) in self._rows("SELECT record FROM deals ORDER BY seq")]
        return KnowledgeBase(fingerprint=self.fingerprint, articles=articles, entities=entities, deals=deals)


def _article(body: str, record: str) -> Article:
    return Article.model_validate({**json.loads(record), "body": body})
