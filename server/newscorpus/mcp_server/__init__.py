"""The MCP server: the tool surface agents use, over stdio and Streamable HTTP.

`create_server(query)` builds a server over an opened `CorpusQuery`; `serve(settings, transport, host,
port)` opens the corpus and runs it.
"""

from newscorpus.mcp_server.app import create_server
from newscorpus.mcp_server.run import serve

__all__ = ["create_server", "serve"]
