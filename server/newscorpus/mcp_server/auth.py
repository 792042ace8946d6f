"""Bearer-token authentication for the Streamable HTTP endpoint, plugged into the SDK's resource-server
hooks (`token_verifier` + `AuthSettings`): the SDK answers 401 with `WWW-Authenticate` and we only check
the token."""

from __future__ import annotations

import hashlib
import hmac

from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from pydantic import SecretStr

CLIENT_ID = "newscorpus-token"


class StaticTokenVerifier:
    """Accepts exactly one shared token. Both sides are hashed before `hmac.compare_digest`, so the time a
    comparison takes says nothing about the token's content or length."""

    def __init__(self, token: SecretStr) -> None:
        secret = token.get_secret_value()
        if not secret:
            raise ValueError("the bearer token must not be empty")
        self._digest = hashlib.sha256(secret.encode()).digest()

    async def verify_token(self, token: str) -> AccessToken | None:
        given = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
        if not hmac.compare_digest(given, self._digest):
            return None
        return AccessToken(token="<redacted>", client_id=CLIENT_ID, scopes=[])


def token_auth(token: SecretStr, base_url: str) -> tuple[StaticTokenVerifier, AuthSettings]:
    """Verifier and settings for one shared token. There is no authorization server, so no OAuth metadata
    is published (`resource_server_url=None`); `issuer_url` is required by the SDK and names this server."""
    return StaticTokenVerifier(token), AuthSettings(issuer_url=base_url, resource_server_url=None)
