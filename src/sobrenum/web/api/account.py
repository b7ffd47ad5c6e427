"""``/api/v1/moi``: your account and your API tokens."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, status

from sobrenum.store.users import ApiToken, add_api_token, list_api_tokens, revoke_api_token
from sobrenum.web.api.common import ERRORS, PREFIX, IdPath
from sobrenum.web.api.schemas import MeOut, NewTokenOut, TokenIn, TokenOut
from sobrenum.web.deps import CurrentUserDep, StoreDep, not_found
from sobrenum.web.security import new_api_token

router = APIRouter(prefix=f"{PREFIX}/moi", tags=["compte"], responses=ERRORS)


def _token_out(row: ApiToken) -> TokenOut:
    return TokenOut(
        id=row.id,
        nom=row.name,
        debut=row.prefix,
        cree_le=row.created_at,
        utilise_le=row.last_used_at,
        expire_le=row.expires_at,
        revoque_le=row.revoked_at,
    )


@router.get("", summary="Mon compte")
def me(user: CurrentUserDep) -> MeOut:
    """Votre compte et vos rôles dans chaque collectivité."""
    return MeOut(
        id=user.id,
        email=user.email,
        nom=user.display_name,
        admin_instance=user.is_instance_admin,
        collectivites=user.memberships,  # type: ignore[arg-type]
    )


@router.get("/jetons", summary="Mes jetons d'API")
def tokens(user: CurrentUserDep, store: StoreDep) -> list[TokenOut]:
    """Vos jetons d'API (sans leur valeur, qui n'est montrée qu'à la création)."""
    return [_token_out(row) for row in list_api_tokens(store, user.id)]


@router.post("/jetons", status_code=status.HTTP_201_CREATED, summary="Créer un jeton d'API")
def create_token(body: TokenIn, user: CurrentUserDep, store: StoreDep) -> NewTokenOut:
    """Crée un jeton pour les scripts (`Authorization: Bearer …`), avec vos droits.

    Le jeton n'est affiché qu'une fois ; seule son empreinte est conservée."""
    token = new_api_token()
    expires = (
        dt.datetime.combine(body.expire_le + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        if body.expire_le
        else None
    )
    row = add_api_token(
        store, user_id=user.id, name=body.nom, token=token, expires_at=expires, actor=user.actor
    )
    return NewTokenOut(**_token_out(row).model_dump(), jeton=token)


@router.delete(
    "/jetons/{token_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Révoquer un jeton"
)
def revoke_token(token_id: IdPath, user: CurrentUserDep, store: StoreDep) -> None:
    """Révoque un de vos jetons : il cesse aussitôt de fonctionner."""
    if not revoke_api_token(store, user_id=user.id, token_id=token_id, actor=user.actor):
        raise not_found("Jeton introuvable.")
