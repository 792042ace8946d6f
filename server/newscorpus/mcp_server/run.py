"""Serving the MCP server over stdio or Streamable HTTP.

Over stdio, stdout belongs to the protocol: logging and index-build progress go to stderr, and the index
is opened with stdout redirected to stderr so a stray print cannot corrupt the stream.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import sys
from typing import TYPE_CHECKING, Any, Literal

import uvicorn
from mcp.server.mcpserver import MCPServer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse

from newscorpus.config import Settings
from newscorpus.mcp_server.app import create_server

if TYPE_CHECKING:
    from newscorpus.query.api import CorpusQuery

log = logging.getLogger("newscorpus.mcp_server")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
MCP_PATH = "/mcp"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")

Transport = Literal["stdio", "http"]


def configure_logging(level: int = logging.INFO) -> None:
    """Everything to stderr; the SDK's own `basicConfig` later is then a no-op."""
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )


def _progress(message: str) -> None:
    print(f"newscorpus: {message}", file=sys.stderr, flush=True)


def open_query(settings: Settings) -> CorpusQuery:
    """Opens (building if needed) the index; any output of the build is kept off stdout."""
    from newscorpus.query.api import CorpusQuery  # the query stack loads only when serving

    with contextlib.redirect_stdout(sys.stderr):
        return CorpusQuery.open(settings, progress=_progress)


def add_health_route(server: MCPServer) -> None:
    """`GET /health` → `{"status": "ok"}`: liveness only, nothing about the corpus or the host."""

    @server.custom_route("/health", methods=["GET"], include_in_schema=False)
    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})


def http_app(server: MCPServer, host: str) -> Starlette:
    """The Streamable HTTP app (`/mcp`, `/health`). The SDK turns DNS-rebinding protection on by itself
    when `host` is a loopback address (foreign Host → 421, foreign Origin → 403)."""
    add_health_route(server)
    return server.streamable_http_app(streamable_http_path=MCP_PATH, host=host)


def _uvicorn_log_config() -> dict[str, Any]:
    """Uvicorn's default logging, with the access log moved from stdout to stderr."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    for handler in config["handlers"].values():
        handler["stream"] = "ext://sys.stderr"
    return config


def serve(
    settings: Settings,
    transport: Transport = "stdio",
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
) -> None:
    """Open the corpus and serve it until the client disconnects (stdio) or the process is stopped (http)."""
    configure_logging()
    query = open_query(settings)
    server = create_server(query)
    log.info("serving %s (index %s) over %s", settings.corpus_dir, settings.index_dir, transport)
    if transport == "stdio":
        server.run("stdio")
        return
    if transport != "http":
        raise ValueError(f"transport must be 'stdio' or 'http', not {transport!r}")
    if host not in LOOPBACK_HOSTS:
        log.warning(
            "listening on %s: reachable from other machines, without authentication or DNS-rebinding "
            "protection; put it behind an authenticating proxy",
            host,
        )
    app = http_app(server, host)
    log.info("MCP endpoint http://%s:%d%s (health: /health)", host, port, MCP_PATH)
    uvicorn.run(app, host=host, port=port, log_config=_uvicorn_log_config(), log_level="info")
