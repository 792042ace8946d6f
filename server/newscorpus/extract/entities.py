"""Entities in articles: gazetteer names and aliases, plus rules that find names the gazetteer lacks.

German capitalises every noun, so capital letters alone prove nothing; the rules only accept a name when
something else signals it: a legal form (`AG`, `GmbH`, `Inc.`), a descriptor in front of it (`das Start-up
Polarise`, `der Finanzinvestor Blackstone`), a role next to a person (`AWS-Chef Matt Garman`, `Autor:`),
or a place phrase (`mit Sitz in`, `im bayerischen`).
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Set
from dataclasses import dataclass, field

from newscorpus.extract.annotations import Gazetteer
from newscorpus.extract.entity_finds import FirstFind, StoredFinds, dump
from newscorpus.extract.textutil import fold_safe, matches_near, occurrences, slugify
from newscorpus.models import Article, Entity, EntityType, Mention, Passage


@dataclass(frozen=True, slots=True)
class Span:
    """One entity mention inside one passage, with character offsets (used by deal extraction)."""

    entity_id: str
    type: EntityType
    start: int
    end: int
    surface: str


@dataclass
class EntityResult:
    entities: list[Entity]
    spans: dict[str, list[Span]] = field(default_factory=dict)
    # What `entity_finds` stores for the next update: the rule-found names, the gazetteer's digest, and
    # each article's passage ids in corpus order (the order of `spans` there).
    names: dict[str, FirstFind] = field(default_factory=dict)
    gazetteer: str = ""
    passage_ids: list[tuple[str, list[str]]] = field(default_factory=list)
    searched_articles: int = 0
    # Articles whose spans are the stored finds' (`find_entities` with `previous`), not searched again.
    kept_articles: frozenset[str] = frozenset()
    words: set[str] = field(default_factory=set)  # every word of the passages (`passage_words`)

    _by_id: dict[str, Entity] | None = field(default=None, init=False, repr=False, compare=False)

    def stored(self) -> bytes:
        """These finds as `entity-finds.bin` stores them for the next update (`entity_finds`)."""
        spans = self.spans
        return dump(
            self.gazetteer,
            self.names,
            (
                (article_id, [[(s.entity_id, s.start, s.end) for s in spans[pid]] for pid in passage_ids])
                for article_id, passage_ids in self.passage_ids
            ),
            self.words,
        )

    def by_id(self) -> dict[str, Entity]:
        """Entities by id, built once (deal extraction asks for it per article); do not modify."""
        if self._by_id is None:
            self._by_id = {e.entity_id: e for e in self.entities}
        return self._by_id


# ---------------------------------------------------------------- name matching

_GENITIVE = r"(?:s|'s|’s|')?"


def _is_short_caps(label: str) -> bool:
    letters = [c for c in label if c.isalpha()]
    return len(label) <= 5 and bool(letters) and all(c.isupper() for c in letters)


class _Pattern:
    """A label's regular expression, compiled when first tried: compiling takes ~0.4 ms, a large corpus has
    tens of thousands of names, and an update tries few of them (most passages hold none of their words)."""

    __slots__ = ("_compiled", "_flags", "_source")

    def __init__(self, source: str, flags: int = 0) -> None:
        self._source, self._flags = source, flags
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(self._source, self._flags)
        return self._compiled

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.compiled.finditer(text)


def _label_pattern(label: str, *, ignore_case: bool = True) -> _Pattern:
    """Word-bounded, whitespace-tolerant, genitive-aware; case-sensitive for short all-caps labels and
    without `ignore_case`."""
    body = r"\s+".join(re.escape(w) for w in label.split())
    flags = re.IGNORECASE if ignore_case and not _is_short_caps(label) else 0
    return _Pattern(rf"(?<![\w])({body}){_GENITIVE}(?![\w])", flags)


def _surname_pattern(surname: str) -> _Pattern:
    return _Pattern(rf"(?<![\w-])({re.escape(surname)}){_GENITIVE}(?![\w-])")


@dataclass
class _Label:
    entity_id: str
    type: EntityType
    pattern: _Pattern


_WORD = re.compile(r"\w+")


def passage_words(texts: Iterable[str]) -> set[str]:
    """Every word (run of word characters, as written) of the texts: a name with a word none of them has
    does not match in them (`_may_occur`)."""
    words: set[str] = set()
    for text in texts:
        words.update(_WORD.findall(text))
    return words


def _may_occur(name: str, words: Set[str]) -> bool:
    """Whether the rule-found `name` (matched as written: `_label_pattern`) can match in texts whose words
    are `words`. The pattern's word boundaries make each run of word characters of the name a whole word
    of the text, but the last, which a genitive `s` may lengthen."""
    runs = _WORD.findall(name)
    if not runs:
        return True
    *inner, last = runs
    ends_in_word = _WORD.fullmatch(name[-1]) is not None
    return all(w in words for w in inner) and (last in words or (ends_in_word and f"{last}s" in words))


class _Words:
    """The words of one passage, lower-cased, and (on demand) the offsets where a given word starts: built
    once per passage and shared by the gazetteer, rule and surname labels. Empty for a passage that
    lower-casing does not fold like re.IGNORECASE (see `fold_safe`); labels then search the whole text."""

    __slots__ = ("_starts", "low", "safe", "text", "words")

    def __init__(self, text: str) -> None:
        self.text = text
        self.safe = fold_safe(text)
        self.low = text.lower() if self.safe else ""
        self.words = set(_WORD.findall(self.low))
        self._starts: dict[str, list[int]] = {}

    def starts(self, word: str) -> list[int]:
        """Offsets where `word` (lower case, word characters only) is a whole word of the text."""
        found = self._starts.get(word)
        if found is None:
            found = []
            if word in self.words:
                low, n = self.low, len(word)
                i = low.find(word)
                while i >= 0:
                    before = low[i - 1] if i else " "
                    after = low[i + n] if i + n < len(low) else " "
                    if not _is_word_char(before) and not _is_word_char(after):
                        found.append(i)
                    i = low.find(word, i + 1)
            self._starts[word] = found
        return found


def _is_word_char(c: str) -> bool:
    """What `\\w` matches in a str pattern."""
    return c.isalnum() or c == "_"


class _LabelIndex:
    """Labels by the first word they start with, so a passage is matched only against the labels whose
    first word it contains (with or without a genitive s): the same matches as trying every label, without
    a pass over the text per label, which grows with the corpus as rules find more names.

    A label's pattern begins with a word boundary and its first word (of its first whitespace-separated
    part) is followed by a non-word character or a genitive s, so it can only match where that word, or the
    word plus s, is a whole word of the text; its other words are whole words of the text too (the last one
    perhaps with a genitive s). On a fold-safe passage a fold-safe label is therefore tried with
    `match` at those offsets only, in order and resuming after each match exactly as `finditer` does. Other
    labels, and every label on other passages, keep the plain rule: `finditer` over the passage for each label
    whose first word of the whole label text (or that word minus a genitive s) is a word of the passage.

    With `every_label`, the plain rule tries each label on every passage, as for surnames; the index then
    narrows only where that is provably the same (fold-safe passage and label)."""

    def __init__(self, labels: list[tuple[str, _Label]], *, every_label: bool = False) -> None:
        self._labels = [lab for _, lab in labels]
        self._every_label = every_label
        self._by_word: dict[str, list[int]] = {}  # plain rule: first word of the label text
        self._always: list[int] = []  # plain rule: labels without one
        self._first: list[str] = []  # by offsets: first word of the pattern, "" to use the plain rule
        self._inner: list[frozenset[str]] = []  # by offsets: the other words but the last, all whole words
        self._last: list[str] = []  # by offsets: the last word, a whole word with or without a genitive s
        self._keys: dict[str, list[int]] = {}  # on a fold-safe passage: a word of the text -> labels to try
        for i, (text, _) in enumerate(labels):
            plain = _WORD.match(text.lower())
            if plain is None:
                self._always.append(i)
            else:
                self._by_word.setdefault(plain.group(0), []).append(i)
            parts = text.split()
            first = _WORD.match(parts[0].lower()) if parts and fold_safe(text) else None
            self._first.append(first.group(0) if first else "")
            runs = _WORD.findall(text.lower())
            self._inner.append(frozenset(runs[1:-1]))
            self._last.append(runs[-1] if runs else "")
            key = first or (None if every_label else plain)
            if key is not None:
                for word in (key.group(0), key.group(0) + "s"):
                    self._keys.setdefault(word, []).append(i)
        # plain-rule labels tried on every fold-safe passage
        always = set(self._always)
        self._safe_always = [i for i, first in enumerate(self._first) if not first and (every_label or i in always)]

    def candidates(self, text: str) -> list[_Label]:
        """The labels the plain rule tries on `text`."""
        if self._every_label:
            return self._labels
        words = set(_WORD.findall(text.lower()))
        words |= {w[:-1] for w in words if w.endswith("s")}
        found = {i for w in words for i in self._by_word.get(w, ())}
        return [self._labels[i] for i in sorted(found.union(self._always))]

    def find(self, words: _Words) -> list[Span]:
        """Every match of every label in the passage (overlapping ones included; `_choose` picks)."""
        text = words.text
        if not words.safe:
            return _finditer_labels(text, self.candidates(text))
        hits: set[int] = set(self._safe_always)
        for w in self._keys.keys() & words.words:
            hits.update(self._keys[w])
        found: list[Span] = []
        for i in sorted(hits):
            lab = self._labels[i]
            first = self._first[i]
            if not first:
                found += _finditer_labels(text, [lab])
                continue
            last = self._last[i]
            if not (self._inner[i] <= words.words and (last in words.words or last + "s" in words.words)):
                continue
            starts = sorted([*words.starts(first), *words.starts(first + "s")])
            end = 0
            match = lab.pattern.compiled.match
            for pos in starts:
                if pos < end:
                    continue
                m = match(text, pos)
                if m is not None:
                    found.append(Span(lab.entity_id, lab.type, m.start(), m.end(), m.group(0)))
                    end = m.end()
        return found


def _finditer_labels(text: str, labels: list[_Label]) -> list[Span]:
    return [
        Span(lab.entity_id, lab.type, m.start(), m.end(), m.group(0))
        for lab in labels
        for m in lab.pattern.finditer(text)
    ]


def _choose(found: list[Span], taken: list[tuple[int, int]]) -> list[Span]:
    """Longest-first, leftmost, non-overlapping matches that do not touch already taken ranges."""
    found = sorted(found, key=lambda s: (-(s.end - s.start), s.start, s.entity_id))
    chosen: list[Span] = []
    occupied = list(taken)
    for s in found:
        if any(s.start < e and b < s.end for b, e in occupied):
            continue
        chosen.append(s)
        occupied.append((s.start, s.end))
    return sorted(chosen, key=lambda s: (s.start, s.end))


# ---------------------------------------------------------------- rules

_STOP = {
    # articles, pronouns, conjunctions and sentence openers that are capitalised at a sentence start
    "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer", "und", "oder", "mit",
    "auch", "laut", "so", "wie", "bei", "für", "von", "nach", "vor", "im", "in", "am", "an", "auf", "aus",
    "zum", "zur", "the", "a", "and", "or", "of", "for", "with", "by", "at", "on", "to", "from",
    "as", "its", "his", "her", "their", "this", "that", "these", "new", "now", "also", "said", "says", "but",
    "while", "after", "before", "when", "etwa", "nun", "doch", "aber", "sagt", "sagte", "heute", "gestern",
    "morgen", "dass", "ob", "dies", "diese", "dieser", "mr", "ms", "dr", "prof",
    # frequent capitalised German nouns that follow descriptors or roles in news text
    "milliarden", "millionen", "euro", "dollar", "prozent", "jahr", "jahre", "jahren", "ende", "anfang",
    "mitte", "woche", "monat", "monaten", "rechenzentren", "rechenzentrum", "kapital", "geld", "anteile",
    "aktien", "unternehmen", "konzern", "firma", "partner", "deutschland", "europa", "teil", "chef", "ceo",
    "ki", "ai", "it", "us", "uk", "eu", "usa", "januar", "februar", "märz", "april", "mai", "juni", "juli",
    "august", "september", "oktober", "november", "dezember", "january", "february", "march", "june",
    "july", "october", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "montag",
    "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag",
}
_NOUNISH = re.compile(r"(?:ung|heit|keit|schaft|tion|ität|ismus|nis|ungen|ten|zeit)$")

# Rule patterns never reach across a line break: a heading or list lead-in ending in `Investor` or
# `Reporter` does not name the first word of the next line.
_SP = r"[^\S\n]+"
_SP0 = r"[^\S\n]*"
_CAP = r"[A-ZÄÖÜ][\wÄÖÜäöüß&'’-]*\w|[A-ZÄÖÜ]"
_LEGAL = (
    r"AG|GmbH(?:\s*&\s*Co\.\s*KG)?|SE|KGaA|Inc\.|Inc|Corp\.|Corp|Corporation|Ltd\.|Ltd|LLC|plc|PLC|"
    r"Holdings|Holding|Group|N\.V\.|S\.A\."
)
_LEGAL_RE = re.compile(rf"((?:(?:{_CAP}){_SP}){{0,3}}(?:{_CAP})){_SP}({_LEGAL})(?![\w])")
_COMPOUND_ORG_RE = re.compile(r"(?<![\w-])([A-ZÄÖÜ][\wäöüß&]+)-(Gruppe|Konzern|Holding|Group)(?![\w-])")

_DESCRIPTOR = (
    r"(?:[\w-]*(?:[Kk]onzern|[Uu]nternehmen|[Hh]ersteller|[Aa]nbieter|[Ii]nvestor|[Zz]ulieferer|[Vv]ersicherer|"
    r"[Ff]onds|[Ss]tart-?up|[Gg]esellschaft|[Bb]etreiber|[Ee]ntwickler|[Ss]pezialist|[Ff]irma|[Bb]ank|"
    r"[Kk]apitalgeber|[Dd]ienstleister|[Rr]iese|[Kk]onkurrent|[Rr]ivale)|"
    r"startup|start-up|company|firm|chipmaker|carmaker|automaker|rival|investor|fund|lender|maker|provider|"
    r"operator|developer|supplier|insurer|manufacturer|retailer|giant|unicorn)s?"
)
_NAME_AFTER = rf"((?:{_CAP})(?:{_SP}(?:{_CAP})){{0,2}})"
_DESCRIPTOR_WORD = re.compile(_DESCRIPTOR)
_DESCRIPTOR_RE = re.compile(rf"(?<![\w-]){_DESCRIPTOR}{_SP}{_NAME_AFTER}")

_PARTICLE = r"(?:de|da|dos|von|van|der|den|del|di|du|le|al|bin|ibn|zu)"
_GIVEN = r"[A-ZÄÖÜ][a-zäöüßéèáíóúñ]+(?:-[A-ZÄÖÜ][a-zäöüßéèáíóúñ]+)?"
_PERSON = rf"({_GIVEN}(?:{_SP}(?:{_PARTICLE}{_SP})*[A-ZÄÖÜ][\wäöüß'’-]*[a-zäöüß]){{1,3}})"
_ROLE = (
    r"(?:CEO|COO|CFO|CTO|CIO|Chief[^\S\n]+[A-Z]\w+(?:[^\S\n]+Officer)?|[\w-]*(?:[Cc]hef|[Cc]hefin|[Gg]ründer|[Gg]ründerin|"
    r"[Rr]eporter|[Rr]eporterin|[Rr]eporterinnen|[Jj]ournalist|[Jj]ournalistin|[Kk]orrespondent|"
    r"[Kk]orrespondentin|[Kk]orrespondenten|[Aa]nalyst|[Aa]nalystin|[Kk]ollege|[Kk]ollegen|[Kk]ollegin|"
    r"[Ss]precher|[Ss]precherin|[Vv]orsitzende|[Vv]orsitzender|[Mm]anagerin|[Dd]irektor|[Dd]irektorin|"
    r"[Ll]eiter|[Ll]eiterin|[Pp]räsident|[Pp]räsidentin|[Mm]inister|[Mm]inisterin)|Geschäftsführer|"
    r"Geschäftsführerin|founder|co-founder|cofounder|chief executive|chairman|chairwoman|president|"
    r"spokesperson|spokesman|spokeswoman|analyst)"
)
_ROLE_BEFORE_RE = re.compile(rf"(?<![\w]){_ROLE}{_SP}{_PERSON}")
_AUTHOR_RE = re.compile(rf"(?:Autor|Autorin|Author|Von|By):{_SP0}{_PERSON}")
_ROLE_AFTER_RE = re.compile(rf"{_PERSON},{_SP}(?:der|die|the|a|an|ein|eine)?{_SP0}(?:\w+{_SP})?{_ROLE}(?![\w])")
_ALS_ROLE_RE = re.compile(rf"{_PERSON}{_SP}\w+{_SP}(?:als|as){_SP}{_ROLE}(?![\w])")
_AND_PERSON = re.compile(rf"{_SP}(?:und|and|sowie){_SP}{_PERSON}")

_PLACE_RE = re.compile(
    rf"(?:mit Sitz in|Sitz in|headquartered in|based in|im{_SP}[a-zäöü-]+(?:ischen|schen)){_SP}({_CAP})"
)
_BASED_RE = re.compile(rf"(?<![\w-])({_CAP})-based(?![\w])")


_GENITIVE_END = re.compile(r"(?:'s|’s|s')$")
_LEGAL_AFTER_RE = re.compile(rf"{_SP}(?:{_LEGAL})(?![\w])")
_PARTICLE_RE = re.compile(_PARTICLE)


class _RuleText:
    """One passage as the rules read it: the text, its lower-cased form, and where anchors occur in it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.low = text.lower()
        self.safe = fold_safe(text)
        self._at: dict[tuple[str, ...], list[int]] = {}

    def holds(self, anchors: tuple[str, ...], lower: bool) -> bool:
        if lower:
            return bool(self.anchors_at(anchors))
        return any(a in self.text for a in anchors)

    def anchors_at(self, anchors: tuple[str, ...]) -> list[int]:
        """Sorted offsets where one of the lower-case `anchors` starts in the lower-cased text."""
        if anchors not in self._at:
            self._at[anchors] = sorted({start for start, _ in occurrences(self.low, anchors)})
        return self._at[anchors]


