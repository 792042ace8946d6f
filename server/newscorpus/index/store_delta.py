"""An incremental update's changes, made by rows in a copy of the previous build's knowledge store.

Writing the store whole took ~105 s at 100 000 articles for an update of 100 articles. The update copies
the previous build's file and changes only what the new articles change (the store's row numbers leave
room for it: `knowledge_store`):
- the new articles;
- the mentions of every article searched for entities again (the new ones, and the old ones a new name
  occurs in), and the counts of the entities those mentions are of;
- the co-mention counts of entity pairs (`related-pairs.npy`, beside the store) where the searched
  passages change them, and the related entities of the entities whose counts changed;
- the extracted deals of the articles whose deals changed;
- the statistics.

The result reads back as the store a full build of the same corpus writes (tests compare them record by
record). A change that does not fit (no room between two articles' numbers, an id already taken) raises
`DeltaError`; the caller then builds in full.
"""

from __future__ import annotations

import bisect
import json
import sqlite3
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from newscorpus.index.knowledge_store import (
    DEAL_SLOTS,
    ORDER_GAP,
    PAIR_SHIFT,
    STORE_FORMAT,
    _article_row,
    _insert_deals,
    _mention_rows,
    passage_texts,
    related_json,
    write_pairs,
)
from newscorpus.models import Article, Deal, Entity


@dataclass
class StoreDelta:
    """What an update changes in the store. Every article named in `mentions` or `deals` is a new one or
    one the store holds."""

    fingerprint: str
    articles: list[Article]  # the new articles
    # Per article searched for entities: its mentions as (entity id, passage id, surface), in corpus order.
    # They replace the article's mentions in the store.
    mentions: dict[str, list[tuple[str, str, str]]]
    entities: list[Entity]  # entities the store does not hold yet (their mentions are in `mentions`)
    # Per article whose extracted deals changed: all of them, in order (they replace the article's).
    deals: dict[str, list[Deal]]


class DeltaError(ValueError):
    """The change cannot be made by rows; a full build can."""


def apply_delta(path: Path, delta: StoreDelta, pairs_from: Path, pairs_to: Path) -> None:
    """Change the store file at `path` (a copy: it is written in place) by `delta`; `pairs_from` are the
    co-mention counts of the store it is a copy of, `pairs_to` where the changed ones go
    (`knowledge_store.write_pairs`)."""
    con = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in ("journal_mode=OFF", "synchronous=OFF"):
            con.execute(f"PRAGMA {pragma}")
        con.execute("BEGIN")
        _apply(con, delta, pairs_from, pairs_to)
        con.execute("COMMIT")
    except sqlite3.IntegrityError as exc:
        raise DeltaError(f"the store cannot take the update by rows: {exc}") from exc
    except sqlite3.Error as exc:
        raise OSError(f"{path.name}: {exc}") from exc
    finally:
        con.close()


def _apply(con: sqlite3.Connection, delta: StoreDelta, pairs_from: Path, pairs_to: Path) -> None:
    meta = {k: json.loads(v) for k, v in con.execute("SELECT key, value FROM meta")}
    if meta.get("format") != STORE_FORMAT:
        raise DeltaError(f"the previous store has format {meta.get('format')!r}, not {STORE_FORMAT}")
    article_seq = _add_articles(con, delta.articles)
    for aid in {*delta.mentions, *delta.deals} - article_seq.keys():
        row = con.execute("SELECT seq FROM articles WHERE id = ?", (aid,)).fetchone()
        if row is None:
            raise DeltaError(f"article {aid} is neither new nor in the store")
        article_seq[aid] = row[0]
    searched = [article_seq[aid] for aid in delta.mentions]
    before = _passage_rows(con, searched)
    _recount(con, _replace_mentions(con, delta, article_seq))
    _update_related(con, _pair_changes(before, _passage_rows(con, searched)), pairs_from, pairs_to)
    _replace_deals(con, delta.deals, article_seq)
    _update_meta(con, meta, delta)


