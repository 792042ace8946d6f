"""The best split of a German compound under split-words' n-gram model, computed without its detours.

`split_words.Splitter.split_compound` scores every split position and returns all of them sorted; we only
use the best. It also looks up, for every position, n-grams of every length where its scoring reads only
one (the whole head for the head's ending score, the whole tail for the tail's starting score). This
function reads the same table entries, does the same arithmetic in the same order and breaks ties the same
way (`max` over the same tuples `sorted(..., reverse=True)[0]` would pick), so its result is identical;
the tests compare the two over the corpus's vocabulary.
"""

from __future__ import annotations

import contextlib
import logging
import marshal
import os
import sys
import uuid
from collections.abc import Mapping
from importlib.metadata import version
from itertools import repeat

from newscorpus.config import user_cache_dir

log = logging.getLogger(__name__)

# Linking `s` (Fugen-s) endings split-words cuts before looking a head or tail up.
_FUGEN = ("ts", "gs", "ks", "hls", "ns")


def best_split(word: str, probs: Mapping[str, Mapping[str, float]]) -> tuple[float, str, str]:
    """(score, Head, Tail) of the best split of `word` (no hyphens), as split-words would rank it first."""
    word = word.lower()
    suffix, infix, prefix = probs["suffix"], probs["infix"], probs["prefix"]
    length = len(word)
    get_infix, ones = infix.get, repeat(1)
    best: tuple[float, str, str] | None = None
    for n in range(3, length - 2):
        head = word[:n]
        if head.endswith(_FUGEN) and n - 1 > 2:
            head = word[: n - 1]
        head_prob = suffix.get(head, -1)
        tail = word[n:]
        in_prob = min(map(get_infix, [tail[:k] for k in range(3, length - n + 1)], ones))
        start = tail[:-1] if tail.endswith(_FUGEN) and len(tail) - 1 > 2 else tail
        score = prefix.get(start, -1) - in_prob + head_prob
        if best is None or score >= best[0]:
            candidate = (score, word[:n].title(), tail.title())
            if best is None or candidate > best:
                best = candidate
    return best if best is not None else (0, word.title(), word.title())


def ngram_probs() -> dict[str, dict[str, float]]:
    """split-words' n-gram table, from a marshal copy in the user cache (written on first use).

    split-words ships it as 40 MB of JSON, which every build decoded (~4-5 s CPU); marshal reads the same
    dicts of the same floats in about half that. The copy is per split-words version and Python version
    (marshal's format may change between them); where none can be written or read, the JSON is used."""
    from split_words.splitter import get_ngram_probs

    python = "".join(map(str, sys.version_info[:2]))
    path = user_cache_dir() / f"ngram-probs-split-words-{version('split-words')}-py{python}.marshal"
    with contextlib.suppress(OSError, ValueError, EOFError, TypeError):
        probs = marshal.loads(path.read_bytes())
        if isinstance(probs, dict) and {"prefix", "infix", "suffix"} <= probs.keys():
            return probs
    probs = get_ngram_probs()
    tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(marshal.dumps(probs))
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("cannot write %s (%s); the n-gram table is read from JSON each time", path, exc)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return probs
