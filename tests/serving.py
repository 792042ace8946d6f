"""Helpers for tests that run the real `newscorpus` command as a subprocess (HTTP server, index, ingest)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from newscorpus.config import Settings

NEWSCORPUS = Path(sys.executable).parent / "newscorpus"
STARTUP_SECONDS = 90
JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
    port = free_port()
    logs.mkdir(parents=True, exist_ok=True)
    stderr_log = logs / "stderr.log"
    with stderr_log.open("wb") as err:
        proc = subprocess.Popen(
            [str(NEWSCORPUS), "serve", *location(settings), "--transport", "http", "--port", str(port), *extra],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            env={**os.environ, **(env or {})},
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"HTTP server exited with {proc.returncode}:\n{stderr_log.read_text()}")
            try:
                if http_request(f"{base}/health")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"HTTP server did not come up:\n{stderr_log.read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
