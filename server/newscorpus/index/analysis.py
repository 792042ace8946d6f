"""Text analysis for the search index: German-first, English-aware, the same at index and query time.

The chain, in order: tokenize (hyphenated words and decimal numbers stay one token) → split compounds
(index time only) → normalize numbers → lowercase → drop stop words → German lemma (simplemma's
dictionary via `newscorpus.index.lemmas`: verb forms, irregular and Latin plurals) → fold umlauts/ß/accents
→ Snowball German stem.
Every step can be switched off through `AnalysisConfig`, so the relevance benchmark can measure what each
one is worth. Snowball folds umlauts and ß itself and reads `ae`/`oe`/`ue` as umlauts; the fold step adds
accents (`Société`) and matters on its own when stemming is off.

Compounds are split only when indexing: the index then holds `kirechenzentr`, `ki` and `rechenzentr`
for `KI-Rechenzentren`, and a query word matches either the whole compound or any part of one. The
query side adds parts of its own compounds as weighted alternatives (`newscorpus.query.expand`), which
keeps phrase queries exact.

Whoosh pickles the analyzer into the index schema: the classes here keep only their settings in the
pickle; stemmer and caches are rebuilt on first use.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator

from pydantic import BaseModel, ConfigDict
from whoosh.analysis import Analyzer, Filter, LowercaseFilter, RegexTokenizer, Token
from whoosh.lang import stopwords_for_language

from newscorpus.index.compound_split import best_split, ngram_probs
from newscorpus.index.lemmas import german_lemmas

# Plain tokenizer: letters/digits; decimal separators inside numbers stay ("12,5", "3.6").
PLAIN_TOKEN = r"\w+(?:[.,]\d+)*"
# With hyphen handling: hyphenated words (`KI-Rechenzentren`, `AI‑Gigafactory`) are one token.
HYPHEN_TOKEN = r"\w+(?:[.,]\d+)*(?:[-‑]\w+(?:[.,]\d+)*)*"
HYPHENS = re.compile(r"[-‑]")

# Words that carry no topic in a question, beyond the Snowball stop lists ("which company says…").
_QUESTION_WORDS = """
    tell show give find say says said saying mention mentions mentioned describe described report reports
    reported according article articles text news anything something whether much many kind sort
    steht stehen sagt sagen gesagt erwähnt erwähnen berichtet berichten laut artikel text gibt geben
    welche welcher welches welchen welchem wieviel wieviele viele genau eigentlich bitte
    wer wen wem wessen was wann wo wohin woher warum wieso weshalb wie womit wofür wodurch
"""
QUESTION_WORDS = frozenset(_QUESTION_WORDS.split())

_FOLD = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe"})
_TRANSLIT = re.compile(r"(?<!q)ue|ae|oe")
_THOUSANDS = re.compile(r"^\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*$")
_DECIMAL = re.compile(r"^\d+,\d+$")
# A long word is almost surely a compound, so its split needs less evidence from the splitter.
LONG_WORD = 15
SPLIT_SCORE = 0.5
SPLIT_SCORE_LONG = -0.6
MIN_SPLIT_LEN = 8
MIN_RECURSE_LEN = 10
# Per-filter word caches are emptied at this size, so a long-running server's memory stays bounded.
MAX_CACHED_WORDS = 200_000


class AnalysisConfig(BaseModel):
    """Which analysis steps run. The default is what the project ships; `plain()` is bare BM25 input."""

    model_config = ConfigDict(frozen=True)

    stopwords: bool = True
    folding: bool = True
    stemming: bool = True
    hyphens: bool = True
    decompound: bool = True
    numbers: bool = True
    lemmas: bool = True

    @classmethod
    def plain(cls) -> AnalysisConfig:
        return cls(**dict.fromkeys(cls.model_fields, False))


def fold_word(word: str) -> str:
    """Umlauts, ß and accents to plain letters; `ue`/`ae`/`oe` spellings too (`Muenchen` = `München`)."""
    decomposed = unicodedata.normalize("NFKD", word.translate(_FOLD))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _TRANSLIT.sub(lambda m: m.group(0)[0], plain)


def normalize_number(text: str) -> str:
    """One form for a number however it is written: `12,5` and `12.5` → `12.5`; `1.000`/`1,000` → `1000`.

    Three digits after a single separator read as thousands (German `1.000`, English `1,000`)."""
    if _THOUSANDS.match(text):
        return re.sub(r"[.,]", "", text)
    if _DECIMAL.match(text):
        return text.replace(",", ".")
    return text


_THREAD = threading.local()


def _stemmer(language: str):
    """One PyStemmer object per thread and language: a stemmer object keeps internal state between
    calls and is not safe to share between the server's worker threads."""
    import Stemmer  # PyStemmer: the C Snowball stemmers

    stemmers = _THREAD.__dict__.setdefault("stemmers", {})
    if language not in stemmers:
        stemmers[language] = Stemmer.Stemmer(language)
    return stemmers[language]


