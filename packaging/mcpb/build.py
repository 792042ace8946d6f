"""Builds the newscorpus MCP Bundle (`.mcpb`) for Claude Desktop.

    .venv/bin/python packaging/mcpb/build.py manifest          # regenerate packaging/mcpb/manifest.json
    .venv/bin/python packaging/mcpb/build.py manifest --check  # exit 1 if it is out of date
    .venv/bin/python packaging/mcpb/build.py pack [--out dist/newscorpus.mcpb] [--stage DIR] [--no-deps]

The manifest's tool and prompt lists come from the real server (an in-process MCP session over the bundled
corpus), so they cannot drift from the code; the test suite checks the committed file is current.

`pack` stages the bundle (manifest, `server/main.py`, the project and its dependencies installed into
`server/lib` by pip, the bundled corpus' articles and annotations) and packs it with the official
`mcpb` CLI from `clients/node_modules` (`npm ci` in clients/ first). Compiled dependencies (pydantic-core,
lxml, PyStemmer) make the staged bundle specific to this machine's OS and Python minor version, so the
staged manifest pins both under `compatibility`; the committed manifest stays machine-independent.
A full pack takes minutes (pip installs ~130 MB); `--no-deps` copies only the newscorpus package into `server/lib`,
which the test suite uses to pack and start a bundle quickly with the dependencies already installed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "manifest.json"
ENTRY_POINT = HERE / "main.py"
MCPB = ROOT / "clients" / "node_modules" / ".bin" / "mcpb"
CORPUS_PARTS = ("articles", "annotations")
PYTHON_REQUIRES = ">=3.11"


async def _server_surface() -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """Tools and prompts exactly as the server lists them, over the bundled corpus."""
    from mcp import Client

    from newscorpus.config import BUNDLED_CORPUS, Settings
    from newscorpus.mcp_server import create_server
    from newscorpus.query.api import CorpusQuery

    with tempfile.TemporaryDirectory() as index:
        query = CorpusQuery.open(Settings.resolve(corpus=BUNDLED_CORPUS, index=index))
        try:
            async with Client(create_server(query)) as client:
                tools = [
                    {"name": t.name, "description": (t.description or "").strip().split("\n\n")[0].replace("\n", " ")}
                    for t in (await client.list_tools()).tools
                ]
                prompts = []
                for p in (await client.list_prompts()).prompts:
                    names = [a.name for a in p.arguments or []]
                    # MCPB prompt text takes ${arguments.NAME} placeholders: render the real prompt with them
                    rendered = await client.get_prompt(p.name, {n: f"${{arguments.{n}}}" for n in names})
                    text = "\n\n".join(getattr(m.content, "text", "") for m in rendered.messages)
                    prompts.append(
                        {"name": p.name, "description": p.description or "", "arguments": names, "text": text}
                    )
        finally:
            query.close()
    return tools, prompts


def build_manifest() -> dict[str, Any]:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    tools, prompts = asyncio.run(_server_surface())
    return {
        "manifest_version": "0.3",
        "name": "newscorpus",
        "display_name": "News corpus",
        "version": project["version"],
        "description": project["description"],
        "long_description": (
            "Search a news corpus and answer with citations: every tool result carries passage ids like "
            "[article_id#p2] that resolve to verbatim passages. Ships with a sample corpus of German news "
            "on AI-infrastructure deals (January 2026); choose your own corpus folder (made with "
            "`newscorpus ingest`) in the extension's settings. All tools are read-only."
        ),
        "author": {"name": "newscorpus-mcp maintainers"},
        "license": project["license"]["text"],
        "keywords": ["news", "search", "citations", "corpus", "deals"],
        "server": {
            "type": "python",
            "entry_point": "server/main.py",
            "mcp_config": {
                "command": "python3",
                "args": ["${__dirname}/server/main.py"],
                "env": {
                    "PYTHONPATH": "${__dirname}/server/lib",
                    "NEWSCORPUS_CORPUS": "${user_config.corpus_dir}",
                },
                "platform_overrides": {"win32": {"command": "python"}},
            },
        },
        "tools": tools,
        "prompts": prompts,
        "user_config": {
            "corpus_dir": {
                "type": "directory",
                "title": "Corpus folder",
                "description": (
                    "A corpus folder made by `newscorpus ingest` (it holds articles/). Leave empty to use the "
                    "sample corpus inside the bundle."
                ),
                "required": False,
            }
        },
        "compatibility": {"platforms": ["darwin", "win32", "linux"], "runtimes": {"python": PYTHON_REQUIRES}},
    }


def manifest_text(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def cmd_manifest(check: bool) -> int:
    text = manifest_text(build_manifest())
    if check:
        current = MANIFEST.read_text(encoding="utf-8") if MANIFEST.exists() else ""
        if current != text:
            script = Path(__file__).relative_to(ROOT)
            print(f"{MANIFEST} is out of date: run `.venv/bin/python {script} manifest`", file=sys.stderr)
            return 1
        print(f"{MANIFEST} is up to date", file=sys.stderr)
        return 0
    MANIFEST.write_text(text, encoding="utf-8")
    print(f"wrote {MANIFEST}", file=sys.stderr)
    return 0


def stage(folder: Path, *, deps: bool = True) -> Path:
    """The bundle tree in `folder` (emptied first), with a manifest pinned to this OS and Python."""
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "server").mkdir(parents=True)
    shutil.copy2(ENTRY_POINT, folder / "server" / "main.py")
    for part in CORPUS_PARTS:
        shutil.copytree(ROOT / "corpus" / part, folder / "corpus" / part)
    lib = folder / "server" / "lib"
    if deps:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
             "--target", str(lib), str(ROOT)],
            check=True,
        )  # fmt: skip
    else:
        source = ROOT / "server" / "newscorpus"
        shutil.copytree(source, lib / "newscorpus", ignore=shutil.ignore_patterns("__pycache__"))
    manifest = build_manifest()
    platform = sys.platform if sys.platform in ("darwin", "win32") else "linux"
    major, minor = sys.version_info[:2]
    manifest["compatibility"] = {
        "platforms": [platform],
        "runtimes": {"python": f">={major}.{minor},<{major}.{minor + 1}"},
    }
    (folder / "manifest.json").write_text(manifest_text(manifest), encoding="utf-8")
    return folder


def cmd_pack(out: Path, stage_dir: Path | None, deps: bool = True) -> int:
    if not MCPB.exists():
        print(f"{MCPB} not found: run `npm ci` in {ROOT / 'clients'} first (needs Node 20 and npm)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        folder = stage(stage_dir or Path(tmp) / "bundle", deps=deps)
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(MCPB), "validate", str(folder / "manifest.json")], check=True)
        subprocess.run([str(MCPB), "pack", str(folder), str(out)], check=True)
    print(f"wrote {out}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("manifest", help="regenerate manifest.json from the real server")
    m.add_argument("--check", action="store_true", help="exit 1 if the committed manifest is out of date")
    p = sub.add_parser("pack", help="stage the bundle with its dependencies and pack it with mcpb")
    p.add_argument("--out", type=Path, default=ROOT / "dist" / "newscorpus.mcpb")
    p.add_argument("--stage", type=Path, help="stage into this folder (kept) instead of a temporary one")
    p.add_argument("--no-deps", action="store_true", help="only newscorpus in server/lib (for tests; not for users)")
    args = parser.parse_args(argv)
    if args.command == "manifest":
        return cmd_manifest(args.check)
    return cmd_pack(args.out.resolve(), args.stage.resolve() if args.stage else None, deps=not args.no_deps)


if __name__ == "__main__":
    sys.exit(main())
