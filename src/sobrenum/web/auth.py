"""Logging in and out: the login form (email + password, rate limited), logout, ProConnect.

Routes:
- ``GET /connexion`` the form; ``POST /connexion`` checks it;
- ``POST /deconnexion`` closes the session;
- ``GET /connexion/proconnect`` starts a ProConnect (OpenID Connect) login;
  ``GET /connexion/proconnect/retour`` is its callback.

A login opens a server-side session (``web_session``) whose random id is kept in the signed
cookie; logging out deletes it, so a copied cookie is useless afterwards. A ProConnect user is
matched to an existing active account by email; nobody is created by logging in, except when
the person comes from an invitation link addressed to that e-mail and has no account yet.

Failed logins slow down the next tries of the account and of the address (growing delays,
:func:`sobrenum.web.security.login_wait`), without ever refusing the right password once the
delay is over.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sobrenum.store.models import utc_now
from sobrenum.store.users import (
    AccountError,
    User,
    accept_invitation,
    close_web_session,
    find_user_by_email,
    invitation_for_token,
    login_failures,
    normalise_email,
    open_web_session,
    record_login_attempt,
    remember_oidc_subject,
)
from sobrenum.web.deps import StoreDep, optional_user
from sobrenum.web.oidc import ProConnectError, proconnect_client
from sobrenum.web.security import (
    login_wait,
    new_session_id,
    rotate_csrf_token,
    verify_password,
)
from sobrenum.web.settings import Settings
from sobrenum.web.templating import render

router = APIRouter(include_in_schema=False)

LOGIN_PATH = "/connexion"


def safe_next(target: str | None) -> str:
    """A local path to go to after login (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if any(ord(c) < 32 for c in target):
        return "/"
    return target


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "inconnue"


def start_session(request: Request, user: User, method: str) -> None:
    """Open a server-side session for ``user`` and bind it to the cookie (new id, new CSRF)."""
    settings: Settings = request.app.state.settings
    session_id = new_session_id()
    open_web_session(
        request.app.state.store,
        user_id=user.id,
        session_id=session_id,
        lifetime=dt.timedelta(hours=settings.session_hours),
        auth_method=method,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    request.session.clear()
    request.session["sid"] = session_id
    rotate_csrf_token(request)
    request.scope.pop("sobrenum.user", None)


def _login_page(
    request: Request,
    *,
    error: str | None = None,
    email: str = "",
    next_path: str = "/",
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "login.html",
        {"error": error, "email": email, "next": safe_next(next_path)},
        status_code=status_code,
    )


@router.get(LOGIN_PATH, name="login")
def login_form(request: Request, suivant: str = "/") -> Response:
    if optional_user(request) is not None:
        return RedirectResponse(safe_next(suivant), status.HTTP_303_SEE_OTHER)
    return _login_page(request, next_path=suivant)


def seconds_to_wait(settings: Settings, store: Any, *, email: str, ip: str) -> float:
    """Seconds before a login try for this account from this address is examined."""
    now = utc_now()
    failures = login_failures(
        store, email=email, ip=ip, since=now - dt.timedelta(minutes=settings.login_window_minutes)
    )
    delays = {"base": settings.login_delay_seconds, "cap": settings.login_max_delay_seconds}
    return max(
        login_wait(
            failures.account,
            failures.account_last,
            now,
            free=settings.free_failures_per_account,
            **delays,
        ),
        login_wait(
            failures.address,
            failures.address_last,
            now,
            free=settings.free_failures_per_ip,
            **delays,
        ),
    )


def too_many_failures(seconds: int) -> str:
    """The French message of a login try refused for ``seconds`` more seconds."""
    unit = "secondes" if seconds > 1 else "seconde"
    return (
        "Trop de tentatives de connexion échouées : par sécurité, attendez "
        f"{seconds} {unit} avant de réessayer."
    )


@router.post(LOGIN_PATH, name="login_submit")
def login_submit(
    request: Request,
    store: StoreDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(alias="mot_de_passe", max_length=1024)] = "",
    suivant: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    settings: Settings = request.app.state.settings
    ip = client_ip(request)
    try:
        clean = normalise_email(email)
    except AccountError:
        clean = email.strip().lower()[:320]
    wait = seconds_to_wait(settings, store, email=clean, ip=ip)
    if wait > 0:
        seconds = math.ceil(wait)
        page = _login_page(
            request,
            error=too_many_failures(seconds),
            email=clean,
            next_path=suivant,
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
        )
        page.headers["Retry-After"] = str(seconds)
        return page
    user = find_user_by_email(store, clean) if clean else None
    valid = verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.is_active:
        record_login_attempt(store, email=clean, ip=ip, success=False)
        return _login_page(
            request,
            error="Adresse électronique ou mot de passe incorrect.",
            email=clean,
            next_path=suivant,
            status_code=status.HTTP_401_UNAUTHORIZED,
        )
    record_login_attempt(store, email=clean, ip=ip, success=True)
    start_session(request, user, "password")
    return RedirectResponse(safe_next(suivant), status.HTTP_303_SEE_OTHER)


@router.post("/deconnexion", name="logout")
def logout(request: Request, store: StoreDep) -> Response:
    session_id = request.session.get("sid")
    user = optional_user(request)
    if isinstance(session_id, str):
        close_web_session(store, session_id, actor=user.email if user else "anonyme")
    request.session.clear()
    request.scope.pop("sobrenum.user", None)
    return RedirectResponse(LOGIN_PATH, status.HTTP_303_SEE_OTHER)


@router.get("/connexion/proconnect", name="proconnect_login")
async def proconnect_login(request: Request, suivant: str = "/") -> Response:
    client = proconnect_client(request.app)
    if client is None:
        return _login_page(
            request,
            error="La connexion avec ProConnect n'est pas configurée sur cette instance.",
            status_code=status.HTTP_404_NOT_FOUND,
        )
    request.session["after_login"] = safe_next(suivant)
    try:
        return await client.start(request, str(request.url_for("proconnect_callback")))
    except ProConnectError as exc:
        return _login_page(request, error=str(exc), status_code=status.HTTP_502_BAD_GATEWAY)


@router.get("/connexion/proconnect/retour", name="proconnect_callback")
async def proconnect_callback(request: Request) -> Response:
    client = proconnect_client(request.app)
    if client is None:
        return _login_page(
            request,
            error="La connexion avec ProConnect n'est pas configurée sur cette instance.",
            status_code=status.HTTP_404_NOT_FOUND,
        )
    try:
        claims = await client.finish(request)
    except ProConnectError as exc:
        return _login_page(request, error=str(exc), status_code=status.HTTP_400_BAD_REQUEST)
    store = request.app.state.store
    email = str(claims.get("email") or "")
    user = await run_in_threadpool(find_user_by_email, store, email) if email else None
    invitation = request.session.pop("invitation", None)
    if user is None and email and isinstance(invitation, str):
        user = await run_in_threadpool(_account_from_invitation, store, invitation, claims)
    if user is None or not user.is_active:
        await run_in_threadpool(
            record_login_attempt, store, email=email[:320], ip=client_ip(request), success=False
        )
        return _login_page(
            request,
            error=(
                f"Aucun compte sobrenum actif n'est associé à l'adresse {email or '(inconnue)'} "
                "transmise par ProConnect : demandez à l'administrateur de votre collectivité "
                "de vous inviter avec cette adresse."
            ),
            status_code=status.HTTP_403_FORBIDDEN,
        )
    target = safe_next(request.session.get("after_login"))
    await run_in_threadpool(_remember_subject, store, user, claims)
    await run_in_threadpool(start_session, request, user, "proconnect")
    return RedirectResponse(target, status.HTTP_303_SEE_OTHER)


def _account_from_invitation(store: Any, token: str, claims: dict[str, Any]) -> User | None:
    """A new account for ProConnect, from an invitation addressed to the ProConnect e-mail."""
    view = invitation_for_token(store, token)
    try:
        if view is None or view.has_account or view.email != normalise_email(claims["email"]):
            return None
        name = " ".join(str(claims.get(k) or "") for k in ("given_name", "usual_name"))
        return accept_invitation(
            store, token, oidc_subject=str(claims.get("sub") or "") or None, display_name=name
        )
    except AccountError:
        return None


def _remember_subject(store: Any, user: User, claims: dict[str, Any]) -> None:
    subject = claims.get("sub")
    if subject and user.oidc_subject != subject:
        remember_oidc_subject(store, user.id, str(subject))