def _add_articles(con: sqlite3.Connection, articles: list[Article]) -> dict[str, int]:
    """Insert the new articles, each numbered between its neighbours in id order; their numbers by id."""
    old = con.execute("SELECT id, seq FROM articles ORDER BY id").fetchall()
    ids = [aid for aid, _ in old]
    groups: dict[int, list[str]] = {}  # position among the old ids -> the new ids that go there, sorted
    for aid in sorted(a.id for a in articles):
        at = bisect.bisect_left(ids, aid)
        if at < len(ids) and ids[at] == aid:
            raise DeltaError(f"article {aid} is already in the store")
        groups.setdefault(at, []).append(aid)
    seqs: dict[str, int] = {}
    for at, group in groups.items():
        low = old[at - 1][1] if at else 0
        high = old[at][1] if at < len(old) else low + ORDER_GAP * (len(group) + 1)
        step = (high - low) // (len(group) + 1)
        if step < 1:
            raise DeltaError(f"no room for {len(group)} article(s) before {ids[at]}")
        seqs.update((aid, low + step * n) for n, aid in enumerate(group, start=1))
    con.executemany("INSERT INTO articles VALUES (?,?,?,?,?,?,?)", (_article_row(seqs[a.id], a) for a in articles))
    return seqs


def _replace_mentions(con: sqlite3.Connection, delta: StoreDelta, article_seq: dict[str, int]) -> set[int]:
    """Insert the new entities and replace the searched articles' mentions; the entities whose mentions
    changed (by row number)."""
    entity_seq = dict(con.execute("SELECT id, seq FROM entities"))
    next_seq = max(entity_seq.values(), default=-1) + 1
    for e in delta.entities:
        if e.entity_id in entity_seq:
            raise DeltaError(f"entity {e.entity_id} is already in the store")
        entity_seq[e.entity_id] = next_seq
        con.execute("INSERT INTO entities VALUES (?,?,0,0,'[]',?)",
                    (next_seq, e.entity_id, e.model_dump_json(exclude={"mentions"})))
        next_seq += 1
    searched = json.dumps([article_seq[aid] for aid in delta.mentions])
    touched = {n for (n,) in con.execute(
        "SELECT DISTINCT entity FROM mentions WHERE article IN (SELECT value FROM json_each(?))", (searched,)
    )}
    con.execute("DELETE FROM mentions WHERE article IN (SELECT value FROM json_each(?))", (searched,))
    try:
        rows = [(entity_seq[eid], eid, aid, pid, surface)
                for aid, found in delta.mentions.items() for eid, pid, surface in found]
    except KeyError as exc:
        raise DeltaError(f"a mention of entity {exc.args[0]}, which neither the store nor the update holds") from exc
    rows.sort(key=lambda r: (r[0], article_seq[r[2]]))  # stable: each article's mentions stay in order
    con.executemany("INSERT INTO mentions VALUES (?,?,?,?,?)", _mention_rows(rows, article_seq))
    return touched | {r[0] for r in rows}


def _recount(con: sqlite3.Connection, touched: set[int]) -> None:
    """The counts of the touched entities; a rule-found one left without mentions is dropped, as a full
    build never lists it."""
    for seq in sorted(touched):
        mentions, articles = con.execute(
            "SELECT COUNT(*), COUNT(DISTINCT article) FROM mentions WHERE entity = ?", (seq,)
        ).fetchone()
        if not mentions and json.loads(con.execute("SELECT record FROM entities WHERE seq = ?", (seq,))
                                       .fetchone()[0]).get("source") == "rule":
            con.execute("DELETE FROM entities WHERE seq = ?", (seq,))
        else:
            con.execute("UPDATE entities SET mention_count = ?, article_count = ? WHERE seq = ?",
                        (mentions, articles, seq))


def _passage_rows(con: sqlite3.Connection, articles: list[int]) -> list[tuple[int, str, int, int]]:
    """(article, passage, entity, mentions) of the articles' passages, grouped by passage."""
    return con.execute(
        "SELECT article, passage, entity, COUNT(*) FROM mentions WHERE article IN (SELECT value FROM json_each(?)) "
        "GROUP BY article, passage, entity",
        (json.dumps(articles),),
    ).fetchall()


def _pair_changes(before: list[tuple[int, str, int, int]], after: list[tuple[int, str, int, int]]) -> Counter:
    """How the co-mention count of each pair of entities (key: entity << PAIR_SHIFT | other) changes when
    the searched passages' rows go from `before` to `after` (`knowledge_store._pair_counts`' rule)."""
    changes: Counter = Counter()
    for sign, rows in ((-1, before), (1, after)):
        passages: dict[tuple[int, str], list[tuple[int, int]]] = {}
        for article, passage, entity, mentions in rows:
            passages.setdefault((article, passage), []).append((entity, mentions))
        for found in passages.values():
            for entity, mentions in found:
                for other, _ in found:
                    if other != entity:
                        changes[entity << PAIR_SHIFT | other] += sign * mentions
    return changes


