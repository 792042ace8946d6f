"""Questions for an amount rank the passages that state one higher, on the bundled corpus."""

from __future__ import annotations

import pytest

from newscorpus.query.answer_type import asks_for_amount, states_amount
from newscorpus.query.api import CorpusQuery


@pytest.mark.parametrize(
    ("query", "asks"),
    [
        ("Wie viel Geld hat die Partnerschaft eingesammelt?", True),
        ("How much has the AI Infrastructure Partnership raised so far?", True),
        ("Wie hoch ist das Stammkapital des Joint Ventures?", True),
        ("How many jobs did Aleph Alpha cut?", True),
        ("Wer leitet den kuwaitischen Staatsfonds?", False),
        ("AI Infrastructure Partnership 12.5 billion", False),
    ],
)
def test_questions_for_an_amount_are_recognized(query: str, asks: bool) -> None:
    assert asks_for_amount(query) is asks


@pytest.mark.parametrize(
    ("text", "states"),
    [
        ("Die Partnerschaft sammelte zunächst 12,5 Milliarden Dollar.", True),
        ("mindestens 10 Gigawatt Rechenleistung", True),
        ("KI-Chips verbrauchen 2–4 Mal mehr Watt", True),
        ("Im September 2024 schlossen sich drei Kräfte zusammen.", False),
        ("3. Qualcomm setzt auf Autos", False),
        ("Stand: 16.01.2026", False),
    ],
)
def test_a_stated_amount_is_money_or_a_cardinal_that_is_no_year_date_or_ordinal(text: str, states: bool) -> None:
    assert states_amount(text) is states


def test_an_amount_question_ranks_the_passage_with_the_amount_higher(corpus_query: CorpusQuery) -> None:
    question = "Wie viel Geld hat die KI-Infrastruktur-Partnerschaft bisher eingesammelt?"
    ranked = [h.key for h in corpus_query.rank_passages(question)]
    answer = next(pid for pid in ranked if "Die Partnerschaft sammelte zunächst 12,5 Milliarden" in
                  corpus_query.passages[pid].text)
    keywords = [h.key for h in corpus_query.rank_passages("Geld KI-Infrastruktur-Partnerschaft bisher eingesammelt")]
    assert ranked.index(answer) < 5
    assert ranked.index(answer) < keywords.index(answer)


@pytest.mark.parametrize(
    "question",
    ["Wie viel Geld hat die KI-Infrastruktur-Partnerschaft bisher eingesammelt?",
     "How much has the AI Infrastructure Partnership raised so far?"],
)
def test_the_index_time_amount_flag_boosts_exactly_the_passages_whose_text_states_an_amount(
    corpus_query: CorpusQuery, question: str
) -> None:
    """The engine boosts by the `amount` field written at index time; the same ranking follows from
    reading every matched passage's text at query time."""
    from newscorpus.query.answer_type import AMOUNT_BOOST

    expanded = corpus_query._expander.expand(question)
    plain = corpus_query._index.passage_scores(expanded)
    stating = {pid for pid, _ in plain if states_amount(corpus_query.passages[pid].text)}
    assert 0 < len(stating) < len(plain)
    expected = sorted(((pid, round(score * AMOUNT_BOOST, 6) if pid in stating else score) for pid, score in plain),
                      key=lambda ps: (-ps[1], ps[0]))
    assert [(h.key, h.score) for h in corpus_query.rank_passages(question)] == expected
