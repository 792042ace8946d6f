"""Long posting lists written a second time as plain runs of document numbers and weights, one file per
segment, so that scoring reads a common word in one `read`.

A search scores every posting of its words (`fast_scoring`). Whoosh stores a posting list in blocks of
1 024 postings, each pickled with its positions: reading one costs a seek, a read and an unpickling, and
joining the blocks' arrays as much again. For a word in 586 000 of 855 000 passages that is ~30 ms, most
of a search's time. Here every term with at least `MIN_POSTINGS` postings is also written as one run of
document-number deltas (16 bits each where every delta fits, else 32) and one of weights (a byte each
where every weight is a whole number up to 255, else a float32, which is how Whoosh stores them), read
back exactly as Whoosh's blocks give them. Positions, and every shorter term, stay Whoosh's alone.

File `<segment id>.dns`: the runs; a JSON table, field → term → [offset, postings, id type, weight type];
its offset (8 bytes, little-endian); `MAGIC`. `whoosh_codec` writes one for every segment any writer makes
(build, update, merge), and Whoosh deletes it with its segment, whose name it carries.
"""

from __future__ import annotations

import json
import logging
import struct
from array import array
from collections.abc import Sequence
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

EXT = ".dns"
MAGIC = b"NCDENSE1"
MIN_POSTINGS = 1024  # one full block of `whoosh_codec.BLOCK_POSTINGS`: below it Whoosh reads one block anyway
_FOOTER = struct.Struct("<Q8s")
_IDS = {"H": np.dtype("<u2"), "I": np.dtype("<u4")}
_WEIGHTS = {"B": np.dtype("u1"), "f": np.dtype("<f4")}

Blocks = Sequence[tuple[Any, Any]]  # a term's blocks as written: (document numbers, weights) each


class DenseWriter:
    """Writes one segment's file: `add` each long term as its blocks are complete, then `close`."""

    def __init__(self, file: Any, min_postings: int = MIN_POSTINGS) -> None:
        self._file = file  # a Whoosh `StructFile`, closed by `close`
        self._min = min_postings
        self._offset = 0
        self._table: dict[str, dict[str, list[Any]]] = {}

    def add(self, field: str, btext: bytes, blocks: Blocks) -> None:
        """Write the term if it has at least `min_postings` postings (and a UTF-8 text, as every word has)."""
        if sum(len(ids) for ids, _weights in blocks) < max(1, self._min):
            return
        try:
            term = btext.decode("utf-8")
        except UnicodeDecodeError:
            return
        ids = np.concatenate([_array(ids, np.uint32) for ids, _weights in blocks]).astype(np.int64)
        weights = np.concatenate([_array(w, np.float32) for _ids, w in blocks])
        deltas = np.diff(ids, prepend=0)
        id_type = "H" if int(deltas.max()) < 1 << 16 else "I"
        whole = bool(np.all((weights >= 0) & (weights <= 255) & (weights == np.floor(weights))))
        weight_type = "B" if whole else "f"
        data = deltas.astype(_IDS[id_type]).tobytes() + weights.astype(_WEIGHTS[weight_type]).tobytes()
        self._file.write(data)
        self._table.setdefault(field, {})[term] = [self._offset, len(ids), id_type, weight_type]
        self._offset += len(data)

    def close(self) -> None:
        table = json.dumps(self._table, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        self._file.write(table.encode("utf-8") + _FOOTER.pack(self._offset, MAGIC))
        self._file.close()


def _array(values: Any, dtype: type) -> np.ndarray:
    if isinstance(values, array) and np.dtype(values.typecode) == np.dtype(dtype):
        return np.frombuffer(values, dtype)
    return np.asarray(values, dtype)


class DenseReader:
    """One segment's long posting lists; `postings` is None for a term the file does not hold."""

    def __init__(self, storage: Any, name: str, table: dict[str, dict[str, list[Any]]]) -> None:
        self._storage, self._name, self._table = storage, name, table

    @classmethod
    def open(cls, storage: Any, name: str) -> DenseReader | None:
        """The file `name` of a Whoosh storage (a segment's is `segment.make_filename(EXT)`), or None where
        there is none (a segment written by older code) or it does not read as one (the caller then reads
        Whoosh's postings, which are always there)."""
        if not storage.file_exists(name):
            return None
        size = storage.file_length(name)
        try:
            with storage.open_file(name) as f:
                if size < _FOOTER.size:
                    raise ValueError("shorter than its footer")
                f.seek(size - _FOOTER.size)
                start, magic = _FOOTER.unpack(f.read(_FOOTER.size))
                if magic != MAGIC or start > size - _FOOTER.size:
                    raise ValueError("no footer")
                f.seek(start)
                table = json.loads(f.read(size - _FOOTER.size - start).decode("utf-8"))
        except (OSError, ValueError) as exc:
            log.warning("ignoring %s (%s); reading Whoosh's postings instead", name, exc)
            return None
        return cls(storage, name, table)

    def postings(self, field: str, btext: bytes) -> tuple[np.ndarray, np.ndarray] | None:
        """The term's document numbers (int64, ascending) and weights (float64), as `fast_scoring.postings`
        reads them from Whoosh's blocks."""
        try:
            entry = self._table.get(field, {}).get(btext.decode("utf-8"))
        except UnicodeDecodeError:  # never written here (`DenseWriter.add`)
            return None
        if entry is None:
            return None
        offset, count, id_type, weight_type = entry
        id_dtype, weight_dtype = _IDS[id_type], _WEIGHTS[weight_type]
        with self._storage.open_file(self._name) as f:
            f.seek(offset)
            raw = f.read(count * (id_dtype.itemsize + weight_dtype.itemsize))
        ids = np.cumsum(np.frombuffer(raw, id_dtype, count), dtype=np.int64)
        weights = np.frombuffer(raw, weight_dtype, count, count * id_dtype.itemsize).astype(np.float64)
        return ids, weights
