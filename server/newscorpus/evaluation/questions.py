"""The gold question set: a pydantic model and a loader that says exactly what is wrong with a bad file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from newscorpus.config import BUNDLED_CORPUS
from newscorpus.evaluation.matching import PASSAGE_ID, contains_any

DEFAULT_QUESTIONS = BUNDLED_CORPUS / "eval" / "questions.yaml"

Kind = Literal["single-fact", "multi-hop", "aggregation", "comparison", "unanswerable"]
KINDS: tuple[Kind, ...] = ("single-fact", "multi-hop", "aggregation", "comparison", "unanswerable")
Language = Literal["de", "en"]


class QuestionFileError(ValueError):
    """A question file that cannot be used; the message names the file and every problem."""


def _alternatives(items: list[str | list[str]]) -> list[list[str]]:
    """`["a", ["b", "c"]]` → `[["a"], ["b", "c"]]`: each item is one requirement with its alternatives."""
    return [[item] if isinstance(item, str) else list(item) for item in items]


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    language: Language
    kind: Kind
    question: str = Field(min_length=5)
    answer: str | None = Field(description="Short gold answer; null for unanswerable questions")
    variants: list[str] = Field(default_factory=list, description="Other accepted forms of `answer`")
    all_of: list[str | list[str]] = Field(default_factory=list, description="Every item must be in the answer")
    options: list[str | list[str]] = Field(
        default_factory=list, description="Comparison: the option named first must be the one holding `answer`"
    )
    facts: list[str] = Field(default_factory=list, description="Figures and names the cited passages must hold")
    gold_passages: list[str | list[str]] = Field(min_length=1)
    note: str = ""

    @field_validator("gold_passages")
    @classmethod
    def _passage_ids(cls, value: list[str | list[str]]) -> list[str | list[str]]:
        for group in _alternatives(value):
            for pid in group:
                if not PASSAGE_ID.fullmatch(pid):
                    raise ValueError(f"{pid!r} is not a passage id (<article_id>#p<n> or #t<n>)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        if (self.kind == "unanswerable") != (self.answer is None):
            raise ValueError("answer must be null exactly when kind is unanswerable")
        if self.answer is None and (self.variants or self.all_of or self.options):
            raise ValueError("an unanswerable question takes no variants, all_of or options")
        if self.all_of and self.variants:
            raise ValueError("give either all_of or variants, not both")
        if self.options and not any(contains_any(self.answer or "", alts) for alts in self.option_groups):
            raise ValueError("answer must name one of the options")
        return self

    @property
    def requirements(self) -> list[list[str]]:
        """What a correct answer must contain: each inner list is one requirement, met by any alternative."""
        if self.all_of:
            return _alternatives(self.all_of)
        return [[self.answer, *self.variants]] if self.answer is not None else []

    @property
    def option_groups(self) -> list[list[str]]:
        return _alternatives(self.options)

    @property
    def gold_groups(self) -> list[list[str]]:
        """Gold passages as groups: a group is reached or cited when any one of its passages is."""
        return _alternatives(self.gold_passages)


class QuestionSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    questions: list[Question] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> QuestionSet:
        seen: set[str] = set()
        repeated = sorted({q.id for q in self.questions if q.id in seen or seen.add(q.id)})
        if repeated:
            raise ValueError(f"question ids must be unique; repeated: {', '.join(repeated)}")
        return self

    def select(self, ids: list[str] | None = None, kinds: list[str] | None = None) -> QuestionSet:
        """A subset by id and/or kind, in file order; unknown ids or kinds are an error, not an empty run."""
        known = {q.id for q in self.questions}
        unknown = sorted(set(ids or []) - known) + sorted(set(kinds or []) - set(KINDS))
        if unknown:
            raise QuestionFileError(f"unknown question ids or kinds: {', '.join(unknown)} (kinds: {', '.join(KINDS)})")
        chosen = [q for q in self.questions if (not ids or q.id in ids) and (not kinds or q.kind in kinds)]
        return QuestionSet(questions=chosen)


def load_questions(path: str | Path = DEFAULT_QUESTIONS) -> QuestionSet:
    """Read and validate a question file (YAML with a top-level `questions:` list)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise QuestionFileError(f"question file not found: {path}") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise QuestionFileError(f"cannot read question file {path}: {exc}") from None
    if not isinstance(data, dict):
        raise QuestionFileError(f"{path}: expected a mapping with a 'questions:' list at the top")
    try:
        return QuestionSet.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            where = ".".join(str(p) for p in err["loc"])
            questions = data.get("questions")
            loc = err["loc"]
            if len(loc) > 1 and loc[0] == "questions" and isinstance(loc[1], int) and isinstance(questions, list):
                entry = questions[loc[1]] if loc[1] < len(questions) else None
                qid = entry.get("id") if isinstance(entry, dict) else None
                where += f" (id {qid})" if qid else ""
            problems.append(f"  {where}: {err['msg']}")
        raise QuestionFileError(f"{path}: {len(problems)} problem(s):\n" + "\n".join(problems)) from None
