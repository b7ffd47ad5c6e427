"""ProConnect (the OpenID Connect federation of public agents), with Authlib.

Authorization code flow with PKCE (S256), ``state`` and ``nonce`` kept in the signed session
cookie by Authlib; the id_token is verified against the provider's JWKS (signature, issuer,
audience, nonce, expiry). ProConnect returns userinfo as a signed JWT
(``application/jwt``): it is verified with the same keys; plain JSON is accepted too.
"""

from __future__ import annotations

from typing import Any

import httpx2
from authlib.integrations.base_client import OAuthError
from authlib.integrations.starlette_client import OAuth
from fastapi import FastAPI, Request
from fastapi.responses import Response
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from sobrenum.domain import SobrenumError
from sobrenum.web.settings import Settings

CLIENT_NAME = "proconnect"


class ProConnectError(SobrenumError):
    """The ProConnect login failed; the message says why, in French."""


class ProConnectClient:
    def __init__(self, settings: Settings) -> None:
        issuer = (settings.proconnect_issuer or "").rstrip("/")
        self.oauth = OAuth()
        self.oauth.register(
            CLIENT_NAME,
            client_id=settings.proconnect_client_id,
            client_secret=settings.proconnect_client_secret,
            server_metadata_url=f"{issuer}/.well-known/openid-configuration",
            client_kwargs={
                "scope": settings.proconnect_scopes,
                "code_challenge_method": "S256",
                "token_endpoint_auth_method": "client_secret_post",
            },
        )
        self.app: Any = self.oauth.create_client(CLIENT_NAME)

    async def start(self, request: Request, redirect_uri: str) -> Response:
        try:
            response: Response = await self.app.authorize_redirect(
                request, redirect_uri, acr_values="eidas1"
            )
        except (OAuthError, OSError, ValueError, RuntimeError, httpx2.HTTPError) as exc:
            raise ProConnectError(
                f"ProConnect est injoignable pour le moment ({type(exc).__name__}) : "
                "réessayez plus tard ou connectez-vous avec votre mot de passe."
            ) from exc
        return response

    async def finish(self, request: Request) -> dict[str, Any]:
        """Exchange the code, verify the id_token, read userinfo: the merged claims."""
        try:
            token = await self.app.authorize_access_token(request)
        except OAuthError as exc:
            raise ProConnectError(
                f"La connexion avec ProConnect a échoué ({exc.error}) : recommencez."
            ) from exc
        except (JoseError, OSError, ValueError, RuntimeError, httpx2.HTTPError) as exc:
            raise ProConnectError(
                f"La réponse de ProConnect n'a pas pu être vérifiée ({type(exc).__name__})."
            ) from exc
        claims: dict[str, Any] = dict(token.get("userinfo") or {})
        if not claims.get("sub"):
            raise ProConnectError("ProConnect n'a pas transmis de jeton d'identité valide.")
        try:
            extra = await self._userinfo(token)
        except (JoseError, OSError, ValueError, RuntimeError, httpx2.HTTPError) as exc:
            raise ProConnectError(
                f"Les informations du compte ProConnect n'ont pas pu être lues ({type(exc).__name__})."
            ) from exc
        if extra.get("sub") != claims["sub"]:
            raise ProConnectError("ProConnect a renvoyé des informations d'un autre compte.")
        claims.update(extra)
        return claims

    async def _userinfo(self, token: dict[str, Any]) -> dict[str, Any]:
        metadata = await self.app.load_server_metadata()
        endpoint = metadata.get("userinfo_endpoint")
        if not endpoint:
            return {}
        # Plain httpx2 (the client Authlib itself uses): ProConnect access tokens live 60 s,
        # which Authlib's own client would already take for expired (it keeps a 60 s margin).
        async with httpx2.AsyncClient(timeout=10) as http:
            response = await http.get(
                endpoint, headers={"Authorization": f"Bearer {token['access_token']}"}
            )
        response.raise_for_status()
        if "jwt" not in response.headers.get("content-type", ""):
            data: dict[str, Any] = response.json()
            return data
        keys = KeySet.import_key_set(await self.app.fetch_jwk_set())
        algorithms = metadata.get("userinfo_signing_alg_values_supported") or ["RS256", "ES256"]
        decoded = jwt.decode(
            response.text.strip(), keys, registry=JWSRegistry(algorithms=list(algorithms))
        )
        return dict(decoded.claims)


def proconnect_client(app: FastAPI) -> ProConnectClient | None:
    """The app's ProConnect client, or None when ProConnect is not configured."""
    settings: Settings = app.state.settings
    if not settings.proconnect_enabled:
        return None
    client: ProConnectClient | None = getattr(app.state, "proconnect", None)
    if client is None:
        client = ProConnectClient(settings)
        app.state.proconnect = client
    return client
