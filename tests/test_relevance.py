"""The relevance benchmark: its judgments are valid for the bundled corpus and its metrics are right."""

from __future__ import annotations

from pathlib import Path

import pytest

from newscorpus.bench.relevance import RELEVANCE_FILE, evaluate, load_judgments, ranking_metrics
from newscorpus.query.api import CorpusQuery

JUDGMENTS = Path(__file__).resolve().parents[1] / "corpus" / RELEVANCE_FILE


def test_metrics_on_a_known_ranking() -> None:
    grades = {"a": 2, "b": 1, "c": 2}
    r1, r5, rr, ndcg = ranking_metrics(["x", "b", "a", "y", "c"], grades)
    assert (r1, r5, rr) == (0.0, 1.0, pytest.approx(1 / 3))
    assert 0 < ndcg < 1
    assert ranking_metrics(["a", "c", "b"], grades)[3] == pytest.approx(1.0)
    assert ranking_metrics(["x", "y"], grades) == (0.0, 0.0, 0.0, 0.0)


def test_judgments_are_balanced_and_cite_real_passages(corpus_query: CorpusQuery) -> None:
    judgments = load_judgments(JUDGMENTS)
    queries = judgments.queries
    assert len(queries) >= 80
    assert len({q.id for q in queries}) == len(queries)
    for lang in ("de", "en"):
        assert sum(q.lang == lang for q in queries) == len(queries) // 2
    for style in ("keyword", "question"):
        assert sum(q.style == style for q in queries) == len(queries) // 2
    for q in queries:
        assert 2 in q.relevant.values(), q.id
        for pid in judgments.grades(q):
            assert pid in corpus_query.passages, (q.id, pid)


def test_evaluation_reports_every_group(corpus_query: CorpusQuery) -> None:
    result = evaluate(corpus_query, load_judgments(JUDGMENTS), "default")
    assert {"all", "de keyword", "de question", "en keyword", "en question"} <= set(result.groups)
    total = result.groups["all"]
    assert total.queries == len(load_judgments(JUDGMENTS).queries)
    assert 0 <= total.recall_1 <= total.recall_5 <= 1
