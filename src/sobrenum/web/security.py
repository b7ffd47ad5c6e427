"""Secrets and cookies: password hashes and rules, login delays, API and invitation tokens,
the signed session cookie, CSRF tokens.

- Passwords: argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile); 12 characters at
  least, not in the shipped list of common passwords (``sobrenum/data/
  mots-de-passe-courants.txt``), not one character or a short pattern repeated.
- Login delays: after a few failures, each new try of an account (or from an address) waits
  a delay that doubles with every failure, up to a cap (:func:`login_delay`): guessing is
  slowed down, nobody is locked out.
- The session cookie holds a small JSON dict signed with itsdangerous (HMAC-SHA1 over the
  secret from the settings): the random id of the server-side session once logged in, the
  CSRF token, and the OpenID Connect state during a ProConnect login. It is ``HttpOnly``,
  ``SameSite=Lax``, and ``Secure`` when the request came over https (or when forced).
- CSRF: every unsafe request that is not authenticated by an ``Authorization: Bearer`` token
  must carry the session's CSRF token, as the ``X-CSRF-Token`` header (htmx, fetch) or the
  ``csrf_token`` form field; it is compared in constant time.
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import json
import secrets
import string
from importlib import resources
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "sobrenum_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
TOKEN_PREFIX = "sbn_"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

_hasher = PasswordHasher()
# Verified when the account does not exist, so that the answer takes the same time.
_DUMMY_HASH = _hasher.hash("sobrenum: compte inexistant")

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
COMMON_PASSWORDS_FILE = "mots-de-passe-courants.txt"
_EDGES = string.digits + string.punctuation + " "


class PasswordPolicyError(ValueError):
    """The password is too weak; the message says why, in French."""


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (lower case), read once."""
    text = (resources.files("sobrenum") / "data" / COMMON_PASSWORDS_FILE).read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def is_common_password(password: str) -> bool:
    """True when the password, in lower case, is in the list, or is a listed word surrounded
    by digits and symbols (« Marseille2025! »), or holds nothing but digits and symbols."""
    lower = password.lower()
    core = lower.strip(_EDGES)
    if not core:
        return True
    listed = common_passwords()
    return lower in listed or core in listed or core.replace(" ", "") in listed


def repeats_a_pattern(password: str, longest: int = 4) -> bool:
    """True when the password is one piece of at most ``longest`` characters repeated
    (« aaaaaaaaaaaa », « abcabcabcabc »)."""
    size = len(password)
    return any(
        size % width == 0 and password == password[:width] * (size // width)
        for width in range(1, min(longest, size - 1) + 1)
    )


def check_password_policy(password: str) -> None:
    """Refuse a weak password with a French message (length, spaces only, repeated pattern,
    common password)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordPolicyError(
            f"Le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères."
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordPolicyError("Le mot de passe est trop long (1 024 caractères au plus).")
    if not password.strip():
        raise PasswordPolicyError("Le mot de passe ne peut pas être fait que d'espaces.")
    if repeats_a_pattern(password):
        raise PasswordPolicyError(
            "Le mot de passe ne peut pas être un caractère ou un motif répété : choisissez "
            "par exemple une phrase de quatre mots."
        )
    if is_common_password(password):
        raise PasswordPolicyError(
            "Ce mot de passe est trop courant (il figure dans les listes de mots de passe les "
            "plus utilisés) : choisissez par exemple une phrase de quatre mots."
        )


def login_delay(failures: int, *, free: int, base: float, cap: float) -> float:
    """Seconds to wait after the latest failed login before the next try is examined.

    The first ``free`` failures cost nothing; then ``base``, twice ``base``, four times…
    never more than ``cap``. The right password after the delay works: nobody is locked out.
    """
    if failures < free:
        return 0.0
    return float(min(cap, base * 2 ** min(failures - free, 40)))


def login_wait(
    failures: int,
    last_failure: dt.datetime | None,
    now: dt.datetime,
    *,
    free: int,
    base: float,
    cap: float,
) -> float:
    """Seconds left before the next login try is examined (0: go ahead)."""
    if last_failure is None:
        return 0.0
    delay = login_delay(failures, free=free, base=base, cap=cap)
    return max(0.0, delay - (now - last_failure).total_seconds())


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; always spends one argon2 verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_api_token() -> str:
    """A new API token: ``sbn_`` and 43 random URL-safe characters (256 bits)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def new_invitation_token() -> str:
    """A new invitation token (256 bits, URL-safe): shown once, only its SHA-256 is kept."""
    return secrets.token_urlsafe(32)


def bearer_token(connection: HTTPConnection) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, if any."""
    header = connection.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


# --- signed cookie session -----------------------------------------------------------------


class SignedCookieSession:
    """ASGI middleware: ``scope["session"]``, a dict kept in a signed cookie.

    Like Starlette's ``SessionMiddleware`` (and compatible with ``request.session``, which
    Authlib uses), with the ``Secure`` flag decided per request.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        secret: str,
        max_age: int,
        secure: bool | None = None,
        cookie_name: str = SESSION_COOKIE,
    ) -> None:
        self.app = app
        self.serializer = URLSafeTimedSerializer(secret, salt="sobrenum.session")
        self.max_age = max_age
        self.secure = secure
        self.cookie_name = cookie_name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        data: dict[str, Any] = {}
        raw = connection.cookies.get(self.cookie_name)
        had_cookie = raw is not None
        if raw:
            try:
                loaded = self.serializer.loads(raw, max_age=self.max_age)
                if isinstance(loaded, dict):
                    data = loaded
            except (BadSignature, ValueError):
                data = {}
        scope["session"] = data
        before = json.dumps(data, sort_keys=True)
        secure = self.secure if self.secure is not None else scope.get("scheme") == "https"

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                session: dict[str, Any] = scope["session"]
                headers = MutableHeaders(scope=message)
                flags = "; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")
                if session and json.dumps(session, sort_keys=True) != before:
                    value = self.serializer.dumps(session)
                    headers.append(
                        "Set-Cookie",
                        f"{self.cookie_name}={value}; Max-Age={self.max_age}{flags}",
                    )
                elif not session and had_cookie:
                    headers.append(
                        "Set-Cookie",
                        f"{self.cookie_name}=null; Max-Age=0; "
                        "Expires=Thu, 01 Jan 1970 00:00:00 GMT" + flags,
                    )
            await send(message)

        await self.app(scope, receive, send_wrapper)


# --- CSRF ----------------------------------------------------------------------------------


def csrf_token(request: HTTPConnection) -> str:
    """The session's CSRF token (created on first use); put it in every form."""
    session: dict[str, Any] = request.session
    token = session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def rotate_csrf_token(request: HTTPConnection) -> str:
    """A new CSRF token (at login and logout, so a token never outlives its session)."""
    token = secrets.token_urlsafe(32)
    request.session["csrf"] = token
    return token


async def csrf_token_valid(request: Request) -> bool:
    """True when the request carries the session's CSRF token (header or form field)."""
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not expected:
        return False
    given = request.headers.get(CSRF_HEADER)
    if not given:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            try:
                form = await request.form()
            except Exception:  # a malformed body is a missing token, not a server error
                return False
            value = form.get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())  # type: ignore[union-attr]
