"""`newscorpus install-claude`: this server's entry in Claude Desktop's `claude_desktop_config.json`.

Claude Desktop starts each MCP server from `{"mcpServers": {NAME: {"command", "args", "env"}}}` without a
shell, a working directory or the user's environment variables, so the entry pins absolute paths: the
installed `newscorpus` executable and the corpus folder. Only our entry is added or updated; every other
key and server is kept as it was, the previous file is backed up first, and the new one replaces it
atomically, so a failed write never leaves a half-written config.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

CONFIG_NAME = "claude_desktop_config.json"
DEFAULT_SERVER_NAME = "newscorpus"
PLATFORMS = ("darwin", "win32", "linux")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class InstallError(ValueError):
    """The entry cannot be written; the message says why and what to do."""


class ServerEntry(BaseModel):
    """One `mcpServers` entry as Claude Desktop reads it."""

    model_config = ConfigDict(frozen=True)

    command: str
    args: list[str]
    env: dict[str, str] = {}


class InstallPlan(BaseModel):
    """What `install-claude` writes (or, with `--dry-run`, would write) and where."""

    config_path: Path
    name: str
    entry: ServerEntry
    other_servers: list[str]
    config: dict[str, Any]
    changed: bool

    def snippet(self) -> str:
        """The entry as it appears in the config file, for the user to read or paste."""
        return json.dumps({"mcpServers": {self.name: self.entry.model_dump()}}, indent=2, ensure_ascii=False)


def config_dir(platform: str, env: Mapping[str, str], home: Path) -> Path:
    """Claude Desktop's config folder on macOS (`darwin`), Windows (`win32`) and Linux (anything else)."""
    if platform == "darwin":
        return home / "Library" / "Application Support" / "Claude"
    if platform == "win32":
        appdata = env.get("APPDATA")
        return (Path(appdata) if appdata else home / "AppData" / "Roaming") / "Claude"
    xdg = env.get("XDG_CONFIG_HOME")
    return (Path(xdg) if xdg else home / ".config") / "Claude"


def config_path(platform: str = sys.platform, env: Mapping[str, str] | None = None, home: Path | None = None) -> Path:
    return config_dir(platform, os.environ if env is None else env, Path.home() if home is None else home) / CONFIG_NAME


def newscorpus_command(platform: str = sys.platform, bin_dir: Path | None = None) -> list[str]:
    """Absolute command that starts the installed CLI: the `newscorpus` script next to this Python (a venv's
    bin/ or Scripts/), else the one on PATH, else this Python running the module."""
    folder = Path(sys.executable).parent if bin_dir is None else bin_dir
    script = folder / ("newscorpus.exe" if platform == "win32" else "newscorpus")
    if script.is_file():
        return [str(script.absolute())]
    found = shutil.which("newscorpus")
    if found:
        return [str(Path(found).absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "newscorpus.cli"]


def server_entry(corpus_dir: Path, command: list[str]) -> ServerEntry:
    """`<newscorpus> serve --corpus <abs dir>`: stdio, the transport Claude Desktop speaks."""
    return ServerEntry(command=command[0], args=[*command[1:], "serve", "--corpus", str(corpus_dir)])


def plan_install(
    corpus_dir: Path,
    *,
    name: str = DEFAULT_SERVER_NAME,
    platform: str = sys.platform,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
    command: list[str] | None = None,
) -> InstallPlan:
    """The config with our entry added or updated; reads the current file but writes nothing."""
    if not _NAME.match(name):
        raise InstallError(
            f"invalid server name {name!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    corpus_dir = corpus_dir.expanduser().resolve()
    if not (corpus_dir / "articles").is_dir():
        raise InstallError(
            f"{corpus_dir} is not a corpus folder (it has no articles/ folder); "
            "pass --corpus DIR with a folder made by `newscorpus ingest`"
        )
    path = config_path(platform, env, home)
    config = _load(path)
    servers = config.setdefault("mcpServers", {})
    if not isinstance(servers, dict):
        raise InstallError(f"{path}: 'mcpServers' is not a JSON object; fix or remove it, then run again")
    entry = server_entry(corpus_dir, command or newscorpus_command(platform))
    before = json.dumps(servers.get(name), sort_keys=True)
    old = servers.get(name) if isinstance(servers.get(name), dict) else {}
    old_env = old.get("env") if isinstance(old.get("env"), dict) else {}
    # the user's own additions to our entry (e.g. NEWSCORPUS_INDEX in env) survive an update
    merged = {**old, **entry.model_dump(exclude={"env"}), "env": {**old_env, **entry.env}}
    servers[name] = merged
    return InstallPlan(
        config_path=path,
        name=name,
        entry=ServerEntry.model_validate(merged),
        other_servers=sorted(k for k in servers if k != name),
        config=config,
        changed=before != json.dumps(merged, sort_keys=True),
    )


def write_config(plan: InstallPlan, now: dt.datetime | None = None) -> Path | None:
    """Back up the current file (if any) and atomically replace it; returns the backup's path."""
    if not plan.changed:
        return None
    path = plan.config_path
    path.parent.mkdir(parents=True, exist_ok=True)
    backup = None
    if path.exists():
        stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
        backup = path.with_name(f"{path.name}.{stamp}.bak")
        shutil.copy2(path, backup)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(plan.config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return backup


def _load(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InstallError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InstallError(
            f"{path} is not valid JSON ({exc.msg}, line {exc.lineno}, column {exc.colno}); "
            "fix it (Claude Desktop cannot read it either), then run again. Nothing was changed."
        ) from exc
    if not isinstance(data, dict):
        raise InstallError(f"{path} does not hold a JSON object; fix it, then run again. Nothing was changed.")
    return data
