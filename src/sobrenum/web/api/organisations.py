"""``/api/v1/collectivites``: your organisations, their settings and members."""

from __future__ import annotations

from fastapi import APIRouter, status

from sobrenum.store import Organisation, organisations_among, update_organisation
from sobrenum.store.users import (
    create_user,
    find_user_by_email,
    organisation_members,
    remove_membership,
    set_membership,
)
from sobrenum.web.api.common import ERRORS, PREFIX, IdPath
from sobrenum.web.api.schemas import (
    MemberIn,
    MemberOut,
    MemberPatch,
    OrganisationOut,
    OrganisationPatch,
)
from sobrenum.web.deps import (
    CurrentUserDep,
    OrgAdminDep,
    ReaderDep,
    StoreDep,
    forbidden,
    not_found,
)
from sobrenum.web.security import hash_password

router = APIRouter(prefix=f"{PREFIX}/collectivites", responses=ERRORS)


def organisation_out(organisation: Organisation, role: str) -> OrganisationOut:
    return OrganisationOut(
        id=organisation.id,
        nom=organisation.name,
        siren=organisation.siren,
        type=organisation.type,  # type: ignore[arg-type]
        population=organisation.population,
        agents=organisation.staff_count,
        annee_reporting=organisation.reporting_year,
        pays=organisation.country,
        role=role,  # type: ignore[arg-type]
    )


@router.get("", tags=["collectivités"], summary="Mes collectivités")
def list_mine(user: CurrentUserDep, store: StoreDep) -> list[OrganisationOut]:
    """Les collectivités dont vous êtes membre (toutes pour un administrateur de l'instance)."""
    found = organisations_among(store, None if user.is_instance_admin else user.memberships)
    return [organisation_out(o, user.role_in(o.id) or "reader") for o in found]


@router.get("/{organisation_id}", tags=["collectivités"], summary="Une collectivité")
def get_one(access: ReaderDep) -> OrganisationOut:
    """Une collectivité dont vous êtes membre."""
    return organisation_out(access.organisation, access.role)


@router.patch("/{organisation_id}", tags=["collectivités"], summary="Modifier les paramètres")
def update(body: OrganisationPatch, access: OrgAdminDep, store: StoreDep) -> OrganisationOut:
    """Modifie le nom, le type, la population, le nombre d'agents ou l'année de reporting
    (administrateur de la collectivité)."""
    columns = {
        "nom": "name",
        "type": "type",
        "population": "population",
        "agents": "staff_count",
        "annee_reporting": "reporting_year",
    }
    changes = {columns[key]: value for key, value in body.model_dump(exclude_unset=True).items()}
    organisation = update_organisation(
        store, access.organisation_id, changes, actor=access.user.actor
    )
    return organisation_out(organisation, access.role)


@router.get("/{organisation_id}/membres", tags=["membres"], summary="Membres")
def members(access: OrgAdminDep, store: StoreDep) -> list[MemberOut]:
    """Les comptes membres de la collectivité et leur rôle (administrateur)."""
    return [
        MemberOut(id=u.id, email=u.email, nom=u.display_name, role=role, actif=u.is_active)  # type: ignore[arg-type]
        for u, role in organisation_members(store, access.organisation_id)
    ]


@router.post(
    "/{organisation_id}/membres",
    tags=["membres"],
    status_code=status.HTTP_201_CREATED,
    summary="Ajouter un membre",
)
def add_member(body: MemberIn, access: OrgAdminDep, store: StoreDep) -> MemberOut:
    """Donne un rôle à un compte existant, ou crée le compte (avec un mot de passe, ou sans
    pour une connexion par ProConnect uniquement)."""
    user = find_user_by_email(store, body.email)
    if user is None:
        user = create_user(
            store,
            email=body.email,
            password_hash=hash_password(body.mot_de_passe) if body.mot_de_passe else None,
            display_name=body.nom,
            organisation_id=access.organisation_id,
            role=body.role,
            actor=access.user.actor,
        )
    else:
        if user.is_instance_admin and not access.user.is_instance_admin:
            raise forbidden("Ce compte est administrateur de l'instance.")
        set_membership(
            store,
            user_id=user.id,
            organisation_id=access.organisation_id,
            role=body.role,
            actor=access.user.actor,
        )
    return MemberOut(
        id=user.id, email=user.email, nom=user.display_name, role=body.role, actif=user.is_active
    )


def _member(store: StoreDep, organisation_id: int, user_id: int) -> tuple[int, str]:
    for user, role in organisation_members(store, organisation_id):
        if user.id == user_id:
            return user.id, role
    raise not_found("Ce compte n'est pas membre de la collectivité.")


@router.patch("/{organisation_id}/membres/{user_id}", tags=["membres"], summary="Changer le rôle")
def change_role(
    user_id: IdPath, body: MemberPatch, access: OrgAdminDep, store: StoreDep
) -> MemberOut:
    """Change le rôle d'un membre (administrateur)."""
    _member(store, access.organisation_id, user_id)
    if user_id == access.user.id and body.role != "admin" and not access.user.is_instance_admin:
        raise forbidden("Vous ne pouvez pas retirer votre propre rôle d'administrateur.")
    set_membership(
        store,
        user_id=user_id,
        organisation_id=access.organisation_id,
        role=body.role,
        actor=access.user.actor,
    )
    for user, role in organisation_members(store, access.organisation_id):
        if user.id == user_id:
            return MemberOut(
                id=user.id,
                email=user.email,
                nom=user.display_name,
                role=role,  # type: ignore[arg-type]
                actif=user.is_active,
            )
    raise not_found("Ce compte n'est pas membre de la collectivité.")


@router.delete(
    "/{organisation_id}/membres/{user_id}",
    tags=["membres"],
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Retirer un membre",
)
def remove_member(user_id: IdPath, access: OrgAdminDep, store: StoreDep) -> None:
    """Retire un compte de la collectivité (le compte lui-même est conservé)."""
    _member(store, access.organisation_id, user_id)
    if user_id == access.user.id and not access.user.is_instance_admin:
        raise forbidden("Vous ne pouvez pas vous retirer vous-même de la collectivité.")
    remove_membership(
        store, user_id=user_id, organisation_id=access.organisation_id, actor=access.user.actor
    )