@dataclass(frozen=True)
class _Rule:
    """A rule pattern and literals of which every match holds one, so a passage holding none is skipped
    (a substring test instead of a pattern search). With `lower`, the anchors are lower case and looked up
    in the lower-cased passage; the patterns are case-sensitive, so that is exact for any text.

    With `near`, every match starts at the run of word characters and hyphens that holds an anchor, and on a
    fold-safe passage the pattern is tried only there (`matches_near`)."""

    pattern: re.Pattern[str]
    anchors: tuple[str, ...]
    lower: bool = False
    near: bool = False

    def finditer(self, t: _RuleText) -> Iterator[re.Match[str]]:
        if not t.holds(self.anchors, self.lower):
            return iter(())
        if self.near and self.lower and t.safe:
            return matches_near(self.pattern, t.text, t.anchors_at(self.anchors), low=t.low)
        return self.pattern.finditer(t.text)


_ROLE_ANCHORS = (
    "ceo", "coo", "cfo", "cto", "cio", "chief", "chef", "gründer", "reporter", "journalist", "korrespondent",
    "analyst", "kolleg", "sprecher", "vorsitzende", "managerin", "direktor", "leiter", "präsident", "minister",
    "geschäftsführer", "founder", "chairman", "chairwoman", "president", "spokes",
)
_LEGAL_RULE = _Rule(_LEGAL_RE, ("AG", "GmbH", "SE", "KGaA", "Inc", "Corp", "Ltd", "LLC", "plc", "PLC", "Holding",
                                "Group", "N.V.", "S.A."))
