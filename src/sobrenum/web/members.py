"""What the members page and the members API share: inviting an e-mail (the link, shown
once to the inviting admin) and the rule that an admin keeps their own admin role."""

from __future__ import annotations

import datetime as dt

from fastapi import Request

from sobrenum.store.users import (
    Invitation,
    check_own_admin_role,
    invite_member,
    remove_membership,
    set_membership,
)
from sobrenum.web.deps import OrganisationAccess
from sobrenum.web.security import new_invitation_token
from sobrenum.web.settings import Settings


def invitation_link(request: Request, token: str) -> str:
    """The absolute link that opens an invitation (given once to the inviting admin)."""
    return str(request.url_for("invitation_page").include_query_params(jeton=token))


def invite(
    request: Request, access: OrganisationAccess, email: str, role: str
) -> tuple[Invitation, str]:
    """Invite ``email`` with ``role`` into the organisation (the answer never says whether
    the e-mail has an account): the invitation and its link. Raises ``AlreadyMember`` when
    the e-mail is a member already, ``AccountError`` for a malformed e-mail or role."""
    settings: Settings = request.app.state.settings
    token = new_invitation_token()
    row = invite_member(
        request.app.state.store,
        organisation_id=access.organisation_id,
        email=email,
        role=role,
        token=token,
        lifetime=dt.timedelta(days=settings.invitation_days),
        actor=access.user.actor,
    )
    return row, invitation_link(request, token)


def change_role(request: Request, access: OrganisationAccess, user_id: int, role: str) -> bool:
    """Give a member ``role``; False when the account is not a member. Raises
    ``OwnAdminRole`` when an admin would lower their own role."""
    check_own_admin_role(
        actor_id=access.user.id,
        actor_is_instance_admin=access.user.is_instance_admin,
        user_id=user_id,
        role=role,
    )
    changed = set_membership(
        request.app.state.store,
        user_id=user_id,
        organisation_id=access.organisation_id,
        role=role,
        actor=access.user.actor,
        only_existing=True,
    )
    return changed is not None


def remove(request: Request, access: OrganisationAccess, user_id: int) -> bool:
    """Remove a member from the organisation (the account stays); False when not a member.
    Raises ``OwnAdminRole`` when an admin would remove themselves."""
    check_own_admin_role(
        actor_id=access.user.id,
        actor_is_instance_admin=access.user.is_instance_admin,
        user_id=user_id,
        role=None,
    )
    return remove_membership(
        request.app.state.store,
        user_id=user_id,
        organisation_id=access.organisation_id,
        actor=access.user.actor,
    )
