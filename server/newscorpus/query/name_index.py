"""Entity names indexed for `list_entities`' name match, so a query looks up names instead of testing
every name and name word of every entity (tens of milliseconds at 10 000 articles, growing with them).

A query (folded) matches an entity's name (folded) with a strength: 3 when it is the name, 2 when it starts
the name or one of its words (it may run on over the following words), 1 when it is a close spelling
(difflib ratio ≥ 0.8) of the name or of one of its words. An entity takes its best name's strength.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence

import numpy as np

EXACT, PREFIX, CLOSE = 3, 2, 1
_SEPARATOR = "\x00"  # between names in the searched text; folded queries never hold it (see `strengths`)


class NameIndex:
    """`names`: each entity id's folded names; `similar(a, b)`: whether two strings are close spellings."""

    def __init__(self, names: Mapping[str, Sequence[str]], similar: Callable[[str, str], bool]) -> None:
        self._similar = similar
        self._exact: dict[str, set[str]] = defaultdict(set)
        owners: dict[str, set[str]] = defaultdict(set)  # each name and name word: the entities holding it
        parts: list[str] = []
        self._starts: list[int] = []
        self._owners: list[str] = []
        position = 0
        for entity_id, folded in names.items():
            for name in folded:
                self._exact[name].add(entity_id)
                for text in (name, *name.split()):
                    owners[text].add(entity_id)
                # Each name as " name" after a separator: a word-start match is a find of " query".
                part = f"{_SEPARATOR} {name}"
                self._starts.append(position)
                self._owners.append(entity_id)
                parts.append(part)
                position += len(part)
        self._text = "".join(parts)
        # difflib's cheap upper bounds of the ratio (lengths; shared characters) for all names and words at
        # once: a matrix of character counts, one row per text.
        self._texts = list(owners)
        self._text_owners = [owners[t] for t in self._texts]
        self._lengths = np.array([len(t) for t in self._texts], np.int64)
        codes = np.frombuffer("".join(self._texts).encode("utf-32-le"), np.uint32)
        alphabet, columns = np.unique(codes, return_inverse=True)
        self._alphabet = {chr(code): n for n, code in enumerate(alphabet.tolist())}
        counts = np.zeros((len(self._texts), len(alphabet)), np.int32)
        np.add.at(counts, (np.repeat(np.arange(len(self._texts)), self._lengths), columns), 1)
        self._uncounted = (counts > 255).any(axis=1)  # a character more than 255 times: always tried
        self._counts = np.minimum(counts, 255).astype(np.uint8)

    def strengths(self, key: str) -> dict[str, int]:
        """Each matching entity's strength for the folded query `key`."""
        if not key or _SEPARATOR in key:
            return {}
        found: dict[str, int] = {}
        for row in self._close_candidates(key).tolist():
            if self._similar(key, self._texts[row]):
                found.update(dict.fromkeys(self._text_owners[row], CLOSE))
        needle, text, start = f" {key}", self._text, 0
        while (at := text.find(needle, start)) >= 0:
            found[self._owners[bisect_right(self._starts, at) - 1]] = PREFIX
            start = at + 1
        found.update(dict.fromkeys(self._exact.get(key, ()), EXACT))
        return found

    def _close_candidates(self, key: str) -> np.ndarray:
        """Rows of the texts whose ratio with `key` can reach 0.8 by difflib's two cheap upper bounds
        (`real_quick_ratio`, `quick_ratio`), computed as difflib does. Counts are bytes: capping the key's
        at 255 changes no minimum with a row whose counts are all below it, and the other rows are kept."""
        lengths = self._lengths + len(key)
        shorter = np.minimum(self._lengths, len(key))
        wanted = np.zeros(len(self._alphabet), np.uint8)
        for c, k in Counter(key).items():
            if c in self._alphabet:
                wanted[self._alphabet[c]] = min(k, 255)
        shared = np.minimum(self._counts, wanted).sum(axis=1, dtype=np.int64)
        bounded = (2.0 * shorter / lengths >= 0.8) & ((2.0 * shared / lengths >= 0.8) | self._uncounted)
        return np.flatnonzero(bounded)
