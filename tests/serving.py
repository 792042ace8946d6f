"""Helpers for tests that run the real `newscorpus` command as a subprocess (HTTP server, index, ingest)."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from newscorpus.config import Settings
from newscorpus.http_process import http_server as started

NEWSCORPUS = Path(sys.executable).parent / "newscorpus"
JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


def http_request(url: str, headers: dict[str, str] | None = None, data: bytes | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def newscorpus(*args: str, env: dict[str, str] | None = None, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(NEWSCORPUS), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


def location(settings: Settings) -> list[str]:
    return ["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]


@contextmanager
def http_server(settings: Settings, logs: Path, *extra: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """`newscorpus serve --transport http` on a free loopback port until the block ends; yields the base URL."""
    logs.mkdir(parents=True, exist_ok=True)
    stderr_log = logs / "stderr.log"
    command = [str(NEWSCORPUS), "serve", *location(settings), "--transport", "http", *extra]
    with (
        stderr_log.open("wb") as err,
        started(command, stderr=err, env={**os.environ, **(env or {})}, log=stderr_log) as base,
    ):
        yield base
