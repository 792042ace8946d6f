"""Runs an agent over a question set against a served corpus and scores every answer.

One MCP session serves the whole run (the server is stateless per call); each question's tool calls are
recorded separately. Before the first question the gold passages are checked against the served corpus,
so a question file meant for another corpus fails with a clear message instead of scoring zero.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from pathlib import Path

from mcp import Client

from newscorpus.evaluation.agents import Agent
from newscorpus.evaluation.matching import cited_ids
from newscorpus.evaluation.questions import Question, QuestionSet
from newscorpus.evaluation.records import AgentTask, EvalRun, QuestionResult
from newscorpus.evaluation.scorer import by_kind, by_language, reached_ids, score_answer, summarize
from newscorpus.evaluation.session import PassageLookup, ToolSession, corpus_fingerprint

log = logging.getLogger(__name__)


class GoldMismatchError(ValueError):
    """Gold passages of the question set that the served corpus does not have."""


async def check_gold(questions: QuestionSet, lookup: PassageLookup) -> None:
    wanted = sorted({pid for q in questions.questions for group in q.gold_groups for pid in group})
    found = await lookup.texts(wanted)
    missing = [pid for pid in wanted if pid not in found]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise GoldMismatchError(
            f"{len(missing)} gold passage(s) of the question set are not in the served corpus: {shown}. "
            "Is the question file written for this corpus?"
        )


async def run_question(question: Question, agent: Agent, tools: ToolSession, lookup: PassageLookup) -> QuestionResult:
    task = AgentTask(id=question.id, question=question.question, language=question.language)
    started = time.perf_counter()
    agent_error = None
    try:
        answer = await agent.answer(task, tools)
    except Exception as exc:  # one failing question must not end the run; it is recorded and scored wrong
        log.exception("agent %s failed on %s", agent.name, question.id)
        answer, agent_error = "", f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - started
    calls = tools.take_calls()
    texts = await lookup.texts(cited_ids(answer))
    return QuestionResult(
        id=question.id,
        kind=question.kind,
        language=question.language,
        question=question.question,
        gold_answer=question.answer,
        answer=answer,
        agent_error=agent_error,
        score=score_answer(question, answer, texts, reached_ids(calls)),
        tool_calls=calls,
        seconds=round(seconds, 3),
    )


async def run_eval(
    questions: QuestionSet,
    agent: Agent,
    client: Client,
    *,
    transport: str,
    server: str,
    questions_file: str | Path,
    progress: Callable[[str], None] | None = None,
) -> EvalRun:
    started_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    started = time.perf_counter()
    lookup = PassageLookup(client)
    await check_gold(questions, lookup)
    tools = ToolSession(client)
    results = []
    for n, question in enumerate(questions.questions, start=1):
        result = await run_question(question, agent, tools, lookup)
        results.append(result)
        if progress is not None:
            verdict = "correct" if result.score.correct else "wrong"
            progress(f"[{n}/{len(questions.questions)}] {question.id}: {verdict}")
    return EvalRun(
        agent=agent.name,
        transport=transport,
        server=server,
        questions_file=str(questions_file),
        corpus_fingerprint=await corpus_fingerprint(client),
        started=started_at,
        seconds=round(time.perf_counter() - started, 2),
        overall=summarize("all", results),
        by_kind=by_kind(results),
        by_language=by_language(results),
        results=results,
    )
