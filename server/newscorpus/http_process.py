"""Run `newscorpus serve --transport http` as a child process on a free loopback port.

The evaluation harness, the load benchmark and the tests all need a real HTTP server in another process;
this is the one place that starts it, waits for `/health`, and stops it again.
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

STARTUP_SECONDS = 90.0

Output = IO[bytes] | int | None


class ServerStartError(RuntimeError):
    """The server exited or did not answer `/health` in time; the message points at its log."""


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/health", timeout=5) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def _describe(log: Path | None) -> str:
    if log is None:
        return ""
    try:
        return f"; its log ({log}):\n{log.read_text(encoding='utf-8', errors='replace')}"
    except OSError:
        return f"; its log: {log}"


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate, and kill if it does not end within 15 s."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def http_server(
    serve_command: Sequence[str],
    *,
    stdout: Output = subprocess.DEVNULL,
    stderr: Output = subprocess.DEVNULL,
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
    startup_seconds: float = STARTUP_SECONDS,
) -> Iterator[str]:
    """Start `serve_command` (a `newscorpus … serve --transport http …` argv) with `--port <free port>`
    appended, wait until `/health` answers, yield the base URL `http://127.0.0.1:PORT`, stop it after."""
    port = free_port()
    proc = subprocess.Popen(
        [*serve_command, "--port", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        env=dict(env) if env is not None else None,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_seconds
        while not _healthy(base):
            if proc.poll() is not None:
                raise ServerStartError(f"the HTTP server exited with code {proc.returncode}{_describe(log)}")
            if time.monotonic() > deadline:
                raise ServerStartError(
                    f"the HTTP server did not answer {base}/health within {startup_seconds:.0f}s{_describe(log)}"
                )
            time.sleep(0.2)
        yield base
    finally:
        stop(proc)
