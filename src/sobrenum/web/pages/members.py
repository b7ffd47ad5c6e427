"""The members of an organisation, for its administrators: the list with each one's role,
changing a role, removing someone from the organisation, inviting an e-mail (the link is
shown once, on the page that answers the invitation, never in an address) and cancelling a
pending invitation. The same rules as the API (``sobrenum.web.members``): no account is
created nor any password set here, and nothing tells whether an e-mail has an account."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from sobrenum.store.users import (
    ROLE_LABELS,
    ROLES,
    AccountError,
    AlreadyMember,
    OwnAdminRole,
    cancel_invitation,
    organisation_members,
    pending_invitations,
)
from sobrenum.web import members as service
from sobrenum.web.deps import OrgAdminDep, OrganisationAccess
from sobrenum.web.notices import checked, notice
from sobrenum.web.pages.common import IdPath, MessageQuery, date_fr, organisation_context
from sobrenum.web.templating import render

router = APIRouter(include_in_schema=False)

RoleForm = Annotated[str, Form(max_length=20)]


def _page(
    request: Request,
    access: OrganisationAccess,
    *,
    message: str | None = None,
    error: str | None = None,
    link: str | None = None,
    invited: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    store = request.app.state.store
    context = organisation_context(access, "members")
    context.update(
        members=organisation_members(store, access.organisation_id),
        invitations=pending_invitations(store, access.organisation_id),
        roles=[(code, ROLE_LABELS[code]) for code in ROLES],
        role_labels=ROLE_LABELS,
        me=access.user.id,
        message=message,
        error=error,
        link=link,
        invited=invited or {"email": "", "role": "reader"},
        date_fr=date_fr,
    )
    return render(request, "pages/members.html", context, status_code=status_code)


def _done(request: Request, access: OrganisationAccess, key: str) -> RedirectResponse:
    path = request.url_for("members_page", organisation_id=access.organisation_id).path
    return RedirectResponse(f"{path}?{urlencode({'ok': checked(key)})}", status_code=303)


def _role(value: str) -> str | None:
    return value if value in ROLES else None


@router.get("/collectivites/{organisation_id}/membres", name="members_page")
def members_page(request: Request, access: OrgAdminDep, ok: MessageQuery = None) -> Response:
    return _page(request, access, message=notice(ok))


@router.post("/collectivites/{organisation_id}/membres/inviter", name="members_invite")
def members_invite(
    request: Request,
    access: OrgAdminDep,
    email: Annotated[str, Form(max_length=320)] = "",
    role: RoleForm = "reader",
) -> Response:
    invited = {"email": email, "role": role}
    code = _role(role)
    if code is None:
        return _page(request, access, error="Rôle inconnu : choisissez un rôle de la liste.",
                     invited=invited, status_code=422)  # fmt: skip
    try:
        row, link = service.invite(request, access, email, code)
    except AlreadyMember as exc:
        return _page(request, access, error=str(exc), invited=invited, status_code=409)
    except AccountError as exc:
        return _page(request, access, error=str(exc), invited=invited, status_code=422)
    return _page(
        request,
        access,
        message=f"Invitation créée pour {row.email} : transmettez-lui le lien ci-dessous.",
        link=link,
    )


@router.post("/collectivites/{organisation_id}/membres/{user_id}/role", name="members_role")
def members_role(
    request: Request, access: OrgAdminDep, user_id: IdPath, role: RoleForm = ""
) -> Response:
    code = _role(role)
    if code is None:
        return _page(request, access, error="Rôle inconnu : choisissez un rôle de la liste.",
                     status_code=422)  # fmt: skip
    try:
        changed = service.change_role(request, access, user_id, code)
    except OwnAdminRole as exc:
        return _page(request, access, error=str(exc), status_code=403)
    if not changed:
        return _not_a_member(request, access)
    return _done(request, access, "role-membre")


@router.post("/collectivites/{organisation_id}/membres/{user_id}/retirer", name="members_remove")
def members_remove(request: Request, access: OrgAdminDep, user_id: IdPath) -> Response:
    try:
        removed = service.remove(request, access, user_id)
    except OwnAdminRole as exc:
        return _page(request, access, error=str(exc), status_code=403)
    if not removed:
        return _not_a_member(request, access)
    return _done(request, access, "membre-retire")


@router.post(
    "/collectivites/{organisation_id}/invitations/{invitation_id}/annuler",
    name="members_cancel_invitation",
)
def members_cancel_invitation(
    request: Request, access: OrgAdminDep, invitation_id: IdPath
) -> Response:
    store = request.app.state.store
    if not cancel_invitation(
        store,
        organisation_id=access.organisation_id,
        invitation_id=invitation_id,
        actor=access.user.actor,
    ):
        return _page(request, access, error="Invitation introuvable.", status_code=404)
    return _done(request, access, "invitation-annulee")


def _not_a_member(request: Request, access: OrganisationAccess) -> Response:
    error = "Ce compte n'est pas membre de la collectivité."
    return _page(request, access, error=error, status_code=404)