_COMPOUND_ORG_RULE = _Rule(_COMPOUND_ORG_RE, ("-Gruppe", "-Konzern", "-Holding", "-Group"))
_DESCRIPTOR_RULE = _Rule(_DESCRIPTOR_RE, (
    "konzern", "unternehmen", "hersteller", "anbieter", "investor", "zulieferer", "versicherer", "fonds", "start",
    "gesellschaft", "betreiber", "entwickler", "spezialist", "firm", "bank", "kapitalgeber", "dienstleister",
    "riese", "konkurrent", "rival", "company", "maker", "fund", "lender", "provider", "operator", "developer",
    "supplier", "insurer", "manufacturer", "retailer", "giant", "unicorn",
), lower=True, near=True)
_PERSON_RULES = (
    _Rule(_ROLE_BEFORE_RE, _ROLE_ANCHORS, lower=True, near=True),
    _Rule(_AUTHOR_RE, ("autor:", "autorin:", "author:", "von:", "by:"), lower=True),
    _Rule(_ROLE_AFTER_RE, _ROLE_ANCHORS, lower=True),
    _Rule(_ALS_ROLE_RE, _ROLE_ANCHORS, lower=True),
)
_PLACE_RULES = (
    _Rule(_PLACE_RE, ("Sitz in", "headquartered in", "based in", "schen")),
    _Rule(_BASED_RE, ("-based",)),
)
RULES = (_LEGAL_RULE, _COMPOUND_ORG_RULE, _DESCRIPTOR_RULE, *_PERSON_RULES, *_PLACE_RULES)


