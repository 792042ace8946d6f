"""Inspect AI task: any model Inspect supports answers the question set with this server's tools, scored
by this package's scorer.

    inspect eval server/newscorpus/evaluation/inspect_task.py --model anthropic/claude-sonnet-4-5

The model gets the six MCP tools of `newscorpus serve`, started over stdio by Inspect's `mcp_server_stdio`
with an explicit `--index` (task argument `index`, else $NEWSCORPUS_INDEX, else a temporary folder), in a
`react()` loop that ends with `submit`. Task arguments (`-T name=value`): `questions`, `corpus`, `index`,
`ids` and `kinds` (comma-separated subsets). Needs the `eval` extra: `pip install -e '.[eval]'`.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

from inspect_ai import Task, task
from inspect_ai.agent import react
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.event import ToolEvent
from inspect_ai.log import transcript
from inspect_ai.model import ChatMessageTool
from inspect_ai.scorer import Score, Target, grouped, mean, scorer
from inspect_ai.solver import TaskState
from inspect_ai.tool import mcp_server_stdio, mcp_tools

from newscorpus.config import ENV_INDEX, Settings
from newscorpus.evaluation.matching import cited_ids, passage_ids_in
from newscorpus.evaluation.questions import DEFAULT_QUESTIONS, Question, load_questions
from newscorpus.evaluation.records import ToolCall
from newscorpus.evaluation.scorer import reached_ids, score_answer
from newscorpus.evaluation.session import newscorpus_command, serve_args

PROMPT = """You answer questions about a news corpus using only its MCP tools (search_articles, get_article,
list_entities, get_entity, list_deals, get_deal). The articles are German; search in German terms too.
Start your answer with the short answer itself (the figure, name or date; for a comparison, the option you
choose), then cite every passage you rely on as [passage_id], e.g. [some-article-id#p3]. If the corpus does
not state what is asked, say "not in the corpus" and cite the passage that comes closest. Submit the answer
with the submit tool."""

SUBMIT_TOOL = "submit"


def _split(value: str | None) -> list[str] | None:
    return [part.strip() for part in value.split(",") if part.strip()] if value else None


def _scratch_index() -> str:
    folder = tempfile.mkdtemp(prefix="newscorpus-inspect-index-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _tool_calls(state: TaskState) -> list[ToolCall]:
    """The model's tool calls (without submit) as the harness records them; wall times from the transcript."""
    seconds = [e.working_time or 0.0 for e in transcript().events if isinstance(e, ToolEvent)
               and e.function != SUBMIT_TOOL]
    calls = []
    for n, message in enumerate(m for m in state.messages if isinstance(m, ChatMessageTool)
                                and m.function != SUBMIT_TOOL):
        text = message.text
        calls.append(
            ToolCall(
                tool=message.function or "",
                arguments={},
                is_error=message.error is not None,
                error=message.error.message[:300] if message.error else None,
                seconds=round(seconds[n], 4) if n < len(seconds) else 0.0,
                passage_ids=sorted(passage_ids_in(text)),
            )
        )
    return calls


@scorer(
    metrics={
        "correct": [mean(), grouped(mean(), "kind"), grouped(mean(), "language")],
        "supported": [mean(), grouped(mean(), "kind")],
        "citation_valid": [mean()],
        "retrieval_recall": [mean()],
        "tool_calls": [mean()],
        "tool_errors": [mean()],
    }
)
def newscorpus_scorer(questions: dict[str, Question], settings: Settings):
    """The harness's scorer on the submitted answer; cited passages are looked up in the same corpus."""
    lookup: dict[str, str] = {}

    def passages() -> dict[str, str]:
        if not lookup:
            from newscorpus.query.api import CorpusQuery

            query = CorpusQuery.open(settings)
            try:
                for article_id in query.complete_ids("article", "", limit=100_000):
                    lookup.update({p.passage_id: p.text for p in query.get_article(article_id).passages})
            finally:
                query.close()
        return lookup

    async def score(state: TaskState, target: Target) -> Score:
        question = questions[str(state.sample_id)]
        answer = state.output.completion
        calls = _tool_calls(state)
        texts = {pid: text for pid in cited_ids(answer) if (text := passages().get(pid)) is not None}
        result = score_answer(question, answer, texts, reached_ids(calls))
        return Score(
            value={
                "correct": float(result.correct),
                "supported": float(result.supported),
                "citation_valid": float(bool(result.citation_valid)),
                "retrieval_recall": result.retrieval_recall,
                "tool_calls": float(len(calls)),
                "tool_errors": float(sum(c.is_error for c in calls)),
            },
            answer=answer,
            explanation=f"gold: {question.answer or 'not in the corpus'}; unsupported facts: "
            f"{', '.join(result.facts_unsupported) or 'none'}",
            metadata={"score": result.model_dump(), "tool_calls": [c.model_dump() for c in calls]},
        )

    return score


@task
def newscorpus_qa(
    questions: str = str(DEFAULT_QUESTIONS),
    corpus: str | None = None,
    index: str | None = None,
    ids: str | None = None,
    kinds: str | None = None,
) -> Task:
    from newscorpus.index.build import ensure_index

    chosen = load_questions(questions).select(_split(ids), _split(kinds))
    settings = Settings.resolve(corpus=corpus, index=index or os.environ.get(ENV_INDEX) or _scratch_index())
    ensure_index(settings, progress=lambda _message: None)  # built once here, not in every server start
    command = newscorpus_command()
    server = mcp_server_stdio(name="newscorpus", command=command[0], args=[*command[1:], *serve_args(settings)])
    samples = [
        Sample(
            id=q.id,
            input=q.question,
            target=q.answer or "not in the corpus",
            metadata={"kind": q.kind, "language": q.language},
        )
        for q in chosen.questions
    ]
    return Task(
        dataset=MemoryDataset(samples, name="newscorpus-questions"),
        solver=react(prompt=PROMPT, tools=[mcp_tools(server)]),
        scorer=newscorpus_scorer({q.id: q for q in chosen.questions}, settings),
    )
