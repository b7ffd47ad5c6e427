"""People and their access: user accounts, memberships (user x organisation x role),
invitations, API tokens, web sessions, login attempts (for login delays) and staged imports.

Nothing here knows about HTTP: the web layer hashes passwords and chooses tokens; this module
stores and finds them. Secrets are never stored in clear: API tokens, session ids and
invitation tokens are kept as their SHA-256 (they are long random strings, so a fast hash is
enough), passwords as argon2id hashes made by the caller.

An account belongs to its owner: an organisation admin never creates an account nor sets a
password; they *invite* an e-mail (:func:`invite_member`), and whoever holds the invitation
token sets the password of a new account, or, when the account exists, accepts it while
signed in to that account (:func:`accept_invitation`). Only an instance admin (or the
command line) sets another person's password (:func:`set_password_hash`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from sobrenum.domain import SobrenumError
from sobrenum.store.audit import record_event
from sobrenum.store.database import Store
from sobrenum.store.models import Base, Device, Organisation, utc_now

JSONType = JSON().with_variant(JSONB(), "postgresql")

ROLES: tuple[str, ...] = ("reader", "editor", "admin")
"""Roles in an organisation, weakest first (each includes the rights of the previous)."""

ROLE_LABELS: dict[str, str] = {
    "reader": "Lecteur",
    "editor": "Éditeur",
    "admin": "Administrateur de la collectivité",
}
INSTANCE_ADMIN_LABEL = "Administrateur de l'instance"

ROLE_ALIASES: dict[str, str] = {
    "lecteur": "reader",
    "reader": "reader",
    "editeur": "editor",
    "éditeur": "editor",
    "editor": "editor",
    "admin": "admin",
    "admin-organisation": "admin",
    "admin-collectivite": "admin",
    "administrateur": "admin",
}


class AccountError(SobrenumError):
    """An account operation is refused; the message says why, in French."""


class InvitationError(AccountError):
    """An invitation token cannot be used; ``reason`` says why for the web layer:
    ``invalid`` (unknown, expired, used, cancelled), ``sign_in`` (the e-mail has an account:
    its owner signs in to accept), ``other_account`` (signed in as someone else),
    ``inactive`` (the account is deactivated), ``password`` (a new account needs one)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class AlreadyMember(AccountError):
    """The invited e-mail is already a member of the organisation."""


class OwnAdminRole(AccountError):
    """An organisation admin tried to lower their own role or to leave the organisation."""


def check_own_admin_role(
    *, actor_id: int, actor_is_instance_admin: bool, user_id: int, role: str | None
) -> None:
    """An organisation admin keeps their own admin role: they can neither lower it nor remove
    themselves (``role`` None), so that a slip never leaves the organisation without its
    admin; another admin of the organisation, or an instance admin, can."""
    if user_id != actor_id or actor_is_instance_admin or role == "admin":
        return
    if role is None:
        raise OwnAdminRole("Vous ne pouvez pas vous retirer vous-même de la collectivité.")
    raise OwnAdminRole("Vous ne pouvez pas retirer votre propre rôle d'administrateur.")


INVALID_INVITATION = (
    "Ce lien d'invitation n'est pas valable : il a expiré, a déjà servi ou a été annulé. "
    "Demandez une nouvelle invitation à l'administrateur de la collectivité."
)


def role_rank(role: str) -> int:
    return ROLES.index(role)


def normalise_role(value: str) -> str:
    """The role code for a French or English name (``lecteur``, ``editeur``, ``admin``…)."""
    code = ROLE_ALIASES.get(value.strip().lower())
    if code is None:
        raise AccountError(
            f"Rôle inconnu « {value} » : choisissez lecteur, editeur ou admin "
            "(ou admin-instance pour administrer toute l'instance)."
        )
    return code


def normalise_email(value: str) -> str:
    email = value.strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email or len(email) > 320:
        raise AccountError(f"Adresse électronique invalide : « {value.strip()} ».")
    return email


