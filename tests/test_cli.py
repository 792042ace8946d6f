"""The `newscorpus` command as a user runs it: a real subprocess, real files, real index folders."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SEEDS = Path(__file__).resolve().parents[1] / "corpus" / "raw"
EXE = Path(sys.executable).with_name("newscorpus")


def run(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCORPUS_")}
    env.update(env_extra or {})
    return subprocess.run([str(EXE), *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A corpus ingested from the seed files by the CLI, and its index folder."""
    root = tmp_path_factory.mktemp("cli")
    corpus, index = root / "corpus", root / "index"
    seeds = sorted(str(p) for p in SEEDS.glob("*.txt"))
    assert seeds, f"seed corpus missing at {SEEDS}"
    done = run("ingest", *seeds, "--corpus", str(corpus))
    assert done.returncode == 0, done.stdout + done.stderr
    return corpus, index


def test_ingest_reproduces_the_committed_articles(built: tuple[Path, Path]) -> None:
    corpus, _ = built
    bundled = Path(__file__).resolve().parents[1] / "corpus" / "articles"
    made = {p.name: p.read_text(encoding="utf-8") for p in (corpus / "articles").glob("*.md")}
    shipped = {p.name: p.read_text(encoding="utf-8") for p in bundled.glob("*.md")}
    assert made == shipped


def test_ingest_again_reports_duplicates_and_changes_nothing(built: tuple[Path, Path]) -> None:
    corpus, _ = built
    before = {p.name: p.read_bytes() for p in (corpus / "articles").glob("*.md")}
    again = run("ingest", str(SEEDS), "--corpus", str(corpus))
    assert again.returncode == 0
    assert "duplicate" in again.stdout.lower()
    assert {p.name: p.read_bytes() for p in (corpus / "articles").glob("*.md")} == before


def test_ingest_exits_nonzero_when_a_file_is_skipped(built: tuple[Path, Path], tmp_path: Path) -> None:
    corpus, _ = built
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    done = run("ingest", str(empty), "--corpus", str(corpus))
    assert done.returncode == 1
    assert "empty.txt" in done.stdout


def test_index_search_stats(built: tuple[Path, Path]) -> None:
    corpus, index = built
    first = run("index", "--corpus", str(corpus), "--index", str(index))
    assert first.returncode == 0, first.stderr
    assert "index built" in first.stdout and "building" in first.stderr
    again = run("index", "--corpus", str(corpus), "--index", str(index))
    assert "up to date" in again.stdout

    found = run("search", "Gemeinschaftsunternehmen Stromerzeugung", "--corpus", str(corpus), "--index", str(index))
    assert found.returncode == 0, found.stderr
    assert "250 Millionen Yuan" in found.stdout
    assert "#p2]" in found.stdout

    stats = run("stats", "--corpus", str(corpus), "--index", str(index))
    assert stats.returncode == 0
    assert "articles    3" in stats.stdout and "Handelsblatt" in stats.stdout


def test_env_vars_select_corpus_and_index(built: tuple[Path, Path]) -> None:
    corpus, index = built
    env = {"NEWSCORPUS_CORPUS": str(corpus), "NEWSCORPUS_INDEX": str(index)}
    stats = run("stats", env_extra=env)
    assert stats.returncode == 0 and str(corpus) in stats.stdout


def test_bad_search_argument_is_a_clean_error(built: tuple[Path, Path]) -> None:
    corpus, index = built
    bad = run("search", "KI", "--limit", "500", "--corpus", str(corpus), "--index", str(index))
    assert bad.returncode == 2
    assert "limit must be a whole number from 1 to 50" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_empty_corpus_is_a_clean_error(tmp_path: Path) -> None:
    done = run("stats", "--corpus", str(tmp_path / "nothing"), "--index", str(tmp_path / "index"))
    assert done.returncode == 1
    assert "No articles" in done.stderr and "newscorpus ingest" in done.stderr
    assert "Traceback" not in done.stderr
