"""The rules of web/security.py on their own, boundaries included: password policy, login
delays, password verification, bearer tokens, the signed session cookie and CSRF tokens.

Fast (no database, no app): the mutation runs of web/security.py start with this file.
Expected values are worked out by hand from the rules written in the module's docstring.
"""

from __future__ import annotations

import datetime as dt

import pytest
from argon2 import PasswordHasher
from starlette.applications import Starlette
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from sobrenum.web.security import (
    CSRF_HEADER,
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    PasswordPolicyError,
    SignedCookieSession,
    bearer_token,
    check_password_policy,
    common_passwords,
    csrf_token,
    csrf_token_valid,
    is_common_password,
    login_delay,
    login_wait,
    new_api_token,
    new_invitation_token,
    new_session_id,
    repeats_a_pattern,
    rotate_csrf_token,
    verify_password,
)

GOOD = "correct cheval batterie agrafe"
FAST = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)


# --- password policy -----------------------------------------------------------------------


def test_length_boundaries() -> None:
    assert (MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH) == (12, 1024)
    check_password_policy("vélo-rouge-7")  # 12 characters: accepted
    with pytest.raises(PasswordPolicyError, match="au moins 12 caractères"):
        check_password_policy("vélo-rouge7")  # 11
    check_password_policy("tournesol " * 102 + "abcd")  # 1 024 characters: accepted
    with pytest.raises(PasswordPolicyError, match="trop long"):
        check_password_policy("tournesol " * 102 + "abcde")  # 1 025


def test_spaces_only_and_repeated_patterns_refused() -> None:
    with pytest.raises(PasswordPolicyError, match="espaces"):
        check_password_policy(" " * 12)
    for repeated in ("a" * 12, "ab" * 6, "abc" * 4, "abcd" * 3, "xy" * 7):
        with pytest.raises(PasswordPolicyError, match="répété"):
            check_password_policy(repeated)
    check_password_policy("abcde" * 3)  # a piece of five characters is not « short »


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("aaaa", True),
        ("abab", True),
        ("abcdabcd", True),
        ("abcdeabcde", False),  # piece of 5 > longest (4)
        ("aa", True),
        ("ab", False),  # one piece of two, not repeated
        ("a", False),  # one character: no piece shorter than the whole
        ("abcabca", False),  # 7 is not a multiple of 3
        ("aab" * 4, True),
        ("aabaab" + "aab", True),
        ("abcdabce", False),
    ],
)
def test_repeats_a_pattern(password: str, expected: bool) -> None:
    assert repeats_a_pattern(password) is expected


def test_repeats_a_pattern_respects_longest() -> None:
    assert repeats_a_pattern("abcde" * 2, longest=5)
    assert not repeats_a_pattern("abcd" * 2, longest=3)


def test_common_passwords_with_digits_and_symbols_around() -> None:
    listed = common_passwords()
    assert "marseille" in listed and "azerty" in listed
    assert common_passwords() is listed  # read once
    for common in ("Marseille2025!", "AZERTY", "123456789012", "!!!!2025!!!!", "  azerty  "):
        assert is_common_password(common), common
        with pytest.raises(PasswordPolicyError):
            check_password_policy(common.ljust(12, "1"))
    assert is_common_password("mar seille")  # spaces inside a listed word
    assert not is_common_password(GOOD)
    assert not is_common_password("Marseille2025!x")  # a letter after the symbols


# --- login delays --------------------------------------------------------------------------


def test_delay_boundaries() -> None:
    """free=3 failures, base=30 s, cap=100 s: 0, 0, 0, 30, 60, 100 (120 capped), 100…"""
    delays = [login_delay(n, free=3, base=30.0, cap=100.0) for n in range(7)]
    assert delays == [0.0, 0.0, 0.0, 30.0, 60.0, 100.0, 100.0]
    assert login_delay(0, free=0, base=2.0, cap=100.0) == 2.0  # no free failure
    assert login_delay(10**30, free=3, base=30.0, cap=100.0) == 100.0  # no overflow


def test_wait_runs_from_the_latest_failure() -> None:
    now = dt.datetime(2026, 1, 1, 0, 0, 0, tzinfo=dt.UTC)
    ago = dt.timedelta
    # 3 failures, free=3: 30 s after the latest one; 4 failures: 60 s.
    assert login_wait(3, now, now, free=3, base=30.0, cap=100.0) == 30.0
    assert login_wait(3, now - ago(seconds=10), now, free=3, base=30.0, cap=100.0) == 20.0
    assert login_wait(3, now - ago(seconds=30), now, free=3, base=30.0, cap=100.0) == 0.0
    assert login_wait(3, now - ago(seconds=31), now, free=3, base=30.0, cap=100.0) == 0.0
    assert login_wait(4, now - ago(seconds=10), now, free=3, base=30.0, cap=100.0) == 50.0
    assert login_wait(2, now, now, free=3, base=30.0, cap=100.0) == 0.0  # still free
    assert login_wait(9, None, now, free=3, base=30.0, cap=100.0) == 0.0


# --- password verification -----------------------------------------------------------------


