"""`newscorpus eval`: build the index (into an explicit folder), serve, run the agent, write the report."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import anyio

from newscorpus.config import ENV_INDEX, Settings
from newscorpus.evaluation.agents import AgentError, load_agent
from newscorpus.evaluation.questions import QuestionFileError, load_questions
from newscorpus.evaluation.records import EvalRun
from newscorpus.evaluation.report import write_report
from newscorpus.evaluation.runner import GoldMismatchError, run_eval
from newscorpus.evaluation.session import ServerError, Transport, serve_client

SERVER_LOG = "server.log"
# What `newscorpus eval` reports as a one-line error instead of a traceback.
EVAL_ERRORS: tuple[type[Exception], ...] = (QuestionFileError, AgentError, GoldMismatchError, ServerError)


def evaluate(
    *,
    questions_file: Path,
    agent_name: str,
    transport: Transport,
    out_dir: Path,
    corpus: str | None,
    index: str | None,
    url: str | None = None,
    ids: list[str] | None = None,
    kinds: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[EvalRun, Path, Path]:
    """Run one evaluation and write `results.json` and `report.md` into `out_dir`.

    Without an index folder (flag or NEWSCORPUS_INDEX) the server gets a fresh temporary one, so the run
    never reads or writes the user's cache."""
    questions = load_questions(questions_file).select(ids, kinds)
    agent = load_agent(agent_name)
    with tempfile.TemporaryDirectory(prefix="newscorpus-eval-index-") as scratch:
        settings = Settings.resolve(corpus=corpus, index=index or os.environ.get(ENV_INDEX) or scratch)
        if url is None:
            from newscorpus.index.build import ensure_index

            ensure_index(settings, progress=progress or (lambda _message: None))

        async def main() -> EvalRun:
            async with serve_client(transport, settings, out_dir / SERVER_LOG, url=url) as (client, server):
                return await run_eval(
                    questions, agent, client, transport=("url" if url else transport), server=server,
                    questions_file=questions_file, progress=progress,
                )

        try:
            run = anyio.run(main)
        except BaseExceptionGroup as group:  # the client's task group wraps what the run raised
            raise _only_error(group) from None
    json_path, md_path = write_report(run, out_dir)
    return run, json_path, md_path


def _only_error(group: BaseExceptionGroup) -> BaseException:
    """The single error inside nested exception groups, or the group itself when there are several."""
    while len(group.exceptions) == 1 and isinstance(group.exceptions[0], BaseExceptionGroup):
        group = group.exceptions[0]
    return group.exceptions[0] if len(group.exceptions) == 1 else group
