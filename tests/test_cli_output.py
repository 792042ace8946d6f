"""CLI polish as a user meets it: help with examples, --version, --json for scripts, colour and a progress
bar in a terminal (a real pseudo-terminal), plain text when piped or when NO_COLOR is set."""

from __future__ import annotations

import argparse
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from newscorpus import __version__
from newscorpus.cli import build_parser
from newscorpus.config import Settings
from newscorpus.query.results import CorpusStats, SearchResults

NEWSCORPUS = Path(sys.executable).parent / "newscorpus"
FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
ESC = "\x1b["


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCORPUS_") and k != "NO_COLOR"}
    env["TERM"] = "xterm-256color"
    env.update(extra)
    return env


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(NEWSCORPUS), *args], capture_output=True, text=True, env=clean_env(**env), timeout=120)


def run_in_terminal(*args: str, stream: str = "stdout", **env: str) -> tuple[str, str]:
    """Run with `stream` attached to a pseudo-terminal and the other one piped; returns (terminal, piped)."""
    main, child = pty.openpty()
    other = subprocess.PIPE
    kwargs = {"stdout": child, "stderr": other} if stream == "stdout" else {"stdout": other, "stderr": child}
    proc = subprocess.Popen([str(NEWSCORPUS), *args], env=clean_env(**env), stdin=subprocess.DEVNULL, **kwargs)
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    piped = (proc.stdout if stream == "stderr" else proc.stderr).read()  # type: ignore[union-attr]
    proc.wait(timeout=120)
    os.close(main)
    return b"".join(chunks).decode("utf-8", "replace"), piped.decode("utf-8", "replace")


def commands() -> list[str]:
    """Every top-level command the parser knows, so a new one cannot ship without examples."""
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(sub.choices)


@pytest.mark.parametrize("command", commands())
def test_every_command_has_help_with_examples(command: str) -> None:
    done = run(command, "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: newscorpus {command}")
    examples = done.stdout.split("examples:\n", 1)
    assert len(examples) == 2, f"`newscorpus {command} --help` shows no examples"
    assert f"newscorpus {command}" in examples[1]


def test_version() -> None:
    done = run("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"newscorpus {__version__}"


def test_search_and_stats_json_are_the_result_records(corpus_settings: Settings) -> None:
    where = ["--corpus", str(corpus_settings.corpus_dir), "--index", str(corpus_settings.index_dir)]
    found = run("search", "Alibaba Joint Venture", "--limit", "2", "--json", *where)
    assert found.returncode == 0, found.stderr
    results = SearchResults.model_validate_json(found.stdout)
    assert results.total >= 1 and len(results.results) <= 2
    assert results.results[0].passages[0].passage_id.startswith(results.results[0].article_id + "#p")

    stats = run("stats", "--json", *where)
    assert stats.returncode == 0, stats.stderr
    parsed = CorpusStats.model_validate_json(stats.stdout)
    assert parsed.articles == len(list((corpus_settings.corpus_dir / "articles").glob("*.md")))
    assert json.loads(stats.stdout)["corpus_dir"] == str(corpus_settings.corpus_dir)


def test_piped_output_is_plain(corpus_settings: Settings) -> None:
    where = ["--corpus", str(corpus_settings.corpus_dir), "--index", str(corpus_settings.index_dir)]
    for args in (["stats"], ["search", "Alibaba"]):
        done = run(*args, *where)
        assert done.returncode == 0 and ESC not in done.stdout and ESC not in done.stderr


def test_terminal_output_is_coloured_unless_no_color(corpus_settings: Settings) -> None:
    where = ["--corpus", str(corpus_settings.corpus_dir), "--index", str(corpus_settings.index_dir)]
    coloured, _ = run_in_terminal("stats", *where)
    assert ESC in coloured and "articles" in coloured
    plain, _ = run_in_terminal("stats", *where, NO_COLOR="1")
    assert ESC not in plain and "articles" in plain
    hits, _ = run_in_terminal("search", "Alibaba", *where)
    assert f"{ESC}32m[" in hits  # passage ids stand out
    assert ESC not in run_in_terminal("search", "Alibaba", *where, TERM="dumb")[0]


def test_ingest_progress_bar_only_in_a_terminal(tmp_path: Path) -> None:
    files = [str(FIXTURES / "feeds" / "grid-and-compute.atom"), str(FIXTURES / "web" / "nordlicht-rechenzentrum.html")]
    bar, report = run_in_terminal("ingest", *files, "--corpus", str(tmp_path / "a"), stream="stderr")
    assert "ingesting [" in bar and "1/2" in bar
    assert report.startswith("added 3,")
    piped = run("ingest", *files, "--corpus", str(tmp_path / "b"))
    assert piped.returncode == 0 and "\r" not in piped.stderr and "ingesting [" not in piped.stderr
    assert piped.stdout.startswith("added 3,")
