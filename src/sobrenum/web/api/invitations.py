"""``/api/v1/invitations``: accepting an invitation into an organisation.

Public (the token is the proof): a new account is created with the password its owner
chooses; an existing account accepts while signed in (session or API token), and its
password and name are never changed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status

from sobrenum.store.users import (
    INVALID_INVITATION,
    InvitationError,
    accept_invitation,
    invitation_for_token,
)
from sobrenum.web.api.common import ERRORS, PREFIX
from sobrenum.web.api.schemas import InvitationAccept, InvitationAccepted
from sobrenum.web.deps import CurrentUser, StoreDep, optional_user
from sobrenum.web.security import PasswordPolicyError, check_password_policy, hash_password

router = APIRouter(prefix=f"{PREFIX}/invitations", tags=["compte"], responses=ERRORS)

#: HTTP status of each reason an invitation is refused.
REFUSALS: dict[str, int] = {
    "invalid": status.HTTP_404_NOT_FOUND,
    "sign_in": status.HTTP_401_UNAUTHORIZED,
    "other_account": status.HTTP_403_FORBIDDEN,
    "inactive": status.HTTP_403_FORBIDDEN,
    "password": 422,
}


def refused(exc: InvitationError) -> HTTPException:
    return HTTPException(REFUSALS.get(exc.reason, status.HTTP_400_BAD_REQUEST), str(exc))


def new_password_hash(password: str | None) -> str | None:
    """The hash of the chosen password, after the policy check (422 in French)."""
    if password is None:
        return None
    try:
        check_password_policy(password)
    except PasswordPolicyError as exc:
        raise HTTPException(422, str(exc)) from exc
    return hash_password(password)


@router.post("/acceptation", summary="Accepter une invitation")
def accept_invitation_route(
    body: InvitationAccept,
    store: StoreDep,
    user: Annotated[CurrentUser | None, Depends(optional_user)],
) -> InvitationAccepted:
    """Accepte l'invitation du jeton (une seule fois, avant son expiration).

    Sans compte pour l'adresse invitée : donnez `mot_de_passe` (12 caractères au moins, pas
    un mot de passe courant) et éventuellement `nom` ; le compte est créé. Avec un compte :
    appelez cette route connecté à ce compte (session ou jeton d'API) ; son mot de passe et
    son nom ne changent pas."""
    view = invitation_for_token(store, body.jeton)
    if view is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, INVALID_INVITATION)
    password_hash = None if view.has_account else new_password_hash(body.mot_de_passe)
    try:
        account = accept_invitation(
            store,
            body.jeton,
            signed_in_user_id=user.id if user else None,
            password_hash=password_hash,
            display_name=body.nom,
        )
    except InvitationError as exc:
        raise refused(exc) from exc
    return InvitationAccepted(
        email=account.email,
        collectivite=view.organisation_id,
        role=view.role,  # type: ignore[arg-type]
    )
