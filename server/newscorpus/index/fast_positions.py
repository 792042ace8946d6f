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


# Texts up to this long (titles, publishers, authors: indexed again with every passage of an article)
# keep their terms per analyzer, like words do.
SHORT_TEXT = 200


def index_terms(analyzer: CompositeAnalyzer, text: str) -> dict[str, list[int]]:
    """term → positions for `text`, as the analyzer's own index-mode pass would give them (do not modify:
    a short text's result is kept and given again)."""
    if len(text) > SHORT_TEXT:
        return _index_terms(analyzer, text)
    texts = analyzer.__dict__.get("text_terms")
    if texts is None:
        texts = analyzer.text_terms = WordCache()
    poses = texts.get(text)
    if poses is None:
        poses = texts.remember(text, _index_terms(analyzer, text))
    return poses


def _index_terms(analyzer: CompositeAnalyzer, text: str) -> dict[str, list[int]]:
    cache = analyzer.__dict__.get("word_terms")
    if cache is None:
        cache = analyzer.word_terms = WordCache()
    poses: dict[str, list[int]] = defaultdict(list)
    pos = -1
    expression = analyzer.items[0].expression
    # findall gives the whole matches when the pattern has no groups, without a match object per word.
    words = expression.findall(text) if expression.groups == 0 else (m.group(0) for m in expression.finditer(text))
    for word in words:
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
        encode = self.encode
        single = _SINGLE if type(self).encode is Positions.encode else None
        for term, poslist in index_terms(analyzer, value).items():
            if len(poslist) == 1 and single is not None:
                vbytes = single.get(poslist[0])
                if vbytes is None:
                    vbytes = single[poslist[0]] = encode(poslist)
                yield (term, 1, fb, vbytes)
            else:
                yield (term, len(poslist), len(poslist) * fb, encode(poslist))


# `Positions.encode([pos])` by position: most postings of a passage hold one position, and its encoding
# is the same bytes every time (bounded by the longest passage's word count).
_SINGLE: dict[int, bytes] = {}
