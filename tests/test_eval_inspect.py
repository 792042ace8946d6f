"""The Inspect AI task end to end, offline: Inspect's `mockllm/model` is scripted to call our real tools
through `newscorpus serve` over stdio and to submit answers; the scores come from our scorer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inspect_ai import eval as inspect_eval
from inspect_ai.model import ModelOutput, ModelUsage, get_model

from newscorpus.config import Settings
from newscorpus.evaluation.inspect_task import newscorpus_qa

W = "2026-01-21-wallstreetonline-konkrete-details-zum-umfang-zu-standorten-oder-zur"
H = "2026-01-16-handelsblatt-ki-briefing-deutschlands-neue-ki-server-kommen-nur-kaum"


def scripted(tool: str, arguments: dict[str, Any]) -> ModelOutput:
    """A tool call by the mock model; usage set so mockllm never fetches a tokenizer (offline)."""
    output = ModelOutput.for_tool_call("mockllm/model", tool, arguments)
    output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
    return output


def test_inspect_task_runs_real_tools_over_stdio_and_uses_our_scorer(
    corpus_settings: Settings, corpus_query: object, tmp_path: Path
) -> None:
    outputs = [
        # sf-alibaba-jv-capital: search, read the passage, answer right with a citation
        scripted("search_articles", {"query": "Alibaba Joint Venture Kapital", "limit": 2}),
        scripted("get_article", {"article_id": W, "passages": [2]}),
        scripted("submit", {"answer": f"250 Millionen Yuan [{W}#p2]"}),
        # un-polarise-capital: a bad call (an error the model sees), then an invented figure
        scripted("get_article", {"article_id": "no-such-article"}),
        scripted("submit", {"answer": f"Polarise raised 5 Milliarden Euro [{H}#p8] [{H}#p999]"}),
    ]
    task = newscorpus_qa(ids="sf-alibaba-jv-capital,un-polarise-capital", index=str(corpus_settings.index_dir))
    [log] = inspect_eval(
        task,
        model=get_model("mockllm/model", custom_outputs=outputs),
        log_dir=str(tmp_path),
        display="none",
        max_samples=1,
    )
    assert log.status == "success", log.error
    samples = {str(s.id): s for s in log.samples or []}
    right = next(iter(samples["sf-alibaba-jv-capital"].scores.values()))
    wrong = next(iter(samples["un-polarise-capital"].scores.values()))

    assert right.value["correct"] == 1.0 and right.value["supported"] == 1.0
    assert right.value["retrieval_recall"] == 1.0 and right.value["tool_calls"] == 2.0
    assert right.value["tool_errors"] == 0.0
    calls = right.metadata["tool_calls"]
    assert [c["tool"] for c in calls] == ["search_articles", "get_article"]
    assert f"{W}#p2" in calls[0]["passage_ids"]

    assert wrong.value["correct"] == 0.0 and wrong.value["citation_valid"] == 0.0
    assert wrong.value["tool_errors"] == 1.0
    assert wrong.metadata["score"]["invalid_citations"] == [f"{H}#p999"]

    metrics = {name: m.value for s in log.results.scores for name, m in s.metrics.items()}
    assert any(value == 0.5 for value in metrics.values()), metrics  # one of two correct
