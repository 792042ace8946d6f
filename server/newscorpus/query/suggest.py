"""Suggestions for an unknown id: `errors.closest`'s result, without comparing the id with every id.

`difflib.get_close_matches` computes `SequenceMatcher.ratio` (~0.4 ms for two 70-character ids) for
nearly every candidate, since article and deal ids share their alphabet and lengths and pass its cheap
filters: 0.4 s per unknown id at 1 000 articles, minutes at 100 000 articles and 300 000 deals. Here each
candidate first gets `quick_ratio`'s bound (2·shared characters / total length, an upper bound of `ratio`)
from a few `str.count` calls, and candidates are taken in descending order of that bound only until no
remaining bound can reach the n-th best ratio. Once n are found, a candidate whose longest common
subsequence with the id (bit-parallel, a few integer operations per character) cannot reach the n-th
best ratio is skipped: `ratio`'s matching blocks are a common subsequence, so 2·LCS / total length bounds
it too, and it is much tighter for a made-up id, whose characters every id shares. Same candidates, same
ratios, same order (ties by id, as `heapq.nlargest` breaks them), so the same suggestions.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable
from difflib import SequenceMatcher


def ratio_of(matches: int, length: int) -> float:
    """difflib's `_calculate_ratio`: the same float for the same counts."""
    return 2.0 * matches / length if length else 1.0


def _lcs_length(text: str, masks: dict[str, int], full: int) -> int:
    """Length of the longest common subsequence of `text` and the word of `masks` (bit i of masks[c] set
    where the word has c; `full` has one bit per character of the word): Hyyrö's bit-parallel form of
    Allison and Dix's algorithm, one pass over `text`."""
    v = full
    for c in text:
        u = v & masks.get(c, 0)
        v = ((v + u) | (v - u)) & full
    return full.bit_length() - v.bit_count()


def close_matches(word: str, possibilities: list[str], n: int = 3, cutoff: float = 0.3) -> list[str]:
    """`difflib.get_close_matches(word, possibilities, n, cutoff)` for n ≥ 1, 0 ≤ cutoff ≤ 1."""
    counts = Counter(word).items()
    bounded: list[tuple[float, str]] = []
    for x in possibilities:
        length = len(x) + len(word)
        if ratio_of(min(len(x), len(word)), length) < cutoff:  # real_quick_ratio
            continue
        bound = ratio_of(sum(min(x.count(c), k) for c, k in counts), length)  # quick_ratio
        if bound >= cutoff:
            bounded.append((bound, x))
    bounded.sort(reverse=True)
    matcher = SequenceMatcher()
    matcher.set_seq2(word)
    masks: dict[str, int] = {}
    for i, c in enumerate(word):
        masks[c] = masks.get(c, 0) | 1 << i
    full = (1 << len(word)) - 1
    best: list[tuple[float, str]] = []  # the n largest (ratio, id) so far, smallest first
    for bound, x in bounded:
        if len(best) == n:
            if bound < best[0][0]:
                break  # ratio ≤ bound: neither this one nor any later one can enter
            if ratio_of(_lcs_length(x, masks, full), len(x) + len(word)) < best[0][0]:
                continue  # ratio ≤ 2·LCS / length < the n-th best
        matcher.set_seq1(x)
        score = matcher.ratio()
        if score < cutoff:
            continue
        if len(best) < n:
            heapq.heappush(best, (score, x))
        elif (score, x) > best[0]:
            heapq.heapreplace(best, (score, x))
    return [x for _, x in sorted(best, reverse=True)]


def closest_ids(needle: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """`errors.closest(needle, candidates, n)`: ids containing the needle first, then the most similar."""
    pool = sorted(set(candidates))
    low = needle.lower()
    contains = [c for c in pool if low and low in c.lower()]
    if len(contains) >= n:
        return contains[:n]
    out: list[str] = []
    for c in contains + close_matches(needle, pool, n=n, cutoff=0.3):
        if c not in out:
            out.append(c)
    return out[:n]
