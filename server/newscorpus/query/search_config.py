"""Which retrieval features are on: one switch per feature, for the index builder and the query side.

The default is what the project ships. The relevance benchmark builds one index per configuration to
measure what each feature is worth (`newscorpus bench relevance`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from newscorpus.index.analysis import AnalysisConfig
from newscorpus.index.whoosh_engine import WhooshBuilder
from newscorpus.query.expand import ExpansionConfig


class SearchConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    stopwords: bool = True
    folding: bool = True
    stemming: bool = True
    hyphens: bool = True
    decompound: bool = True
    numbers: bool = True
    lemmas: bool = True
    glossary: bool = True
    entities: bool = True
    passage_ranking: bool = True
    answer_types: bool = True

    @classmethod
    def plain(cls) -> SearchConfig:
        """Plain BM25: no analysis beyond lowercase words, no expansion, passages ranked with their title."""
        return cls(**dict.fromkeys(cls.model_fields, False))

    def analysis(self) -> AnalysisConfig:
        return AnalysisConfig(**{k: getattr(self, k) for k in AnalysisConfig.model_fields})

    def expansion(self) -> ExpansionConfig:
        return ExpansionConfig(glossary=self.glossary, entities=self.entities, numbers=self.numbers,
                               hyphens=self.hyphens)

    def engine(self, *, keep_models: bool = False) -> WhooshBuilder:
        return WhooshBuilder(self.analysis(), passage_ranking=self.passage_ranking, keep_models=keep_models)