def _clean_name(raw: str, *, min_tokens: int = 1) -> str | None:
    """Drop leading/trailing stop words and noun-like tokens; None when nothing name-like is left."""
    tokens = raw.split()
    while tokens and tokens[0].casefold() in _STOP:
        tokens.pop(0)
    while tokens and (tokens[-1].casefold() in _STOP or _NOUNISH.search(tokens[-1].casefold())):
        tokens.pop()
    if len(tokens) < min_tokens:
        return None
    name = " ".join(tokens)
    if any(t.casefold() in _STOP for t in tokens if not _PARTICLE_RE.fullmatch(t)):
        return None
    return name


def _person_names(t: _RuleText) -> list[tuple[int, int, str]]:
    text = t.text
    out: list[tuple[int, int, str]] = []
    for rule in _PERSON_RULES:
        for m in rule.finditer(t):
            name = _clean_name(m.group(1), min_tokens=2)
            if not name:
                continue
            start = m.start(1) + m.group(1).find(name)
            out.append((start, start + len(name), name))
            tail = text[start + len(name):]
            while (nxt := _AND_PERSON.match(tail)) is not None:
                extra = _clean_name(nxt.group(1), min_tokens=2)
                if not extra:
                    break
                s = start + len(name) + nxt.start(1) + nxt.group(1).find(extra)
                out.append((s, s + len(extra), extra))
                start, name, tail = s, extra, text[s + len(extra):]
    return out


