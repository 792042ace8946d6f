"""A deterministic scale corpus: German news-like articles grown from the shipped corpus, for benchmarks.

The shipped articles give the sentences, headings, list lead-ins and nouns; the gazetteer gives the
entities. Each generated sentence is a shipped sentence with its entities, amounts, years and some
nouns swapped (nouns partly for new compounds drawn Zipf-like, so the vocabulary grows with the corpus
the way real news vocabulary does). Article `i` depends only on the seed and `i`, so any slice
(`start`, `count`) is the same on every machine and a later slice adds new articles to an earlier one.
"""

from __future__ import annotations

import itertools
import random
import re
import shutil
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from newscorpus.extract.annotations import load_gazetteer
from newscorpus.ingest.ids import make_article_id
from newscorpus.ingest.store import article_to_markdown, articles_dir, load_articles
from newscorpus.models import Article

SEED = 20260116
PUBLISHERS = (
    "Handelsblatt", "wallstreet-online", "Börsen-Zeitung", "Frankfurter Allgemeine", "Süddeutsche Zeitung",
    "Der Spiegel", "Die Zeit", "heise online", "golem.de", "WirtschaftsWoche", "Tagesspiegel", "Der Standard",
    "Neue Zürcher Zeitung", "manager magazin", "t3n", "Capital",
)
AUTHORS = ("", "", "Anna Keller", "Jonas Brandt", "Miriam Vogt", "Lukas Hartmann", "Sabine Wolf", "Tobias Kern")
CURRENCIES = ("Dollar", "Euro", "US-Dollar", "Milliarden Euro")
SCALES = ("Millionen", "Milliarden", "Mio.", "Mrd.")
# Amount and date words stay as they are, so amounts and dates in the text remain parseable.
KEEP = frozenset({
    "Millionen", "Milliarden", "Billionen", "Dollar", "Euro", "Januar", "Februar", "April", "Juni", "Juli",
    "August", "September", "Oktober", "November", "Dezember",
})
FIRST_DAY = date(2024, 1, 1)
DAYS = 2 * 366
# Articles generated `newer` are dated from here: after every other generated one and every shipped one
# (January 2026), as news arriving in date order would be.
NEWER_FIRST_DAY = date(2027, 1, 1)
COMPOUNDS = 30_000

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ])")
_NOUN = re.compile(r"\b[A-ZÄÖÜ][a-zäöüß]{4,}\b")
_AMOUNT = re.compile(r"\b\d+(?:[.,]\d+)?\s*(?:Millionen|Milliarden|Mio\.|Mrd\.)\s*(?:US-)?(?:Dollar|Euro)\b")
_YEAR = re.compile(r"\b20[12]\d\b")


@dataclass
class Material:
    """What the generator draws from, all taken from the shipped corpus and its gazetteer."""

    sentences: list[str]
    headings: list[str]
    lead_ins: list[str]
    list_items: list[str]
    nouns: list[str]
    entities: dict[str, list[str]]
    entity_pattern: re.Pattern[str]
    entity_types: dict[str, str] = field(default_factory=dict)
    name_words: set[str] = field(default_factory=set)
    compounds: list[str] = field(default_factory=list)
    compound_weights: list[float] = field(default_factory=list)


def load_material(corpus_dir: Path, seed: int = SEED) -> Material:
    """Split the shipped articles into sentences, headings, lists and nouns."""
    sentences: list[str] = []
    headings: list[str] = []
    lead_ins: list[str] = []
    items: list[str] = []
    for article in load_articles(corpus_dir):
        for passage in article.passages():
            if passage.kind != "body":
                continue
            lines = passage.text.split("\n")
            bullets = [ln[2:].strip() for ln in lines if ln.startswith("- ")]
            prose = [ln for ln in lines if not ln.startswith("- ")]
            if bullets:
                items += bullets
                lead_ins += [ln for ln in prose if ln.strip()][-1:]
                continue
            if len(prose) > 1 and len(prose[0].split()) <= 14:
                headings.append(prose[0].strip())
                prose = prose[1:]
            for line in prose:
                sentences += [s.strip() for s in _SENTENCE.split(line) if len(s.split()) >= 4]
    gazetteer = load_gazetteer(corpus_dir / "annotations").entities
    by_type: dict[str, list[str]] = {}
    for entry in sorted(gazetteer, key=lambda e: e.name.casefold()):
        by_type.setdefault(entry.type, []).append(entry.name)
    labels = sorted({label for e in gazetteer for label in (e.name, *e.aliases)}, key=len, reverse=True)
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(n) for n in labels) + r")\b")
    name_words = {w for label in labels for w in re.findall(r"\w+", label)} | KEEP
    nouns = sorted({m.group(0) for s in sentences + headings for m in _NOUN.finditer(s) if m.start()} - name_words)
    material = Material(sentences, headings, lead_ins, items, nouns, by_type, pattern)
    material.entity_types = {label: e.type for e in gazetteer for label in (e.name, *e.aliases)}
    material.name_words = name_words
    rng = random.Random(seed)
    seen: set[str] = set()
    while len(material.compounds) < COMPOUNDS:
        word = rng.choice(nouns) + rng.choice(nouns).lower()
        if word not in seen:
            seen.add(word)
            material.compounds.append(word)
    material.compound_weights = list(itertools.accumulate(1.0 / (rank + 10) for rank in range(COMPOUNDS)))
    return material


