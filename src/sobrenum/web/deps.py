"""FastAPI dependencies: the store, who is asking, and what they may do.

- ``current_user``: the logged-in user (session cookie) or the owner of the API token
  (``Authorization: Bearer``); 401 otherwise.
- ``organisation_access``: the organisation named by the ``organisation_id`` path parameter,
  with the user's role in it; 404 when it does not exist *or* the user is not a member (an
  outsider learns nothing, not even that it exists).
- ``require_role("editor")``: the same, and 403 when the role is too weak.
- ``require_instance_admin``: 403 for anyone but an instance administrator.
- ``csrf_protect``: applied to every route by ``create_app``.

Use them as ``Annotated[OrganisationAccess, Depends(require_role("editor"))]``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path, Request, status

from sobrenum.store import Organisation, Store, organisation_or_none
from sobrenum.store.users import (
    INSTANCE_ADMIN_LABEL,
    ROLE_LABELS,
    ROLES,
    role_rank,
    user_for_session,
    user_for_token,
)
from sobrenum.web.security import SAFE_METHODS, bearer_token, csrf_token_valid
from sobrenum.web.settings import Settings

MAX_ID = 2_147_483_647
"""Largest id a path accepts (the database's INTEGER)."""


class NotAuthenticated(HTTPException):
    """401: nobody is logged in (pages turn it into a redirection to the login page)."""

    def __init__(self, detail: str = "Authentification requise : connectez-vous.") -> None:
        super().__init__(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail=detail,
            headers={"WWW-Authenticate": "Bearer"},
        )


def forbidden(detail: str) -> HTTPException:
    return HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail=detail)


def not_found(detail: str) -> HTTPException:
    return HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=detail)


@dataclass(frozen=True)
class CurrentUser:
    """Who is asking, and how they proved it."""

    id: int
    email: str
    display_name: str
    is_instance_admin: bool
    via: str
    """``session`` (browser cookie) or ``token`` (API token)."""
    memberships: dict[int, str] = field(default_factory=dict)
    """Organisation id → role (``reader``, ``editor``, ``admin``)."""
    token_id: int | None = None

    @property
    def actor(self) -> str:
        """How the audit log names this user."""
        return self.email if self.via == "session" else f"{self.email} (jeton {self.token_id})"

    @property
    def name(self) -> str:
        return self.display_name or self.email

    def role_in(self, organisation_id: int) -> str | None:
        """The effective role in an organisation (instance admins are admins everywhere)."""
        if self.is_instance_admin:
            return "admin"
        return self.memberships.get(organisation_id)


@dataclass(frozen=True)
class OrganisationAccess:
    """An organisation the user may see, and their role in it."""

    user: CurrentUser
    organisation: Organisation
    role: str

    @property
    def organisation_id(self) -> int:
        return self.organisation.id

    def can(self, role: str) -> bool:
        return role_rank(self.role) >= role_rank(role)

    @property
    def role_label(self) -> str:
        if self.user.is_instance_admin and self.user.memberships.get(self.organisation.id) is None:
            return INSTANCE_ADMIN_LABEL
        return ROLE_LABELS[self.role]


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def optional_user(request: Request) -> CurrentUser | None:
    """The user behind the request, or None (the result is cached on the request)."""
    if "sobrenum.user" in request.scope:
        cached: CurrentUser | None = request.scope["sobrenum.user"]
        return cached
    store = get_store(request)
    found: CurrentUser | None = None
    token = bearer_token(request)
    if token is not None:
        match = user_for_token(store, token)
        if match is None:
            raise NotAuthenticated("Jeton d'API invalide, expiré ou révoqué.")
        user, api_token, memberships = match
        found = CurrentUser(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            is_instance_admin=user.is_instance_admin,
            via="token",
            memberships=memberships,
            token_id=api_token.id,
        )
    else:
        session_id = request.session.get("sid")
        if isinstance(session_id, str) and session_id:
            resolved = user_for_session(store, session_id)
            if resolved is None:
                request.session.pop("sid", None)
            else:
                account, memberships = resolved
                found = CurrentUser(
                    id=account.id,
                    email=account.email,
                    display_name=account.display_name,
                    is_instance_admin=account.is_instance_admin,
                    via="session",
                    memberships=memberships,
                )
    request.scope["sobrenum.user"] = found
    return found


def current_user(
    user: Annotated[CurrentUser | None, Depends(optional_user)],
) -> CurrentUser:
    if user is None:
        raise NotAuthenticated()
    return user


CurrentUserDep = Annotated[CurrentUser, Depends(current_user)]


def require_instance_admin(user: CurrentUserDep) -> CurrentUser:
    if not user.is_instance_admin:
        raise forbidden("Réservé aux administrateurs de l'instance.")
    return user


def organisation_access(
    user: CurrentUserDep,
    store: StoreDep,
    organisation_id: Annotated[
        int, Path(description="Numéro de la collectivité.", ge=1, le=MAX_ID)
    ],
) -> OrganisationAccess:
    """The organisation of the path, if the user belongs to it (else 404)."""
    role = user.role_in(organisation_id)
    organisation = None
    if role is not None:
        organisation = organisation_or_none(store, organisation_id)
    if role is None or organisation is None:
        raise not_found("Collectivité introuvable ou inaccessible avec votre compte.")
    return OrganisationAccess(user=user, organisation=organisation, role=role)


OrganisationAccessDep = Annotated[OrganisationAccess, Depends(organisation_access)]


def require_role(minimum: str) -> Callable[[OrganisationAccess], OrganisationAccess]:
    """A dependency: the organisation access, when the role is at least ``minimum``."""
    if minimum not in ROLES:
        raise ValueError(f"unknown role {minimum!r}")

    def dependency(access: OrganisationAccessDep) -> OrganisationAccess:
        if not access.can(minimum):
            raise forbidden(
                f"Votre rôle ({ROLE_LABELS[access.role].lower()}) ne permet pas cette action : "
                f"il faut être {ROLE_LABELS[minimum].lower()} ou plus."
            )
        return access

    dependency.__name__ = f"require_role_{minimum}"
    return dependency


ReaderDep = Annotated[OrganisationAccess, Depends(require_role("reader"))]
EditorDep = Annotated[OrganisationAccess, Depends(require_role("editor"))]
OrgAdminDep = Annotated[OrganisationAccess, Depends(require_role("admin"))]
InstanceAdminDep = Annotated[CurrentUser, Depends(require_instance_admin)]


async def csrf_protect(request: Request) -> None:
    """Refuse unsafe requests without the session's CSRF token (API tokens are exempt)."""
    if request.method in SAFE_METHODS or bearer_token(request) is not None:
        return
    if not await csrf_token_valid(request):
        raise forbidden(
            "Jeton CSRF manquant ou invalide : rechargez la page et recommencez "
            "(les scripts utilisent un jeton d'API : en-tête Authorization: Bearer)."
        )


AsyncDependency = Callable[..., Coroutine[Any, Any, None]]