def rule_candidates(text: str) -> list[tuple[int, int, str, EntityType]]:
    """Names the rules find in one passage: (start, end, name, type)."""
    out: list[tuple[int, int, str, EntityType]] = []
    t = _RuleText(text)
    for m in _LEGAL_RULE.finditer(t):
        words = m.group(1).split()
        cut = max((i + 1 for i, w in enumerate(words) if _DESCRIPTOR_WORD.fullmatch(w)), default=0)
        name = _clean_name(" ".join(words[cut:]))
        if name:
            start = m.start(1) + m.group(1).rfind(name)
            out.append((start, m.end(), text[start:m.end()], "organization"))
    for m in _COMPOUND_ORG_RULE.finditer(t):
        out.append((m.start(), m.end(), m.group(0), "organization"))
    for m in _DESCRIPTOR_RULE.finditer(t):
        name = _clean_name(m.group(1))
        if name:
            start = m.start(1) + m.group(1).find(name)
            end = start + len(name)
            legal = _LEGAL_AFTER_RE.match(text, end)
            if legal:
                end = legal.end()
            out.append((start, end, text[start:end], "organization"))
    for start, end, name in _person_names(t):
        out.append((start, end, name, "person"))
    for rule in _PLACE_RULES:
        for m in rule.finditer(t):
            name = _clean_name(m.group(1))
            if name and name == m.group(1):
                out.append((m.start(1), m.end(1), name, "location"))
    return out


# ---------------------------------------------------------------- the extractor


def _unique_ids(names: Iterable[tuple[str, str | None]]) -> list[str]:
    """Slug per (name, explicit id); repeated slugs get -2, -3 … in input order."""
    seen: dict[str, int] = {}
    ids = []
    for name, explicit in names:
        base = explicit or slugify(name)
        seen[base] = seen.get(base, 0) + 1
        ids.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return ids


# Every mention sets all its fields: one shared set instead of one per mention (pydantic keeps the set it is
# given; a validated `Mention` takes ~510 bytes, this one ~280, and a large corpus has millions of them).
_MENTION_FIELDS = set(Mention.model_fields)


def gazetteer_digest(gazetteer: Gazetteer) -> str:
    """Identifies the gazetteer finds were made with (stored finds of another one are not reused)."""
    return hashlib.sha256(gazetteer.model_dump_json().encode()).hexdigest()


