"""Text analysis for the search index: German-first, English-aware, the same at index and query time."""

from __future__ import annotations

from whoosh.analysis import Analyzer, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.lang import stopwords_for_language

# Words with digits keep their decimal separators ("12,5", "3.5") so amounts stay one token.
TOKEN_PATTERN = r"\w+(?:[.,]\d+)*"


def text_analyzer() -> Analyzer:
    """Lowercase, drop German and English stop words, Snowball-stem as German.

    Stop words of both languages go so that a whole question ranks like its keywords.
    """
    stops = frozenset(stopwords_for_language("de")) | frozenset(stopwords_for_language("en"))
    return (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | StopFilter(stoplist=stops, minsize=1)
        | StemFilter(lang="de", cachesize=100_000)
    )
