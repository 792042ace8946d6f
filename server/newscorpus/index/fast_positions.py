"""Index-time analysis per distinct word instead of per token, with the same postings as Whoosh's own path.

Whoosh analyzes a document by pulling every token through the whole filter chain (a generator per filter
per document). Our chain treats each word on its own: the filters map one word to the same terms wherever
it stands, and the only effect across words is the stop-word filter numbering positions without the gaps
stopped words leave. So a document's terms and positions can be worked out by tokenizing it once and
looking each word up in a cache of "word → terms" filled by running the real filters on that word alone.
A build analyzes each distinct word once instead of every time it occurs.

`FastPositions` is Whoosh's `Positions` format with that shortcut for index-mode analysis; any other
analyzer, or query-mode analysis, takes Whoosh's path. The tests compare both on the bundled corpus.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from whoosh.analysis import CompositeAnalyzer, RegexTokenizer, Token
from whoosh.formats import Positions

from newscorpus.index.analysis import MAX_CACHED_WORDS, WordCache


def _word_terms(analyzer: CompositeAnalyzer, word: str) -> tuple[str, ...]:
    """The terms the analyzer's filters make of `word` alone, in their order (empty when all are stopped)."""
    token = Token(positions=True, mode="index", removestops=True)
    token.text, token.pos, token.boost, token.stopped = word, 0, 1.0, False
    stream: Iterator[Token] = iter((token,))
    for item in analyzer.items[1:]:
        stream = item(stream)
    return tuple(t.text for t in stream)


def index_terms(analyzer: CompositeAnalyzer, text: str) -> dict[str, list[int]]:
    """term → positions for `text`, as the analyzer's own index-mode pass would give them."""
    cache = analyzer.__dict__.get("word_terms")
    if cache is None:
        cache = analyzer.word_terms = WordCache()
    poses: dict[str, list[int]] = defaultdict(list)
    pos = -1
    for match in analyzer.items[0].expression.finditer(text):
        word = match.group(0)
        terms = cache.get(word)
        if terms is None:
            if len(cache) >= MAX_CACHED_WORDS:
                cache.clear()
            terms = cache[word] = _word_terms(analyzer, word)
        if terms:
            pos += 1
            for term in terms:
                poses[term].append(pos)
    return poses


def is_fast(analyzer: object) -> bool:
    """Whether `analyzer` is a regex tokenizer followed by filters (the shape the shortcut assumes)."""
    return (
        isinstance(analyzer, CompositeAnalyzer)
        and isinstance(analyzer.items[0], RegexTokenizer)
        and not analyzer.items[0].gaps
    )


class FastPositions(Positions):
    """Whoosh's `Positions` (term positions, weight = occurrences × field boost), computed per distinct word."""

    def word_values(self, value, analyzer, **kwargs):
        if kwargs.get("mode", "index") != "index" or not isinstance(value, str) or not is_fast(analyzer):
            yield from super().word_values(value, analyzer, **kwargs)
            return
        fb = self.field_boost
        for term, poslist in index_terms(analyzer, value).items():
            yield (term, len(poslist), len(poslist) * fb, self.encode(poslist))
