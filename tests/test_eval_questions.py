"""The shipped question set: well formed, balanced, and every gold passage exists and holds the gold facts."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import pytest

from newscorpus.evaluation.matching import contains
from newscorpus.evaluation.questions import (
    DEFAULT_QUESTIONS,
    KINDS,
    Question,
    QuestionFileError,
    load_questions,
)

if TYPE_CHECKING:
    from newscorpus.query.api import CorpusQuery

QUESTIONS = load_questions(DEFAULT_QUESTIONS).questions


@pytest.fixture(scope="module")
def texts(corpus_query: CorpusQuery) -> dict[str, str]:
    """Every passage of the bundled corpus by id."""
    texts: dict[str, str] = {}
    for article_id in corpus_query.complete_ids("article", "", limit=1000):
        for passage in corpus_query.get_article(article_id).passages:
            texts[passage.passage_id] = passage.text
    return texts


def test_question_set_is_large_bilingual_and_covers_every_kind() -> None:
    assert len(QUESTIONS) >= 40
    assert set(Counter(q.kind for q in QUESTIONS)) == set(KINDS)
    languages = Counter(q.language for q in QUESTIONS)
    assert languages["de"] >= 10 and languages["en"] >= 10
    for kind in KINDS:
        assert {q.language for q in QUESTIONS if q.kind == kind} == {"de", "en"}, kind


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.id)
def test_gold_passages_exist_and_hold_the_gold_facts(question: Question, texts: dict[str, str]) -> None:
    for group in question.gold_groups:
        missing = [pid for pid in group if pid not in texts]
        assert not missing, f"{question.id}: no such passage {missing}"
    gold_text = "\n".join(texts[pid] for group in question.gold_groups for pid in group)
    assert question.facts, f"{question.id}: no facts to check citations against"
    for fact in question.facts:
        assert contains(gold_text, fact), f"{question.id}: fact {fact!r} is in none of its gold passages"
    for group in question.gold_groups:
        assert any(contains(texts[pid], fact) for pid in group for fact in question.facts), (
            f"{question.id}: gold passages {group} hold none of the facts"
        )


@pytest.mark.parametrize("question", [q for q in QUESTIONS if q.kind != "unanswerable"], ids=lambda q: q.id)
def test_answerable_gold_answers_score_as_correct(question: Question) -> None:
    from newscorpus.evaluation.scorer import answer_correct

    assert answer_correct(question, question.answer or "")


def test_bad_question_files_get_clear_errors(tmp_path) -> None:
    with pytest.raises(QuestionFileError, match="not found"):
        load_questions(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "questions:\n"
        "  - {id: q1, language: fr, kind: single-fact, question: Wer ist es, answer: X, gold_passages: [a#p1]}\n"
        "  - {id: q2, language: de, kind: unanswerable, question: Wie viel Geld, answer: '5', gold_passages: [nope]}\n",
        encoding="utf-8",
    )
    with pytest.raises(QuestionFileError) as err:
        load_questions(bad)
    message = str(err.value)
    assert "id q1" in message and "language" in message
    assert "id q2" in message and "not a passage id" in message
