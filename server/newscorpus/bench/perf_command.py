"""`newscorpus bench perf`: run the performance benchmark and return its Markdown report (the CLI prints it)."""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

from newscorpus.bench.perf import run
from newscorpus.bench.report import render
from newscorpus.index.engine import Progress

DEFAULT_SIZES = (1_000, 10_000)


def run_perf_command(args: argparse.Namespace, progress: Progress) -> str:
    """The Markdown report; ValueError when the arguments are out of range."""
    sizes = args.articles or list(DEFAULT_SIZES)
    if any(n < 10 for n in sizes) or args.queries < 10 or args.cold_starts < 1:
        raise ValueError("--articles must be at least 10, --queries at least 10, --cold-starts at least 1")
    workdir = Path(args.workdir).expanduser().resolve() if args.workdir else Path(tempfile.mkdtemp(prefix="nc-bench-"))
    command = "newscorpus bench perf " + " ".join(shlex.quote(a) for a in sys.argv[3:])
    try:
        report = run(sizes, workdir, queries=args.queries, cold_starts=args.cold_starts, peers=not args.no_peers,
                     progress=progress, command=command.strip())
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(report.model_dump_json(indent=2), encoding="utf-8")
    return render(report)
