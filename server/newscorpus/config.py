"""Configuration in one place: command-line flags win over environment variables, which win over defaults."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

from pydantic import BaseModel, ConfigDict

ENV_CORPUS = "NEWSCORPUS_CORPUS"
ENV_INDEX = "NEWSCORPUS_INDEX"

BUNDLED_CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def user_cache_dir() -> Path:
    """The per-user cache folder of this OS (XDG on Linux, Library/Caches on macOS, LOCALAPPDATA on Windows)."""
    if sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    elif sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "newscorpus"


def default_index_dir(corpus_dir: Path) -> Path:
    """Index location keyed by the corpus's absolute path, so any working directory finds the same index."""
    key = hashlib.sha256(str(corpus_dir.resolve()).encode()).hexdigest()[:16]
    return user_cache_dir() / f"{corpus_dir.resolve().name}-{key}"


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    corpus_dir: Path
    index_dir: Path

    @property
    def articles_dir(self) -> Path:
        return self.corpus_dir / "articles"

    @property
    def annotations_dir(self) -> Path:
        return self.corpus_dir / "annotations"

    @classmethod
    def resolve(cls, corpus: str | Path | None = None, index: str | Path | None = None) -> Settings:
        corpus_dir = Path(corpus or os.environ.get(ENV_CORPUS) or BUNDLED_CORPUS).expanduser().resolve()
        index_value = index or os.environ.get(ENV_INDEX)
        index_dir = Path(index_value).expanduser().resolve() if index_value else default_index_dir(corpus_dir)
        return cls(corpus_dir=corpus_dir, index_dir=index_dir)
