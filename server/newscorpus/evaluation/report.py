"""Writes a run as `results.json` (every record, for scripts) and `report.md` (tables, for people)."""

from __future__ import annotations

from pathlib import Path

from newscorpus.evaluation.records import EvalRun, QuestionResult, Summary

JSON_NAME = "results.json"
MARKDOWN_NAME = "report.md"
ANSWER_CHARS = 160


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f} %"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def summary_table(rows: list[Summary], label: str) -> list[str]:
    lines = [
        f"| {label} | questions | correct | citation support | cited | citations valid | retrieval recall "
        "| tool calls / q | tool errors | ms / call (mean, p50, max) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in rows:
        lines.append(
            f"| {s.group} | {s.questions} | {_pct(s.accuracy)} | {_pct(s.citation_support)} | {_pct(s.cited)} "
            f"| {_pct(s.citation_validity)} | {_pct(s.retrieval_recall)} | {s.tool_calls_mean:.1f} | {s.tool_errors} "
            f"| {_ms(s.call_ms_mean)}, {_ms(s.call_ms_p50)}, {_ms(s.call_ms_max)} |"
        )
    return lines


def _cell(text: str) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= ANSWER_CHARS else text[: ANSWER_CHARS - 1] + "…"


def _mark(flag: bool | None) -> str:
    return "–" if flag is None else ("✓" if flag else "✗")


def question_table(results: list[QuestionResult]) -> list[str]:
    lines = [
        "| id | kind | lang | correct | supported | recall | calls | errors | answer |",
        "|---|---|---|:-:|:-:|---:|---:|---:|---|",
    ]
    for r in results:
        answer = r.answer if r.agent_error is None else f"(agent error: {r.agent_error})"
        lines.append(
            f"| {r.id} | {r.kind} | {r.language} | {_mark(r.score.correct)} | {_mark(r.score.supported)} "
            f"| {_pct(r.score.retrieval_recall)} | {len(r.tool_calls)} | {r.tool_errors} | {_cell(answer)} |"
        )
    return lines


def markdown(run: EvalRun) -> str:
    lines = [
        f"# Evaluation: agent `{run.agent}`",
        "",
        f"- questions: `{run.questions_file}` ({run.overall.questions})",
        f"- server: `{run.server}` ({run.transport})",
        f"- corpus fingerprint: `{run.corpus_fingerprint}`",
        f"- started {run.started}, {run.seconds:.1f} s in total",
        "",
        "*correct*: the answer holds the gold answer (amounts compared by value and currency; comparisons: the "
        "right option named first; unanswerable: says the corpus does not state it). *citation support*: the "
        "cited passages hold all gold facts. *retrieval recall*: gold passages seen in any tool result.",
        "",
        "## Overall",
        "",
        *summary_table([run.overall], "all"),
        "",
        "## By kind",
        "",
        *summary_table(run.by_kind, "kind"),
        "",
        "## By language",
        "",
        *summary_table(run.by_language, "language"),
        "",
        "## Questions",
        "",
        *question_table(run.results),
        "",
    ]
    return "\n".join(lines)


def console_summary(run: EvalRun) -> str:
    """The overall and per-kind tables, for the terminal."""
    return "\n".join([*summary_table([run.overall], "all"), "", *summary_table(run.by_kind, "kind")])


def write_report(run: EvalRun, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / JSON_NAME, out_dir / MARKDOWN_NAME
    json_path.write_text(run.model_dump_json(indent=2) + "\n", encoding="utf-8")
    md_path.write_text(markdown(run), encoding="utf-8")
    return json_path, md_path
