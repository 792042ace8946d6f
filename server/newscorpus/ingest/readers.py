"""File formats → raw documents: the text plus whatever metadata the file states explicitly.

Readers only decode and split; they never guess. Inference from the text happens in `clean.py`, and
explicitly given metadata always wins over it. Plain text, Markdown and JSON are read here; HTML pages
(`webpage.py`) and RSS/Atom feeds (`feeds.py`) have their own modules, imported only when such a file is
read (their parsers take a moment to import).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

TEXT_SUFFIXES = frozenset({".txt", ".text"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
JSON_SUFFIXES = frozenset({".json"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
FEED_SUFFIXES = frozenset({".rss", ".atom", ".xml"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | JSON_SUFFIXES | JSONL_SUFFIXES | HTML_SUFFIXES | FEED_SUFFIXES

META_KEYS = ("title", "url", "published", "publisher", "author", "language")
TEXT_KEYS = ("text", "body")

_HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*)\s*:\s?(.*)$")
_FENCE = re.compile(r"^-{3,}\s*$")


class ReadError(ValueError):
    """A file (or one record of it) that cannot be read; the message is the reason shown to the user."""


@dataclass
class RawDocument:
    """One article's raw text and the metadata its file states; `origin` names it in reports."""

    text: str
    origin: str
    source_file: str
    meta: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)
    markdown: bool = False


@dataclass
class ReadResult:
    """Documents read from one file, plus per-record failures that did not stop the rest."""

    documents: list[RawDocument] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)


def check_bytes(data: bytes) -> None:
    """Refuse binary (NUL bytes) and blank files, whatever their declared encoding."""
    if b"\x00" in data:
        raise ReadError("binary file (contains NUL bytes)")
    if not data.strip():
        raise ReadError("empty file (no text)")


def decode(data: bytes) -> str:
    """UTF-8 (BOM optional) with normalized newlines; binary or blank content is refused with a reason."""
    check_bytes(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReadError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ReadError("empty file (no text)")
    return text


def read_file(path: Path) -> ReadResult:
    """Dispatch on the suffix; raises ReadError when the whole file is unusable."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ReadError(f"unsupported file type {suffix or '(none)'!r}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReadError(f"cannot read file: {exc.strerror or exc}") from exc
    if suffix in HTML_SUFFIXES:
        from newscorpus.ingest.webpage import read_html

        return ReadResult([read_html(data, path.name)])
    if suffix in FEED_SUFFIXES:
        from newscorpus.ingest.feeds import read_feed

        return read_feed(data, path.name)
    text = decode(data)
    if suffix in TEXT_SUFFIXES:
        return ReadResult([read_text(text, path.name)])
    if suffix in MARKDOWN_SUFFIXES:
        return ReadResult([read_markdown(text, path.name)])
    if suffix in JSON_SUFFIXES:
        return read_json(text, path.name)
    return read_jsonl(text, path.name)


def _split_meta(values: dict[str, object]) -> tuple[dict[str, str], dict[str, str]]:
    """Known keys → meta, everything else → extra (kept, never rejected); values become strings."""
    meta: dict[str, str] = {}
    extra: dict[str, str] = {}
    for key, value in values.items():
        if value is None:
            continue
        text = _to_str(value)
        name = str(key).strip().lower()
        if name in META_KEYS:
            meta[name] = text.strip()
        else:
            extra[str(key)] = text
    return meta, extra


def _to_str(value: object) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def read_text(text: str, name: str) -> RawDocument:
    """Plain text, optionally opened by a `key: value` header block that a `---` line ends."""
    lines = text.split("\n")
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    header: dict[str, object] = {}
    for i in range(start, len(lines)):
        line = lines[i].strip()
        if _FENCE.match(line) and header:
            meta, extra = _split_meta(header)
            return RawDocument("\n".join(lines[i + 1 :]), name, name, meta, extra)
        m = _HEADER_LINE.match(line)
        if not m:
            break
        header[m.group(1)] = m.group(2).strip()
    return RawDocument(text, name, name)


def read_markdown(text: str, name: str) -> RawDocument:
    """Markdown with optional YAML front matter; heading markers are stripped later by the cleaner."""
    lines = text.split("\n")
    if lines and _FENCE.match(lines[0].strip()):
        for i in range(1, len(lines)):
            if _FENCE.match(lines[i].strip()):
                try:
                    loaded = yaml.safe_load("\n".join(lines[1:i])) or {}
                except yaml.YAMLError as exc:
                    raise ReadError(f"invalid YAML front matter: {_first_line(exc)}") from exc
                if not isinstance(loaded, dict):
                    raise ReadError("front matter is not a mapping of keys to values")
                meta, extra = _split_meta(loaded)
                return RawDocument("\n".join(lines[i + 1 :]), name, name, meta, extra, markdown=True)
        raise ReadError("front matter opened with '---' but never closed")
    return RawDocument(text, name, name, markdown=True)


def _record(obj: object, origin: str) -> RawDocument:
    """A JSON object → document; `text` wins over `body`, other fields are metadata or extra."""
    if not isinstance(obj, dict):
        raise ReadError(f"expected a JSON object, got {type(obj).__name__}")
    values = dict(obj)
    key = next((k for k in TEXT_KEYS if isinstance(values.get(k), str) and values[k].strip()), None)
    if key is None:
        raise ReadError("record has no non-empty 'text' or 'body' field")
    text = values.pop(key).replace("\r\n", "\n").replace("\r", "\n")
    meta, extra = _split_meta(values)
    return RawDocument(text, origin, origin, meta, extra)


def read_json(text: str, name: str) -> ReadResult:
    """One object or a list of objects; a bad element is reported, the others still count."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReadError(f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from exc
    if isinstance(data, dict):
        return ReadResult([_record(data, name)])
    if not isinstance(data, list):
        raise ReadError("JSON must be an object or a list of objects")
    result = ReadResult()
    for n, item in enumerate(data, start=1):
        origin = f"{name}#{n}"
        try:
            result.documents.append(_record(item, origin))
        except ReadError as exc:
            result.failures.append((origin, f"item {n}: {exc}"))
    return result


def read_jsonl(text: str, name: str) -> ReadResult:
    """One object per line; a bad line is reported with its number and the good lines still ingested."""
    result = ReadResult()
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        origin = f"{name}:{lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            result.failures.append((origin, f"line {lineno}: invalid JSON: {exc.msg} (column {exc.colno})"))
            continue
        try:
            result.documents.append(_record(obj, origin))
        except ReadError as exc:
            result.failures.append((origin, f"line {lineno}: {exc}"))
    return result


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
