"""Serving the MCP server over stdio or Streamable HTTP.

Over stdio, stdout belongs to the protocol: logging and index-build progress go to stderr, and the index
is opened with stdout redirected to stderr so a stray print cannot corrupt the stream.

Over HTTP the defaults keep the corpus on this machine: bind 127.0.0.1, Host and Origin checked (foreign
Host → 421, foreign Origin → 403), request bodies capped. Any other bind address is refused unless a
bearer token is configured (NEWSCORPUS_TOKEN or --token), and then every /mcp request must carry it.
`/health` answers `{"status": "ok"}` to anyone and says nothing else.
"""

from __future__ import annotations

import contextlib
import copy
import ipaddress
import logging
import sys
from typing import Any, Literal

import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse

from newscorpus.config import DEFAULT_HOST, DEFAULT_PORT, ENV_TOKEN, HttpSettings, Settings
from newscorpus.mcp_server.app import create_server
from newscorpus.mcp_server.auth import token_auth

log = logging.getLogger("newscorpus.mcp_server")

MCP_PATH = "/mcp"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")

Transport = Literal["stdio", "http"]


class ExposureError(RuntimeError):
    """HTTP settings that would expose the corpus without protection; the message says what to change."""


def configure_logging(level: int = logging.INFO) -> None:
    """Everything to stderr; the SDK's own `basicConfig` later is then a no-op."""
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )


def _progress(message: str) -> None:
    print(f"newscorpus: {message}", file=sys.stderr, flush=True)


def open_corpus(settings: Settings):
    """Opens (building if needed) the index as a `LiveCorpus` that follows later builds; any output of
    the build is kept off stdout."""
    from newscorpus.mcp_server.live import LiveCorpus  # the query stack loads only when serving

    with contextlib.redirect_stdout(sys.stderr):
        return LiveCorpus.open(settings, progress=_progress)


def add_health_route(server: MCPServer) -> None:
    """`GET /health` → `{"status": "ok"}`: liveness only, nothing about the corpus or the host."""

    @server.custom_route("/health", methods=["GET"], include_in_schema=False)
    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})


def _is_wildcard(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return False


def _host_name(host: str) -> str:
    """A bind address as it appears in a Host header (IPv6 in brackets)."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def check_exposure(http: HttpSettings) -> None:
    """Refuse settings that would serve the corpus to the network without authentication."""
    if http.loopback:
        return
    if http.token is None:
        raise ExposureError(
            f"refusing to listen on {http.host}: other machines could call the server without authentication. "
            f"Set a bearer token ({ENV_TOKEN}=... or --token), or keep the default 127.0.0.1 and put an "
            "authenticating reverse proxy in front (see README, Security)."
        )
    if _is_wildcard(http.host) and not http.allowed_hosts:
        raise ExposureError(
            f"listening on {http.host} accepts any Host name, so name the ones clients use: "
            "--allowed-host news.example.org (or name:port); requests for other names get 421."
        )


def transport_security(http: HttpSettings) -> TransportSecuritySettings:
    """Host/Origin validation (DNS-rebinding protection), always on: loopback names, the bind address and
    every --allowed-host, with any port; browser Origins only for those same names."""
    names = list(LOOPBACK_NAMES)
    if not http.loopback and not _is_wildcard(http.host):
        names.append(_host_name(http.host))
    names += http.allowed_hosts
    hosts: list[str] = []
    origins: list[str] = []
    for name in dict.fromkeys(names):
        has_port = name.rsplit("]", 1)[-1].count(":") == 1
        hosts += [name] if has_port else [name, f"{name}:*"]
        for scheme in ("http", "https"):
            origins += [f"{scheme}://{name}"] if has_port else [f"{scheme}://{name}", f"{scheme}://{name}:*"]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


def http_app(server: MCPServer, http: HttpSettings) -> Starlette:
    """The Streamable HTTP app (`/mcp`, `/health`) with Host/Origin checks and the body size limit."""
    add_health_route(server)
    return server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        host=http.host,
        transport_security=transport_security(http),
        max_request_body_size=http.max_request_body_bytes,
    )


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
    *,
    token: str | None = None,
    allowed_hosts: tuple[str, ...] | list[str] = (),
) -> None:
    """Open the corpus and serve it until the client disconnects (stdio) or the process is stopped (http).

    Raises ExposureError (before touching the index) when HTTP settings would expose the corpus unprotected.
    """
    if transport not in ("stdio", "http"):
        raise ValueError(f"transport must be 'stdio' or 'http', not {transport!r}")
    configure_logging()
    http = HttpSettings.resolve(host=host, port=port, token=token, allowed_hosts=allowed_hosts)
    if transport == "http":
        check_exposure(http)
    corpus = open_corpus(settings)
    log.info("serving %s (index %s) over %s", settings.corpus_dir, settings.index_dir, transport)
    if transport == "stdio":
        create_server(corpus).run("stdio")
        return
    auth: dict[str, Any] = {}
    if http.token is not None:
        verifier, auth_settings = token_auth(http.token, f"http://{_host_name(http.host)}:{http.port}")
        auth = {"token_verifier": verifier, "auth": auth_settings}
    app = http_app(create_server(corpus, **auth), http)
    log.info(
        "MCP endpoint http://%s:%d%s (health: /health); bearer token %s",
        _host_name(http.host), http.port, MCP_PATH, "required" if http.token else "not required (loopback only)",
    )
    uvicorn.run(app, host=http.host, port=http.port, log_config=_uvicorn_log_config(), log_level="info")