def stem_word(word: str) -> str:
    """Snowball German (which also reads `ae`/`oe`/`ue` as umlauts)."""
    return _stemmer("german").stemWord(word)


class WordCache(dict):
    """One analysis step's result per distinct word, owned by one filter instance (so by one analyzer:
    one build, or one opened index). A build analyzes the same words again and again (every passage
    repeats its article's title); each is worked out once. Not part of the analyzer's identity: ignored by
    equality and pickled empty into the index schema."""

    def __reduce__(self):
        return (WordCache, ())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WordCache)

    __hash__ = None  # type: ignore[assignment]

    def remember(self, word: str, value):
        if len(self) >= MAX_CACHED_WORDS:
            self.clear()
        self[word] = value
        return value


def word_cache(owner: object) -> WordCache:
    """`owner`'s word cache; one is added to a filter unpickled from an index built before it had one."""
    cache = owner.__dict__.get("cache")
    if cache is None:
        cache = owner.cache = WordCache()  # type: ignore[attr-defined]
    return cache


class Decompounder:
    """Splits closed German compounds with `split-words`' model (an n-gram model of German word starts and
    ends), through `compound_split.best_split`, which gives split-words' best split faster.

    Only capitalized words (nouns) are split, and only when the split scores high enough: the model also
    offers `Milli|arden`. Splits are applied recursively, so `Rechenzentrumsstandorte` gives
    `Rechenzentrums`, `Standorte`, `Rechen`, `Zentrums`. The model's table is large (about 370 MB once
    loaded); it is loaded on the first split and can be released with `release()`.
    """

    # The table, shared by every copy of the analyzer until released: Whoosh's writers use the schema they
    # unpickle from the index, so one build holds two or three copies, and each loaded the table (~1.5 s).
    _shared: dict | None = None

    def __init__(self) -> None:
        self._cache: dict[str, tuple[str, ...]] = {}
        self._splits: dict[str, tuple[str, ...]] = {}  # recursive splits, parts included
        self._probs = None

    def parts(self, word: str) -> tuple[str, ...]:
        if len(word) < MIN_SPLIT_LEN or not word[0].isupper() or not word.isalpha():
            return ()
        cached = self._cache.get(word)
        if cached is None:
            cached = self._cache[word] = self._split(word)
        return cached

    def _split(self, word: str) -> tuple[str, ...]:
        """The parts of `word`, recursively; one model call per distinct word or part."""
        parts = self._splits.get(word)
        if parts is None:
            parts = self._splits[word] = tuple(self._split_uncached(word))
        return parts

    def _split_uncached(self, word: str) -> Iterator[str]:
        if self._probs is None:
            if Decompounder._shared is None:
                Decompounder._shared = ngram_probs()
            self._probs = Decompounder._shared
        score, head, tail = best_split(word, self._probs)
        threshold = SPLIT_SCORE_LONG if len(word) >= LONG_WORD else SPLIT_SCORE
        if score < threshold or head.lower() == word.lower():
            return
        for part in (head, tail):
            yield part
            if len(part) >= MIN_RECURSE_LEN:
                yield from self._split(part)

    def release(self) -> None:
        """Drop the model table `split-words` keeps in its module; the next split loads it again."""
        import split_words.splitter as sw

        sw.ngram_probs = None
        self._probs = Decompounder._shared = None
        self._cache, self._splits = {}, {}

    def __getstate__(self) -> dict:
        return {}

    def __setstate__(self, state: dict) -> None:
        self.__init__()


class CompoundFilter(Filter):
    """At index time, emit a hyphenated or closed compound whole and in its parts (same position).

    At query time only the whole word goes through; the query expander adds parts as alternatives."""

    def __init__(self, hyphens: bool, decompound: bool) -> None:
        self.hyphens = hyphens
        self.decompound = decompound
        self.decompounder = Decompounder()
        self.cache = WordCache()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CompoundFilter) and (self.hyphens, self.decompound) == (
            other.hyphens,
            other.decompound,
        )

    def __hash__(self) -> int:
        return hash((self.hyphens, self.decompound))

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        cache = word_cache(self)
        for t in tokens:
            query = t.mode == "query"
            key = ("q:" if query else "i:") + t.text
            texts = cache.get(key)
            if texts is None:
                texts = cache.remember(key, tuple(self._texts(t.text, query=query)))
            for text in texts:
                c = t.copy()
                c.text = text
                yield c

    def _texts(self, word: str, *, query: bool) -> list[str]:
        pieces = [p for p in HYPHENS.split(word) if p] if self.hyphens else [word]
        if len(pieces) > 1 and all(p.isdigit() for p in pieces):
            return pieces  # `75-100` is a range, not a compound
        if len(pieces) > 1:
            whole = "".join(pieces)
            if query:
                return [whole]
            return [whole, *(x for p in pieces for x in self._word(p))]
        return [word] if query else self._word(word)

    def _word(self, word: str) -> list[str]:
        return [word, *self.decompounder.parts(word)] if self.decompound else [word]


