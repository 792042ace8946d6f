"""`newscorpus eval` end to end: the baseline agent over stdio and Streamable HTTP subprocesses, the
report files, clear errors for bad input, and a misbehaving agent whose errors are recorded, not fatal."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from newscorpus.config import Settings
from newscorpus.evaluation.questions import load_questions
from newscorpus.evaluation.records import AgentTask, EvalRun
from newscorpus.evaluation.runner import run_eval
from newscorpus.evaluation.session import ToolSession, serve_client

NEWSCORPUS = Path(sys.executable).parent / "newscorpus"
SUBSET = ["sf-alibaba-jv-capital", "cmp-aws-vs-blackstone", "un-polarise-capital", "mh-cerebras-contract-partner"]
W = "2026-01-21-wallstreetonline-konkrete-details-zum-umfang-zu-standorten-oder-zur"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(NEWSCORPUS), "eval", *args], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_baseline_eval_over_a_real_transport_writes_json_and_markdown(
    transport: str, corpus_settings: Settings, corpus_query: object, tmp_path: Path
) -> None:
    picks = [arg for qid in SUBSET for arg in ("--question", qid)]
    done = run_cli(
        "--corpus", str(corpus_settings.corpus_dir), "--index", str(corpus_settings.index_dir),
        "--transport", transport, "--out", str(tmp_path), *picks,
    )
    assert done.returncode == 0, done.stderr
    run = EvalRun.model_validate_json((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert run.agent == "baseline" and run.transport == transport and run.corpus_fingerprint
    assert sorted(r.id for r in run.results) == sorted(SUBSET)  # in file order
    assert {s.group for s in run.by_kind} == {"single-fact", "comparison", "unanswerable", "multi-hop"}
    assert {s.group for s in run.by_language} == {"de", "en"}
    assert run.overall.questions == len(SUBSET) and run.overall.tool_errors == 0
    for result in run.results:
        assert result.tool_calls and all(c.seconds > 0 for c in result.tool_calls)
        assert result.tool_calls[0].tool == "search_articles" and result.tool_calls[0].passage_ids
        assert result.score.citation_valid is not False  # the baseline only cites what the tools returned
    first = next(r for r in run.results if r.id == "sf-alibaba-jv-capital")
    assert f"{W}#p2" in first.tool_calls[0].passage_ids and first.score.retrieval_recall == 1.0
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "## By kind" in report and "| comparison | 1 |" in report and "citation support" in report
    assert "| kind | questions | correct | citation support" in done.stdout
    assert (tmp_path / "server.log").exists()


def test_bad_input_gets_one_line_errors(corpus_settings: Settings, tmp_path: Path) -> None:
    missing = run_cli("--questions", str(tmp_path / "none.yaml"), "--out", str(tmp_path))
    assert missing.returncode == 2 and "question file not found" in missing.stderr
    assert "Traceback" not in missing.stderr
    unknown = run_cli("--agent", "no-such-agent", "--out", str(tmp_path))
    assert unknown.returncode == 2 and "unknown agent 'no-such-agent'" in unknown.stderr
    foreign = tmp_path / "foreign.yaml"
    foreign.write_text(
        "questions:\n"
        "  - id: q1\n    language: en\n    kind: single-fact\n    question: Who founded it?\n"
        "    answer: Someone\n    facts: [Someone]\n    gold_passages: [some-other-corpus-article#p1]\n",
        encoding="utf-8",
    )
    wrong_corpus = run_cli(
        "--questions", str(foreign), "--index", str(corpus_settings.index_dir), "--out", str(tmp_path / "o")
    )
    assert wrong_corpus.returncode == 2 and "not in the served corpus" in wrong_corpus.stderr
    assert "some-other-corpus-article#p1" in wrong_corpus.stderr


class FaultyAgent:
    """Calls a missing tool and a tool with bad arguments, then answers; fails outright on one question."""

    name = "faulty"

    async def answer(self, task: AgentTask, tools: ToolSession) -> str:
        if task.id == "un-polarise-capital":
            raise RuntimeError("model backend went away")
        missing = await tools.call("no_such_tool", {})
        bad = await tools.call("list_deals", {"limit": 1000})
        assert missing.is_error and bad.is_error and "limit" in bad.text
        return f"250 Millionen Yuan [{W}#p2] [{W}#p99]"


@pytest.mark.anyio
async def test_tool_errors_and_agent_failures_are_recorded(
    corpus_settings: Settings, corpus_query: object, tmp_path: Path
) -> None:
    questions = load_questions().select(["sf-alibaba-jv-capital", "un-polarise-capital"])
    async with serve_client("stdio", corpus_settings, tmp_path / "server.log") as (client, server):
        run = await run_eval(
            questions, FaultyAgent(), client, transport="stdio", server=server, questions_file="subset"
        )
    answered, failed = run.results
    assert [c.tool for c in answered.tool_calls] == ["no_such_tool", "list_deals"]
    assert answered.tool_errors == 2 and all(c.error for c in answered.tool_calls)
    assert answered.score.correct and answered.score.citation_valid is False
    assert answered.score.invalid_citations == [f"{W}#p99"] and answered.score.retrieval_recall == 0.0
    assert failed.agent_error == "RuntimeError: model backend went away" and not failed.score.correct
    assert run.overall.agent_errors == 1 and run.overall.tool_errors == 2
    assert json.loads(run.model_dump_json())["results"][1]["agent_error"]