class _Gazetteer:
    """The gazetteer's entity ids and labels, for finding its names in passages."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.entities = gazetteer.entities
        self.ids = _unique_ids((e.name, e.id) for e in gazetteer.entities)
        self.known = {label.casefold() for e in gazetteer.entities for label in (e.name, *e.aliases)}
        self.labels = _LabelIndex([
            (label, _Label(eid, e.type, _label_pattern(label)))
            for eid, e in zip(self.ids, gazetteer.entities, strict=True)
            for label in dict.fromkeys((e.name, *e.aliases))
        ])
        self.digest = gazetteer_digest(gazetteer)

    def spans(self, passages: Iterable[Passage], into: dict[str, list[Span]]) -> None:
        for p in passages:
            into[p.passage_id] = _choose(self.labels.find(_Words(p.text)), [])

    def records(self, mentions: dict[str, list[Mention]]) -> list[Entity]:
        return [
            Entity(
                entity_id=eid, name=e.name, type=e.type, aliases=list(dict.fromkeys(e.aliases)),
                source="gazetteer", mentions=mentions.get(eid, []),
            )
            for eid, e in zip(self.ids, self.entities, strict=True)
        ]


def _collect_names(
    articles: Iterable[tuple[Article, list[Passage]]],
    gaz: _Gazetteer,
    gaz_spans: dict[str, list[Span]],
    names: dict[str, FirstFind],
    position: Callable[[str], object],
) -> None:
    """Rule candidates of `articles` that no gazetteer name covers, into `names` (keyed by their casefolded
    name): the first find in corpus order (`position` of article ids) decides a name's spelling and type."""
    for a, aps in articles:
        for p in aps:
            taken = [(s.start, s.end) for s in gaz_spans[p.passage_id]]
            for start, end, name, etype in rule_candidates(p.text):
                base = _GENITIVE_END.sub("", name)
                key = base.casefold()
                if key in gaz.known or any(start < e and b < end for b, e in taken):
                    continue
                seen = names.get(key)
                if seen is None or position(a.id) < position(seen.article_id):
                    names[key] = FirstFind(base, etype, a.id)


class _NameSearch:
    """Every name (the gazetteer's and the rule-found ones) and how an article's passages are searched."""

    def __init__(self, gaz: _Gazetteer, names: dict[str, FirstFind], rule_ids: dict[str, str]) -> None:
        self.rule_list = sorted(names.items(), key=lambda kv: (slugify(kv[1].name), kv[1].name))
        self.rule_ids = rule_ids
        # A rule-found name is matched as the rule found it written: one false find of a capitalised word
        # (`Nicht`, `Anbieter`) must not make every lower-case `nicht` of the corpus a mention. The
        # gazetteer's curated names stay case-insensitive.
        self.rule_labels = _LabelIndex([
            (f.name, _Label(rule_ids[key], f.type, _label_pattern(f.name, ignore_case=False)))
            for key, f in self.rule_list
        ])
        # A person found by a rule is also mentioned by surname alone in the articles that name them in full.
        self.surnames = {
            rule_ids[key]: f.name.split()[-1]
            for key, f in self.rule_list
            if f.type == "person" and len(f.name.split()[-1]) > 2
        }
        self.types = {eid: e.type for eid, e in zip(gaz.ids, gaz.entities, strict=True)}
        self.types.update((rule_ids[key], f.type) for key, f in self.rule_list)

    def article(self, aps: list[Passage], gaz_spans: dict[str, list[Span]], into: dict[str, list[Span]]) -> None:
        """The spans of one article's passages, into `into` by passage id."""
        words = {p.passage_id: _Words(p.text) for p in aps}
        first = {
            p.passage_id: _choose(
                self.rule_labels.find(words[p.passage_id]), [(s.start, s.end) for s in gaz_spans[p.passage_id]]
            )
            for p in aps
        }
        named = {s.entity_id for v in first.values() for s in v if s.entity_id in self.surnames}
        surname_labels = _LabelIndex(
            [(self.surnames[r], _Label(r, "person", _surname_pattern(self.surnames[r]))) for r in sorted(named)],
            every_label=True,
        )
        for p in aps:
            taken = [(s.start, s.end) for s in (*gaz_spans[p.passage_id], *first[p.passage_id])]
            extra = _choose(surname_labels.find(words[p.passage_id]), taken) if named else []
            into[p.passage_id] = sorted(
                (*gaz_spans[p.passage_id], *first[p.passage_id], *extra), key=lambda s: (s.start, s.end)
            )

    def rule_records(self, mentions: dict[str, list[Mention]]) -> list[Entity]:
        """The rule-found names that have mentions, as entities."""
        return [
            Entity(entity_id=self.rule_ids[key], name=f.name, type=f.type, source="rule",
                   mentions=mentions[self.rule_ids[key]])
            for key, f in self.rule_list
            if self.rule_ids[key] in mentions
        ]


