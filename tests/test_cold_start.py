"""What a server starting on an intact build does before its first answer (issue #7: cold start ≤ 1.5 s).

Serving never extracts, so the extraction modules (their imports compile large regexes and build pydantic
models) stay unloaded; tables only some tools need are built at their first use. Each check runs in a
fresh interpreter, as `newscorpus serve` starts, and fails when an import or a table creeps back in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from newscorpus.config import Settings

if TYPE_CHECKING:
    from newscorpus.query.api import CorpusQuery

BUILD_ONLY_MODULES = (
    "newscorpus.extract.pipeline",
    "newscorpus.extract.deals",
    "newscorpus.extract.entities",
    "newscorpus.extract.annotations",
    "newscorpus.extract.curated",
    "newscorpus.ingest.store",
)

# The serve path up to the first search, then list_entities; prints what was loaded and built when.
SERVE_AND_SEARCH = """
import json, sys, threading
from pathlib import Path
from newscorpus.config import Settings
from newscorpus.mcp_server.run import create_server, open_corpus

settings = Settings.resolve(corpus=Path(sys.argv[1]), index=Path(sys.argv[2]))
corpus = open_corpus(settings)
create_server(corpus)
query = corpus.current()
hits = query.search_articles("Rechenzentrum Milliarden Investition", limit=5).results
report = {
    "modules": sorted(m for m in sys.modules if m.startswith("newscorpus.")),
    "hits": len(hits),
    "tables_after_search": sorted(k for k in ("_names", "_entity_keys") if k in vars(query)),
}
query.list_entities(query="Microsoft", limit=3)
report["tables_after_list_entities"] = sorted(k for k in ("_names", "_entity_keys") if k in vars(query))
for thread in threading.enumerate():  # the background corpus check: let its child finish
    if thread.name == "newscorpus-refresh":
        thread.join(120)
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def report(corpus_query: CorpusQuery, corpus_settings: Settings) -> dict:
    """`SERVE_AND_SEARCH` on the session's build of the bundled corpus (built by `corpus_query`)."""
    done = subprocess.run(
        [sys.executable, "-c", SERVE_AND_SEARCH, str(corpus_settings.corpus_dir), str(corpus_settings.index_dir)],
        capture_output=True, text=True, timeout=180, env=os.environ.copy(), check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_serving_a_built_index_imports_no_extraction(report: dict) -> None:
    assert report["hits"] > 0
    assert "newscorpus.query.api" in report["modules"]  # the check ran after the query stack loaded
    assert [m for m in BUILD_ONLY_MODULES if m in report["modules"]] == []


def test_name_tables_are_built_at_first_use(report: dict) -> None:
    assert report["tables_after_search"] == []
    assert report["tables_after_list_entities"] == ["_names"]


# What the server's background corpus check (`index/refresh.py`, a child process) loads on an unchanged corpus.
REFRESH = """
import json, sys
from newscorpus.index import refresh
code = refresh.main(sys.argv[1:])
loaded = sorted(m for m in sys.modules if m.startswith(("newscorpus.", "numpy", "whoosh")))
print(json.dumps({"code": code, "modules": loaded}))
"""


def test_corpus_check_of_an_unchanged_corpus_loads_neither_extraction_nor_search(
    corpus_query: CorpusQuery, corpus_settings: Settings
) -> None:
    """It runs beside the starting server on a 2-core machine: the less it loads, the less it competes."""
    done = subprocess.run(
        [sys.executable, "-c", REFRESH, str(corpus_settings.corpus_dir), str(corpus_settings.index_dir)],
        capture_output=True, text=True, timeout=180, env=os.environ.copy(), check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] == 0
    assert "newscorpus.index.build" in report["modules"]
    loaded = [m for m in report["modules"] if m.startswith(("numpy", "whoosh", *BUILD_ONLY_MODULES))]
    assert loaded == []
