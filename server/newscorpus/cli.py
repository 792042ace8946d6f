"""The `newscorpus` command: ingest raw files, build the index, search, show stats, serve over MCP.

Every command reads the same configuration (`--corpus`/`--index` flags, else the NEWSCORPUS_CORPUS /
NEWSCORPUS_INDEX environment variables, else the bundled corpus and a per-user cache folder) and goes
through the same query API as the MCP tools. Results go to stdout; progress and logs go to stderr.
"""

from __future__ import annotations

import argparse
import logging
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

from newscorpus import __version__
from newscorpus.config import ENV_CORPUS, ENV_INDEX, Settings

EPILOG = f"""\
configuration: --corpus/--index, else ${ENV_CORPUS}/${ENV_INDEX}, else the bundled corpus and an
index in your cache folder keyed by the corpus path.

examples:
  newscorpus ingest ~/news/*.txt --corpus ./my-corpus
  newscorpus index --corpus ./my-corpus
  newscorpus search "Alibaba Kernenergie Joint Venture" --limit 3
  newscorpus stats
  newscorpus serve                     # stdio, for Claude Desktop
  newscorpus serve --transport http    # Streamable HTTP on http://127.0.0.1:8765/mcp
"""


def _progress(message: str) -> None:
    print(f"newscorpus: {message}", file=sys.stderr, flush=True)


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.resolve(corpus=args.corpus, index=getattr(args, "index", None))


def cmd_ingest(args: argparse.Namespace) -> int:
    from newscorpus.ingest.run import ingest_paths

    settings = _settings(args)
    report = ingest_paths([Path(p) for p in args.paths], settings.corpus_dir)
    print(report.render())
    return 0 if report.ok else 1


def cmd_index(args: argparse.Namespace) -> int:
    from newscorpus.index.build import ensure_index, is_fresh

    settings = _settings(args)
    if not args.rebuild and is_fresh(settings):
        print(f"index is up to date: {settings.index_dir}")
        return 0
    folder = ensure_index(settings, progress=_progress, rebuild=args.rebuild)
    print(f"index built: {folder}")
    return 0


def _open(args: argparse.Namespace):
    from newscorpus.query.api import CorpusQuery

    return CorpusQuery.open(_settings(args), progress=_progress)


def cmd_search(args: argparse.Namespace) -> int:
    from newscorpus.query.errors import QueryError

    query = _open(args)
    try:
        res = query.search_articles(
            args.query, limit=args.limit, date_from=args.date_from, date_to=args.date_to,
            publisher=args.publisher, entity=args.entity,
        )
    except QueryError as exc:
        print(f"newscorpus: {exc}", file=sys.stderr)
        return 2
    print(f"{res.total} article(s) match {res.query!r}")
    for n, hit in enumerate(res.results, start=1):
        meta = " · ".join(x for x in (hit.publisher, hit.published) if x)
        print(f"\n{n}. {hit.title}" + (f"  ({meta})" if meta else ""))
        print(f"   {hit.article_id}  score {hit.score}")
        for p in hit.passages:
            body = textwrap.shorten(p.text.replace("\n", " "), width=300, placeholder=" …")
            print(textwrap.indent(textwrap.fill(f"[{p.passage_id}] {body}", width=100), "   "))
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    s = _open(args).stats()
    print(f"corpus      {s.corpus_dir}")
    print(f"articles    {s.articles}")
    print(f"passages    {s.passages}")
    print(f"entities    {s.entities}")
    print(f"deals       {s.deals}")
    print(f"dates       {s.date_from or '?'} … {s.date_to or '?'}")
    print(f"languages   {', '.join(s.languages) or '?'}")
    for p in s.publishers:
        print(f"publisher   {p.publisher} ({p.articles})")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from newscorpus.mcp_server.run import ExposureError, serve

    try:
        serve(
            _settings(args), transport=args.transport, host=args.host, port=args.port,
            token=args.token, allowed_hosts=args.allowed_host,
        )
    except ExposureError as exc:
        print(f"newscorpus: {exc}", file=sys.stderr)
        return 2
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newscorpus",
        description="Grounded, citable access to a news corpus, for people and for AI agents over MCP.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"newscorpus {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_: str, *, index: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.add_argument("--corpus", metavar="DIR", help=f"corpus folder (default: ${ENV_CORPUS} or the bundled one)")
        if index:
            p.add_argument("--index", metavar="DIR", help=f"index folder (default: ${ENV_INDEX} or the cache)")
        return p

    p = add("ingest", "Normalize raw news files (txt, md, json, jsonl) into the articles/ folder.", index=False)
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (folders are read recursively)")
    p.set_defaults(func=cmd_ingest)

    p = add("index", "Build the search index and knowledge base (only when the corpus changed).")
    p.add_argument("--rebuild", action="store_true", help="build even if the index is up to date")
    p.set_defaults(func=cmd_index)

    p = add("search", "Search the articles and print the best passages.")
    p.add_argument("query", help='plain words, "phrases", AND/OR/NOT, field:value')
    p.add_argument("--limit", type=int, default=10, help="articles to show, 1-50 (default 10)")
    p.add_argument("--date-from", metavar="YYYY-MM-DD")
    p.add_argument("--date-to", metavar="YYYY-MM-DD")
    p.add_argument("--publisher")
    p.add_argument("--entity", help="only articles mentioning this entity (id, name or alias)")
    p.set_defaults(func=cmd_search)

    p = add("stats", "Show what the corpus holds.")
    p.set_defaults(func=cmd_stats)

    p = add("serve", "Run the MCP server (stdio for Claude Desktop, or Streamable HTTP).")
    p.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    p.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="HTTP port (default 8765)")
    p.add_argument(
        "--token", help="bearer token every HTTP request must carry; required to bind a non-loopback address "
        "(default: $NEWSCORPUS_TOKEN; prefer the variable, command lines are visible to other users)",
    )
    p.add_argument(
        "--allowed-host", action="append", default=[], metavar="NAME[:PORT]",
        help="a Host name clients use to reach the server (repeatable; needed when binding 0.0.0.0)",
    )
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="newscorpus: %(levelname)s %(message)s")
    args = build_parser().parse_args(argv)
    from newscorpus.index.build import BuildError

    try:
        return int(args.func(args))
    except BuildError as exc:
        print(f"newscorpus: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
