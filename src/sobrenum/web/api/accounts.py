"""``/api/v1/comptes``: every account, for instance administrators only.

Setting another person's password and deactivating an account are reserved to them (an
organisation admin removes a member from their organisation, nothing more). Both close the
person's sessions and revoke their API tokens, and go to the audit log.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from sobrenum.store.users import AccountError, User, list_users, set_active, set_password_hash
from sobrenum.web.api.common import ERRORS, PREFIX, IdPath
from sobrenum.web.api.schemas import AccountOut, AccountPatch, PasswordSet
from sobrenum.web.deps import CurrentUser, InstanceAdminDep, StoreDep, forbidden, not_found
from sobrenum.web.security import PasswordPolicyError, check_password_policy, hash_password

router = APIRouter(prefix=f"{PREFIX}/comptes", tags=["comptes"], responses=ERRORS)


def account_out(user: User) -> AccountOut:
    return AccountOut(
        id=user.id,
        email=user.email,
        nom=user.display_name,
        actif=user.is_active,
        admin_instance=user.is_instance_admin,
    )


def _not_yourself(admin: CurrentUser, user_id: int) -> None:
    if admin.id == user_id:
        raise forbidden(
            "Pour votre propre compte, utilisez « Mon compte » (/api/v1/moi/mot-de-passe)."
        )


@router.get("", summary="Tous les comptes")
def list_accounts(admin: InstanceAdminDep, store: StoreDep) -> list[AccountOut]:
    """Tous les comptes de l'instance (administrateur de l'instance)."""
    return [account_out(user) for user in list_users(store)]


@router.put(
    "/{user_id}/mot-de-passe",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Définir le mot de passe d'un compte",
)
def set_account_password(
    user_id: IdPath, body: PasswordSet, admin: InstanceAdminDep, store: StoreDep
) -> None:
    """Donne un nouveau mot de passe à un compte (par exemple pour le rendre à son titulaire) :
    ses sessions sont fermées, ses jetons révoqués, et le journal d'audit le note."""
    _not_yourself(admin, user_id)
    try:
        check_password_policy(body.mot_de_passe)
    except PasswordPolicyError as exc:
        raise HTTPException(422, str(exc)) from exc
    try:
        set_password_hash(store, user_id, hash_password(body.mot_de_passe), actor=admin.actor)
    except AccountError as exc:
        raise not_found(str(exc)) from exc


@router.patch("/{user_id}", summary="Activer ou désactiver un compte")
def set_account_active(
    user_id: IdPath, body: AccountPatch, admin: InstanceAdminDep, store: StoreDep
) -> AccountOut:
    """Désactive (`actif: false`) ou réactive un compte. Désactivé, il ne peut plus se
    connecter ni utiliser ses jetons ; ses sessions sont fermées et ses jetons révoqués."""
    _not_yourself(admin, user_id)
    try:
        return account_out(set_active(store, user_id, body.actif, actor=admin.actor))
    except AccountError as exc:
        raise not_found(str(exc)) from exc