def _update_related(con: sqlite3.Connection, changes: Counter, pairs_from: Path, pairs_to: Path) -> None:
    """Change the previous build's co-mention counts (`pairs_from`) by `changes`, write them to `pairs_to`,
    and work out again the related entities of every entity whose counts changed."""
    import numpy as np

    try:
        counts = np.load(pairs_from, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise DeltaError(f"the previous co-mention counts cannot be read: {exc}") from exc
    if counts.ndim != 2 or counts.shape[1] != 2 or counts.dtype != np.int64:
        raise DeltaError("the previous co-mention counts are not an (n, 2) array of 64-bit integers")
    keys, values = counts[:, 0], counts[:, 1].copy()
    changed = np.array(sorted(k for k, v in changes.items() if v), np.int64)
    by = np.array([changes[k] for k in changed.tolist()], np.int64)
    at = np.searchsorted(keys, changed)
    held = at < len(keys)
    held[held] = keys[at[held]] == changed[held]
    values[at[held]] += by[held]
    keys, values = np.insert(keys, at[~held], changed[~held]), np.insert(values, at[~held], by[~held])
    if (values < 0).any():
        raise DeltaError("a co-mention count would fall below zero")
    kept = values != 0
    keys, values = keys[kept], values[kept]
    write_pairs(pairs_to, np.column_stack((keys, values)))
    entities = con.execute("SELECT seq, id FROM entities ORDER BY id").fetchall()
    rank = np.zeros(max((seq for seq, _ in entities), default=0) + 1, np.int64)
    rank[[seq for seq, _ in entities]] = np.arange(len(entities))
    ids = dict(entities)
    one = keys >> PAIR_SHIFT
    mask = (1 << PAIR_SHIFT) - 1
    for entity in np.unique(changed >> PAIR_SHIFT).tolist():
        if entity in ids:
            low, high = np.searchsorted(one, [entity, entity + 1])
            con.execute("UPDATE entities SET related = ? WHERE seq = ?",
                        (related_json(keys[low:high] & mask, values[low:high], rank, ids), entity))


def _replace_deals(con: sqlite3.Connection, deals: dict[str, list[Deal]], article_seq: dict[str, int]) -> None:
    gone = [seq for aid in deals for (seq,) in con.execute(
        "SELECT seq FROM deals WHERE seq >= ? AND seq < ?",
        (article_seq[aid] * DEAL_SLOTS, (article_seq[aid] + 1) * DEAL_SLOTS),
    )]
    if gone:
        listed = json.dumps(gone)
        for table, column in (("deals", "seq"), ("deal_articles", "deal"), ("deal_parties", "deal")):
            con.execute(f"DELETE FROM {table} WHERE {column} IN (SELECT value FROM json_each(?))", (listed,))
    rows: list[tuple[int, Deal]] = []
    for aid, found in deals.items():
        if len(found) > DEAL_SLOTS:
            raise DeltaError(f"article {aid} has more than {DEAL_SLOTS} deals")
        for place, d in enumerate(found):
            if d.provenance == "curated" or d.article_ids != [aid]:
                raise DeltaError(f"deal {d.deal_id} is not an extracted deal of article {aid} alone")
            rows.append((article_seq[aid] * DEAL_SLOTS + place, d))
    names = dict(con.execute("SELECT folded, seq FROM party_names"))
    if sorted(names.values()) != list(range(len(names))):
        raise DeltaError("the store's party names are not numbered 0, 1, …")
    _insert_deals(con, rows, article_seq, names)


def _update_meta(con: sqlite3.Connection, meta: dict, delta: StoreDelta) -> None:
    stats, new = meta["stats"], delta.articles
    body = sum(len(passage_texts(a.body)) for a in new)
    dates = sorted({stats["date_from"], stats["date_to"], *(a.published for a in new)} - {""})
    publishers = Counter(dict(stats["publishers"])) + Counter(a.publisher for a in new if a.publisher)
    stats.update(
        articles=stats["articles"] + len(new),
        passages=stats["passages"] + body,
        entities=con.execute("SELECT COUNT(*) FROM entities").fetchone()[0],
        deals=con.execute("SELECT COUNT(*) FROM deals").fetchone()[0],
        date_from=dates[0] if dates else "",
        date_to=dates[-1] if dates else "",
        languages=sorted({*stats["languages"], *(a.language for a in new if a.language)}),
        publishers=sorted(publishers.items()),
    )
    meta.update(
        fingerprint=delta.fingerprint,
        stats=stats,
        passages=meta["passages"] + body + sum(len(a.teasers) for a in new),
        publishers=sorted({*meta["publishers"], *(a.publisher for a in new)}),
    )
    con.executemany("UPDATE meta SET value = ? WHERE key = ?", ((json.dumps(v), k) for k, v in meta.items()))
