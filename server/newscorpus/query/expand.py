"""Query expansion: English questions over German text, other names of entities, amounts in German form.

A plain-words query is cut into parts (an amount, an entity name, a glossary term, or a single word,
longest match first) and each part gets weighted alternatives:

- glossary: the part's equivalents from `corpus/annotations/glossary.yaml` (`data centre` → `Rechenzentrum`);
- entities: an entity's other names from the knowledge base (`KIA` → `Kuwait Investment Authority`);
- numbers: an amount's German forms (`12.5 billion` → `12,5 Milliarden`, `$40bn` → `40 Milliarden Dollar`);
- hyphens: the words of a hyphenated query word (`KI-Rechenzentren` → `KI Rechenzentren`).

Queries with search syntax (phrases, AND/OR/NOT, field:value) are passed on unexpanded: the user said
exactly what to match. The result is an engine-neutral `ExpandedQuery`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from newscorpus.extract.money import parse_amounts
from newscorpus.index.analysis import AnalysisConfig, stop_words, text_analyzer
from newscorpus.index.engine import Alternative, ExpandedQuery, QueryPart
from newscorpus.models import Amount, Entity
from newscorpus.query.text import fold

GLOSSARY_FILE = "glossary.yaml"
MAX_SPAN = 5
GLOSSARY_WEIGHT = 0.8
ENTITY_WEIGHT = 1.0
NUMBER_WEIGHT = 1.0
HYPHEN_WEIGHT = 0.6

_SYNTAX = re.compile(r"[\"():^~\[\]{}]|\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE)\b|\w:\S")
_HYPHEN = re.compile(r"(?<=\w)[‑-](?=\w)")
_WORD = re.compile(r"[$€£¥]?\w+(?:[.,'’‑-]\w+)*%?")
_SCALES = ((Decimal(10**12), "Billionen", "Billion"), (Decimal(10**9), "Milliarden", "Milliarde"),
           (Decimal(10**6), "Millionen", "Million"))
_NUMBER_WORDS = ("null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn", "elf",
                 "zwölf")
_CURRENCY = {"USD": ("Dollar", "US-Dollar"), "EUR": ("Euro",), "CNY": ("Yuan",), "GBP": ("Pfund",),
             "JPY": ("Yen",), "CHF": ("Franken",)}


class ExpansionConfig(BaseModel):
    """Which expansions run; the default is what the project ships."""

    model_config = ConfigDict(frozen=True)

    glossary: bool = True
    entities: bool = True
    numbers: bool = True
    hyphens: bool = True


class GlossaryEntry(BaseModel):
    """Words that mean the same thing in this domain, in English and in German."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    en: list[str] = Field(default_factory=list)
    de: list[str] = Field(default_factory=list)


class Glossary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    entries: list[GlossaryEntry] = Field(default_factory=list)


def load_glossary(annotations_dir: Path) -> Glossary:
    """The corpus's glossary, or an empty one when the corpus has none. A malformed file is an error."""
    path = annotations_dir / GLOSSARY_FILE
    if not path.is_file():
        return Glossary()
    # libyaml's parser when PyYAML has it: the pure-Python one takes a quarter second of every start.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}
    try:
        return Glossary.model_validate(data)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc


@lru_cache(maxsize=4096)
def _en_stem(word: str) -> str:
    import Stemmer

    return Stemmer.Stemmer("english").stemWord(word)


def _en_key(words: Sequence[str]) -> tuple[str, ...]:
    return tuple(_en_stem(fold(w).replace(" ", "")) for w in words)


