"""The invitation page: the person invited into an organisation sets their own password,
signs in with ProConnect, or (when the e-mail already has an account) signs in and accepts.

``GET /invitation?jeton=…`` shows it; ``POST /invitation`` accepts; ``GET
/invitation/proconnect?jeton=…`` goes through ProConnect. The token (256 bits, single use,
expiring, stored as its SHA-256) is the only proof: these routes are public.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request, status
from fastapi.responses import RedirectResponse, Response

from sobrenum.store.users import (
    INVALID_INVITATION,
    ROLE_LABELS,
    InvitationError,
    InvitationView,
    accept_invitation,
    invitation_for_token,
)
from sobrenum.web.auth import LOGIN_PATH, start_session
from sobrenum.web.deps import StoreDep, optional_user
from sobrenum.web.security import PasswordPolicyError, check_password_policy, hash_password
from sobrenum.web.templating import render

router = APIRouter(include_in_schema=False)

Token = Annotated[str, Query(max_length=200)]


def _page(
    request: Request,
    token: str,
    view: InvitationView | None,
    *,
    error: str | None = None,
    name: str = "",
    status_code: int = 200,
) -> Response:
    here = f"{request.url_for('invitation_page').path}?jeton={quote(token, safe='')}"
    return render(
        request,
        "pages/invitation.html",
        {
            "invitation": view,
            "token": token,
            "role_label": ROLE_LABELS.get(view.role, "") if view else "",
            "error": error,
            "name": name,
            "login_url": f"{LOGIN_PATH}?suivant={quote(here, safe='/')}",
        },
        status_code=status.HTTP_404_NOT_FOUND if view is None else status_code,
    )


@router.get("/invitation", name="invitation_page")
def invitation_page(request: Request, store: StoreDep, jeton: Token = "") -> Response:
    view = invitation_for_token(store, jeton) if jeton else None
    if view is None:
        return _page(request, jeton, None, error=INVALID_INVITATION)
    return _page(request, jeton, view)


@router.post("/invitation", name="invitation_accept")
def invitation_accept(
    request: Request,
    store: StoreDep,
    jeton: Annotated[str, Form(max_length=200)] = "",
    nom: Annotated[str, Form(max_length=200)] = "",
    mot_de_passe: Annotated[str, Form(max_length=1024)] = "",
    confirmation: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    view = invitation_for_token(store, jeton) if jeton else None
    if view is None:
        return _page(request, jeton, None, error=INVALID_INVITATION)
    user = optional_user(request)
    password_hash: str | None = None
    if user is None and not view.has_account:
        try:
            if mot_de_passe != confirmation:
                raise PasswordPolicyError("Les deux mots de passe saisis ne sont pas identiques.")
            check_password_policy(mot_de_passe)
        except PasswordPolicyError as exc:
            return _page(request, jeton, view, error=str(exc), name=nom, status_code=422)
        password_hash = hash_password(mot_de_passe)
    try:
        account = accept_invitation(
            store,
            jeton,
            signed_in_user_id=user.id if user else None,
            password_hash=password_hash,
            display_name=nom,
        )
    except InvitationError as exc:
        return _page(request, jeton, view, error=str(exc), name=nom, status_code=_code(exc))
    if user is None:
        start_session(request, account, "password")
    target = request.url_for("dashboard", organisation_id=view.organisation_id).path
    return RedirectResponse(target, status.HTTP_303_SEE_OTHER)


def _code(exc: InvitationError) -> int:
    codes: dict[str, Any] = {"invalid": 404, "sign_in": 401, "password": 422}
    return int(codes.get(exc.reason, 403))


@router.get("/invitation/proconnect", name="invitation_proconnect")
def invitation_proconnect(request: Request, store: StoreDep, jeton: Token = "") -> Response:
    """Through ProConnect: a new account is created for the invited e-mail when ProConnect
    confirms it; an existing account signs in, then accepts on the invitation page."""
    view = invitation_for_token(store, jeton) if jeton else None
    if view is None:
        return _page(request, jeton, None, error=INVALID_INVITATION)
    login = request.url_for("proconnect_login")
    if view.has_account:
        back = request.url_for("invitation_page").include_query_params(jeton=jeton)
        return RedirectResponse(
            str(login.include_query_params(suivant=f"{back.path}?{back.query}")),
            status.HTTP_303_SEE_OTHER,
        )
    request.session["invitation"] = jeton
    return RedirectResponse(str(login.include_query_params(suivant="/")), status.HTTP_303_SEE_OTHER)
