"""The German lemma table: written once per machine as SQLite, read the same as simplemma's dictionary."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from newscorpus.index.lemmas import LemmaDictionary, _simplemma_german, _write_table, german_lemmas

WORDS = ["eingesammelt", "sammelte", "fließt", "rechenzentren", "Rechenzentren", "Konsortien", "gründete", "Haus",
         "xyzzy", "Kernkraftwerke"]


def test_the_cached_table_answers_as_simplemmas_dictionary_does() -> None:
    in_memory = LemmaDictionary(_simplemma_german())
    on_disk = german_lemmas()
    assert [on_disk.lemma(w) for w in WORDS] == [in_memory.lemma(w) for w in WORDS]
    assert on_disk.lemma("fließt") == "fließen" and on_disk.lemma("rechenzentren") == "Rechenzentrum"
    assert on_disk.lemma("xyzzy") is None


def test_a_table_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "lemmas.sqlite"
    _write_table(path, {"sammelte": "sammeln", "Zentren": "Zentrum"})
    assert sorted(p.name for p in path.parent.iterdir()) == ["lemmas.sqlite"]
    table = LemmaDictionary(path)
    assert (table.lemma("sammelte"), table.lemma("Sammelte")) == ("sammeln", "sammeln")
    assert table.lemma("zentren") == "Zentrum"
    assert table.lemma("Zentrum") is None
    with pytest.raises(sqlite3.ProgrammingError):
        _write_table(tmp_path / "bad.sqlite", {"a": object()})  # type: ignore[dict-item]
    assert not list(tmp_path.glob("bad.sqlite*"))
