"""Small measuring helpers shared by the benchmarks: latency percentiles, folder sizes, peak RSS."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel


class Latency(BaseModel):
    """Per-call wall time in milliseconds over `calls` calls (nearest-rank percentiles)."""

    calls: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float

    @classmethod
    def of(cls, seconds: list[float]) -> Latency:
        ms = sorted(s * 1000 for s in seconds)

        def rank(p: float) -> float:
            return round(ms[max(0, math.ceil(p / 100 * len(ms)) - 1)], 3)

        return cls(calls=len(ms), p50_ms=rank(50), p95_ms=rank(95), p99_ms=rank(99),
                   mean_ms=round(sum(ms) / len(ms), 3))


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def peak_rss_mb(pid: int | None = None) -> float | None:
    """Peak resident set size (VmHWM) of a process in MiB, from /proc; None where /proc is missing."""
    path = Path(f"/proc/{pid or os.getpid()}/status")
    try:
        for line in path.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def child_pids(marker: str) -> list[int]:
    """Ids of this process's children whose command line contains `marker` (Linux /proc)."""
    me = os.getpid()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat[stat.rfind(")") + 2 :].split()[1])
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
        if ppid == me and marker in cmdline:
            found.append(int(entry.name))
    return found