def passage_mentions(aps: Iterable[Passage], spans: dict[str, list[Span]]) -> Iterator[tuple[str, Passage, str]]:
    """(entity id, passage, surface) of the passages' spans: an entity's surface counts once per passage."""
    for p in aps:
        seen_here: set[tuple[str, str]] = set()  # (entity, surface) within this passage
        for s in spans[p.passage_id]:
            if (s.entity_id, s.surface) not in seen_here:
                seen_here.add((s.entity_id, s.surface))
                yield s.entity_id, p, s.surface


def find_entities(articles: list[Article], gazetteer: Gazetteer, previous: StoredFinds | None = None) -> EntityResult:
    """Entities with their mentions, plus per-passage spans for the deal extractor. Deterministic.

    With `previous` (the finds of a build of some of these articles, unchanged; `entity_finds`), an
    article of that build keeps its spans unless a name new to this corpus may occur in it: the same
    result as finding everything, with only the new articles and those searched. When a new article
    changes an old name (its spelling, its type, its id), everything is found anew."""
    by_article = [a.passages() for a in articles]
    gaz = _Gazetteer(gazetteer)
    kept = _reusable(previous, articles, by_article, gaz.digest)
    words = set(previous.words) if kept and previous is not None else set()
    for a, aps in zip(articles, by_article, strict=True):
        if a.id not in kept:
            words.update(passage_words(p.text for p in aps))
    # A passage's words take ~5 KB: made again for the second pass rather than kept for the whole corpus.
    gaz_spans: dict[str, list[Span]] = {}
    for a, aps in zip(articles, by_article, strict=True):
        if a.id not in kept:
            gaz.spans(aps, gaz_spans)

    position = {a.id: i for i, a in enumerate(articles)}
    names: dict[str, FirstFind] = dict(previous.names) if previous is not None and kept else {}
    _collect_names(
        ((a, aps) for a, aps in zip(articles, by_article, strict=True) if a.id not in kept),
        gaz, gaz_spans, names, position.__getitem__,
    )
    rule_ids = _rule_ids(names, set(gaz.ids))
    if kept and previous is not None:
        if _renames(previous.names, names, rule_ids, gaz):
            return find_entities(articles, gazetteer)
        kept = kept - _articles_matching(
            sorted(names[k].name for k in names.keys() - previous.names.keys()),
            ((a.id, [p.text for p in aps]) for a, aps in zip(articles, by_article, strict=True) if a.id in kept),
            previous.words,
        )
        for a, aps in zip(articles, by_article, strict=True):
            if a.id not in kept:
                gaz.spans((p for p in aps if p.passage_id not in gaz_spans), gaz_spans)
    search = _NameSearch(gaz, names, rule_ids)

    spans: dict[str, list[Span]] = {}
    for a, aps in zip(articles, by_article, strict=True):
        if a.id in kept and previous is not None:
            for p, found in zip(aps, previous.spans(a.id), strict=True):
                spans[p.passage_id] = [Span(eid, search.types[eid], s, e, p.text[s:e]) for eid, s, e in found]
        else:
            search.article(aps, gaz_spans, spans)

    mentions: dict[str, list[Mention]] = {}
    for aps in by_article:
        for eid, p, surface in passage_mentions(aps, spans):
            mentions.setdefault(eid, []).append(Mention.model_construct(
                _MENTION_FIELDS, passage_id=p.passage_id, article_id=p.article_id, surface=surface
            ))
    entities = [*gaz.records(mentions), *search.rule_records(mentions)]
    entities.sort(key=lambda e: e.entity_id)
    return EntityResult(
        entities=entities,
        spans=spans,
        names=names,
        gazetteer=gaz.digest,
        passage_ids=[(a.id, [p.passage_id for p in aps]) for a, aps in zip(articles, by_article, strict=True)],
        searched_articles=len(articles) - len(kept),
        kept_articles=kept,
        words=words,
    )


def _renames(old: dict[str, FirstFind], names: dict[str, FirstFind], rule_ids: dict[str, str], gaz: _Gazetteer) -> bool:
    """Whether a name of `old` changed its spelling, type or id (everything must then be found anew)."""
    old_ids = _rule_ids(old, set(gaz.ids))
    return any(names[k][:2] != f[:2] or rule_ids[k] != old_ids[k] for k, f in old.items())


@dataclass
class EntityUpdate:
    """What adding articles to a corpus changes in its entity finds (`find_entities_update`)."""

    # The new articles and the old ones a new name occurs in, in corpus order, with their passages' spans.
    searched: list[Article]
    spans: dict[str, list[Span]]
    names: dict[str, FirstFind]  # every rule-found name of the corpus
    # Per searched article, its mentions as (entity id, passage id, surface) in order.
    mentions: dict[str, list[tuple[str, str, str]]]
    # The entities with mentions that `known` (the previous build's entity ids) lacks, without mentions.
    entities: list[Entity]
    words: set[str]  # the words of the new articles (`passage_words`)


