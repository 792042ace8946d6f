"""Configuration in one place: command-line flags win over environment variables, which win over defaults."""

from __future__ import annotations

import hashlib
import ipaddress
import os
import sys
import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr

ENV_CORPUS = "NEWSCORPUS_CORPUS"
ENV_INDEX = "NEWSCORPUS_INDEX"
ENV_TOKEN = "NEWSCORPUS_TOKEN"
# Fault-testing hook, see `pause_point`; unset in normal use.
ENV_PAUSE_AT = "NEWSCORPUS_PAUSE_AT"

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
# Tool arguments are short (queries are capped at 1000 characters): 256 KiB is ample for any honest
# request and keeps a hostile client from making the server buffer megabytes per call.
MAX_REQUEST_BODY_BYTES = 256 * 1024

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


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the server reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class HttpSettings(BaseModel):
    """Who can reach the Streamable HTTP endpoint: bind address, bearer token, accepted Host names."""

    model_config = ConfigDict(frozen=True)

    host: str = DEFAULT_HOST
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    # SecretStr: the token never shows up in a repr, a log line or a traceback.
    token: SecretStr | None = None
    # Host header values (`name` or `name:port`) clients use besides the bind address, e.g. a public name.
    allowed_hosts: tuple[str, ...] = ()
    max_request_body_bytes: int = MAX_REQUEST_BODY_BYTES

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)

    @classmethod
    def resolve(
        cls,
        host: str | None = None,
        port: int | None = None,
        token: str | None = None,
        allowed_hosts: tuple[str, ...] | list[str] = (),
    ) -> HttpSettings:
        """Flags win over NEWSCORPUS_TOKEN; an empty token counts as none."""
        value = token or os.environ.get(ENV_TOKEN) or None
        return cls(
            host=host or DEFAULT_HOST,
            port=DEFAULT_PORT if port is None else port,
            token=SecretStr(value) if value else None,
            allowed_hosts=tuple(allowed_hosts),
        )


def pause_point(stage: str) -> None:
    """Fault-testing hook: with NEWSCORPUS_PAUSE_AT=<stage>[@<seconds>] (default 60 s) a build or ingest
    announces `newscorpus: paused at <stage>` on stderr and sleeps there, so a test can `kill -9` the
    process at a known point instead of racing it. Stages: `ingest:article-written` (after each stored
    article), `index:staged` (search index written, knowledge base not yet), `index:built` (build complete,
    not yet live). Does nothing when the variable is unset or names another stage."""
    wanted, _, seconds = os.environ.get(ENV_PAUSE_AT, "").partition("@")
    if wanted != stage:
        return
    print(f"newscorpus: paused at {stage} ({ENV_PAUSE_AT})", file=sys.stderr, flush=True)
    time.sleep(float(seconds or 60))