def secret_digest(secret: str) -> str:
    """SHA-256 of a long random secret (API token, session id), as stored in the database."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class User(Base):
    """A person (or a script's owner) who can log in."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(200))
    is_instance_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Membership(Base):
    """A user's role in one organisation."""

    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("user_id", "organisation_id", name="uq_membership_user_org"),
        CheckConstraint("role IN ('reader', 'editor', 'admin')", name="role"),
        Index("ix_membership_org", "organisation_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class Invitation(Base):
    """An e-mail invited into an organisation with a role; only the token's SHA-256 is kept.

    Single use (``accepted_at``), expiring (``expires_at``); a new invitation of the same
    e-mail into the same organisation replaces the pending one."""

    __tablename__ = "invitation"
    __table_args__ = (
        CheckConstraint("role IN ('reader', 'editor', 'admin')", name="role"),
        Index("ix_invitation_org", "organisation_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ApiToken(Base):
    """A token for scripts (``Authorization: Bearer …``); only its SHA-256 is stored."""

    __tablename__ = "api_token"
    __table_args__ = (Index("ix_api_token_user", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class WebSession(Base):
    """A logged-in browser; ``id`` is the SHA-256 of the random id kept in the signed cookie."""

    __tablename__ = "web_session"
    __table_args__ = (Index("ix_web_session_user", "user_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    auth_method: Mapped[str] = mapped_column(String(20), default="password")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class LoginAttempt(Base):
    """One login try, kept to limit tries per account and per address across workers."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_email_at", "email", "at"),
        Index("ix_login_attempt_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    email: Mapped[str] = mapped_column(String(320))
    ip: Mapped[str] = mapped_column(String(64))
    success: Mapped[bool] = mapped_column(Boolean)


class StagedImport(Base):
    """An uploaded inventory file, validated and waiting to be applied (or abandoned)."""

    __tablename__ = "staged_import"
    __table_args__ = (
        Index("ix_staged_import_org", "organisation_id", "created_at"),
        CheckConstraint("status IN ('pending', 'applied', 'abandoned')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    file_name: Mapped[str] = mapped_column(String(500))
    file_sha256: Mapped[str] = mapped_column(String(64))
    inventory_date: Mapped[dt.date] = mapped_column(Date)
    mapping_profile: Mapped[str | None] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    import_id: Mapped[int | None] = mapped_column(
        ForeignKey("inventory_import.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


#: Fleet pages (web app) list current devices sorted by one of these columns, by pages with a
#: total: partial indexes over current devices make the count, the sort and deep pages cheap.
FLEET_SORT_COLUMNS: tuple[str, ...] = (
    "asset_id",
    "category",
    "acquisition_date",
    "site",
    "department",
)

for _column in FLEET_SORT_COLUMNS:
    Index(
        f"ix_device_current_{_column}",
        Device.organisation_id,
        getattr(Device, _column),
        *([Device.asset_id] if _column != "asset_id" else []),
        sqlite_where=Device.gone_at.is_(None),
        postgresql_where=Device.gone_at.is_(None),
    )


# --- users -------------------------------------------------------------------------------


def create_user(
    store: Store,
    *,
    email: str,
    password_hash: str | None,
    display_name: str = "",
    is_instance_admin: bool = False,
    organisation_id: int | None = None,
    role: str | None = None,
    actor: str | None = None,
) -> User:
    """Create an account (and its membership when ``organisation_id`` is given)."""
    clean = normalise_email(email)
    if organisation_id is not None and role is None:
        raise AccountError("Précisez le rôle de l'utilisateur dans la collectivité.")
    user = User(
        email=clean,
        display_name=" ".join(display_name.split()),
        password_hash=password_hash,
        is_instance_admin=is_instance_admin,
        is_active=True,
    )
    try:
        with store.transaction() as session:
            session.add(user)
            session.flush()
            if organisation_id is not None and role is not None:
                _check_organisation(session, organisation_id)
                session.add(
                    Membership(
                        user_id=user.id, organisation_id=organisation_id, role=normalise_role(role)
                    )
                )
            record_event(
                session,
                "user.create",
                actor=actor,
                organisation_id=organisation_id,
                details={
                    "email": clean,
                    "instance_admin": is_instance_admin,
                    "role": role,
                },
            )
    except IntegrityError as exc:
        raise AccountError(f"Un compte existe déjà pour {clean}.") from exc
    return user


def _check_organisation(session: Session, organisation_id: int) -> None:
    if session.get(Organisation, organisation_id) is None:
        raise AccountError(f"Aucune collectivité n°{organisation_id}.")


def find_user_by_email(store: Store, email: str) -> User | None:
    try:
        clean = normalise_email(email)
    except AccountError:
        return None
    with store.transaction() as session:
        return session.scalar(select(User).where(User.email == clean))


def get_user(store: Store, user_id: int) -> User | None:
    with store.transaction() as session:
        return session.get(User, user_id)


def _close_access(session: Session, user_id: int, *, keep_session: str | None = None) -> None:
    """Close every web session of the user (but ``keep_session``, a raw session id) and
    revoke every API token: after a password change or a deactivation, nothing opened
    before still works."""
    sessions = delete(WebSession).where(WebSession.user_id == user_id)
    if keep_session is not None:
        sessions = sessions.where(WebSession.id != secret_digest(keep_session))
    session.execute(sessions)
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utc_now())
    )


def set_password_hash(store: Store, user_id: int, password_hash: str, *, actor: str) -> None:
    """Set someone's password (instance admin or command line): their web sessions are
    closed and their API tokens revoked; the audit log names who did it."""
    with store.write_transaction() as session:
        user = session.get(User, user_id)
        if user is None:
            raise AccountError("Compte introuvable.")
        user.password_hash = password_hash
        _close_access(session, user_id)
        record_event(session, "user.password_set", actor=actor, details={"email": user.email})


def change_own_password(
    store: Store,
    user_id: int,
    *,
    current_matches: Callable[[str | None], bool],
    new_hash: str,
    keep_session: str | None,
    actor: str,
) -> bool:
    """The signed-in user changes their password: ``current_matches(stored hash)`` must
    accept the current one (checked inside the write transaction). Their other sessions are
    closed and all their API tokens revoked. False when the current password is wrong."""
    with store.write_transaction() as session:
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            raise AccountError("Compte introuvable.")
        if not current_matches(user.password_hash):
            return False
        user.password_hash = new_hash
        _close_access(session, user_id, keep_session=keep_session)
        record_event(session, "user.password_change", actor=actor, details={"email": user.email})
        return True


def set_active(store: Store, user_id: int, active: bool, *, actor: str) -> User:
    """Deactivate (or reactivate) an account: a deactivated account cannot log in nor use its
    tokens; its sessions are closed and its tokens revoked at once."""
    with store.write_transaction() as session:
        user = session.get(User, user_id)
        if user is None:
            raise AccountError("Compte introuvable.")
        if user.is_active != active:
            user.is_active = active
            if not active:
                _close_access(session, user_id)
            record_event(
                session,
                "user.reactivate" if active else "user.deactivate",
                actor=actor,
                details={"email": user.email},
            )
        return user


def list_users(store: Store) -> list[User]:
    """Every account, by e-mail (for instance admins)."""
    with store.transaction() as session:
        return list(session.scalars(select(User).order_by(User.email)))


def memberships_of(store: Store, user_id: int) -> dict[int, str]:
    """The user's organisations and role in each (organisation id → role)."""
    with store.transaction() as session:
        return _memberships(session, user_id)


def _memberships(session: Session, user_id: int) -> dict[int, str]:
    rows = session.execute(
        select(Membership.organisation_id, Membership.role).where(Membership.user_id == user_id)
    )
    return {org: role for org, role in rows}


def _membership(session: Session, user_id: int, organisation_id: int) -> Membership | None:
    return session.scalar(
        select(Membership).where(
            Membership.user_id == user_id, Membership.organisation_id == organisation_id
        )
    )


def set_membership(
    store: Store,
    *,
    user_id: int,
    organisation_id: int,
    role: str,
    actor: str,
    only_existing: bool = False,
) -> Membership | None:
    """Give the user ``role`` in the organisation (adds or changes the membership).

    With ``only_existing``, only change the role of a current member: None when the user is
    not a member (nothing written). Read and write happen in one write transaction."""
    code = normalise_role(role)
    with store.write_transaction() as session:
        _check_organisation(session, organisation_id)
        user = session.get(User, user_id)
        membership = _membership(session, user_id, organisation_id)
        if only_existing and membership is None:
            return None
        if user is None:
            raise AccountError("Compte introuvable.")
        before = membership.role if membership else None
        if membership is None:
            membership = Membership(user_id=user_id, organisation_id=organisation_id, role=code)
            session.add(membership)
        else:
            membership.role = code
        session.flush()
        record_event(
            session,
            "membership.set",
            actor=actor,
            organisation_id=organisation_id,
            details={"email": user.email, "role": code, "before": before},
        )
        return membership


def remove_membership(store: Store, *, user_id: int, organisation_id: int, actor: str) -> bool:
    """Remove the user from the organisation (the account stays); False if not a member."""
    with store.write_transaction() as session:
        membership = _membership(session, user_id, organisation_id)
        if membership is None:
            return False
        user = session.get(User, user_id)
        session.delete(membership)
        record_event(
            session,
            "membership.remove",
            actor=actor,
            organisation_id=organisation_id,
            details={"email": user.email if user else None, "role": membership.role},
        )
        return True


def organisation_members(store: Store, organisation_id: int) -> list[tuple[User, str]]:
    with store.transaction() as session:
        rows = session.execute(
            select(User, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == organisation_id)
            .order_by(User.email)
        )
        return [(user, role) for user, role in rows]


# --- invitations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class InvitationView:
    """What an invitation token opens: shown on the invitation page."""

    email: str
    role: str
    organisation_id: int
    organisation_name: str
    expires_at: dt.datetime
    has_account: bool


def invite_member(
    store: Store,
    *,
    organisation_id: int,
    email: str,
    role: str,
    token: str,
    lifetime: dt.timedelta,
    actor: str,
) -> Invitation:
    """Invite ``email`` into the organisation with ``role``; the caller shows ``token`` once.

    Nothing is said about accounts elsewhere: the invitation is the same whether or not the
    e-mail has an account. A pending invitation of the same e-mail here is replaced. Refused
    when the e-mail is already a member (the admin sees the members anyway)."""
    clean = normalise_email(email)
    code = normalise_role(role)
    now = utc_now()
    with store.write_transaction() as session:
        _check_organisation(session, organisation_id)
        member = session.scalar(
            select(Membership.id)
            .join(User, User.id == Membership.user_id)
            .where(User.email == clean, Membership.organisation_id == organisation_id)
        )
        if member is not None:
            raise AlreadyMember(
                f"{clean} est déjà membre de la collectivité : changez son rôle dans la liste "
                "des membres."
            )
        session.execute(
            delete(Invitation).where(
                Invitation.organisation_id == organisation_id,
                Invitation.email == clean,
                Invitation.accepted_at.is_(None),
            )
        )
        row = Invitation(
            organisation_id=organisation_id,
            email=clean,
            role=code,
            token_hash=secret_digest(token),
            invited_by=actor[:320],
            created_at=now,
            expires_at=now + lifetime,
        )
        session.add(row)
        session.flush()
        record_event(
            session,
            "invitation.create",
            actor=actor,
            organisation_id=organisation_id,
            details={"invitation_id": row.id, "email": clean, "role": code},
        )
        return row


def pending_invitations(store: Store, organisation_id: int) -> list[Invitation]:
    """The organisation's invitations not yet accepted and not expired, newest first."""
    with store.transaction() as session:
        return list(
            session.scalars(
                select(Invitation)
                .where(
                    Invitation.organisation_id == organisation_id,
                    Invitation.accepted_at.is_(None),
                    Invitation.expires_at > utc_now(),
                )
                .order_by(Invitation.id.desc())
            )
        )


def cancel_invitation(
    store: Store, *, organisation_id: int, invitation_id: int, actor: str
) -> bool:
    """Cancel a pending invitation of the organisation; False when there is none."""
    with store.write_transaction() as session:
        row = session.get(Invitation, invitation_id)
        if row is None or row.organisation_id != organisation_id or row.accepted_at is not None:
            return False
        session.delete(row)
        record_event(
            session,
            "invitation.cancel",
            actor=actor,
            organisation_id=organisation_id,
            details={"invitation_id": invitation_id, "email": row.email},
        )
        return True


def _valid_invitation(session: Session, token: str) -> Invitation | None:
    row = session.scalar(select(Invitation).where(Invitation.token_hash == secret_digest(token)))
    if row is None or row.accepted_at is not None or _aware(row.expires_at) <= utc_now():
        return None
    return row


def invitation_for_token(store: Store, token: str) -> InvitationView | None:
    """The valid (unused, unexpired) invitation of this token, or None."""
    with store.transaction() as session:
        row = _valid_invitation(session, token)
        if row is None:
            return None
        organisation = session.get(Organisation, row.organisation_id)
        has_account = session.scalar(select(User.id).where(User.email == row.email)) is not None
        return InvitationView(
            email=row.email,
            role=row.role,
            organisation_id=row.organisation_id,
            organisation_name=organisation.name if organisation else "",
            expires_at=_aware(row.expires_at),
            has_account=has_account,
        )


def accept_invitation(
    store: Store,
    token: str,
    *,
    signed_in_user_id: int | None = None,
    password_hash: str | None = None,
    display_name: str = "",
    oidc_subject: str | None = None,
) -> User:
    """Use an invitation token (once): the invited e-mail becomes a member with the role.

    - the e-mail has an account: its owner must be signed in to it (``signed_in_user_id``);
      its password and name are never touched (reason ``sign_in`` otherwise);
    - no account yet: one is created with the password the person chose (``password_hash``)
      or for ProConnect only (``oidc_subject``), and ``display_name``.
    Read and write in one write transaction, so a token cannot be used twice at once."""
    with store.write_transaction() as session:
        invitation = _valid_invitation(session, token)
        if invitation is None:
            raise InvitationError(INVALID_INVITATION, "invalid")
        user = session.scalar(select(User).where(User.email == invitation.email))
        if signed_in_user_id is not None:
            signed_in = session.get(User, signed_in_user_id)
            if signed_in is None or signed_in.id != (user.id if user else None):
                raise InvitationError(
                    f"Cette invitation est adressée à {invitation.email}, pas au compte avec "
                    "lequel vous êtes connecté : déconnectez-vous, puis rouvrez le lien.",
                    "other_account",
                )
        created = user is None
        if user is not None:
            if signed_in_user_id is None:
                raise InvitationError(
                    f"Un compte existe déjà pour {invitation.email} : connectez-vous avec ce "
                    "compte pour accepter l'invitation.",
                    "sign_in",
                )
            if not user.is_active:
                raise InvitationError("Ce compte est désactivé.", "inactive")
        else:
            if password_hash is None and oidc_subject is None:
                raise InvitationError(
                    "Choisissez un mot de passe pour créer votre compte.", "password"
                )
            if oidc_subject is not None and session.scalar(
                select(User.id).where(User.oidc_subject == oidc_subject)
            ):
                raise InvitationError(
                    "Cette identité ProConnect est déjà associée à un autre compte sobrenum.",
                    "other_account",
                )
            user = User(
                email=invitation.email,
                display_name=" ".join(display_name.split())[:200],
                password_hash=password_hash,
                oidc_subject=oidc_subject,
                is_instance_admin=False,
                is_active=True,
            )
            session.add(user)
            session.flush()
        membership = _membership(session, user.id, invitation.organisation_id)
        before = membership.role if membership else None
        if membership is None:
            session.add(
                Membership(
                    user_id=user.id,
                    organisation_id=invitation.organisation_id,
                    role=invitation.role,
                )
            )
        else:
            membership.role = invitation.role
        invitation.accepted_at = utc_now()
        record_event(
            session,
            "invitation.accept",
            actor=user.email,
            organisation_id=invitation.organisation_id,
            details={
                "invitation_id": invitation.id,
                "role": invitation.role,
                "before": before,
                "account_created": created,
                "invited_by": invitation.invited_by,
            },
        )
        return user


# --- API tokens ----------------------------------------------------------------------------


def add_api_token(
    store: Store,
    *,
    user_id: int,
    name: str,
    token: str,
    expires_at: dt.datetime | None = None,
    actor: str,
) -> ApiToken:
    """Store a new token (its hash and first characters); the caller shows the token once."""
    clean = " ".join(name.split()) or "Jeton"
    row = ApiToken(
        user_id=user_id,
        name=clean[:200],
        token_hash=secret_digest(token),
        prefix=token[:12],
        expires_at=expires_at,
    )
    with store.transaction() as session:
        session.add(row)
        session.flush()
        record_event(
            session, "api_token.create", actor=actor, details={"token_id": row.id, "name": clean}
        )
    return row


def list_api_tokens(store: Store, user_id: int) -> list[ApiToken]:
    with store.transaction() as session:
        return list(
            session.scalars(
                select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
            )
        )


def revoke_api_token(store: Store, *, user_id: int, token_id: int, actor: str) -> bool:
    """Revoke one of the user's tokens; False when the user has no such token."""
    with store.transaction() as session:
        row = session.get(ApiToken, token_id)
        if row is None or row.user_id != user_id:
            return False
        if row.revoked_at is None:
            row.revoked_at = utc_now()
            record_event(
                session,
                "api_token.revoke",
                actor=actor,
                details={"token_id": row.id, "name": row.name},
            )
        return True


def user_for_token(store: Store, token: str) -> tuple[User, ApiToken, dict[int, str]] | None:
    """The active user owning this valid (unrevoked, unexpired) token, the token, and the
    user's memberships (organisation id → role), in one transaction."""
    now = utc_now()
    with store.transaction() as session:
        row = session.execute(
            select(User, ApiToken)
            .join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == secret_digest(token))
        ).first()
        if row is None:
            return None
        user, api_token = row
        if api_token.revoked_at is not None or not user.is_active:
            return None
        if api_token.expires_at is not None and _aware(api_token.expires_at) <= now:
            return None
        last = api_token.last_used_at
        memberships = _memberships(session, user.id)
    if last is None or now - _aware(last) > dt.timedelta(minutes=5):
        # A write of its own, never upgraded from the read above: a read transaction that
        # starts writing after another writer committed fails at once on SQLite.
        with store.write_transaction() as session:
            session.execute(
                update(ApiToken).where(ApiToken.id == api_token.id).values(last_used_at=now)
            )
        api_token.last_used_at = now
    return user, api_token, memberships


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes (stored as UTC); PostgreSQL aware ones."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


# --- web sessions --------------------------------------------------------------------------


def open_web_session(
    store: Store,
    *,
    user_id: int,
    session_id: str,
    lifetime: dt.timedelta,
    auth_method: str,
    ip: str | None,
    user_agent: str | None,
) -> None:
    now = utc_now()
    with store.transaction() as session:
        session.add(
            WebSession(
                id=secret_digest(session_id),
                user_id=user_id,
                auth_method=auth_method,
                created_at=now,
                expires_at=now + lifetime,
                ip=ip,
                user_agent=(user_agent or "")[:300],
            )
        )
        user = session.get(User, user_id)
        if user is not None:
            user.last_login_at = now
        record_event(
            session,
            "auth.login",
            actor=user.email if user else str(user_id),
            details={"method": auth_method, "ip": ip},
        )
        # Housekeeping: expired sessions of this user.
        session.execute(
            delete(WebSession).where(WebSession.user_id == user_id, WebSession.expires_at < now)
        )


def user_for_session(store: Store, session_id: str) -> tuple[User, dict[int, str]] | None:
    """The active user of an open web session, and their memberships, in one transaction."""
    now = utc_now()
    with store.transaction() as session:
        row = session.execute(
            select(User, WebSession.expires_at)
            .join(WebSession, WebSession.user_id == User.id)
            .where(WebSession.id == secret_digest(session_id))
        ).first()
        if row is None:
            return None
        user, expires = row
        if _aware(expires) <= now or not user.is_active:
            return None
        return user, _memberships(session, user.id)


def close_web_session(store: Store, session_id: str, *, actor: str) -> None:
    with store.transaction() as session:
        deleted = session.execute(
            delete(WebSession).where(WebSession.id == secret_digest(session_id))
        )
        if getattr(deleted, "rowcount", 0):
            record_event(session, "auth.logout", actor=actor)


# --- login attempts ------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginFailures:
    """Recent failed logins: for one account (since its last success) and one address."""

    account: int
    account_last: dt.datetime | None
    address: int
    address_last: dt.datetime | None


def login_failures(store: Store, *, email: str, ip: str, since: dt.datetime) -> LoginFailures:
    """Failed logins since ``since``: for this account (after its last success), for this IP,
    with the time of the latest of each (the login delay runs from it)."""
    with store.transaction() as session:
        last_success = session.scalar(
            select(func.max(LoginAttempt.at)).where(
                LoginAttempt.email == email, LoginAttempt.success.is_(True)
            )
        )
        account_since = max(since, _aware(last_success)) if last_success else since
        by_account = session.execute(
            select(func.count(), func.max(LoginAttempt.at)).where(
                LoginAttempt.email == email,
                LoginAttempt.success.is_(False),
                LoginAttempt.at > account_since,
            )
        ).one()
        by_ip = session.execute(
            select(func.count(), func.max(LoginAttempt.at)).where(
                LoginAttempt.ip == ip, LoginAttempt.success.is_(False), LoginAttempt.at > since
            )
        ).one()
        return LoginFailures(
            account=int(by_account[0] or 0),
            account_last=_aware(by_account[1]) if by_account[1] else None,
            address=int(by_ip[0] or 0),
            address_last=_aware(by_ip[1]) if by_ip[1] else None,
        )


def record_login_attempt(store: Store, *, email: str, ip: str, success: bool) -> None:
    with store.transaction() as session:
        session.add(LoginAttempt(email=email[:320], ip=ip[:64], success=success))
        if not success:
            record_event(
                session, "auth.login_failed", actor=email[:200] or "anonyme", details={"ip": ip}
            )


def purge_login_attempts(store: Store, before: dt.datetime) -> None:
    with store.transaction() as session:
        session.execute(delete(LoginAttempt).where(LoginAttempt.at < before))


def remember_oidc_subject(store: Store, user_id: int, subject: str) -> None:
    """Link a ProConnect subject to an account that has none yet (the first one is kept
    when another account already carries it)."""
    try:
        with store.write_transaction() as session:
            row = session.get(User, user_id)
            if row is not None and row.oidc_subject is None:
                row.oidc_subject = subject
    except IntegrityError:  # another account already carries this subject: keep the first
        return
