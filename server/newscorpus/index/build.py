"""Build the knowledge base and search index for a corpus: atomically, and only when the corpus changed.

Layout of an index folder:

    CURRENT             the name of the live build folder (replaced atomically after a build)
    b-<fp>-<nonce>/     one complete build: manifest.json, knowledge.json, the engine's files

A build is written into a fresh folder and only becomes live when CURRENT is replaced, so a failed or
interrupted build never leaves a broken index in use.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import uuid
from pathlib import Path

from pydantic import BaseModel

from newscorpus import __version__
from newscorpus.config import Settings
from newscorpus.extract.pipeline import build_knowledge
from newscorpus.index.engine import EngineBuilder, Progress
from newscorpus.index.whoosh_engine import WhooshBuilder
from newscorpus.ingest.store import load_articles
from newscorpus.models import KnowledgeBase

log = logging.getLogger(__name__)

INDEX_FORMAT = 1
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
KNOWLEDGE = "knowledge.json"
_PACKAGE_DIR = Path(__file__).resolve().parents[1]


class Manifest(BaseModel):
    fingerprint: str
    engine: str
    version: str
    articles: int
    passages: int


class BuildError(RuntimeError):
    """The corpus cannot be built (bad annotations, unreadable articles); the message says why."""


def corpus_fingerprint(settings: Settings) -> str:
    """Hash of everything a build reads: article files, annotations, and the code that turns them into
    an index. Same corpus and same code give the same fingerprint on any machine."""
    h = hashlib.sha256(f"format={INDEX_FORMAT};version={__version__}".encode())
    for folder in (settings.articles_dir, settings.annotations_dir):
        if folder.is_dir():
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                h.update(path.relative_to(settings.corpus_dir).as_posix().encode() + b"\0")
                h.update(path.read_bytes() + b"\0")
    for path in sorted(_PACKAGE_DIR.rglob("*.py")):
        h.update(path.relative_to(_PACKAGE_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def live_build(index_dir: Path) -> Path | None:
    """The folder CURRENT names, if it holds a complete build."""
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    folder = index_dir / name
    if not name or "/" in name or not (folder / MANIFEST).is_file() or not (folder / KNOWLEDGE).is_file():
        return None
    return folder


def read_manifest(folder: Path) -> Manifest | None:
    try:
        return Manifest.model_validate_json((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_fresh(settings: Settings, fingerprint: str | None = None) -> bool:
    folder = live_build(settings.index_dir)
    manifest = read_manifest(folder) if folder else None
    return manifest is not None and manifest.fingerprint == (fingerprint or corpus_fingerprint(settings))


def build_index(
    settings: Settings,
    *,
    progress: Progress = lambda _msg: None,
    engine: EngineBuilder | None = None,
) -> Path:
    """Build knowledge base and search index into a new folder and make it live. Returns the folder."""
    engine = engine or WhooshBuilder()
    fingerprint = corpus_fingerprint(settings)
    try:
        articles = load_articles(settings.corpus_dir)
        if not articles:
            raise BuildError(f"No articles in {settings.articles_dir}. Add some with `newscorpus ingest PATH`.")
        progress(f"extracting entities and deals from {len(articles)} articles")
        entities, deals = build_knowledge(articles, settings.annotations_dir)
    except (ValueError, OSError) as exc:
        raise BuildError(f"cannot build {settings.corpus_dir}: {exc}") from exc
    kb = KnowledgeBase(fingerprint=fingerprint, articles=articles, entities=entities, deals=deals)

    settings.index_dir.mkdir(parents=True, exist_ok=True)
    nonce = uuid.uuid4().hex[:8]
    staging = settings.index_dir / f"tmp-{nonce}"
    staging.mkdir()
    try:
        engine.build(kb, staging, progress)
        (staging / KNOWLEDGE).write_text(kb.model_dump_json(), encoding="utf-8")
        manifest = Manifest(
            fingerprint=fingerprint,
            engine=engine.name,
            version=__version__,
            articles=len(articles),
            passages=sum(len(a.passages()) for a in articles),
        )
        (staging / MANIFEST).write_text(manifest.model_dump_json(indent=2), encoding="utf-8")
        final = settings.index_dir / f"b-{fingerprint[:12]}-{nonce}"
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _make_live(settings.index_dir, final)
    progress(f"index ready: {manifest.articles} articles, {manifest.passages} passages, "
             f"{len(entities)} entities, {len(deals)} deals")
    return final


def _make_live(index_dir: Path, folder: Path) -> None:
    pointer = index_dir / f"{CURRENT}.{uuid.uuid4().hex[:8]}"
    pointer.write_text(folder.name + "\n", encoding="utf-8")
    os.replace(pointer, index_dir / CURRENT)
    for old in index_dir.iterdir():
        if old.is_dir() and old.name != folder.name and old.name.startswith(("b-", "tmp-")):
            shutil.rmtree(old, ignore_errors=True)


def ensure_index(settings: Settings, *, progress: Progress = lambda _msg: None, rebuild: bool = False) -> Path:
    """The live build folder, building it first when missing, stale, unreadable, or `rebuild` is set."""
    fingerprint = corpus_fingerprint(settings)
    folder = live_build(settings.index_dir)
    if not rebuild and folder is not None:
        manifest = read_manifest(folder)
        if manifest is not None and manifest.fingerprint == fingerprint:
            return folder
        progress("corpus changed since the last build: rebuilding the index")
    else:
        progress(f"building the index in {settings.index_dir}")
    return build_index(settings, progress=progress)


def load_knowledge(folder: Path) -> KnowledgeBase:
    return KnowledgeBase.model_validate(json.loads((folder / KNOWLEDGE).read_text(encoding="utf-8")))
