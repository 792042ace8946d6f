"""Build the knowledge base and search index for a corpus: atomically, and only when the corpus changed.

Layout of an index folder:

    CURRENT             the name of the live build folder (replaced atomically after a build)
    b-<fp>-<nonce>/     one complete build: manifest.json, knowledge.sqlite (`knowledge_store`), the engine's files

When the only change since the live build is new article files (same annotations, same code, no
article changed or removed), the next build is an incremental update, which gives exactly what a full
build of the corpus gives. It is made by rows where it can (`_update_by_rows`): only the new articles and
the old ones a new entity name occurs in are searched and extracted, the knowledge store is a copy of the
live build's changed by rows (`store_delta`), the indexes are appended to. Where that does not apply (a
new article renames an old entity, the deal index would hold too many deleted deals), the update reuses
the live build's entity spans and deals per article and its analysed passages, and rewrites the rest
from whole knowledge bases. Anything else is a full rebuild.

A build is written into a fresh folder and only becomes live when CURRENT is replaced, so a failed or
interrupted build (killed, disk full) never leaves a broken index in use. The manifest records a SHA-256
of every file of the build; opening checks them, so a damaged build is rebuilt instead of served. Builds
take an exclusive lock on `.build.lock` (POSIX), so two processes never build into one folder at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel, Field

from newscorpus import __version__
from newscorpus.config import Settings, pause_point
from newscorpus.index import stat_record
from newscorpus.index.engine import EngineBuilder, Progress
from newscorpus.index.knowledge_store import KnowledgeStore, passage_texts, store_stats, write_store
from newscorpus.index.stat_record import recall, remember, signature_of, stat_signature
from newscorpus.models import Article, KnowledgeBase

if TYPE_CHECKING:
    from newscorpus.extract.entity_finds import StoredFinds
    from newscorpus.extract.pipeline import ArticleDeals

log = logging.getLogger(__name__)

INDEX_FORMAT = 3
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
KNOWLEDGE = "knowledge.sqlite"  # the knowledge base, read lazily (`knowledge_store`)
LOCK = ".build.lock"
SOURCES = "sources.json"  # in a build folder: what it was built from, file by file (decides incremental updates)
DEALS_BY_ARTICLE = "deals-by-article.jsonl"  # in a build folder: per-article deal results (`deals_by_article`)
ENTITY_FINDS = "entity-finds.bin"  # in a build folder: rule-found names and entity spans an update reuses
RELATED_PAIRS = "related-pairs.npy"  # in a build folder: entities' co-mention counts, which an update changes
FINGERPRINT_RECORD = ".fingerprint.json"  # in the index folder: the corpus fingerprint by stat data
FILE_HASHES = ".file-hashes.json"  # in the index folder: each corpus file's digest by stat data (`FileHashes`)
VERIFIED_RECORD = ".verified.json"  # in a build folder: its files passed their checksums in this stat state
_PACKAGE_DIR = Path(__file__).resolve().parents[1]

T = TypeVar("T")


class Manifest(BaseModel):
    fingerprint: str
    engine: str
    version: str
    articles: int
    passages: int
    # "full", or "incremental" with the build it updated in `previous`.
    mode: str = "full"
    previous: str = ""
    # SHA-256 of every other file in the build folder, by name: how a damaged build is recognised.
    files: dict[str, str] = Field(default_factory=dict)


class Sources(BaseModel):
    """What a build read: a hash of the code, one of the annotations, and one per article file."""

    code: str
    annotations: str
    articles: dict[str, str]


class BuildError(RuntimeError):
    """The corpus cannot be built (bad annotations, unreadable articles); the message says why."""


def _corpus_files(settings: Settings) -> list[tuple[str, str]]:
    """(name relative to the corpus folder, path) of every file a build reads, articles first. Strings,
    not `Path`s: at 100 000 articles `Path` parsing and `relative_to` took seconds of every update."""
    files: list[tuple[str, str]] = []
    for folder in (settings.articles_dir, settings.annotations_dir):
        if folder.is_dir():
            files += [(f"{folder.name}/{'/'.join(parts)}", path) for parts, path in _entries_under(folder)]
    return files


def _entries_under(folder: Path) -> list[tuple[tuple[str, ...], str]]:
    """The files under `folder` as (parts of the name below `folder`, path) pairs, in the order
    `sorted(p for p in folder.rglob("*") if p.is_file())` gives them, but listed with `os.scandir` (no stat
    per file) and sorted by their names' parts as strings: on every start with 10 000 articles that took
    ~0.5 s. Hidden files are skipped: they are never read (e.g. the temp file of an interrupted ingest).
    Like `rglob`, symlinked folders are not entered."""
    found: list[tuple[tuple[str, ...], str]] = []
    pending: list[tuple[str, tuple[str, ...]]] = [(str(folder), ())]
    while pending:
        path, parts = pending.pop()
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_dir() and not entry.is_symlink():
                    pending.append((entry.path, (*parts, entry.name)))
                elif entry.is_file() and not entry.name.startswith("."):
                    found.append(((*parts, entry.name), entry.path))
    found.sort()
    return found


def corpus_fingerprint(settings: Settings) -> str:
    """Hash of everything a build reads: article files, annotations, and the code that turns them into
    an index. Same corpus and same code give the same fingerprint on any machine."""
    return read_corpus(settings)[0]


def code_digest() -> str:
    """`Sources.code`: a hash of the code that turns a corpus into a build (reads ~130 small files)."""
    code = hashlib.sha256(f"format={INDEX_FORMAT};version={__version__}".encode())
    for path in sorted(_PACKAGE_DIR.rglob("*.py")):
        code.update(path.relative_to(_PACKAGE_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    return code.hexdigest()


def built_by_this_code(folder: Path) -> bool:
    """Whether the build in `folder` was made by this code (whatever corpus it was made from)."""
    try:
        return Sources.model_validate_json((folder / SOURCES).read_text(encoding="utf-8")).code == code_digest()
    except (OSError, ValueError):
        return False


def corpus_sources(settings: Settings) -> Sources:
    """`Sources` of the corpus as it is now (reads every file, like `corpus_fingerprint`)."""
    return read_corpus(settings)[1]


def read_corpus(settings: Settings) -> tuple[str, Sources]:
    """`corpus_fingerprint` and `corpus_sources` from one read of every file (a build needs both)."""
    return _read_corpus(settings, None)[:2]


def _read_corpus(
    settings: Settings, known: FileHashes | None, stats: list[CorpusFile] | None = None
) -> tuple[str, Sources, FileHashes]:
    """`read_corpus`, and each file's digest with its stat data; a file whose stat data is as `known`
    records it is not read: its recorded digest is used (see `FileHashes`). `stats` are the corpus's
    files as `_corpus_stats` just gave them (not listed and stat'ed again)."""
    header = f"format={INDEX_FORMAT};version={__version__}".encode()
    fingerprint, code, annotations = hashlib.sha256(header), hashlib.sha256(header), hashlib.sha256()
    articles: dict[str, str] = {}
    seen = FileHashes()
    trusted_before = time.time_ns() - stat_record.RACY_NS
    articles_prefix = f"{settings.articles_dir.name}/"
    for name, path, st in stats if stats is not None else _corpus_stats(settings):
        state = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        entry = known.files.get(name) if known is not None else None
        if entry is not None and entry[:4] == state and max(state[1], state[2]) < trusted_before:
            digest = entry[4]
        else:
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        seen.files[name] = (*state, digest)
        fingerprint.update(f"{name}\0{digest}\0".encode())
        if name.startswith(articles_prefix):
            articles[name] = digest
        else:
            annotations.update(f"{name}\0{digest}\0".encode())
    for path in sorted(_PACKAGE_DIR.rglob("*.py")):
        part = path.relative_to(_PACKAGE_DIR).as_posix().encode() + b"\0" + path.read_bytes()
        fingerprint.update(part)
        code.update(part)
    sources = Sources(code=code.hexdigest(), annotations=annotations.hexdigest(), articles=articles)
    return fingerprint.hexdigest(), sources, seen


def update_plan(folder: Path, sources: Sources) -> tuple[list[str], str]:
    """(new article files, "") when the corpus differs from the build in `folder` only by new article
    files; else ([], why a full rebuild is needed)."""
    try:
        built = Sources.model_validate_json((folder / SOURCES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return [], f"the live build has no readable {SOURCES} (built by an older version)"
    if built.code != sources.code:
        return [], "the program changed"
    if built.annotations != sources.annotations:
        return [], "the annotations changed"
    removed = [n for n in built.articles if n not in sources.articles]
    if removed:
        return [], f"{len(removed)} article file(s) removed, e.g. {removed[0]}"
    changed = [n for n, digest in built.articles.items() if sources.articles[n] != digest]
    if changed:
        return [], f"{len(changed)} article file(s) changed, e.g. {changed[0]}"
    added = sorted(n for n in sources.articles if n not in built.articles)
    if not added:
        return [], "the index format changed"
    return added, ""


def current_fingerprint(settings: Settings) -> str:
    """`corpus_fingerprint`, reading the files only when their stat data changed since it was last
    worked out for this index folder (a start with an unchanged corpus reads no article)."""
    return _current(settings)[0]


def _current(settings: Settings) -> tuple[str, tuple[str, Sources] | None, str | None]:
    """`current_fingerprint`, with `read_corpus`'s result and the files' stat signature from before it
    when it had to read the corpus (a build that follows needs the read; reading 100 000 articles again
    takes seconds)."""
    try:
        stats = _corpus_stats(settings)
        signature, newest = _corpus_signature(settings, stats)
    except OSError:
        return corpus_fingerprint(settings), None, None
    record = settings.index_dir / FINGERPRINT_RECORD
    fingerprint = recall(record, signature)
    if fingerprint is not None:
        return fingerprint, None, None
    fingerprint, sources, seen = _read_corpus(settings, _file_hashes(settings.index_dir), stats)
    remember(record, signature, newest, fingerprint)
    _keep_file_hashes(settings.index_dir, seen)
    return fingerprint, (fingerprint, sources), signature


class FileHashes(BaseModel):
    """The corpus files' digests with the stat data they were read in (size, mtime, ctime, inode: ns), by
    name: a changed corpus (100 new articles among 100 000) is read only where its files changed. A file
    changed within `RACY_NS` of its reading could keep its stat data, so such entries are not trusted (as
    git does for its index). A cache in the index folder; unreadable, it is ignored."""

    files: dict[str, tuple[int, int, int, int, str]] = Field(default_factory=dict)


def _file_hashes(index_dir: Path) -> FileHashes | None:
    try:
        return FileHashes.model_validate_json((index_dir / FILE_HASHES).read_bytes())
    except (OSError, ValueError):
        return None


def _keep_file_hashes(index_dir: Path, hashes: FileHashes) -> None:
    if not index_dir.is_dir():
        return
    tmp = index_dir / f"{FILE_HASHES}.{uuid.uuid4().hex[:8]}"
    try:
        tmp.write_text(hashes.model_dump_json(), encoding="utf-8")
        os.replace(tmp, index_dir / FILE_HASHES)
    except OSError:
        tmp.unlink(missing_ok=True)


CorpusFile = tuple[str, str, os.stat_result]  # (name in the corpus folder, path, its stat data)


def _corpus_stats(settings: Settings) -> list[CorpusFile]:
    """`_corpus_files` with each file's stat data: one listing and one `stat` per file serve both the
    corpus's stat signature and its reading."""
    return [(name, path, os.stat(path)) for name, path in _corpus_files(settings)]


def _corpus_signature(settings: Settings, stats: list[CorpusFile] | None = None) -> tuple[str, int]:
    files = stats if stats is not None else _corpus_stats(settings)
    return signature_of([
        *((path, st) for _name, path, st in files),
        *((path, os.stat(path)) for path in sorted(_PACKAGE_DIR.rglob("*.py"))),
    ])


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


def _sha256(path: Path) -> str:
    # Large blocks: reading and hashing release the GIL, but each block takes it back, and a thread
    # hashing beside a busy one waits up to the switch interval (5 ms) for it (`_Finisher`).
    h = hashlib.sha256()
    with path.open("rb", buffering=0) as fh:
        buffer = memoryview(bytearray(min(1 << 24, os.fstat(fh.fileno()).st_size + 1)))
        while size := fh.readinto(buffer):
            h.update(buffer[:size])
    return h.hexdigest()


def _checksums(folder: Path, previous: Path | None, known: dict[str, str]) -> dict[str, str]:
    """Each file's SHA-256: from `known` (computed as the file was finished), or, for a file that is a
    hard link of one in `previous` (an update's kept segments: at 100 000 articles ~1 GB), the checksum
    `previous` records for it instead of being read again. It is the same file, and the recorded checksum
    is the one it was verified against."""
    manifest = read_manifest(previous) if previous is not None else None
    out = {}
    for path in sorted(folder.iterdir()):
        if path.is_file():
            digest = manifest.files.get(path.name) if manifest is not None else None
            linked = digest is not None and previous is not None and _same_file(path, previous / path.name)
            out[path.name] = digest if linked else known.get(path.name) or _sha256(path)
    return out


class _Finisher:
    """Hashes and flushes a staged build's finished files on one background thread while the build goes
    on: both mostly wait on the disk and release the GIL (at 100 000 articles an update's knowledge store
    alone takes ~1.8 s to hash and ~3 s to flush). A file handed over is never written again."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newscorpus-finish")
        self._digests: dict[str, Future[str]] = {}

    def __call__(self, *paths: Path) -> None:
        for path in paths:
            self._digests[path.name] = self._pool.submit(self._finish, path)

    def new_files(self, folder: Path) -> None:
        """Hand over every file of `folder` not handed over yet that is no hard link of an earlier build's
        (an index's new segments)."""
        self(*(
            p for p in sorted(folder.iterdir())
            if p.name not in self._digests and p.is_file() and p.stat().st_nlink == 1
        ))

    @staticmethod
    def _finish(path: Path) -> str:
        digest = _sha256(path)
        _fsync(path)
        return digest

    def digests(self) -> dict[str, str]:
        """The finished files' checksums, once all are hashed and flushed (a failure raises here)."""
        return {name: future.result() for name, future in self._digests.items()}

    def __enter__(self) -> _Finisher:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def damage(folder: Path, *, trust_unchanged: bool = False) -> str | None:
    """Why the build in `folder` cannot be trusted (unreadable manifest, missing or altered file), or None.

    With `trust_unchanged`, files whose stat data is as it was when they last passed are not hashed
    again (a start reads no index file twice); `newscorpus index` and the tests check everything."""
    manifest = read_manifest(folder)
    if manifest is None:
        return f"{MANIFEST} is missing or unreadable"
    if not manifest.files:
        return f"{MANIFEST} lists no file checksums (older index format)"
    signature = newest = None
    if trust_unchanged:
        try:
            signature, newest = stat_signature([folder / MANIFEST, *(folder / n for n in sorted(manifest.files))])
        except OSError:
            signature = None
        if signature is not None and recall(folder / VERIFIED_RECORD, signature) == "intact":
            return None
    problem = _checksum_problem(folder, manifest)
    if problem is None and signature is not None and newest is not None:
        remember(folder / VERIFIED_RECORD, signature, newest, "intact")
    return problem


def _checksum_problem(folder: Path, manifest: Manifest) -> str | None:
    for name, digest in sorted(manifest.files.items()):
        path = folder / name
        try:
            if _sha256(path) != digest:
                return f"{name} does not match its checksum"
        except OSError as exc:
            return f"{name} cannot be read ({exc.strerror or exc})"
    return None


def _fresh(folder: Path | None, fingerprint: str, *, trust_unchanged: bool = True) -> bool:
    manifest = read_manifest(folder) if folder else None
    return (
        folder is not None
        and manifest is not None
        and manifest.fingerprint == fingerprint
        and not damage(folder, trust_unchanged=trust_unchanged)
    )


def is_fresh(settings: Settings, fingerprint: str | None = None) -> bool:
    """Whether the live build is of this corpus and intact (every file read and checked)."""
    return _fresh(live_build(settings.index_dir), fingerprint or corpus_fingerprint(settings), trust_unchanged=False)


@contextlib.contextmanager
def build_lock(index_dir: Path, progress: Progress) -> Iterator[bool]:
    """Exclusive per-index-folder lock; the OS drops it when its holder dies, even by `kill -9`. Gives
    whether it had to wait for another holder. Without `fcntl` (Windows) builds are not serialised."""
    try:
        import fcntl
    except ImportError:
        yield False
        return
    with (index_dir / LOCK).open("a") as fh:
        waited = False
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress("another process is building this index: waiting for it")
            fcntl.flock(fh, fcntl.LOCK_EX)
            waited = True
        try:
            yield waited
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _fsync(path: Path) -> None:
    """Flush a file or folder to disk, so a build that is live survives a crash, not only a kill."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def build_index(
    settings: Settings,
    *,
    progress: Progress = lambda _msg: None,
    engine: EngineBuilder | None = None,
    previous: Path | None = None,
    corpus: tuple[str, Sources] | None = None,
) -> Path:
    """Build knowledge base and search index into a new folder and make it live. Returns the folder.

    With `previous` (an intact build of this corpus minus some new article files, by this code; see
    `update_plan`), reuse its per-article deals and analysed passages: same result, less work.
    `corpus` is `read_corpus(settings)` when the caller has just read it (not read again).
    Any failure (bad corpus, disk full, no permission) raises BuildError and leaves the live build as it was.
    """
    # Imported here: a server starting on an intact build never extracts, and its corpus check
    # (`index/refresh.py`) neither extracts nor searches (see `test_cold_start`).
    from newscorpus.extract import deals_by_article
    from newscorpus.extract.pipeline import extract_knowledge
    from newscorpus.index.whoosh_engine import WhooshBuilder
    from newscorpus.ingest.store import load_articles

    engine = engine or WhooshBuilder()
    previous_kb: KnowledgeBase | None = None
    reuse: dict[str, ArticleDeals] | None = None
    finds: StoredFinds | None = None
    try:
        fingerprint, sources = corpus or read_corpus(settings)
        if previous is not None:
            # Its articles and deals; entities without their mentions, which the update finds anew.
            previous_kb = load_knowledge(previous, mentions=False)
            reuse = _deals_by_article(previous)
            finds = _entity_finds(previous)
            articles = _articles_since(settings, previous_kb)
        else:
            articles = load_articles(settings.corpus_dir)
        if not articles:
            raise BuildError(f"No articles in {settings.articles_dir}. Add some with `newscorpus ingest PATH`.")
        progress(f"extracting entities and deals from {len(articles)} articles")
        extracted = extract_knowledge(articles, settings.annotations_dir, reuse, finds)
        finds = None  # released before indexing: ~90 MB of spans at 100 000 articles
    except (ValueError, OSError) as exc:
        raise BuildError(f"cannot build {settings.corpus_dir}: {exc}") from exc
    entities, deals = extracted.entities, extracted.deals
    if previous is not None:
        progress(
            f"entities searched in {extracted.searched_articles} of {len(articles)} articles, "
            f"deals of {extracted.reused_articles} reused from {previous.name}"
        )
    kb = KnowledgeBase(fingerprint=fingerprint, articles=articles, entities=entities, deals=deals)
    manifest = Manifest(
        fingerprint=fingerprint,
        engine=engine.name,
        version=__version__,
        articles=len(articles),
        # Counted from the texts: `Article.passages` makes a record per passage (~8 s at 100 000 articles).
        passages=sum(len(passage_texts(a.body)) + len(a.teasers) for a in articles),
        mode="full" if previous is None else "incremental",
        previous="" if previous is None else previous.name,
    )

    def write(staging: Path, finish: _Finisher) -> None:
        if previous is not None and previous_kb is not None:
            engine.update(kb, staging, previous, previous_kb, progress)
        else:
            engine.build(kb, staging, progress)
        finish.new_files(staging)
        write_store(kb, staging / KNOWLEDGE, staging / RELATED_PAIRS)
        finish(staging / KNOWLEDGE, staging / RELATED_PAIRS)
        deals_by_article.write(staging / DEALS_BY_ARTICLE, extracted.per_article.items())
        finish(staging / DEALS_BY_ARTICLE)
        (staging / ENTITY_FINDS).write_bytes(extracted.entity_finds)

    final = _publish(settings, manifest, sources, previous, write)
    progress(f"index ready ({manifest.mode} build): {manifest.articles} articles, {manifest.passages} passages, "
             f"{len(entities)} entities, {len(deals)} deals")
    return final


def _publish(
    settings: Settings,
    manifest: Manifest,
    sources: Sources,
    previous: Path | None,
    write: Callable[[Path, _Finisher], None],
) -> Path:
    """Stage a build (`write` fills a fresh folder with the engine's files and the knowledge, handing each
    finished file to the `_Finisher`; then the sources, checksums and manifest), move it into place and
    make it live. Returns its folder."""
    nonce = uuid.uuid4().hex[:8]
    staging = settings.index_dir / f"tmp-{nonce}"
    final = settings.index_dir / f"b-{manifest.fingerprint[:12]}-{nonce}"
    try:
        staging.mkdir(parents=True)
        with _Finisher() as finish:
            write(staging, finish)
            pause_point("index:staged")
            (staging / SOURCES).write_text(sources.model_dump_json(), encoding="utf-8")
            finished = finish.digests()
        files = _checksums(staging, previous, finished)
        (staging / MANIFEST).write_text(
            manifest.model_copy(update={"files": files}).model_dump_json(indent=2), encoding="utf-8"
        )
        for path in staging.iterdir():
            if path.name not in finished:
                _fsync(path)
        staging.rename(final)
        _fsync(settings.index_dir)
        pause_point("index:built")
        _make_live(settings.index_dir, final)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(final, ignore_errors=True)
        raise BuildError(
            f"cannot write the index to {settings.index_dir}: {exc.strerror or exc}. "
            "The previous index (if any) is unchanged and still used."
        ) from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(final, ignore_errors=True)
        raise
    return final


def _update_by_rows(
    settings: Settings, previous: Path, added: list[str], corpus: tuple[str, Sources], progress: Progress
) -> Path | None:
    """An update that changes the previous build where the new articles change it: its knowledge store
    copied and changed by rows (`store_delta`), its indexes appended to, entity finds and per-article deals
    spliced; only the new articles and the old ones a new name occurs in are searched and extracted. The
    same result as a full build. None, having written nothing, when that does not apply (see
    `extract_update`, `apply_delta`, `WhooshBuilder.append`); the caller then updates from whole knowledge
    bases."""
    from newscorpus.extract import deals_by_article
    from newscorpus.extract.entity_finds import StoredSpan, splice
    from newscorpus.extract.pipeline import extract_update
    from newscorpus.index.store_delta import DeltaError, StoreDelta, apply_delta
    from newscorpus.index.whoosh_engine import WhooshBuilder
    from newscorpus.ingest.store import read_article

    fingerprint, sources = corpus
    paths = [settings.corpus_dir / name for name in added]
    if any(p.parent != settings.articles_dir or p.suffix != ".md" for p in paths):
        return None  # a file that is not an article as `load_articles` reads them
    before = read_manifest(previous)
    finds = _entity_finds(previous)
    if before is None or finds is None or not all((previous / n).is_file() for n in (DEALS_BY_ARTICLE, RELATED_PAIRS)):
        return None
    try:
        new = sorted((read_article(path) for path in paths), key=lambda a: a.id)
    except (ValueError, OSError) as exc:
        raise BuildError(f"cannot build {settings.corpus_dir}: {exc}") from exc
    store = open_knowledge(previous)
    try:
        update = extract_update(new, store, finds, settings.annotations_dir)
    except (ValueError, OSError) as exc:
        raise BuildError(f"cannot build {settings.corpus_dir}: {exc}") from exc
    finally:
        store.close()
    if update is None:
        progress("the new articles change what old articles were extracted with: extracting every article again")
        return None
    searched = update.entities.searched
    changed = len(new) + sum(update.old_deals[a] != update.deals[a] for a in update.old_deals)
    progress(f"entities searched in {len(searched)} of {before.articles + len(new)} articles, deals of "
             f"{before.articles + len(new) - changed} reused from {previous.name}")
    engine = WhooshBuilder()
    manifest = Manifest(
        fingerprint=fingerprint,
        engine=engine.name,
        version=__version__,
        articles=before.articles + len(new),
        passages=before.passages + sum(len(passage_texts(a.body)) + len(a.teasers) for a in new),
        mode="incremental",
        previous=previous.name,
    )
    spans = update.entities.spans

    def write(staging: Path, finish: _Finisher) -> None:
        shutil.copyfile(previous / KNOWLEDGE, staging / KNOWLEDGE)
        apply_delta(staging / KNOWLEDGE, StoreDelta(
            fingerprint, new, update.entities.mentions, update.entities.entities, update.deals
        ), previous / RELATED_PAIRS, staging / RELATED_PAIRS)
        finish(staging / KNOWLEDGE, staging / RELATED_PAIRS)
        deals = [d for found in update.deals.values() for d in found]
        if not engine.append(staging, previous, new, deals, [d for old in update.old_deals.values() for d in old],
                             progress):
            raise DeltaError("the deal index would hold too many deleted deals to be appended to")
        finish.new_files(staging)
        deals_by_article.splice(previous / DEALS_BY_ARTICLE, staging / DEALS_BY_ARTICLE, update.per_article)
        finish(staging / DEALS_BY_ARTICLE)
        (staging / ENTITY_FINDS).write_bytes(splice(finds, update.entities.names, {
            a.id: [[StoredSpan(s.entity_id, s.start, s.end) for s in spans[p.passage_id]] for p in a.passages()]
            for a in searched
        }, update.entities.words))

    try:
        final = _publish(settings, manifest, sources, previous, write)
    except DeltaError as exc:
        progress(f"{exc}: updating from whole knowledge bases")
        return None
    stats = store_stats(final / KNOWLEDGE)
    progress(f"index ready (incremental build, by rows): {manifest.articles} articles, {manifest.passages} "
             f"passages, {stats['entities']} entities, {stats['deals']} deals")
    return final


def _articles_since(settings: Settings, previous_kb: KnowledgeBase) -> list[Article]:
    """What `load_articles` returns, reading only the article files the previous build did not have (its
    files are unchanged, checked by `update_plan`, so its articles are theirs)."""
    from newscorpus.ingest.store import load_articles, read_article

    known = {a.id for a in previous_kb.articles}
    paths = sorted(settings.articles_dir.glob("*.md")) if settings.articles_dir.is_dir() else []
    new = [read_article(p) for p in paths if p.stem not in known]
    if len(paths) != len(known) + len(new):
        return load_articles(settings.corpus_dir)  # not one file per known article: read them all
    return sorted([*previous_kb.articles, *new], key=lambda a: a.id)


def _deals_by_article(folder: Path) -> dict[str, ArticleDeals] | None:
    """The previous build's per-article deals; None (extract all again) when unreadable."""
    from newscorpus.extract import deals_by_article

    try:
        return deals_by_article.read(folder / DEALS_BY_ARTICLE)
    except (OSError, ValueError):
        return None


def _entity_finds(folder: Path) -> StoredFinds | None:
    """The previous build's entity finds; None (search every article) when missing or unreadable."""
    from newscorpus.extract.entity_finds import load

    try:
        return load((folder / ENTITY_FINDS).read_bytes())
    except (OSError, ValueError):
        return None


def _make_live(index_dir: Path, folder: Path) -> None:
    """Point CURRENT at `folder` in one atomic rename, then drop leftovers of killed builds and every
    build but the new one and the one it replaces: processes still reading the replaced build (a server
    finishing a call before it switches, an engine that rereads its table of contents) keep working.
    Safe because the caller holds the build lock."""
    previous = live_build(index_dir)
    pointer = index_dir / f"{CURRENT}.{uuid.uuid4().hex[:8]}"
    try:
        with pointer.open("w", encoding="utf-8") as fh:
            fh.write(folder.name + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(pointer, index_dir / CURRENT)
    finally:
        pointer.unlink(missing_ok=True)
    _fsync(index_dir)
    keep = {folder.name, previous.name if previous else ""}
    for old in index_dir.iterdir():
        if old.name in keep:
            continue
        if old.is_dir() and old.name.startswith(("b-", "tmp-")):
            shutil.rmtree(old, ignore_errors=True)
        elif old.is_file() and old.name.startswith(f"{CURRENT}."):
            old.unlink(missing_ok=True)


def ensure_index(settings: Settings, *, progress: Progress = lambda _msg: None, rebuild: bool = False) -> Path:
    """The live build folder, building it first when missing, stale, damaged, or `rebuild` is set."""
    fingerprint, corpus, signature = _current(settings)
    folder = live_build(settings.index_dir)
    if not rebuild and folder is not None and _fresh(folder, fingerprint):
        return folder
    try:
        settings.index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BuildError(f"cannot create the index folder {settings.index_dir}: {exc.strerror or exc}") from exc
    with build_lock(settings.index_dir, progress) as waited:
        folder = live_build(settings.index_dir)
        if not rebuild and folder is not None and _fresh(folder, fingerprint):
            return folder  # another process built it while we waited for the lock
        try:
            unchanged = corpus is not None and (not waited or _corpus_signature(settings)[0] == signature)
        except OSError:
            unchanged = False
        if not unchanged:
            corpus = None  # not read, or the files changed while we waited for the lock: read them again
        if rebuild:
            progress(f"rebuilding the index in {settings.index_dir}")
        elif folder is None and (settings.index_dir / CURRENT).exists():
            progress(f"the index in {settings.index_dir} names no complete build: rebuilding it")
        elif folder is None:
            progress(f"building the index in {settings.index_dir}")
        elif (problem := damage(folder, trust_unchanged=True)) is not None:  # as at every start
            progress(f"the index in {folder} is damaged ({problem}): rebuilding it")
        else:
            return _update(settings, folder, progress, corpus)
        return build_index(settings, progress=progress, corpus=corpus)


def _update(settings: Settings, folder: Path, progress: Progress, corpus: tuple[str, Sources] | None) -> Path:
    """Incremental update from the live build when only article files were added, else a full rebuild.
    `corpus` is `read_corpus(settings)` when the caller has just read it."""
    try:
        corpus = corpus or read_corpus(settings)
        added, reason = update_plan(folder, corpus[1])
    except OSError as exc:
        added, reason = [], f"cannot read the corpus ({exc.strerror or exc})"
    if not added:
        progress(f"corpus changed since the last build ({reason}): rebuilding the index")
        return build_index(settings, progress=progress, corpus=corpus)
    progress(
        f"{len(added)} new article file(s) since the last build and nothing else changed: "
        "updating the index incrementally"
    )
    try:
        built = _update_by_rows(settings, folder, added, corpus, progress)
    except BuildError:
        raise
    except Exception as exc:  # a fault of the update by rows: the update from whole knowledge bases may work
        progress(f"the update by rows failed ({type(exc).__name__}: {exc}): updating from whole knowledge bases")
        built = None
    if built is not None:
        return built
    try:
        return build_index(settings, progress=progress, previous=folder, corpus=corpus)
    except BuildError:
        raise
    except Exception as exc:  # the update path failed where a full build may not: never leave the corpus unindexed
        progress(f"the incremental update failed ({type(exc).__name__}: {exc}): rebuilding the index")
        return build_index(settings, progress=progress)


def open_index(settings: Settings, opener: Callable[[Path], T], *, progress: Progress = lambda _msg: None) -> T:
    """`opener(live build folder)`, building first as `ensure_index` does. A build that cannot be opened
    is rebuilt once; when a needed build fails but an intact older one exists, that one is served."""
    try:
        folder = ensure_index(settings, progress=progress)
    except BuildError as exc:
        stale = live_build(settings.index_dir)
        if stale is None or damage(stale) is not None:
            raise
        progress(f"{exc} Serving the previous index ({stale.name}) until a build succeeds.")
        folder = stale
    try:
        return opener(folder)
    except Exception as exc:  # the engine or the knowledge base refused a build that passed the checksums
        if live_build(settings.index_dir) not in (folder, None):
            return opener(ensure_index(settings, progress=progress))  # a newer build went live meanwhile
        progress(f"the index in {folder} cannot be opened ({type(exc).__name__}: {exc}): rebuilding it")
        return opener(ensure_index(settings, progress=progress, rebuild=True))


def open_knowledge(folder: Path) -> KnowledgeStore:
    """The build's knowledge store, opened for reading record by record (what the query API uses)."""
    return KnowledgeStore(folder / KNOWLEDGE)


def load_knowledge(folder: Path, *, mentions: bool = True) -> KnowledgeBase:
    """The build's whole knowledge base in memory (an incremental update reads it, without the entities'
    mentions; so do tests)."""
    store = open_knowledge(folder)
    try:
        return store.knowledge_base(mentions=mentions)
    finally:
        store.close()
