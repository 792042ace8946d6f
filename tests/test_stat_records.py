"""Fast starts reuse the corpus fingerprint and the checksum verdict while the files' stat data is
unchanged, and still notice every edit, including one that keeps a file's size."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from newscorpus.config import BUNDLED_CORPUS, Settings
from newscorpus.index import stat_record
from newscorpus.index.build import (
    FINGERPRINT_RECORD,
    VERIFIED_RECORD,
    _entries_under,
    built_by_this_code,
    code_digest,
    corpus_fingerprint,
    corpus_sources,
    current_fingerprint,
    damage,
    ensure_index,
)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A copy of the bundled corpus; records are written even for files changed a moment ago."""
    monkeypatch.setattr(stat_record, "RACY_NS", 0)
    shutil.copytree(BUNDLED_CORPUS / "articles", tmp_path / "corpus" / "articles")
    shutil.copytree(BUNDLED_CORPUS / "annotations", tmp_path / "corpus" / "annotations")
    return Settings.resolve(corpus=tmp_path / "corpus", index=tmp_path / "index")


def _same_size_edit(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle] = ord("x") if data[middle] != ord("x") else ord("y")
    path.write_bytes(bytes(data))


def test_fingerprint_record_is_reused_and_tracks_a_same_size_edit(settings: Settings) -> None:
    folder = ensure_index(settings)  # the first fingerprint comes before the index folder exists
    assert current_fingerprint(settings) == corpus_fingerprint(settings)
    assert (settings.index_dir / FINGERPRINT_RECORD).is_file()
    assert current_fingerprint(settings) == corpus_fingerprint(settings)
    assert ensure_index(settings) == folder

    _same_size_edit(sorted(settings.articles_dir.glob("*.md"))[0])
    assert current_fingerprint(settings) == corpus_fingerprint(settings)
    messages: list[str] = []
    assert ensure_index(settings, progress=messages.append) != folder
    assert any("changed" in m for m in messages), messages


def test_verified_build_is_trusted_until_a_file_changes(settings: Settings) -> None:
    folder = ensure_index(settings)
    assert damage(folder, trust_unchanged=True) is None
    assert (folder / VERIFIED_RECORD).is_file()
    assert damage(folder, trust_unchanged=True) is None

    segment = next(folder.glob("passages_*.pst"))
    _same_size_edit(segment)
    assert damage(folder, trust_unchanged=True) == f"{segment.name} does not match its checksum"
    messages: list[str] = []
    rebuilt = ensure_index(settings, progress=messages.append)
    assert rebuilt != folder and damage(rebuilt) is None
    assert any("damaged" in m for m in messages), messages


def test_unreadable_or_foreign_records_are_ignored(settings: Settings) -> None:
    folder = ensure_index(settings)
    (settings.index_dir / FINGERPRINT_RECORD).write_text("{not json", encoding="utf-8")
    (folder / VERIFIED_RECORD).write_text('{"signature": "other", "value": "intact"}', encoding="utf-8")
    assert current_fingerprint(settings) == corpus_fingerprint(settings)
    (folder / "knowledge.sqlite").write_text('{"fingerprint": ', encoding="utf-8")
    assert damage(folder, trust_unchanged=True) == "knowledge.sqlite does not match its checksum"


def test_corpus_files_are_listed_as_rglob_sorted_lists_them(tmp_path: Path) -> None:
    """The fast listing (scandir, sorted by name parts) gives rglob's files in sorted(Path)'s order, where
    a plain string sort would not ('a-b/f' sorts before 'a/f' as a string, after it by parts)."""
    for name in ("a-b/f", "a/f", "a/x.y/g", ".hidden-dir/h", ".dot", "a.txt", "b/c/d/e"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    (tmp_path / "linked-dir").symlink_to(tmp_path / "a")
    (tmp_path / "linked-file").symlink_to(tmp_path / "a" / "f")
    expected = sorted(p for p in tmp_path.rglob("*") if p.is_file() and not p.name.startswith("."))
    assert [Path(path) for _parts, path in _entries_under(tmp_path)] == expected
    assert [p.relative_to(tmp_path).as_posix() for p in expected][:3] == [".hidden-dir/h", "a/f", "a/x.y/g"]


def test_code_digest_is_the_code_hash_builds_record(settings: Settings) -> None:
    """A starting server compares `code_digest()` with the live build's sources.json (`built_by_this_code`);
    it must be the hash `corpus_sources` records, and a build records it."""
    folder = ensure_index(settings)
    assert code_digest() == corpus_sources(settings).code
    assert built_by_this_code(folder)
