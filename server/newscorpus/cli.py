"""The `newscorpus` command: ingest raw files, build the index, search, show stats, serve over MCP.

Every command reads the same configuration (`--corpus`/`--index` flags, else the NEWSCORPUS_CORPUS /
NEWSCORPUS_INDEX environment variables, else the bundled corpus and a per-user cache folder) and goes
through the same query API as the MCP tools. Results go to stdout; progress and logs go to stderr.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

from newscorpus import __version__
from newscorpus.config import BUNDLED_CORPUS, ENV_CORPUS, ENV_INDEX, ENV_TOKEN, Settings
from newscorpus.terminal import ProgressBar, Style, table, use_color

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
  newscorpus install-claude            # add the server to Claude Desktop

`newscorpus COMMAND --help` shows each command's options and examples.
"""

# Shown under each command's --help; every command has some (a test checks).
EXAMPLES: dict[str, list[str]] = {
    "ingest": [
        "newscorpus ingest ~/news/ --corpus ./my-corpus        # a folder, recursively",
        "newscorpus ingest page.html feed.rss --corpus ./my-corpus",
        "newscorpus ingest export.jsonl notes/*.md",
    ],
    "index": [
        "newscorpus index --corpus ./my-corpus",
        "newscorpus index --rebuild",
    ],
    "search": [
        'newscorpus search "Alibaba Kernenergie Joint Venture" --limit 3',
        'newscorpus search Rechenzentrum --date-from 2026-01-15 --publisher Handelsblatt',
        'newscorpus search "Microsoft AND BlackRock" --json | jq -r \'.results[].article_id\'',
    ],
    "stats": [
        "newscorpus stats",
        "newscorpus stats --corpus ./my-corpus --json",
    ],
    "serve": [
        "newscorpus serve                                   # stdio, as Claude Desktop starts it",
        "newscorpus serve --transport http --port 8765      # http://127.0.0.1:8765/mcp",
    ],
    "eval": [
        "newscorpus eval                                   # baseline agent over stdio, report in ./eval-results",
        "newscorpus eval --transport http --kind unanswerable --out /tmp/eval",
        "newscorpus eval --agent mypackage.agents:MyAgent",
    ],
    "install-claude": [
        "newscorpus install-claude --dry-run                # print the entry, change nothing",
        "newscorpus install-claude --corpus ~/my-corpus --name my-news",
    ],
    "bench": [
        "newscorpus bench perf --articles 1000 --no-peers",
        "newscorpus bench relevance",
        "newscorpus bench load --clients 50 --requests 2000",
    ],
}

DEFAULT_QUESTIONS_FILE = BUNDLED_CORPUS / "eval" / "questions.yaml"


def _progress(message: str) -> None:
    print(f"newscorpus: {message}", file=sys.stderr, flush=True)


def _style() -> Style:
    """Colour on stdout only in a terminal and without NO_COLOR."""
    return Style(use_color(sys.stdout))


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.resolve(corpus=args.corpus, index=getattr(args, "index", None))


def cmd_ingest(args: argparse.Namespace) -> int:
    from newscorpus.ingest.run import ingest_paths

    settings = _settings(args)
    bar = ProgressBar(sys.stderr, "ingesting", Style(use_color(sys.stderr)))
    try:
        report = ingest_paths([Path(p) for p in args.paths], settings.corpus_dir, progress=bar.update)
    finally:
        bar.close()
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
    if args.json:
        print(res.model_dump_json(indent=2))
        return 0
    style = _style()
    print(style(f"{res.total} article(s) match {res.query!r}", "bold"))
    for n, hit in enumerate(res.results, start=1):
        meta = " · ".join(x for x in (hit.publisher, hit.published) if x)
        print(f"\n{style(f'{n}. {hit.title}', 'bold')}" + (f"  {style(f'({meta})', 'dim')}" if meta else ""))
        print(f"   {style(hit.article_id, 'cyan')}  {style(f'score {hit.score}', 'dim')}")
        for p in hit.passages:
            body = textwrap.shorten(p.text.replace("\n", " "), width=300, placeholder=" …")
            lines = textwrap.fill(f"[{p.passage_id}] {body}", width=100).split("\n")
            marker = f"[{p.passage_id}]"
            lines[0] = style(marker, "green") + lines[0][len(marker) :]
            print(textwrap.indent("\n".join(lines), "   "))
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    s = _open(args).stats()
    if args.json:
        print(s.model_dump_json(indent=2))
        return 0
    rows = [
        ["corpus", str(s.corpus_dir)],
        ["articles", str(s.articles)],
        ["passages", str(s.passages)],
        ["entities", str(s.entities)],
        ["deals", str(s.deals)],
        ["dates", f"{s.date_from or '?'} … {s.date_to or '?'}"],
        ["languages", ", ".join(s.languages) or "?"],
        *(["publisher", f"{p.publisher} ({p.articles})"] for p in s.publishers),
    ]
    print(table([[f"{key:<10}", value] for key, value in rows], _style()))
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