def _amount(rng: random.Random) -> str:
    value = rng.choice((rng.randint(1, 999), round(rng.uniform(1, 99), 1)))
    number = str(value).replace(".", ",")
    return f"{number} {rng.choice(SCALES)} {rng.choice(CURRENCIES).replace('Milliarden ', '')}"


Cast = dict[str, list[str]]


def _vary(text: str, m: Material, rng: random.Random, cast: Cast) -> str:
    """Swap entities for the article's cast (same type), amounts and years for new ones, some nouns."""

    def noun(match: re.Match[str]) -> str:
        # A sentence's first word is capitalised for its place (`Durch`, `Warum`, `Lesen Sie`): swapping it
        # for a noun made pairs like `Konzern Infrastruktur` or `…unternehmen Sie`, which the entity rules
        # rightly read as "the company Infrastruktur" and real news does not have.
        if match.group(0) in m.name_words or match.start() == 0:
            return match.group(0)
        roll = rng.random()
        if roll < 0.12:
            return rng.choices(m.compounds, cum_weights=m.compound_weights)[0]
        if roll < 0.2:
            return rng.choice(m.nouns)
        return match.group(0)

    text = _NOUN.sub(noun, text)
    text = m.entity_pattern.sub(lambda e: rng.choice(cast[m.entity_types[e.group(0)]]), text)
    text = _AMOUNT.sub(lambda _: _amount(rng), text)
    return _YEAR.sub(lambda _: str(rng.randint(2019, 2030)), text)


def _passage(m: Material, rng: random.Random, cast: Cast) -> str:
    roll = rng.random()
    if roll < 0.08 and m.list_items:
        lead = _vary(rng.choice(m.lead_ins or ["Die wichtigsten Punkte :"]), m, rng, cast)
        bullets = [f"- {_vary(rng.choice(m.list_items), m, rng, cast)}" for _ in range(rng.randint(2, 4))]
        return "\n".join([lead, *bullets])
    body = " ".join(_vary(rng.choice(m.sentences), m, rng, cast) for _ in range(rng.randint(2, 5)))
    if roll < 0.3 and m.headings:
        return _vary(rng.choice(m.headings), m, rng, cast) + "\n" + body
    return body


def generate_article(m: Material, index: int, seed: int = SEED, *, newer: bool = False) -> Article:
    """Article number `index`: ~250-700 words in 4-10 passages; two organizations and one entity of each other type.
    Dated within `DAYS` days from `FIRST_DAY`, or with `newer` from `NEWER_FIRST_DAY`."""
    rng = random.Random(f"{seed}:{index}")
    cast = {kind: rng.sample(names, k=min(len(names), 2 if kind == "organization" else 1))
            for kind, names in m.entities.items()}
    publisher = rng.choice(PUBLISHERS)
    published = ((NEWER_FIRST_DAY if newer else FIRST_DAY) + timedelta(days=rng.randrange(DAYS))).isoformat()
    title = _vary(rng.choice(m.headings or m.sentences), m, rng, cast).rstrip(" .:?")
    target = rng.randint(250, 700)
    passages: list[str] = []
    words = 0
    while words < target or len(passages) < 4:
        passages.append(_passage(m, rng, cast))
        words += len(passages[-1].split())
        if len(passages) >= 10:
            break
    # The number keeps ids unique however the random title comes out.
    article_id = f"{make_article_id(published, publisher, title)}-{index:06d}"
    return Article(
        id=article_id,
        title=title,
        publisher=publisher,
        author=rng.choice(AUTHORS),
        published=published,
        url=f"https://news.example/{article_id}",
        language="de",
        source_file=f"scale/{index:06d}.txt",
        body="\n\n".join(passages),
    )


def write_articles(
    corpus_dir: Path, m: Material, start: int, count: int, seed: int = SEED, *, newer: bool = False
) -> list[str]:
    """Write articles `start … start+count-1` (dated as `generate_article` says) as normalized files;
    returns their ids."""
    folder = articles_dir(corpus_dir)
    folder.mkdir(parents=True, exist_ok=True)
    ids = []
    for index in range(start, start + count):
        article = generate_article(m, index, seed, newer=newer)
        (folder / f"{article.id}.md").write_text(article_to_markdown(article), encoding="utf-8")
        ids.append(article.id)
    return ids


def make_scale_corpus(source_corpus: Path, target: Path, articles: int, seed: int = SEED) -> Material:
    """A corpus of `articles` articles in `target`: the shipped ones (with their annotations, so curated
    deals still resolve) plus generated ones up to the count."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source_corpus / "annotations", target / "annotations")
    shutil.copytree(articles_dir(source_corpus), articles_dir(target))
    shipped = len(list(articles_dir(target).glob("*.md")))
    material = load_material(source_corpus, seed)
    write_articles(target, material, 0, max(0, articles - shipped), seed)
    return material