def test_verify_password() -> None:
    stored = FAST.hash(GOOD)
    assert verify_password(stored, GOOD) is True
    assert verify_password(stored, GOOD + " ") is False
    assert verify_password("pas un hachage", GOOD) is False
    assert verify_password("", GOOD) is False


def test_an_account_without_password_never_opens_with_one() -> None:
    """An account with no password (ProConnect only) is checked against a dummy hash, for
    the same timing: even the dummy's own secret must not open it."""
    assert verify_password(None, "sobrenum: compte inexistant") is False
    assert verify_password(None, GOOD) is False


# --- tokens --------------------------------------------------------------------------------


def test_tokens_are_long_and_random() -> None:
    api = new_api_token()
    assert api.startswith("sbn_") and len(api) == 4 + 43  # 32 bytes in URL-safe base 64
    assert len(new_session_id()) == 43 and len(new_invitation_token()) == 43
    assert len({new_api_token() for _ in range(50)}) == 50


def _connection(headers: dict[str, str]) -> HTTPConnection:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return HTTPConnection({"type": "http", "headers": raw})


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Bearer sbn_abc", "sbn_abc"),
        ("bearer   sbn_abc  ", "sbn_abc"),
        ("BEARER sbn_abc", "sbn_abc"),
        ("Basic dXNlcjpwYXNz", None),
        ("Token sbn_abc", None),  # a scheme after « bearer » in the alphabet
        ("Bearers sbn_abc", None),
        ("Bearer", None),
        ("Bearer    ", None),
        ("Bearersbn_abc", None),
        ("", None),
    ],
)
def test_bearer_token(header: str, expected: str | None) -> None:
    headers = {"authorization": header} if header else {}
    assert bearer_token(_connection(headers)) == expected


# --- the signed session cookie and CSRF ----------------------------------------------------


async def _form_page(request: Request) -> Response:
    if request.method == "POST":
        return JSONResponse({"valid": await csrf_token_valid(request)})
    if request.query_params.get("rotate"):
        return JSONResponse({"token": rotate_csrf_token(request)})
    if request.query_params.get("clear"):
        request.session.clear()
        return JSONResponse({})
    return JSONResponse({"token": csrf_token(request), "again": csrf_token(request)})


def _client(*, secure: bool | None = None, max_age: int = 3600, https: bool = False) -> TestClient:
    app = Starlette(routes=[Route("/", _form_page, methods=["GET", "POST"])])
    wrapped = SignedCookieSession(app, secret="s" * 32, max_age=max_age, secure=secure)
    base = "https://mairie.exemple.fr" if https else "http://testserver"
    return TestClient(wrapped, base_url=base)  # type: ignore[arg-type]


def test_csrf_token_checked_from_header_or_form() -> None:
    with _client() as client:
        first = client.get("/").json()
        token = first["token"]
        assert len(token) == 43 and first["again"] == token  # 32 bytes, same for the session
        assert client.post("/", headers={CSRF_HEADER: token}).json() == {"valid": True}
        assert client.post("/", data={"csrf_token": token}).json() == {"valid": True}
        assert client.post("/", files={"f": b"x"}, data={"csrf_token": token}).json()["valid"]
        assert client.post("/", headers={CSRF_HEADER: token[:-1] + "x"}).json() == {"valid": False}
        assert client.post("/", data={"csrf_token": ""}).json() == {"valid": False}
        assert client.post("/").json() == {"valid": False}
        assert client.post("/", json={"csrf_token": token}).json() == {"valid": False}
        rotated = client.get("/?rotate=1").json()["token"]
        assert rotated != token and len(rotated) == 43
        assert client.post("/", headers={CSRF_HEADER: token}).json() == {"valid": False}
        assert client.post("/", headers={CSRF_HEADER: rotated}).json() == {"valid": True}


def test_no_session_no_valid_token() -> None:
    with _client() as client:
        assert client.post("/", headers={CSRF_HEADER: "x" * 43}).json() == {"valid": False}
        assert client.post("/", data={"csrf_token": "x" * 43}).json() == {"valid": False}


def test_session_cookie_flags_signature_and_clearing() -> None:
    with _client() as client:
        answer = client.get("/")
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith("sobrenum_session=") and "Max-Age=3600" in cookie
        assert "; Path=/; HttpOnly; SameSite=Lax" in cookie and "Secure" not in cookie
        again = client.get("/")
        assert "set-cookie" not in again.headers  # unchanged session: no new cookie
        assert again.json()["token"] == answer.json()["token"]
        cleared = client.get("/?clear=1").headers["set-cookie"]
        assert "Max-Age=0" in cleared and "1970" in cleared
        forged = client.cookies.get("sobrenum_session") or ""
        client.cookies.set("sobrenum_session", forged[:-2] + "xx")
        assert client.get("/").json()["token"] != answer.json()["token"]  # a fresh session
    with _client(https=True) as client:
        assert "; Secure" in client.get("/").headers["set-cookie"]
    with _client(secure=True) as client:
        assert "; Secure" in client.get("/").headers["set-cookie"]
    with _client(secure=False, https=True) as client:
        assert "Secure" not in client.get("/").headers["set-cookie"]


def test_expired_cookie_is_a_new_session() -> None:
    with _client(max_age=-1) as client:
        token = client.get("/").json()["token"]
        assert client.get("/").json()["token"] != token
