"""What an evaluation run produces: per-call, per-question and aggregated records (the JSON result file)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from newscorpus.evaluation.questions import Kind, Language


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AgentTask(Record):
    """What an agent sees of a question: never the gold answer."""

    id: str
    question: str
    language: Language


class ToolCall(Record):
    tool: str
    arguments: dict[str, Any]
    is_error: bool
    error: str | None = Field(default=None, description="The error text the agent saw, shortened")
    seconds: float = Field(description="Wall time of the call, as the client saw it")
    passage_ids: list[str] = Field(default_factory=list, description="Passage ids present in the result")


class QuestionScore(Record):
    """The scorer's verdict on one answer."""

    correct: bool
    abstained: bool = Field(description="The answer says the corpus does not contain what was asked")
    citations: list[str]
    invalid_citations: list[str] = Field(description="Cited ids that are no passage of the corpus")
    citation_valid: bool | None = Field(description="Every cited id exists; None when nothing was cited")
    facts_supported: list[str]
    facts_unsupported: list[str]
    citation_support: float | None = Field(description="Share of the gold facts found in the cited passages")
    supported: bool = Field(description="Every gold fact is in the cited passages (and something was cited)")
    gold_reached: list[str] = Field(description="Gold passages (one per group) seen in any tool result")
    retrieval_recall: float = Field(description="Share of gold passage groups seen in any tool result")


class QuestionResult(Record):
    id: str
    kind: Kind
    language: Language
    question: str
    gold_answer: str | None
    answer: str
    agent_error: str | None = None
    score: QuestionScore
    tool_calls: list[ToolCall]
    seconds: float = Field(description="Wall time for the whole question")

    @property
    def tool_errors(self) -> int:
        return sum(call.is_error for call in self.tool_calls)


class Summary(Record):
    """Aggregates over a group of questions (all, one kind, or one language)."""

    group: str
    questions: int
    accuracy: float
    cited: float = Field(description="Share of answers citing at least one passage")
    citation_validity: float | None = Field(description="Share of citing answers whose cited ids all exist")
    citation_support: float | None = Field(description="Share of answers whose citations hold all gold facts")
    retrieval_recall: float
    tool_calls_mean: float
    tool_errors: int
    call_ms_mean: float | None
    call_ms_p50: float | None
    call_ms_max: float | None
    agent_errors: int


class EvalRun(Record):
    agent: str
    transport: str
    server: str = Field(description="How the server was reached: the command line, or the URL")
    questions_file: str
    corpus_fingerprint: str
    started: str
    seconds: float
    overall: Summary
    by_kind: list[Summary]
    by_language: list[Summary]
    results: list[QuestionResult]