def find_entities_update(
    new: list[Article],
    old_texts: Iterable[tuple[str, list[str]]],
    read_old: Callable[[list[str]], list[Article]],
    previous: StoredFinds,
    known: set[str],
    gazetteer: Gazetteer,
) -> EntityUpdate | None:
    """`find_entities` of a corpus that is `previous`'s articles plus `new`, for what differs only: the
    old articles are read as passage texts (`old_texts`, for the new names) and, where a new name occurs,
    as articles (`read_old`). None when a new article changes an old name or the gazetteer changed: then
    everything is found anew (`find_entities`). Corpus order is id order."""
    gaz = _Gazetteer(gazetteer)
    if previous.gazetteer != gaz.digest:
        return None
    passages = {a.id: a.passages() for a in new}
    gaz_spans: dict[str, list[Span]] = {}
    for aps in passages.values():
        gaz.spans(aps, gaz_spans)
    names = dict(previous.names)
    _collect_names(((a, passages[a.id]) for a in new), gaz, gaz_spans, names, lambda article_id: article_id)
    rule_ids = _rule_ids(names, set(gaz.ids))
    if _renames(previous.names, names, rule_ids, gaz):
        return None
    added = sorted(names[k].name for k in names.keys() - previous.names.keys())
    old = read_old(sorted(_articles_matching(added, old_texts, previous.words))) if added else []
    for a in old:
        passages[a.id] = a.passages()
        gaz.spans(passages[a.id], gaz_spans)
    searched = sorted([*new, *old], key=lambda a: a.id)
    search = _NameSearch(gaz, names, rule_ids)
    spans: dict[str, list[Span]] = {}
    mentions: dict[str, list[tuple[str, str, str]]] = {}
    for a in searched:
        search.article(passages[a.id], gaz_spans, spans)
        mentions[a.id] = [(eid, p.passage_id, surface) for eid, p, surface in passage_mentions(passages[a.id], spans)]
    found = {eid for rows in mentions.values() for eid, _, _ in rows}
    return EntityUpdate(
        searched=searched,
        spans=spans,
        names=names,
        mentions=mentions,
        entities=[e for e in search.rule_records({eid: [] for eid in found - known}) if e.entity_id not in known],
        words=passage_words(p.text for a in new for p in passages[a.id]),
    )


def _rule_ids(names: dict[str, FirstFind], gaz_ids: set[str]) -> dict[str, str]:
    """Entity ids of rule-found names (by casefolded name): slugs in the order of (slug, name), repeats
    numbered, `-r` appended while a gazetteer entity holds the id."""
    ordered = sorted(names.items(), key=lambda kv: (slugify(kv[1].name), kv[1].name))
    taken = set(gaz_ids)
    ids: dict[str, str] = {}
    for (key, _), rid in zip(ordered, _unique_ids((f.name, None) for _, f in ordered), strict=True):
        while rid in taken:
            rid += "-r"
        taken.add(rid)
        ids[key] = rid
    return ids


def _reusable(
    previous: StoredFinds | None, articles: list[Article], by_article: list[list[Passage]], digest: str
) -> frozenset[str]:
    """The articles whose previous spans can be kept: all of `previous`'s when they are finds of these very
    articles (each present, with as many passages) made with this gazetteer, else none."""
    if previous is None or previous.gazetteer != digest:
        return frozenset()
    counts = {a.id: len(aps) for a, aps in zip(articles, by_article, strict=True)}
    old = previous.articles()
    if any(counts.get(article_id) != n for article_id, n in old.items()):
        return frozenset()
    if any(f.article_id not in old for f in previous.names.values()):
        return frozenset()
    return frozenset(old)


def _articles_matching(
    names: list[str], articles: Iterable[tuple[str, list[str]]], words: Set[str]
) -> set[str]:
    """The articles (id, passage texts) in which one of the rule-found `names` matches (as `find_entities`
    matches them): the articles whose spans a new name may change. `words` are every word of the
    articles' texts: a name with a word not among them is not looked for, and when no name is left the
    texts are not read at all. A passage is tried only when it holds every word of the name; texts are
    searched a few hundred articles at a time, one `str.find` pass per name for its longest word."""
    by_word: dict[str, list[tuple[list[str], _Pattern]]] = {}
    for name in (n for n in names if _may_occur(n, words)):
        parts = name.split()
        by_word.setdefault(max(parts, key=len), []).append((parts, _label_pattern(name, ignore_case=False)))
    found: set[str] = set()
    if not by_word:
        return found
    articles = iter(articles)
    while batch := list(itertools.islice(articles, 500)):
        starts, parts, offset = [], [], 0
        for _, texts in batch:
            starts.append(offset)
            text = "\0".join(texts) + "\0"
            parts.append(text)
            offset += len(text)
        starts.append(offset)
        joined = "".join(parts)
        for longest, labels in by_word.items():
            i = joined.find(longest)
            while i >= 0:
                k = bisect.bisect_right(starts, i) - 1
                article_id, texts = batch[k]
                if article_id not in found and any(
                    all(w in text for w in parts) and pattern.compiled.search(text)
                    for parts, pattern in labels
                    for text in texts
                ):
                    found.add(article_id)
                i = joined.find(longest, starts[k + 1])
    return found


def extract_entities(articles: list[Article], gazetteer: Gazetteer) -> list[Entity]:
    """Every gazetteer entity (mentioned or not) and every rule-found name, sorted by entity id."""
    return find_entities(articles, gazetteer).entities
