"""Fault injection on real processes and real files: damaged indexes, `kill -9` during index and ingest,
a full disk during a build, and a running HTTP server picking up a new build.

Kills happen at a known point through the documented NEWSCORPUS_PAUSE_AT hook (the process announces
`paused at <stage>` on stderr and sleeps there). The full disk is a real small tmpfs when this runs as
root; otherwise the kernel's file-size limit (RLIMIT_FSIZE) makes the same writes fail.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from newscorpus.config import ENV_PAUSE_AT, Settings
from newscorpus.index.build import CURRENT, damage, live_build, open_knowledge
from newscorpus.index.whoosh_engine import WhooshBuilder
from newscorpus.ingest.store import article_to_markdown, load_articles
from newscorpus.models import Article
from newscorpus.query.api import CorpusQuery
from serving import NEWSCORPUS, http_server, location, newscorpus

EXTRA_ID = "2026-01-31-example-neues-rechenzentrum-in-leipzig"


def corpus_copy(bundled: Settings, root: Path) -> Settings:
    shutil.copytree(bundled.articles_dir, root / "corpus" / "articles")
    shutil.copytree(bundled.annotations_dir, root / "corpus" / "annotations")
    return Settings.resolve(corpus=root / "corpus", index=root / "index")


def add_article(settings: Settings, article_id: str = EXTRA_ID, paragraphs: int = 2) -> None:
    body = "\n\n".join(
        f"Absatz {n}: Ein Betreiber baut in Leipzig ein Rechenzentrum mit {n * 10} Megawatt Leistung."
        for n in range(1, paragraphs + 1)
    )
    article = Article(
        id=article_id, title="Neues Rechenzentrum in Leipzig", publisher="Example News", published="2026-01-31",
        language="de", body=body,
    )
    (settings.articles_dir / f"{article_id}.md").write_text(article_to_markdown(article), encoding="utf-8")


def opened(settings: Settings) -> tuple[CorpusQuery, list[str]]:
    messages: list[str] = []
    return CorpusQuery.open(settings, progress=messages.append), messages


@pytest.fixture(scope="module")
def template(corpus_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A copy of the bundled corpus with an index built once by the real CLI."""
    settings = corpus_copy(corpus_settings, tmp_path_factory.mktemp("template"))
    done = newscorpus("index", *location(settings))
    assert done.returncode == 0, done.stderr
    return settings


def clone(template: Settings, root: Path) -> Settings:
    """Corpus and index copied (CURRENT names its build relatively, and fingerprints hash relative paths)."""
    shutil.copytree(template.corpus_dir, root / "corpus")
    shutil.copytree(template.index_dir, root / "index")
    return Settings.resolve(corpus=root / "corpus", index=root / "index")


@pytest.fixture
def built(template: Settings, tmp_path: Path) -> Settings:
    """A private copy of the corpus with its built index, fresh for each test."""
    return clone(template, tmp_path)


# -- damaged index files -----------------------------------------------------------------------------


def _flip_bytes(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 8] = bytes(b ^ 0xFF for b in data[middle : middle + 8])
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "damage_it",
    [
        pytest.param(lambda f: _flip_bytes(next(f.glob("passages_*.pst"))), id="flipped-segment-bytes"),
        pytest.param(lambda f: _flip_bytes(f / "knowledge.sqlite"), id="flipped-knowledge-store-bytes"),
        pytest.param(lambda f: (f / "knowledge.sqlite").unlink(), id="missing-knowledge-store"),
        pytest.param(lambda f: (f / "manifest.json").write_text("not json"), id="garbled-manifest"),
        pytest.param(lambda f: shutil.rmtree(f), id="pointer-to-nothing"),
    ],
)
def test_damaged_index_is_detected_at_start_and_rebuilt(built: Settings, damage_it) -> None:
    reference, messages = opened(built)
    assert messages == [], "the clone opens without building"
    expected = [hit.article_id for hit in reference.search_articles("Alibaba Kernenergie", limit=3).results]
    reference.close()
    folder = live_build(built.index_dir)
    assert folder is not None
    damage_it(folder)

    query, messages = opened(built)
    assert any("damaged" in m or "no complete build" in m or "building" in m for m in messages), messages
    assert [hit.article_id for hit in query.search_articles("Alibaba Kernenergie", limit=3).results] == expected
    rebuilt = live_build(built.index_dir)
    assert rebuilt is not None and rebuilt != folder and damage(rebuilt) is None
    query.close()


