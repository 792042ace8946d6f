"""Name matching helpers: case- and accent-insensitive keys, sentences around a mention."""

from __future__ import annotations

import re
import unicodedata

_FOLD = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe"})
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[A-ZÄÖÜ0-9„\"“])")


_NON_WORD = re.compile(r"[^\w]+")


def fold(text: str) -> str:
    """Casefolded, accents stripped, separators collapsed: `Nvidia`, `NVIDIA`, `Münch-en` → comparable keys.

    ASCII text skips the Unicode steps, which leave it unchanged (it has no decomposition, no combining
    mark, nothing in `_FOLD`, and its casefold is its lower case): opening a corpus folds every entity name."""
    if text.isascii():
        return " ".join(_NON_WORD.sub(" ", text.lower()).split())
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_FOLD))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", stripped).split())


def sentence_with(passage: str, surface: str) -> str:
    """The sentence of `passage` that contains `surface` (verbatim), or the whole passage."""
    start = passage.find(surface)
    if start < 0:
        return passage
    bounds = [0] + [m.end() for m in _SENTENCE_END.finditer(passage)] + [len(passage)]
    begin = max(b for b in bounds if b <= start)
    end = min(b for b in bounds if b > start)
    return passage[begin:end].strip()