class QueryExpander:
    """Turns a query string into an `ExpandedQuery`. Built once per opened corpus; read-only after that."""

    def __init__(
        self,
        glossary: Glossary,
        entities: Iterable[Entity],
        analysis: AnalysisConfig | None = None,
        config: ExpansionConfig | None = None,
    ) -> None:
        self.config = config or ExpansionConfig()
        self.analysis = analysis or AnalysisConfig()
        self._analyzer = text_analyzer(self.analysis)
        self._de_stops = stop_words()
        self._en: dict[tuple[str, ...], list[int]] = defaultdict(list)
        self._de: dict[tuple[str, ...], list[int]] = defaultdict(list)
        self._entries = glossary.entries
        for n, entry in enumerate(glossary.entries):
            for term in entry.en:
                self._en[_en_key(term.split())].append(n)
            for term in entry.de:
                key = self._de_key(term.split())
                if key:
                    self._de[key].append(n)
        self._names: dict[str, list[Entity]] = defaultdict(list)
        for e in entities:
            for name in {e.name, *e.aliases}:
                self._names[fold(name)].append(e)

    def _de_key(self, words: Sequence[str]) -> tuple[str, ...]:
        """The index terms of `words`, one analyzer (and its word caches) for all queries."""
        terms: list[str] = []
        for w in words:
            terms += [t.text for t in self._analyzer(w, mode="query")]
        return tuple(terms)

    def expand(self, query: str) -> ExpandedQuery:
        if _SYNTAX.search(query):
            return ExpandedQuery(text=query)
        words = [m.group(0) for m in _WORD.finditer(query)]
        amounts = parse_amounts(query) if self.config.numbers else []
        parts: list[QueryPart] = []
        i = 0
        while i < len(words):
            part, used = self._part(words, i, amounts)
            parts.append(part)
            i += used
        return ExpandedQuery(text=query, parts=tuple(parts))

    def _part(self, words: list[str], i: int, amounts: list[Amount]) -> tuple[QueryPart, int]:
        for size in range(min(MAX_SPAN, len(words) - i), 0, -1):
            span = words[i : i + size]
            text = " ".join(span)
            alternatives = [
                *self._amount_alternatives(span, amounts),
                *self._entity_alternatives(span),
                *self._glossary_alternatives(span),
            ]
            if alternatives:
                alternatives += self._hyphen_alternatives([Alternative(text=text)])
                return QueryPart(text=text, alternatives=tuple(dict.fromkeys(alternatives))), size
        word = words[i]
        return QueryPart(text=word, alternatives=tuple(self._hyphen_alternatives([Alternative(text=word)]))), 1

    def _hyphen_alternatives(self, alternatives: list[Alternative]) -> list[Alternative]:
        """The words of hyphenated words in the query or its alternatives, at a lower weight: the index has
        `KI-Infrastruktur-Partnerschaft` whole and as `KI`, `Infrastruktur`, `Partnerschaft`, and a
        passage may use the parts on their own."""
        if not (self.config.hyphens and self.analysis.hyphens):
            return []
        out = []
        for alt in alternatives:
            split = _HYPHEN.sub(" ", alt.text)
            if split != alt.text:
                out.append(Alternative(text=split, weight=round(alt.weight * HYPHEN_WEIGHT, 3), source="hyphen"))
        return out

    def _amount_alternatives(self, span: list[str], amounts: list[Amount]) -> list[Alternative]:
        text = " ".join(span)
        for amount in amounts:
            if fold(amount.text) == fold(text):
                return [Alternative(text=t, weight=NUMBER_WEIGHT, source="number") for t in german_amount(amount)]
        return []

    def _entity_alternatives(self, span: list[str]) -> list[Alternative]:
        if not self.config.entities:
            return []
        key = fold(" ".join(span))
        found = self._names.get(key) or (self._names.get(key[:-1]) if key.endswith("s") and len(key) > 3 else None)
        if not found:
            return []
        names = sorted({n for e in found for n in (e.name, *e.aliases) if fold(n) != key})
        return [Alternative(text=n, weight=ENTITY_WEIGHT, source="entity") for n in names]

    def _glossary_alternatives(self, span: list[str]) -> list[Alternative]:
        if not self.config.glossary:
            return []
        if len(span) == 1 and span[0].casefold() in self._de_stops and _en_key(span) not in self._en:
            return []
        hits = list(dict.fromkeys(self._en.get(_en_key(span), []) + self._de.get(self._de_key(span), [])))
        if not hits:
            return []
        key_en, key_de = _en_key(span), self._de_key(span)
        terms: list[str] = []
        for n in hits:
            entry = self._entries[n]
            terms += [t for t in entry.en if _en_key(t.split()) != key_en]
            terms += [t for t in entry.de if self._de_key(t.split()) != key_de]
        return [Alternative(text=t, weight=GLOSSARY_WEIGHT, source="glossary") for t in dict.fromkeys(terms)]


def german_amount(amount: Amount) -> list[str]:
    """How a German article writes an amount: `12,5 Milliarden`, `vier Billionen Dollar`, `40 Milliarden US-Dollar`."""
    value = Decimal(str(amount.value))
    forms: list[str] = []
    for scale, plural, singular in _SCALES:
        if value >= scale:
            mantissa = (value / scale).normalize()
            number = f"{mantissa:f}".replace(".", ",")
            word = singular if mantissa == 1 else plural
            forms.append(f"{number} {word}")
            if mantissa == mantissa.to_integral() and int(mantissa) < len(_NUMBER_WORDS):
                forms.append(f"{_NUMBER_WORDS[int(mantissa)]} {word}")
            break
    else:
        forms.append(f"{value.normalize():f}".replace(".", ","))
    currencies = _CURRENCY.get(amount.currency or "", ())
    return [*forms, *(f"{f} {c}" for f in forms for c in currencies)]