class NumberFilter(Filter):
    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            if t.text[:1].isdigit():
                t.text = normalize_number(t.text)
            yield t


class StopWordFilter(Filter):
    """Drops stop words and closes the gaps they leave, so phrases read across them; the parts of a
    compound keep sharing their word's position."""

    def __init__(self, stoplist: frozenset[str]) -> None:
        self.stoplist = stoplist

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        last, pos = None, -1
        for t in tokens:
            if t.text in self.stoplist:
                continue
            if t.positions:
                if t.pos != last:
                    last, pos = t.pos, pos + 1
                t.pos = pos
            yield t


class FoldFilter(Filter):
    def __init__(self) -> None:
        self.cache = WordCache()

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        cache = word_cache(self)
        for t in tokens:
            folded = cache.get(t.text)
            t.text = folded if folded is not None else cache.remember(t.text, fold_word(t.text))
            yield t


class LemmaFilter(Filter):
    """German dictionary lemmas before stemming: verb forms (`fließt`/`fließen`,
    `sammelte`/`eingesammelt`) and irregular plurals (`Rechenzentren`) meet their base form. A separable
    verb also gives its base verb at the same position: main clauses split it (`sammelte … ein`), so
    `eingesammelt` must find `sammelte`."""

    def __init__(self) -> None:
        self.cache = WordCache()

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        cache = word_cache(self)
        for t in tokens:
            if t.stopped or not t.text.isalpha():
                yield t
                continue
            forms = cache.get(t.text)
            if forms is None:
                forms = cache.remember(t.text, lemma_forms(t.text))
            t.text = forms[0]
            yield t
            for form in forms[1:]:
                c = t.copy()
                c.text = form
                yield c


# German separable-verb prefixes, longest first (`zurück` before `zu`).
SEPARABLE_PREFIXES = tuple(
    sorted(
        ("ab", "an", "auf", "aus", "bei", "dar", "durch", "ein", "fest", "fort", "her", "heraus", "herein",
         "hin", "hinaus", "hinzu", "los", "mit", "nach", "vor", "voran", "vorbei", "weg", "weiter", "wieder",
         "zu", "zurück", "zusammen"),
        key=len,
        reverse=True,
    )
)


def lemma_forms(word: str) -> tuple[str, ...]:
    """The lowercase lemma of `word` (the word itself when the dictionary lacks it), plus the base verb
    of a separable verb (`einsammeln` → `sammeln`)."""
    lemmas = german_lemmas()
    lemma = lemmas.lemma(word) or word
    if lemma != lemma.lower() or not lemma.endswith(("en", "ln", "rn")):
        return (lemma.lower(),)
    for prefix in SEPARABLE_PREFIXES:
        base = lemma[len(prefix):]
        if lemma.startswith(prefix) and len(base) >= 5 and lemmas.lemma(base) == base:
            return (lemma, base)
    return (lemma,)


class GermanStemFilter(Filter):
    """Snowball German via PyStemmer."""

    is_morph = True

    def __init__(self) -> None:
        self.cache = WordCache()

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        stem = _stemmer("german").stemWord
        cache = word_cache(self)
        for t in tokens:
            if not t.stopped and not t.text[:1].isdigit():
                stemmed = cache.get(t.text)
                if stemmed is None:
                    stemmed = cache.remember(t.text, stem(t.text))
                t.text = stemmed
            yield t


def stop_words() -> frozenset[str]:
    return frozenset(stopwords_for_language("de")) | frozenset(stopwords_for_language("en")) | QUESTION_WORDS


def text_analyzer(config: AnalysisConfig | None = None) -> Analyzer:
    """The analyzer for passage and deal text under `config` (default: everything on)."""
    config = config or AnalysisConfig()
    chain = RegexTokenizer(HYPHEN_TOKEN if config.hyphens else PLAIN_TOKEN)
    if config.hyphens or config.decompound:
        chain = chain | CompoundFilter(config.hyphens, config.decompound)
    if config.numbers:
        chain = chain | NumberFilter()
    chain = chain | LowercaseFilter()
    if config.stopwords:
        chain = chain | StopWordFilter(stop_words())
    if config.lemmas:
        chain = chain | LemmaFilter()
    if config.folding:
        chain = chain | FoldFilter()
    if config.stemming:
        chain = chain | GermanStemFilter()
    return chain


def analyze(text: str, config: AnalysisConfig | None = None, *, mode: str = "index") -> list[str]:
    """The terms `text` becomes under `config` (for tests and the query expander)."""
    return [t.text for t in text_analyzer(config)(text, mode=mode)]


def release_models(analyzer: Analyzer) -> None:
    """Free the decompounding model an analyzer loaded (after an index build)."""
    for item in getattr(analyzer, "items", [analyzer]):
        if isinstance(item, CompoundFilter):
            item.decompounder.release()
