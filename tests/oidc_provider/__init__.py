"""A tiny OpenID Connect provider for tests, shaped like ProConnect, served on loopback.

It serves discovery, JWKS, authorize (logs in ``user`` at once, no form), token (checks the
client secret and the PKCE verifier, signs the id_token with an RSA key generated at start)
and userinfo (a signed JWT, as ProConnect returns it). ``tamper`` lets a test make it
misbehave (wrong nonce, wrong audience) to check that the client refuses.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID = "sobrenum-test"
CLIENT_SECRET = "secret-de-test-" + "x" * 20


@dataclass
class Provider:
    issuer: str = ""
    user: dict[str, Any] = field(
        default_factory=lambda: {
            "sub": "proconnect-sub-1",
            "email": "agent@mairie.fr",
            "given_name": "Camille",
            "usual_name": "Martin",
        }
    )
    tamper: set[str] = field(default_factory=set)
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, private=True))
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    seen: list[dict[str, Any]] = field(default_factory=list)
    """Authorize requests received (to check that the client sent PKCE, state, nonce)."""

    def __post_init__(self) -> None:
        self.key = RSAKey.generate_key(2048, private=True, parameters={"kid": "cle-test"})

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode({"alg": "RS256", "kid": "cle-test"}, claims, self.key)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/jwks", self.jwks),
                Route("/authorize", self.authorize),
                Route("/token", self.token, methods=["POST"]),
                Route("/userinfo", self.userinfo),
            ]
        )

    async def discovery(self, _request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "userinfo_endpoint": f"{self.issuer}/userinfo",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "code_challenge_methods_supported": ["S256"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "userinfo_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_post"],
            }
        )

    async def jwks(self, _request: Request) -> Response:
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    async def authorize(self, request: Request) -> Response:
        params = dict(request.query_params)
        self.seen.append(params)
        if params.get("client_id") != CLIENT_ID or params.get("response_type") != "code":
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        code = secrets.token_urlsafe(16)
        self.codes[code] = params
        query = urlencode({"code": code, "state": params.get("state", "")})
        return RedirectResponse(f"{params['redirect_uri']}?{query}", status_code=302)

    async def token(self, request: Request) -> Response:
        form = await request.form()
        params = self.codes.pop(str(form.get("code")), None)
        if params is None or form.get("client_secret") != CLIENT_SECRET:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        verifier = str(form.get("code_verifier") or "")
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if challenge != params.get("code_challenge") or form.get("redirect_uri") != params.get(
            "redirect_uri"
        ):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        access = secrets.token_urlsafe(24)
        self.tokens[access] = dict(self.user)
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": self.user["sub"],
            "aud": "autre-client" if "audience" in self.tamper else CLIENT_ID,
            "iat": now,
            "exp": now + 60,
            "nonce": "faux" if "nonce" in self.tamper else params.get("nonce"),
            "acr": "eidas1",
        }
        return JSONResponse(
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": 60,
                "id_token": self.sign(claims),
            }
        )

    async def userinfo(self, request: Request) -> Response:
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        user = self.tokens.get(token)
        if user is None:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        claims = {"iss": self.issuer, "aud": CLIENT_ID, **user}
        return Response(self.sign(claims), media_type="application/jwt")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RunningProvider:
    """The provider served by uvicorn in a thread on 127.0.0.1 (stopped by ``stop``)."""

    def __init__(self) -> None:
        port = _free_port()
        self.provider = Provider(issuer=f"http://127.0.0.1:{port}")
        config = uvicorn.Config(
            self.provider.app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test OIDC provider did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
