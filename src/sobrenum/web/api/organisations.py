"""``/api/v1/collectivites``: your organisations, their settings and members."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status

from sobrenum.store import Organisation, organisations_among, update_organisation
from sobrenum.store.users import (
    AccountError,
    AlreadyMember,
    Invitation,
    OwnAdminRole,
    cancel_invitation,
    organisation_members,
    pending_invitations,
)
from sobrenum.web import members as members_service
from sobrenum.web.api.common import ERRORS, PREFIX, IdPath
from sobrenum.web.api.schemas import (
    InvitationOut,
    MemberIn,
    MemberOut,
    MemberPatch,
    NewInvitationOut,
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


def invitation_out(row: Invitation) -> InvitationOut:
    return InvitationOut(
        id=row.id,
        email=row.email,
        role=row.role,  # type: ignore[arg-type]
        cree_le=row.created_at,
        expire_le=row.expires_at,
    )


def invite(request: Request, access: OrgAdminDep, email: str, role: str) -> tuple[Invitation, str]:
    """:func:`sobrenum.web.members.invite`, its refusals as 409 (already a member) or 422."""
    try:
        return members_service.invite(request, access, email, role)
    except AlreadyMember as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except AccountError as exc:
        raise HTTPException(422, str(exc)) from exc


@router.post(
    "/{organisation_id}/membres",
    tags=["membres"],
    status_code=status.HTTP_201_CREATED,
    summary="Inviter un membre",
)
def add_member(
    request: Request, body: MemberIn, access: OrgAdminDep, store: StoreDep
) -> NewInvitationOut:
    """Invite une adresse électronique avec un rôle. La personne choisit elle-même son mot
    de passe (ou se connecte avec ProConnect) en ouvrant le lien d'invitation, valable
    7 jours et une seule fois ; si l'adresse a déjà un compte, son titulaire accepte
    l'invitation une fois connecté. La réponse est la même que l'adresse ait un compte ou
    non. Le lien n'est affiché qu'ici : transmettez-le à la personne."""
    row, link = invite(request, access, body.email, body.role)
    return NewInvitationOut(**invitation_out(row).model_dump(), lien=link)


@router.get("/{organisation_id}/invitations", tags=["membres"], summary="Invitations en attente")
def list_invitations(access: OrgAdminDep, store: StoreDep) -> list[InvitationOut]:
    """Les invitations ni acceptées ni expirées (administrateur), sans leur lien."""
    return [invitation_out(row) for row in pending_invitations(store, access.organisation_id)]


@router.delete(
    "/{organisation_id}/invitations/{invitation_id}",
    tags=["membres"],
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Annuler une invitation",
)
def cancel_pending_invitation(invitation_id: IdPath, access: OrgAdminDep, store: StoreDep) -> None:
    """Annule une invitation en attente : son lien cesse aussitôt de fonctionner."""
    if not cancel_invitation(
        store,
        organisation_id=access.organisation_id,
        invitation_id=invitation_id,
        actor=access.user.actor,
    ):
        raise not_found("Invitation introuvable.")


def _member_out(store: StoreDep, organisation_id: int, user_id: int) -> MemberOut:
    for user, role in organisation_members(store, organisation_id):
        if user.id == user_id:
            return MemberOut(
                id=user.id,
                email=user.email,
                nom=user.display_name,
                role=role,  # type: ignore[arg-type]
                actif=user.is_active,
            )
    raise not_found("Ce compte n'est pas membre de la collectivité.")


@router.patch("/{organisation_id}/membres/{user_id}", tags=["membres"], summary="Changer le rôle")
def change_role(
    request: Request, user_id: IdPath, body: MemberPatch, access: OrgAdminDep, store: StoreDep
) -> MemberOut:
    """Change le rôle d'un membre (administrateur)."""
    try:
        changed = members_service.change_role(request, access, user_id, body.role)
    except OwnAdminRole as exc:
        raise forbidden(str(exc)) from exc
    if not changed:
        raise not_found("Ce compte n'est pas membre de la collectivité.")
    return _member_out(store, access.organisation_id, user_id)


@router.delete(
    "/{organisation_id}/membres/{user_id}",
    tags=["membres"],
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Retirer un membre",
)
def remove_member(request: Request, user_id: IdPath, access: OrgAdminDep) -> None:
    """Retire un compte de la collectivité (le compte lui-même est conservé)."""
    try:
        removed = members_service.remove(request, access, user_id)
    except OwnAdminRole as exc:
        raise forbidden(str(exc)) from exc
    if not removed:
        raise not_found("Ce compte n'est pas membre de la collectivité.")
