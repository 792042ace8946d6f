"""The corpus a running server answers from: the build CURRENT names, swapped in when a new one goes live.

`newscorpus index` in another process replaces CURRENT atomically; before each call the server compares
it with the build it has open (one small file read) and, when it changed, opens the new build and swaps
it in. A call always runs against one build from start to end: it takes `current()` once. Paging cursors
are bound to the build, so a cursor from before the swap gets a clear "index was rebuilt" error. The old
build's files stay readable for calls still running on it (POSIX keeps deleted open files alive).

A server starts on the live build when this code made it and it is intact, and checks the corpus for
changes in the background: listing and stat-ing every corpus file takes seconds at 100 000 articles, and
a changed corpus means an update or a rebuild. The check runs in a child process (`index/refresh.py`: its
output on the server's stderr; the build's memory is the child's, and stdout stays the protocol's);
when it makes a new build, the next call swaps it in. Without such a build the server builds first, as
`CorpusQuery.open` does.

Tool descriptions and server instructions quote corpus counts from startup; they refresh on restart,
while `newscorpus://stats` and every tool result follow the live build.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from newscorpus.config import Settings
from newscorpus.index.build import built_by_this_code, damage, live_build, open_knowledge
from newscorpus.query.api import CorpusQuery
from newscorpus.query.search_config import SearchConfig

log = logging.getLogger(__name__)


class LiveCorpus:
    """Holds the open `CorpusQuery` of the live build; thread-safe."""

    def __init__(self, settings: Settings, query: CorpusQuery, search: SearchConfig | None = None) -> None:
        self.settings = settings
        self._query = query
        self._search = search or SearchConfig()
        self._folder = live_build(settings.index_dir)
        self._failed: Path | None = None
        self._swap = threading.Lock()

    @classmethod
    def open(cls, settings: Settings, progress: Callable[[str], None] | None = None) -> LiveCorpus:
        search = SearchConfig()
        progress = progress or (lambda _m: None)
        folder = live_build(settings.index_dir)
        if folder is not None and built_by_this_code(folder) and damage(folder, trust_unchanged=True) is None:
            try:
                query = CorpusQuery(settings, open_knowledge(folder), search.engine().open(folder), search)
            except Exception:  # refused although intact: build first, as CorpusQuery.open does
                log.exception("cannot open the index build %s; building the index first", folder)
            else:
                progress(f"serving the index build {folder.name}; checking the corpus for changes meanwhile")
                threading.Thread(target=_refresh, args=(settings,), name="newscorpus-refresh", daemon=True).start()
                return cls(settings, query, search)
        return cls(settings, CorpusQuery.open(settings, progress=progress, search=search), search)

    def current(self) -> CorpusQuery:
        """The query over the newest live build; opens it first if CURRENT moved since the last call.
        While one thread opens a new build, other calls keep answering from the old one."""
        folder = live_build(self.settings.index_dir)
        if folder is None or folder in (self._folder, self._failed):
            return self._query
        if not self._swap.acquire(blocking=False):
            return self._query
        try:
            if folder != self._folder:
                self._open(folder)
        finally:
            self._swap.release()
        return self._query

    def _open(self, folder: Path) -> None:
        try:
            # Opened as CorpusQuery.open opens a build, with the same search configuration.
            index = self._search.engine().open(folder)
            query = CorpusQuery(self.settings, open_knowledge(folder), index, self._search)
        except Exception:  # a broken new build must not take the server down: keep answering from the old one
            log.exception("cannot open the new index build %s; still serving %s", folder, self._folder)
            self._failed = folder
            return
        self._query, self._folder = query, folder
        log.info("index build %s went live: now serving it", folder.name)


def _refresh(settings: Settings) -> None:
    """`index/refresh.py` for this corpus in a child process (it builds only when the corpus changed)."""
    command = [sys.executable, "-m", "newscorpus.index.refresh", str(settings.corpus_dir), str(settings.index_dir)]
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=sys.stderr, stderr=sys.stderr, check=False)
    except OSError as exc:
        log.error("cannot check the corpus for changes (%s); serving the index as it is", exc)
        return
    if done.returncode != 0:
        log.error("the corpus changed but the index could not be updated (see above); still serving the last build")
