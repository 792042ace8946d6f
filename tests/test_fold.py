"""`fold`'s ASCII shortcut gives what the full Unicode path gives."""

from __future__ import annotations

import random
import re
import unicodedata

from newscorpus.query.text import _FOLD, fold


def _unicode_path(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_FOLD))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", stripped).split())


def test_ascii_text_folds_as_through_the_unicode_path() -> None:
    ascii_chars = [chr(i) for i in range(128)]
    assert all(fold(c) == _unicode_path(c) for c in ascii_chars)
    rng = random.Random(4)
    for _ in range(20_000):
        text = "".join(rng.choices(ascii_chars, k=rng.randint(0, 16)))
        assert fold(text) == _unicode_path(text), repr(text)


def test_other_text_still_takes_the_unicode_path() -> None:
    for text in ["Münch-en", "STRASSE", "Straße", "Æon Øresund", "ﬁnance", "İstanbul", "Ａｌｉｂａｂａ", "naïve  café"]:
        assert fold(text) == _unicode_path(text)
    assert fold("Münch-en") == "munch en" and fold("Straße") == "strasse"
