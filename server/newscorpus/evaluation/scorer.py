"""Scores one answer against its gold question, and aggregates scores per kind and language.

Correct: every requirement of the question is in the answer (amounts by value and currency, other text by
normalized tokens); for comparison questions the option named first must be the gold one; for unanswerable
questions the answer must say the corpus does not contain it. Citation validity: every `[passage_id]` cited
exists. Citation support: the cited passages hold the question's gold facts. Retrieval recall: gold
passages that appeared in any tool result, whether or not the agent cited them.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping

from newscorpus.evaluation.matching import abstains, cited_ids, contains_any, position, without_citations
from newscorpus.evaluation.questions import KINDS, Question
from newscorpus.evaluation.records import QuestionResult, QuestionScore, Summary, ToolCall


def answer_correct(question: Question, answer: str) -> bool:
    answer = without_citations(answer)
    if question.kind == "unanswerable":
        return abstains(answer)
    if question.options:
        return _first_option(question, answer) == _gold_option(question)
    return all(contains_any(answer, alternatives) for alternatives in question.requirements)


def _first_option(question: Question, answer: str) -> int | None:
    """Index of the option the answer names first (earliest position of any of its alternatives)."""
    best: tuple[int, int] | None = None
    for index, alternatives in enumerate(question.option_groups):
        found = [at for at in (position(answer, alt) for alt in alternatives) if at is not None]
        if found and (best is None or min(found) < best[0]):
            best = (min(found), index)
    return None if best is None else best[1]


def _gold_option(question: Question) -> int | None:
    return _first_option(question, question.answer or "")


def score_answer(
    question: Question,
    answer: str,
    passages: Mapping[str, str],
    reached: Iterable[str] = (),
) -> QuestionScore:
    """Score `answer`. `passages` maps passage id → text for every cited id that exists in the corpus
    (an id missing from it counts as invalid); `reached` are the passage ids seen in any tool result."""
    citations = cited_ids(answer)
    invalid = [pid for pid in citations if pid not in passages]
    cited_text = "\n".join(passages[pid] for pid in citations if pid in passages)
    supported_facts = [fact for fact in question.facts if cited_text and contains_any(cited_text, [fact])]
    unsupported = [fact for fact in question.facts if fact not in supported_facts]
    seen = set(reached)
    gold_reached = [next(pid for pid in group if pid in seen) for group in question.gold_groups if seen & set(group)]
    return QuestionScore(
        correct=answer_correct(question, answer),
        abstained=abstains(without_citations(answer)),
        citations=citations,
        invalid_citations=invalid,
        citation_valid=(not invalid) if citations else None,
        facts_supported=supported_facts,
        facts_unsupported=unsupported,
        citation_support=len(supported_facts) / len(question.facts) if question.facts else None,
        supported=bool(citations) and not unsupported,
        gold_reached=gold_reached,
        retrieval_recall=len(gold_reached) / len(question.gold_groups),
    )


def reached_ids(calls: Iterable[ToolCall]) -> set[str]:
    return {pid for call in calls for pid in call.passage_ids}


def _share(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 3) if flags else None


def summarize(group: str, results: list[QuestionResult]) -> Summary:
    calls = [c for r in results for c in r.tool_calls]
    ms = [c.seconds * 1000 for c in calls]
    citing = [r for r in results if r.score.citations]
    with_facts = [r for r in results if r.score.citation_support is not None]
    return Summary(
        group=group,
        questions=len(results),
        accuracy=_share([r.score.correct for r in results]) or 0.0,
        cited=_share([bool(r.score.citations) for r in results]) or 0.0,
        citation_validity=_share([bool(r.score.citation_valid) for r in citing]),
        citation_support=_share([r.score.supported for r in with_facts]),
        retrieval_recall=round(statistics.fmean(r.score.retrieval_recall for r in results), 3) if results else 0.0,
        tool_calls_mean=round(len(calls) / len(results), 2) if results else 0.0,
        tool_errors=sum(r.tool_errors for r in results),
        call_ms_mean=round(statistics.fmean(ms), 1) if ms else None,
        call_ms_p50=round(statistics.median(ms), 1) if ms else None,
        call_ms_max=round(max(ms), 1) if ms else None,
        agent_errors=sum(r.agent_error is not None for r in results),
    )


def by_kind(results: list[QuestionResult]) -> list[Summary]:
    present = [kind for kind in KINDS if any(r.kind == kind for r in results)]
    return [summarize(kind, [r for r in results if r.kind == kind]) for kind in present]


def by_language(results: list[QuestionResult]) -> list[Summary]:
    languages = sorted({r.language for r in results})
    return [summarize(lang, [r for r in results if r.language == lang]) for lang in languages]
