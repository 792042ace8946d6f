"""The MCP Bundle for Claude Desktop: the committed manifest matches the real server, the official `mcpb`
CLI validates and packs it, and the packed bundle starts the server the way its manifest says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from newscorpus.config import Settings
from newscorpus.mcp_server import create_server
from newscorpus.query.api import CorpusQuery

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "packaging" / "mcpb" / "build.py"
MANIFEST = REPO / "packaging" / "mcpb" / "manifest.json"


def test_committed_manifest_is_current() -> None:
    command = [sys.executable, str(BUILD), "manifest", "--check"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr


@pytest.mark.anyio
async def test_manifest_lists_exactly_the_servers_tools_and_prompts(corpus_query: CorpusQuery) -> None:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    async with Client(create_server(corpus_query)) as client:
        tools = [t.name for t in (await client.list_tools()).tools]
        prompts = {p.name: [a.name for a in p.arguments or []] for p in (await client.list_prompts()).prompts}
    assert [t["name"] for t in manifest["tools"]] == tools
    assert {p["name"]: p["arguments"] for p in manifest["prompts"]} == prompts
    assert all(t["description"] for t in manifest["tools"])
    assert manifest["manifest_version"] == "0.3" and manifest["server"]["type"] == "python"
    assert manifest["user_config"]["corpus_dir"]["type"] == "directory"
    assert manifest["user_config"]["corpus_dir"]["required"] is False


def test_mcpb_validate_accepts_the_manifest(node_clients: Path) -> None:
    done = subprocess.run(
        [str(node_clients / "node_modules" / ".bin" / "mcpb"), "validate", str(MANIFEST)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0 and "validation passes" in done.stdout, done.stdout + done.stderr


@pytest.mark.anyio
async def test_packed_bundle_starts_the_server_as_its_manifest_says(
    node_clients: Path, corpus_settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "newscorpus.mcpb"
    command = [sys.executable, str(BUILD), "pack", "--no-deps", "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(out) as archive:
        archive.extractall(unpacked)
    manifest = json.loads((unpacked / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["compatibility"]["runtimes"]["python"].startswith(f">={sys.version_info[0]}.{sys.version_info[1]}")
    config = manifest["server"]["mcp_config"]

    def expand(value: str) -> str:  # what Claude Desktop substitutes; the corpus setting left empty
        return value.replace("${__dirname}", str(unpacked)).replace("${user_config.corpus_dir}", "")

    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCORPUS_")}
    env.update({k: expand(v) for k, v in config["env"].items()})
    env["NEWSCORPUS_INDEX"] = str(tmp_path / "index")
    # --no-deps bundles hold only newscorpus: its dependencies come from this test's environment
    env["PYTHONPATH"] += os.pathsep + os.pathsep.join(p for p in sys.path if p.endswith("site-packages"))
    params = StdioServerParameters(command=sys.executable, args=[expand(a) for a in config["args"]], env=env)
    with (tmp_path / "stderr.log").open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog)) as client:  # type: ignore[arg-type]
            assert [t.name for t in (await client.list_tools()).tools] == [t["name"] for t in manifest["tools"]]
            stats = json.loads((await client.read_resource("newscorpus://stats")).contents[0].text)  # type: ignore[union-attr]
    assert stats["corpus_dir"] == str((unpacked / "corpus").resolve())
    assert stats["articles"] == len(list((unpacked / "corpus" / "articles").glob("*.md")))