def test_cli_reports_the_damage_and_rebuilds(built: Settings) -> None:
    folder = live_build(built.index_dir)
    assert folder is not None
    (folder / "knowledge.sqlite").write_text('{"fingerprint": ', encoding="utf-8")
    done = newscorpus("stats", *location(built))
    assert done.returncode == 0, done.stderr
    assert "damaged (knowledge.sqlite does not match its checksum)" in done.stderr
    assert "articles    3" in done.stdout


# -- kill -9 during index and ingest ------------------------------------------------------------------


@contextmanager
def paused(args: list[str], stage: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run `newscorpus ARGS` until it announces the pause at `stage`; yields the paused process."""
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [str(NEWSCORPUS), *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
            env={**os.environ, ENV_PAUSE_AT: f"{stage}@120"},
        )
    try:
        deadline = time.monotonic() + 120
        while f"paused at {stage}" not in log.read_text():
            assert proc.poll() is None, f"exited before {stage}:\n{log.read_text()}"
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


@pytest.mark.parametrize("stage", ["index:staged", "index:built"])
def test_kill_during_index_keeps_the_old_index_and_the_next_run_completes(
    built: Settings, tmp_path: Path, stage: str
) -> None:
    before = live_build(built.index_dir)
    assert before is not None
    add_article(built)
    with paused(["index", *location(built)], stage, tmp_path / "index.log") as proc:
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL

    # The previous build is still the live one, intact, and answers.
    assert live_build(built.index_dir) == before and damage(before) is None
    old = CorpusQuery(built, open_knowledge(before), WhooshBuilder().open(before))
    assert old.stats().articles == 3 and old.search_articles("Alibaba").total >= 1
    assert any(p.name.startswith(("tmp-", "b-")) and p != before for p in built.index_dir.iterdir()), "leftover"

    done = newscorpus("index", *location(built))
    assert done.returncode == 0, done.stderr
    after = live_build(built.index_dir)
    assert after not in (None, before)
    query, _ = opened(built)
    assert query.stats().articles == 4
    assert query.search_articles("Leipzig Rechenzentrum").results[0].article_id == EXTRA_ID
    kept = sorted(p.name for p in built.index_dir.iterdir() if p.is_dir())
    assert kept == sorted([after.name, before.name]), "the killed build's leftovers are gone, the replaced one kept"


def test_kill_during_ingest_keeps_the_corpus_usable_and_the_rerun_completes(built: Settings, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    for n in range(1, 4):
        record = {
            "title": f"Meldung {n}: Rechenzentrum Nummer {n} geplant",
            "published": f"2026-01-2{n}",
            "publisher": "Example News",
            "text": f"Ein Betreiber plant Rechenzentrum Nummer {n} in Sachsen.\n\nLeistung: {n}0 Megawatt.",
        }
        (raw / f"meldung-{n}.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    before = {p.name: p.read_bytes() for p in built.articles_dir.iterdir()}
    args = ["ingest", str(raw), "--corpus", str(built.corpus_dir)]
    with paused(args, "ingest:article-written", tmp_path / "ingest.log") as proc:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

    # Old articles untouched; exactly one new one, complete; the index still live and intact.
    assert all(built.articles_dir.joinpath(name).read_bytes() == data for name, data in before.items())
    assert len(load_articles(built.corpus_dir)) == len(before) + 1
    live = live_build(built.index_dir)
    assert live is not None and damage(live) is None

    rerun = newscorpus(*args)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "added 2, duplicates 1" in rerun.stdout
    query, _ = opened(built)
    assert query.stats().articles == len(before) + 3
    query.close()


# -- disk full during a build -------------------------------------------------------------------------


@contextmanager
def small_disk(folder: Path, size_kib: int) -> Iterator[dict]:
    """A `size_kib` tmpfs at `folder` when root may mount one; else a per-file size limit for the child."""
    folder.mkdir(parents=True)
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(folder)], capture_output=True
    ).returncode == 0
    try:
        if mounted:
            yield {}
        else:
            limit = 200 * 1024  # below the passage index's segment file (~250 KiB for the bundled corpus)

            def limit_file_size() -> None:
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

            yield {"preexec_fn": limit_file_size}
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], check=False)


def test_disk_full_during_a_build_fails_cleanly_and_keeps_the_old_index(template: Settings, tmp_path: Path) -> None:
    shutil.copytree(template.corpus_dir, tmp_path / "corpus")
    settings = Settings.resolve(corpus=tmp_path / "corpus", index=tmp_path / "index")
    with small_disk(settings.index_dir, 700) as child:  # the live build (~480 KiB) fits, a second one does not
        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [str(NEWSCORPUS), *args, *location(settings)], capture_output=True, text=True, timeout=300, **child
            )

        shutil.copytree(template.index_dir, settings.index_dir, dirs_exist_ok=True)
        before = live_build(settings.index_dir)
        assert before is not None
        add_article(settings)

        failed = run("index")
        assert failed.returncode == 1
        assert "cannot write the index" in failed.stderr and "previous index" in failed.stderr
        assert "Traceback" not in failed.stderr
        assert live_build(settings.index_dir) == before and damage(before) is None
        assert [p.name for p in settings.index_dir.iterdir() if p.is_dir()] == [before.name], "no half build left"

        served = run("search", "Alibaba")
        assert served.returncode == 0, served.stderr
        assert "Serving the previous index" in served.stderr and "Alibaba" in served.stdout


# -- a running server and a new build -----------------------------------------------------------------


@pytest.mark.anyio
async def test_running_http_server_picks_up_a_new_build(built: Settings, tmp_path: Path) -> None:
    with http_server(built, tmp_path / "server") as base:
        async with Client(f"{base}/mcp") as client:
            first = await client.call_tool("search_articles", {"query": "Rechenzentrum", "limit": 1})
            assert first.structured_content and first.structured_content["next_cursor"]
            missing = await client.call_tool("get_article", {"article_id": EXTRA_ID})
            assert missing.is_error

            add_article(built)
            done = newscorpus("index", *location(built))
            assert done.returncode == 0, done.stderr

            found = await client.call_tool("get_article", {"article_id": EXTRA_ID})
            assert not found.is_error and found.structured_content["title"] == "Neues Rechenzentrum in Leipzig"
            stats = json.loads(getattr((await client.read_resource("newscorpus://stats")).contents[0], "text", ""))
            assert stats["articles"] == 4
            stale = await client.call_tool(
                "search_articles",
                {"query": "Rechenzentrum", "limit": 1, "cursor": first.structured_content["next_cursor"]},
            )
            assert stale.is_error and "index was rebuilt" in stale.content[0].text  # type: ignore[union-attr]
    assert "went live" in (tmp_path / "server" / "stderr.log").read_text()
    assert CURRENT in {p.name for p in built.index_dir.iterdir()}


@pytest.mark.anyio
async def test_server_starts_on_the_live_build_and_updates_it_meanwhile(built: Settings, tmp_path: Path) -> None:
    """With an intact build by this code, `serve` answers from it at once and brings the index up to date
    in a child process; an article added before the start is found once that update went live."""
    add_article(built)
    before = live_build(built.index_dir)
    log = tmp_path / "stderr.log"
    params = StdioServerParameters(command=str(NEWSCORPUS), args=["serve", *location(built)], env=dict(os.environ))
    with log.open("w") as err:
        async with Client(stdio_client(params, errlog=err)) as client:  # type: ignore[arg-type]
            stats = json.loads(getattr((await client.read_resource("newscorpus://stats")).contents[0], "text", ""))
            assert stats["articles"] in (3, 4)  # 4 only if the update already went live
            deadline = time.monotonic() + 120
            while True:
                found = await client.call_tool("get_article", {"article_id": EXTRA_ID})
                if not found.is_error or time.monotonic() > deadline:
                    break
                await anyio.sleep(0.5)
            assert not found.is_error, found.content
    stderr = log.read_text()
    assert f"serving the index build {before.name}" in stderr and "went live" in stderr, stderr
    assert "updating the index incrementally" in stderr and "Traceback" not in stderr, stderr
    assert live_build(built.index_dir) != before
