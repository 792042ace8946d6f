"""The performance report as Markdown tables, and the issue's targets checked against the figures."""

from __future__ import annotations

import statistics

from newscorpus.bench.perf import PerfReport, SizeResult

TOOLS = ("search_articles", "get_deal", "list_entities")


def _mb(n: int) -> str:
    return f"{n / 1_048_576:.1f}"


def _lat(lat) -> str:
    return f"{lat.p50_ms:.1f} / {lat.p95_ms:.1f} / {lat.p99_ms:.1f}"


def targets(s: SizeResult) -> list[tuple[str, str, bool]]:
    """(target, measured, met) for the figures the issue sets at 100 000 articles."""
    cold = statistics.median(s.cold_start_s)
    rss = s.server_peak_rss_mb
    return [
        ("full build ≥ 600 articles/s", f"{s.articles_per_s:.0f} articles/s", s.articles_per_s >= 600),
        ("update with 100 articles ≤ 5 s", f"{s.update_s:.2f} s"
         + (f"; {s.newer_update.seconds:.2f} s for 100 newer ones" if s.newer_update else ""),
         s.update_s <= 5 and (s.newer_update is None or s.newer_update.seconds <= 5)),
        ("search_articles p95 over MCP stdio ≤ 50 ms", f"{s.mcp['search_articles'].p95_ms:.1f} ms",
         s.mcp["search_articles"].p95_ms <= 50),
        ("cold start ≤ 1.5 s", f"{cold:.2f} s (median)", cold <= 1.5),
        ("server peak RSS ≤ 500 MB", f"{rss} MiB" if rss is not None else "not measured",
         rss is not None and rss <= 500),
    ]


def floor_target(s: SizeResult) -> tuple[str, str, bool]:
    p50, floor = s.mcp["search_articles"].p50_ms, s.floor.p50_ms
    return ("search_articles p50 over MCP within 3× the no-op floor",
            f"{p50:.1f} ms vs floor {floor:.1f} ms = {p50 / floor:.1f}×", p50 <= 3 * floor)


def _update_detail(mode: str, phases_s: dict[str, float]) -> str:
    """How an update ran: incremental or full, and its phases."""
    if not mode:
        return ""
    phases = " / ".join(f"{k} {v:.1f}" for k, v in phases_s.items())
    return f" ({mode}{': ' + phases + ' s' if phases else ''})"


def _newer(s: SizeResult) -> str:
    u = s.newer_update
    if u is None:
        return "–"
    return f"{u.seconds:.2f}{_update_detail(u.mode, u.phases_s)}{'' if u.searchable else ' (NOT searchable)'}"


def render(report: PerfReport) -> str:
    m = report.machine
    lines = [
        f"- date: {report.date}",
        f"- command: `{report.command}`",
        f"- machine: {m.get('cpus')} CPUs ({m.get('cpu')}), {m.get('memory')} RAM, Python {m.get('python')}, "
        f"{m.get('os')}",
        f"- latency: {report.queries} calls per tool after 5 warm-up calls; p50 / p95 / p99 in ms",
        f"- no-op floor: {report.floor_call}",
        "",
        "| articles | passages | entities | deals | full build | articles/s | passages/s | "
        "load / extract / index / write (s) | index MB | cold start (s) | server peak RSS MiB | "
        "update +100 (s) | update +100 newer (s) |",
        "|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---:|---:|---:|",
    ]
    for s in report.sizes:
        ph = s.phases_s
        lines.append(
            f"| {s.articles} | {s.passages} | {s.entities} | {s.deals} | {s.build_s:.1f} s | "
            f"{s.articles_per_s:.0f} | {s.passages_per_s:.0f} | "
            f"{ph['load']:.1f} / {ph['extract']:.1f} / {ph['index']:.1f} / {ph['write']:.1f} | "
            f"{_mb(s.index_bytes)} | {' / '.join(f'{c:.2f}' for c in s.cold_start_s)} | "
            f"{s.server_peak_rss_mb} | {s.update_s:.2f}{_update_detail(s.update_mode, s.update_phases_s)}"
            f"{'' if s.update_searchable else ' (NOT searchable)'} | {_newer(s)} |"
        )
    lines += ["", "| articles | call | query API p50 / p95 / p99 | MCP stdio p50 / p95 / p99 | protocol cost p50 |",
              "|---:|---|---|---|---:|"]
    for s in report.sizes:
        for tool in TOOLS:
            cost = s.mcp[tool].p50_ms - s.api[tool].p50_ms
            lines.append(f"| {s.articles} | {tool} | {_lat(s.api[tool])} | {_lat(s.mcp[tool])} | {cost:.1f} ms |")
        lines.append(f"| {s.articles} | no-op floor (tool call) | – | {_lat(s.floor)} | – |")
    if any(s.peers for s in report.sizes):
        lines += [
            "",
            "Peers index the same passages (text + title, German stemming where the engine has it) and return "
            "their top 50 passages per query; our figures are the whole `search_articles` call (every match "
            "ranked, grouped by article). Build ratio = peer passages/s ÷ our full-build passages/s; search "
            "ratio = our API p95 ÷ peer p95.",
            "",
            "| articles | engine | passages/s | build ratio | index MB | p50 / p95 / p99 ms | search ratio |",
            "|---:|---|---:|---:|---:|---|---:|",
        ]
        for s in report.sizes:
            ours = s.api["search_articles"].p95_ms
            for p in s.peers:
                ratio = p.passages_per_s / s.passages_per_s
                lines.append(
                    f"| {s.articles} | {p.engine} | {p.passages_per_s:.0f} | {ratio:.1f}× "
                    f"| {_mb(p.index_bytes)} | {_lat(p.search)} | {ours / max(p.search.p95_ms, 1e-3):.1f}× |"
                )
    lines += ["", "| articles | target | measured | met |", "|---:|---|---|---|"]
    for s in report.sizes:
        checks = targets(s)
        if 5_000 <= s.articles < 50_000:
            checks.append(floor_target(s))
        for name, value, ok in checks:
            lines.append(f"| {s.articles} | {name} | {value} | {'yes' if ok else 'NO'} |")
    return "\n".join(lines) + "\n"