def cmd_bench_perf(args: argparse.Namespace) -> int:
    from newscorpus.bench.perf_command import run_perf_command

    try:
        print(run_perf_command(args, progress=_progress))
    except ValueError as exc:
        print(f"newscorpus: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_bench_load(args: argparse.Namespace) -> int:
    import anyio

    from newscorpus.bench.load import local_server, run_load

    if args.clients < 1 or args.requests < 1:
        print("newscorpus: --clients and --requests must be at least 1", file=sys.stderr)
        return 2

    def load(url: str):
        return anyio.run(lambda: run_load(url, clients=args.clients, requests=args.requests, token=args.token))

    if args.url:
        report = load(args.url)
    else:
        with local_server(_settings(args), token=args.token) as url:
            report = load(url)
    print(report.render())
    return 0 if report.errors == 0 and report.wrong == 0 else 1


def cmd_bench_relevance(args: argparse.Namespace) -> int:
    from newscorpus.bench.relevance import run_command

    print(run_command(_settings(args), progress=_progress), end="")
    return 0


def cmd_install_claude(args: argparse.Namespace) -> int:
    from newscorpus.claude_desktop import InstallError, plan_install, write_config

    try:
        plan = plan_install(_settings(args).corpus_dir, name=args.name)
        if args.dry_run:
            print(plan.snippet())
            _progress(f"dry run: would write this entry to {plan.config_path}" + _others(plan.other_servers))
            return 0
        backup = write_config(plan)
    except (InstallError, OSError) as exc:
        print(f"newscorpus: {exc}", file=sys.stderr)
        return 2
    print(plan.snippet())
    if not plan.changed:
        _progress(f"{plan.config_path} already has this entry; nothing changed")
        return 0
    _progress(f"wrote {plan.config_path}" + (f" (previous file backed up to {backup})" if backup else "")
              + _others(plan.other_servers))
    _progress("restart Claude Desktop to load the server")
    return 0


def _others(names: list[str]) -> str:
    return f"; other servers kept: {', '.join(names)}" if names else ""


def cmd_eval(args: argparse.Namespace) -> int:
    from newscorpus.evaluation.command import EVAL_ERRORS, evaluate
    from newscorpus.evaluation.report import console_summary

    try:
        run, json_path, md_path = evaluate(
            questions_file=Path(args.questions), agent_name=args.agent, transport=args.transport,
            out_dir=Path(args.out), corpus=args.corpus, index=args.index, url=args.url,
            ids=args.question or None, kinds=args.kind or None, progress=_progress,
        )
    except EVAL_ERRORS as exc:
        print(f"newscorpus: {exc}", file=sys.stderr)
        return 2
    print(console_summary(run))
    print(f"\nresults: {json_path}\nreport:  {md_path}")
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

    p = add(
        "ingest",
        "Normalize raw news files (txt, md, json, jsonl, html pages, rss/atom feeds) into the articles/ folder.",
        index=False,
    )
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
    p.add_argument("--json", action="store_true", help="print the result record as JSON (the MCP tool's schema)")
    p.set_defaults(func=cmd_search)

    p = add("stats", "Show what the corpus holds.")
    p.add_argument("--json", action="store_true", help="print the statistics as JSON")
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

    p = add("install-claude", "Add (or update) this server in Claude Desktop's config, keeping a backup.", index=False)
    p.add_argument("--name", default="newscorpus", help="the server's name in Claude Desktop (default newscorpus)")
    p.add_argument("--dry-run", action="store_true", help="print the entry and where it would go; change nothing")
    p.set_defaults(func=cmd_install_claude)

    bench = sub.add_parser("bench", help="Benchmarks that print figures (they never change your corpus or index).",
                           description="Benchmarks that print figures (they never change your corpus or index).")
    bench_sub = bench.add_subparsers(dest="bench_command", required=True, metavar="BENCHMARK")
    p = bench_sub.add_parser(
        "perf", help="Build, update, start and query generated corpora of N articles; compare with peer engines.",
        description="Build, update, start and query generated corpora of N articles (deterministic German "
        "news-like text); compare with SQLite FTS5, and tantivy and bm25s when installed.",
    )
    p.add_argument("--articles", type=int, action="append", metavar="N",
                   help="corpus size, repeatable (default: 1000 and 10000)")
    p.add_argument("--workdir", metavar="DIR", help="where corpora and indexes go (default: a temp folder, removed)")
    p.add_argument("--queries", type=int, default=200, help="calls per tool and latency figure (default 200)")
    p.add_argument("--cold-starts", type=int, default=3, help="server cold starts to time (default 3)")
    p.add_argument("--no-peers", action="store_true", help="skip the peer engines")
    p.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    p.set_defaults(func=cmd_bench_perf)

    p = bench_sub.add_parser(
        "load", help="Many concurrent MCP clients over Streamable HTTP on 127.0.0.1: throughput and latency.",
        description="A bounded load test: concurrent MCP clients send a mixed tool workload over Streamable HTTP "
        "for a fixed number of requests; every answer is compared with the single-client answer. Prints "
        "throughput and p50/p95/p99 latency; exits 1 on any error or wrong answer. Without --url it starts "
        "`newscorpus serve --transport http` on a free loopback port and stops it after.",
    )
    p.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    p.add_argument("--requests", type=int, default=2000, help="tool calls in all (default 2000)")
    p.add_argument("--url", help="an already running server's /mcp URL (default: start one)")
    p.add_argument("--token", default=os.environ.get(ENV_TOKEN), help=f"bearer token (default: ${ENV_TOKEN})")
    p.add_argument("--corpus", metavar="DIR", help=f"corpus folder (default: ${ENV_CORPUS} or the bundled one)")
    p.add_argument("--index", metavar="DIR", help=f"index folder (default: ${ENV_INDEX} or the cache)")
    p.set_defaults(func=cmd_bench_load)

    p = bench_sub.add_parser(
        "relevance", help="Search quality on corpus/eval/relevance.yaml: baseline, default and feature ablation.",
        description="Rank passages for the judged queries of the corpus's eval/relevance.yaml with plain BM25, "
        "the default configuration and the default with each feature off (one temporary index each); print "
        "recall@1, recall@5, MRR@10 and nDCG@10 per language and style as Markdown.",
    )
    p.add_argument("--corpus", metavar="DIR", help=f"corpus folder (default: ${ENV_CORPUS} or the bundled one)")
    p.set_defaults(func=cmd_bench_relevance)

    p = add("eval", "Run an agent over a question set against the MCP server and score its answers and citations.")
    p.add_argument("--questions", metavar="FILE", default=str(DEFAULT_QUESTIONS_FILE),
                   help="question set (default: the bundled corpus/eval/questions.yaml)")
    p.add_argument("--agent", default="baseline", metavar="NAME",
                   help="baseline (built in, no model) or package.module:attribute (default baseline)")
    p.add_argument("--transport", choices=["stdio", "http"], default="stdio",
                   help="start `newscorpus serve` over stdio or Streamable HTTP (default stdio)")
    p.add_argument("--url", help="connect to a running server at this MCP endpoint instead of starting one")
    p.add_argument("--out", metavar="DIR", default="eval-results", help="where results.json and report.md go")
    p.add_argument("--question", action="append", default=[], metavar="ID", help="only this question (repeatable)")
    p.add_argument("--kind", action="append", default=[], help="only questions of this kind (repeatable)")
    p.set_defaults(func=cmd_eval)

    for name, command in sub.choices.items():
        if name in EXAMPLES:
            command.epilog = "examples:\n" + "\n".join(f"  {line}" for line in EXAMPLES[name])
            command.formatter_class = argparse.RawDescriptionHelpFormatter
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
    except BrokenPipeError:
        # the reader of a pipe (`| head`) left early: not an error; keep the exit flush from raising again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
