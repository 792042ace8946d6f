"""`python -m newscorpus.mcp_server`: the same flags as `newscorpus serve`, for running the server directly."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from newscorpus.config import Settings
from newscorpus.mcp_server.run import DEFAULT_HOST, DEFAULT_PORT, serve


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m newscorpus.mcp_server", description=__doc__)
    parser.add_argument("--transport", choices=("stdio", "http"), default="stdio")
    parser.add_argument("--host", default=DEFAULT_HOST, help="HTTP bind address (default %(default)s)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="HTTP port (default %(default)s)")
    parser.add_argument("--corpus", help="Corpus folder (default: $NEWSCORPUS_CORPUS or the bundled corpus)")
    parser.add_argument("--index", help="Index folder (default: $NEWSCORPUS_INDEX or the per-user cache)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    serve(Settings.resolve(corpus=args.corpus, index=args.index), args.transport, args.host, args.port)


if __name__ == "__main__":
    main()
