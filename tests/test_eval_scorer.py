"""The scorer on hand-made answers: correct, wrong, unsupported, invalidly cited and unanswerable."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from newscorpus.evaluation.matching import abstains, cited_ids, contains
from newscorpus.evaluation.questions import load_questions
from newscorpus.evaluation.records import QuestionResult, QuestionScore
from newscorpus.evaluation.scorer import by_kind, by_language, score_answer, summarize

if TYPE_CHECKING:
    from newscorpus.query.api import CorpusQuery

Q = {q.id: q for q in load_questions().questions}
W = "2026-01-21-wallstreetonline-konkrete-details-zum-umfang-zu-standorten-oder-zur"
H = "2026-01-16-handelsblatt-ki-briefing-deutschlands-neue-ki-server-kommen-nur-kaum"
Z = "2026-01-16-zwei-tech-giganten-haben-sich-gerade-mit-ernsthaftem-geld"


@pytest.fixture(scope="module")
def texts(corpus_query: CorpusQuery) -> dict[str, str]:
    found: dict[str, str] = {}
    for article_id in (W, H, Z):
        found.update({p.passage_id: p.text for p in corpus_query.get_article(article_id).passages})
    return found


def score(qid: str, answer: str, texts: dict[str, str], reached: tuple[str, ...] = ()) -> QuestionScore:
    cited = {pid: texts[pid] for pid in cited_ids(answer) if pid in texts}
    return score_answer(Q[qid], answer, cited, reached)


@pytest.mark.parametrize(
    ("needle", "haystack"),
    [
        ("12,5 Milliarden Dollar", "They raised 12.5 billion USD."),
        ("1 Billion Dollar", "It manages $1 trillion in assets."),
        ("fast acht Milliarden Euro", "almost 8 billion euros"),
        ("75–100 GW", "75 to 100 GW of new capacity"),
        ("80 Prozent", "80 % of the market"),
        ("6", "Sechs US-Unternehmen"),
        ("München", "in Muenchen".replace("ue", "ü")),
    ],
)
def test_figures_and_names_match_across_languages_and_notations(needle: str, haystack: str) -> None:
    assert contains(haystack, needle)


@pytest.mark.parametrize(
    ("needle", "haystack"),
    [
        ("12,5 Milliarden Dollar", "12.5 billion euros"),  # other currency
        ("1 Billion Dollar", "1 billion dollars"),  # German Billion is 10^12
        ("50", "2050"),  # whole tokens only
        ("Microsoft", "Microsofts Azure"),
    ],
)
def test_different_figures_and_partial_words_do_not_match(needle: str, haystack: str) -> None:
    assert not contains(haystack, needle)


def test_correct_cited_answer(texts: dict[str, str]) -> None:
    s = score("sf-alibaba-jv-capital", f"250 million yuan (about 35.9 million US dollars) [{W}#p2]", texts)
    assert s.correct and s.citation_valid and s.supported and s.citation_support == 1.0
    assert s.citations == [f"{W}#p2"] and not s.abstained


def test_wrong_answer_is_not_correct_even_when_the_citation_is_right(texts: dict[str, str]) -> None:
    s = score("sf-alibaba-jv-capital", f"300 Millionen Yuan [{W}#p2]", texts)
    assert not s.correct and s.supported


def test_right_answer_with_a_citation_that_does_not_support_it(texts: dict[str, str]) -> None:
    s = score("sf-alibaba-jv-capital", f"250 Millionen Yuan [{W}#p6]", texts)
    assert s.correct and s.citation_valid
    assert not s.supported and s.facts_unsupported == ["250 Millionen Yuan"] and s.citation_support == 0.0


def test_uncited_and_invalidly_cited_answers(texts: dict[str, str]) -> None:
    uncited = score("sf-aws-sovereign-cloud-city", "Potsdam", texts)
    assert uncited.correct and uncited.citation_valid is None and not uncited.supported
    invalid = score("sf-aws-sovereign-cloud-city", f"Potsdam [{H}#p4] [{H}#p999] [nope#p1]", texts)
    assert invalid.citation_valid is False and invalid.invalid_citations == [f"{H}#p999", "nope#p1"]
    assert invalid.supported  # the valid citation still holds the facts


def test_unanswerable_needs_an_abstention(texts: dict[str, str]) -> None:
    right = score("un-polarise-capital", f"The corpus does not state the amount; see [{H}#p8].", texts)
    assert right.correct and right.abstained and right.supported
    german = score("un-google-hessen-amount", f"Nicht im Korpus: nur „Großinvestitionen“ [{H}#p5].", texts)
    assert german.correct and german.supported
    invented = score("un-polarise-capital", f"Polarise raised 5 Milliarden Euro [{H}#p8].", texts)
    assert not invented.correct and not invented.abstained


def test_answerable_question_answered_with_an_abstention_is_wrong(texts: dict[str, str]) -> None:
    assert not score("sf-aws-sovereign-cloud-city", f"Not in the corpus [{H}#p4]", texts).correct


def test_comparison_takes_the_option_named_first(texts: dict[str, str]) -> None:
    cites = f"[{H}#p4] [{H}#p5]"
    assert score("cmp-aws-vs-blackstone", f"AWS (fast acht Milliarden Euro) vor Blackstone {cites}", texts).correct
    assert not score("cmp-aws-vs-blackstone", f"Blackstone, vor AWS {cites}", texts).correct


def test_all_of_needs_every_item(texts: dict[str, str]) -> None:
    full = score("ag-aip-money-figures", f"$12.5 billion, $30 billion and $100 billion [{Z}#p3] [{Z}#p14]", texts)
    assert full.correct and full.supported
    partial = score("ag-aip-money-figures", f"12,5 und 100 Milliarden Dollar [{Z}#p3]", texts)
    assert not partial.correct and partial.facts_unsupported == ["30 Milliarden Dollar"]


def test_citation_ids_never_count_as_answer_content(texts: dict[str, str]) -> None:
    # "#p6" and the dates inside an id must not make "6" (or "21") appear in the answer
    assert not score("ag-six-us-companies", f"53 [{W}#p6]", texts).correct


def test_retrieval_recall_counts_gold_groups_reached(texts: dict[str, str]) -> None:
    question = "mh-cerebras-contract-partner"
    assert score(question, "OpenAI", texts, reached=()).retrieval_recall == 0.0
    half = score(question, "OpenAI", texts, reached=(f"{H}#p16", f"{H}#p1"))
    assert half.retrieval_recall == 0.5 and half.gold_reached == [f"{H}#p16"]
    assert score(question, "OpenAI", texts, reached=(f"{H}#p16", f"{Z}#t1")).retrieval_recall == 1.0


def test_abstention_phrases() -> None:
    assert abstains("Der Betrag wird nicht genannt.") and abstains("This is not in the corpus.")
    assert not abstains("250 Millionen Yuan")


def test_aggregation_per_kind_and_language(texts: dict[str, str]) -> None:
    def result(qid: str, answer: str) -> QuestionResult:
        q = Q[qid]
        return QuestionResult(
            id=q.id, kind=q.kind, language=q.language, question=q.question, gold_answer=q.answer,
            answer=answer, score=score(qid, answer, texts), tool_calls=[], seconds=0.0,
        )

    results = [
        result("sf-alibaba-jv-capital", f"250 Millionen Yuan [{W}#p2]"),
        result("sf-aws-sovereign-cloud-city", "Berlin"),
        result("un-polarise-capital", f"Not in the corpus [{H}#p8]"),
    ]
    overall = summarize("all", results)
    assert overall.questions == 3 and overall.accuracy == pytest.approx(2 / 3, abs=0.001)
    assert overall.cited == pytest.approx(2 / 3, abs=0.001) and overall.citation_validity == 1.0
    kinds = {s.group: s for s in by_kind(results)}
    assert set(kinds) == {"single-fact", "unanswerable"}
    assert kinds["single-fact"].accuracy == 0.5 and kinds["unanswerable"].accuracy == 1.0
    assert {s.group: s.questions for s in by_language(results)} == {"de": 1, "en": 2}
