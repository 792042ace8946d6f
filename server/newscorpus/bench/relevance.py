"""The relevance benchmark: how well search finds the judged passages of `corpus/eval/relevance.yaml`.

For each configuration (plain BM25, the default, the default with one feature off) it builds an index of
the corpus into a temporary folder and ranks every passage for every judged query. Metrics, over the
passages as the query API ranks them:

- recall@k: share of queries with a passage graded 2 (it answers) among the first k;
- MRR@10: mean reciprocal rank of the first passage graded 2 (0 when not in the first 10);
- nDCG@10: graded (2/1) discounted gain of the first 10 against the ideal order.
"""

from __future__ import annotations

import math
import platform
import tempfile
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from newscorpus.config import Settings
from newscorpus.index.build import build_index, open_knowledge
from newscorpus.query.api import CorpusQuery
from newscorpus.query.search_config import SearchConfig

RELEVANCE_FILE = Path("eval") / "relevance.yaml"
GROUPS = ("all", "de", "en", "keyword", "question", "de keyword", "de question", "en keyword", "en question")


class JudgedQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    lang: Literal["de", "en"]
    style: Literal["keyword", "question"]
    query: str
    relevant: dict[str, Literal[1, 2]]


class Judgments(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    articles: dict[str, str] = Field(default_factory=dict)
    queries: list[JudgedQuery]

    def passage_id(self, ref: str) -> str:
        """`hb#p4` → the full passage id, using the `articles` short names."""
        article, _, passage = ref.partition("#")
        return f"{self.articles.get(article, article)}#{passage}"

    def grades(self, q: JudgedQuery) -> dict[str, int]:
        return {self.passage_id(ref): grade for ref, grade in q.relevant.items()}


class Scores(BaseModel):
    queries: int
    recall_1: float
    recall_5: float
    mrr_10: float
    ndcg_10: float


class ConfigResult(BaseModel):
    name: str
    groups: dict[str, Scores]
    misses: list[str] = Field(default_factory=list, description="ids of queries with no answer in the top 5")


def load_judgments(path: Path) -> Judgments:
    return Judgments.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def configurations() -> list[tuple[str, SearchConfig]]:
    """Plain BM25, the default, the default with each feature switched off, and folding measured with
    stemming off (compare with "default − stemming")."""
    default = SearchConfig()
    out = [("plain BM25 (baseline)", SearchConfig.plain()), ("default", default)]
    out += [(f"default − {name}", default.model_copy(update={name: False})) for name in SearchConfig.model_fields]
    # Snowball folds umlauts and ß itself, which hides what folding is worth: measured again without it.
    out.append(("default − stemming − folding", default.model_copy(update={"stemming": False, "folding": False})))
    return out


def ranking_metrics(ranked: Sequence[str], grades: dict[str, int]) -> tuple[float, float, float, float]:
    """recall@1, recall@5, reciprocal rank within 10, nDCG@10 of one ranked list of passage ids."""
    answers = [i for i, pid in enumerate(ranked[:10]) if grades.get(pid) == 2]
    first = answers[0] if answers else None
    dcg = sum(grades.get(pid, 0) / math.log2(i + 2) for i, pid in enumerate(ranked[:10]))
    ideal = sorted(grades.values(), reverse=True)[:10]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return (
        float(first is not None and first < 1),
        float(first is not None and first < 5),
        1.0 / (first + 1) if first is not None else 0.0,
        dcg / idcg if idcg else 0.0,
    )


def _in_group(q: JudgedQuery, group: str) -> bool:
    return group == "all" or all(word in (q.lang, q.style) for word in group.split())


def evaluate(query: CorpusQuery, judgments: Judgments, name: str) -> ConfigResult:
    per_query = {}
    for q in judgments.queries:
        ranked = [h.key for h in query.rank_passages(q.query)]
        grades = judgments.grades(q)
        unknown = [pid for pid in grades if pid not in query.passages]
        if unknown:
            raise ValueError(f"query {q.id} judges passages the corpus does not have: {', '.join(unknown)}")
        per_query[q.id] = ranking_metrics(ranked, grades)
    groups = {}
    for group in GROUPS:
        rows = [per_query[q.id] for q in judgments.queries if _in_group(q, group)]
        if rows:
            means = [round(sum(col) / len(rows), 3) for col in zip(*rows, strict=True)]
            groups[group] = Scores(queries=len(rows), recall_1=means[0], recall_5=means[1], mrr_10=means[2],
                                   ndcg_10=means[3])
    misses = [qid for qid, m in per_query.items() if not m[1]]
    return ConfigResult(name=name, groups=groups, misses=misses)


def run(
    settings: Settings,
    configs: Iterable[tuple[str, SearchConfig]] | None = None,
    *,
    progress: Callable[[str], None] = lambda _m: None,
) -> list[ConfigResult]:
    """Build one index per configuration into a temporary folder and evaluate it. The corpus's own index
    is never touched."""
    judgments = load_judgments(settings.corpus_dir / RELEVANCE_FILE)
    results = []
    with tempfile.TemporaryDirectory(prefix="newscorpus-bench-") as tmp:
        for n, (name, config) in enumerate(configs or configurations()):
            progress(f"[{name}] building the index")
            local = Settings(corpus_dir=settings.corpus_dir, index_dir=Path(tmp) / f"c{n}")
            engine = config.engine(keep_models=True)
            folder = build_index(local, engine=engine)
            query = CorpusQuery(local, open_knowledge(folder), engine.open(folder), config)
            try:
                results.append(evaluate(query, judgments, name))
            finally:
                query.close()
    return results


def render(results: list[ConfigResult], judgments_count: int) -> str:
    """Markdown: the baseline and default per language and style, then the ablation."""
    lines = [f"Queries: {judgments_count} · {platform.python_implementation()} {platform.python_version()} · "
             f"{platform.system()} {platform.machine()} · {date.today().isoformat()}", ""]
    for r in results[:2]:
        lines += [f"### {r.name}", "", "| group | queries | recall@1 | recall@5 | MRR@10 | nDCG@10 |",
                  "|---|---:|---:|---:|---:|---:|"]
        for group, s in r.groups.items():
            lines.append(f"| {group} | {s.queries} | {s.recall_1:.3f} | {s.recall_5:.3f} | {s.mrr_10:.3f} | "
                         f"{s.ndcg_10:.3f} |")
        lines += ["", f"Queries without an answer in the top 5: {', '.join(r.misses) or 'none'}", ""]
    lines += ["### Ablation (all queries; recall@5 per language and style)", "",
              "| configuration | recall@1 | recall@5 | MRR@10 | nDCG@10 | de kw | de q | en kw | en q |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        a = r.groups["all"]
        cells = [f"{r.groups[g].recall_5:.3f}" for g in ("de keyword", "de question", "en keyword", "en question")]
        lines.append(f"| {r.name} | {a.recall_1:.3f} | {a.recall_5:.3f} | {a.mrr_10:.3f} | {a.ndcg_10:.3f} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def run_command(settings: Settings, *, progress: Callable[[str], None]) -> str:
    judgments = load_judgments(settings.corpus_dir / RELEVANCE_FILE)
    return render(run(settings, progress=progress), len(judgments.queries))
