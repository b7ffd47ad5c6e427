"""``/api/v1/moi``: your account and your API tokens."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, HTTPException, Request, status

from sobrenum.store.models import utc_now
from sobrenum.store.users import ApiToken, add_api_token, list_api_tokens, revoke_api_token
from sobrenum.web.account import PasswordChangeRefused, change_password
from sobrenum.web.api.common import ERRORS, PREFIX, IdPath
from sobrenum.web.api.schemas import MeOut, NewTokenOut, PasswordChange, TokenIn, TokenOut
from sobrenum.web.deps import CurrentUserDep, StoreDep, not_found
from sobrenum.web.security import new_api_token

#: Longest lifetime of an API token.
MAX_TOKEN_DAYS = 3660

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


def token_expiry(last_day: dt.date | None) -> dt.datetime | None:
    """The end of ``last_day`` (UTC), the token's last valid day; 422 in French when that day
    is already over or more than ten years ahead."""
    if last_day is None:
        return None
    today = utc_now().date()
    if last_day < today:
        raise HTTPException(
            422,
            f"Date d'expiration {last_day:%d/%m/%Y} déjà passée : un jeton ne peut pas être "
            "créé expiré (choisissez aujourd'hui ou une date à venir).",
        )
    if last_day > today + dt.timedelta(days=MAX_TOKEN_DAYS):
        raise HTTPException(
            422, "Date d'expiration trop lointaine : dix ans au plus (ou aucune date)."
        )
    return dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


@router.post("/jetons", status_code=status.HTTP_201_CREATED, summary="Créer un jeton d'API")
def create_token(body: TokenIn, user: CurrentUserDep, store: StoreDep) -> NewTokenOut:
    """Crée un jeton pour les scripts (`Authorization: Bearer …`), avec vos droits.

    Le jeton n'est affiché qu'une fois ; seule son empreinte est conservée."""
    token = new_api_token()
    expires = token_expiry(body.expire_le)
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


@router.put(
    "/mot-de-passe", status_code=status.HTTP_204_NO_CONTENT, summary="Changer mon mot de passe"
)
def change_my_password(
    request: Request, body: PasswordChange, user: CurrentUserDep, store: StoreDep
) -> None:
    """Change votre mot de passe (le mot de passe actuel est demandé). Vos autres sessions
    sont fermées et **tous vos jetons d'API sont révoqués** (y compris celui de cet appel)."""
    try:
        change_password(request, store, user, current=body.actuel, new=body.nouveau)
    except PasswordChangeRefused as exc:
        raise HTTPException(exc.status_code, str(exc), headers=exc.headers) from exc
