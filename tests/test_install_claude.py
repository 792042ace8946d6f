"""`newscorpus install-claude`: the Claude Desktop entry on macOS, Windows and Linux folder layouts.

Each OS layout is exercised by passing the platform name with a home folder and environment under the
test's tmp dir; the real writer writes the real file there. The host's own layout is also run through the
CLI, and the written entry is then used, as Claude Desktop would, to start the server over stdio.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from newscorpus.claude_desktop import (
    InstallError,
    config_path,
    newscorpus_command,
    plan_install,
    write_config,
)
from newscorpus.config import Settings

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
NEWSCORPUS = Path(sys.executable).parent / "newscorpus"
TOOLS = {"search_articles", "get_article", "list_entities", "get_entity", "list_deals", "get_deal"}

OTHER_SERVERS = {
    "filesystem": {
        "command": "npx",
        "args": ["-y", "@modelcontextprotocol/server-filesystem", "/Users/jana/Desktop"],
    },
    "weather": {"command": "uvx", "args": ["weather-mcp"], "env": {"API_KEY": "k-123"}},
}
EXISTING = {"globalShortcut": "Ctrl+Space", "mcpServers": OTHER_SERVERS}


def layout(platform: str, tmp_path: Path) -> tuple[dict[str, str], Path, Path]:
    """(environment, home, the config file Claude Desktop reads) for one OS layout under tmp_path."""
    home = tmp_path / "home"
    env = {"APPDATA": str(home / "AppData" / "Roaming"), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    expected = {
        "darwin": home / "Library" / "Application Support" / "Claude",
        "win32": home / "AppData" / "Roaming" / "Claude",
        "linux": tmp_path / "xdg" / "Claude",
    }[platform]
    return env, home, expected / "claude_desktop_config.json"


@pytest.mark.parametrize("platform", ["darwin", "win32", "linux"])
def test_entry_is_added_next_to_other_servers_with_a_backup(platform: str, tmp_path: Path) -> None:
    env, home, path = layout(platform, tmp_path)
    path.parent.mkdir(parents=True)
    original = json.dumps(EXISTING, indent=4)
    path.write_text(original, encoding="utf-8")

    plan = plan_install(CORPUS, platform=platform, env=env, home=home)
    assert plan.config_path == path and plan.changed
    assert plan.other_servers == ["filesystem", "weather"]
    printed = json.loads(plan.snippet())  # what --dry-run prints
    entry = printed["mcpServers"]["newscorpus"]
    assert Path(entry["command"]).is_absolute() and Path(entry["command"]).exists()
    assert entry["args"][-3:] == ["serve", "--corpus", str(CORPUS)]
    assert Path(entry["args"][-1]).is_absolute()
    assert path.read_text(encoding="utf-8") == original, "planning must not write"

    backup = write_config(plan, now=dt.datetime(2026, 1, 22, 9, 30, 0))
    assert backup == path.with_name("claude_desktop_config.json.20260122-093000.bak")
    assert backup.read_text(encoding="utf-8") == original
    written = json.loads(path.read_text(encoding="utf-8"))
    assert written["globalShortcut"] == "Ctrl+Space"
    assert {k: v for k, v in written["mcpServers"].items() if k != "newscorpus"} == OTHER_SERVERS
    assert written["mcpServers"]["newscorpus"] == entry
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []  # no temp file left


@pytest.mark.parametrize("platform", ["darwin", "win32", "linux"])
def test_first_install_creates_the_folder_and_file(platform: str, tmp_path: Path) -> None:
    env, home, path = layout(platform, tmp_path)
    plan = plan_install(CORPUS, name="news-de", platform=platform, env=env, home=home)
    assert write_config(plan) is None  # nothing to back up
    assert list(json.loads(path.read_text(encoding="utf-8"))["mcpServers"]) == ["news-de"]


@pytest.mark.parametrize("platform", ["darwin", "win32", "linux"])
def test_update_replaces_only_our_entry_and_keeps_user_env(platform: str, tmp_path: Path) -> None:
    env, home, path = layout(platform, tmp_path)
    write_config(plan_install(CORPUS, platform=platform, env=env, home=home))
    config = json.loads(path.read_text(encoding="utf-8"))
    config["mcpServers"]["newscorpus"]["env"] = {"NEWSCORPUS_INDEX": "/data/index"}
    config["mcpServers"].update(OTHER_SERVERS)
    path.write_text(json.dumps(config), encoding="utf-8")

    other = tmp_path / "my-corpus"
    (other / "articles").mkdir(parents=True)
    plan = plan_install(other, platform=platform, env=env, home=home)
    assert plan.changed
    write_config(plan)
    written = json.loads(path.read_text(encoding="utf-8"))["mcpServers"]
    assert written["newscorpus"]["args"][-1] == str(other.resolve())
    assert written["newscorpus"]["env"] == {"NEWSCORPUS_INDEX": "/data/index"}
    assert {k: v for k, v in written.items() if k != "newscorpus"} == OTHER_SERVERS

    again = plan_install(other, platform=platform, env=env, home=home)
    assert not again.changed and write_config(again) is None
    assert len(list(path.parent.glob("*.bak"))) == 1


def test_default_folders_without_appdata_or_xdg(tmp_path: Path) -> None:
    name = "claude_desktop_config.json"
    assert config_path("win32", {}, tmp_path) == tmp_path / "AppData" / "Roaming" / "Claude" / name
    assert config_path("linux", {}, tmp_path) == tmp_path / ".config" / "Claude" / name


@pytest.mark.parametrize(
    ("platform", "script"), [("win32", "newscorpus.exe"), ("darwin", "newscorpus"), ("linux", "newscorpus")]
)
def test_command_is_the_script_next_to_the_python(platform: str, script: str, tmp_path: Path) -> None:
    (tmp_path / script).write_bytes(b"")
    assert newscorpus_command(platform, bin_dir=tmp_path) == [str(tmp_path / script)]
    assert newscorpus_command(sys.platform) == [str(NEWSCORPUS)]


def test_invalid_config_is_refused_and_left_untouched(tmp_path: Path) -> None:
    env, home, path = layout("linux", tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text('{"mcpServers": {"a": {"command": "x",}}}', encoding="utf-8")
    with pytest.raises(InstallError, match=r"not valid JSON .*line 1.*Nothing was changed"):
        plan_install(CORPUS, platform="linux", env=env, home=home)
    path.write_text('{"mcpServers": ["a"]}', encoding="utf-8")
    with pytest.raises(InstallError, match="'mcpServers' is not a JSON object"):
        plan_install(CORPUS, platform="linux", env=env, home=home)
    assert path.read_text(encoding="utf-8") == '{"mcpServers": ["a"]}'


def test_bad_name_and_non_corpus_folder_are_refused(tmp_path: Path) -> None:
    env, home, _ = layout("darwin", tmp_path)
    with pytest.raises(InstallError, match="invalid server name"):
        plan_install(CORPUS, name="my server!", platform="darwin", env=env, home=home)
    with pytest.raises(InstallError, match="no articles/ folder"):
        plan_install(tmp_path, platform="darwin", env=env, home=home)


def run_cli(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCORPUS_")}
    env.update({"HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
                "APPDATA": str(tmp_path / "home" / "AppData" / "Roaming")})  # fmt: skip
    return subprocess.run([str(NEWSCORPUS), *args], capture_output=True, text=True, env=env, timeout=60)


def host_platform() -> str:
    return sys.platform if sys.platform in ("darwin", "win32") else "linux"


def test_cli_dry_run_prints_the_entry_and_writes_nothing(tmp_path: Path) -> None:
    done = run_cli("install-claude", "--dry-run", "--corpus", str(CORPUS), tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "mcpServers": {
            "newscorpus": {"command": str(NEWSCORPUS), "args": ["serve", "--corpus", str(CORPUS)], "env": {}}
        }
    }
    _, _, path = layout(host_platform(), tmp_path)
    assert str(path) in done.stderr and not path.exists()


def test_cli_bad_input_is_one_clear_line(tmp_path: Path) -> None:
    done = run_cli("install-claude", "--corpus", str(tmp_path), tmp_path=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "no articles/ folder" in done.stderr


@pytest.mark.anyio
async def test_the_written_entry_starts_a_working_server(corpus_settings: Settings, tmp_path: Path) -> None:
    """What Claude Desktop does with the entry: run `command args` with `env`, speak MCP over stdio."""
    done = run_cli("install-claude", "--corpus", str(CORPUS), tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    _, _, path = layout(host_platform(), tmp_path)
    entry = json.loads(path.read_text(encoding="utf-8"))["mcpServers"]["newscorpus"]
    env = {**os.environ, **entry["env"], "NEWSCORPUS_INDEX": str(corpus_settings.index_dir)}
    params = StdioServerParameters(command=entry["command"], args=entry["args"], env=env)
    with (tmp_path / "stderr.log").open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog)) as client:  # type: ignore[arg-type]
            assert {t.name for t in (await client.list_tools()).tools} == TOOLS
