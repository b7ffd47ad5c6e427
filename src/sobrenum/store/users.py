"""People and their access: user accounts, memberships (user x organisation x role), API
tokens, web sessions, login attempts (for rate limiting) and staged imports.

Nothing here knows about HTTP: the web layer hashes passwords and chooses tokens; this module
stores and finds them. Secrets are never stored in clear: API tokens and session ids are kept
as their SHA-256 (they are long random strings, so a fast hash is enough), passwords as
argon2id hashes made by the caller.
"""

from __future__ import annotations

import datetime as dt
import hashlib
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


def set_password_hash(store: Store, user_id: int, password_hash: str, *, actor: str) -> None:
    """Change a password; every open web session of the user is closed."""
    with store.transaction() as session:
        user = session.get(User, user_id)
        if user is None:
            raise AccountError("Compte introuvable.")
        user.password_hash = password_hash
        session.execute(delete(WebSession).where(WebSession.user_id == user_id))
        record_event(session, "user.password", actor=actor, details={"email": user.email})


def memberships_of(store: Store, user_id: int) -> dict[int, str]:
    """The user's organisations and role in each (organisation id → role)."""
    with store.transaction() as session:
        return _memberships(session, user_id)


def _memberships(session: Session, user_id: int) -> dict[int, str]:
    rows = session.execute(
        select(Membership.organisation_id, Membership.role).where(Membership.user_id == user_id)
    )
    return {org: role for org, role in rows}


def set_membership(
    store: Store, *, user_id: int, organisation_id: int, role: str, actor: str
) -> Membership:
    """Give the user ``role`` in the organisation (adds or changes the membership)."""
    code = normalise_role(role)
    with store.write_transaction() as session:
        _check_organisation(session, organisation_id)
        user = session.get(User, user_id)
        if user is None:
            raise AccountError("Compte introuvable.")
        membership = session.scalar(
            select(Membership).where(
                Membership.user_id == user_id, Membership.organisation_id == organisation_id
            )
        )
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
    with store.write_transaction() as session:
        membership = session.scalar(
            select(Membership).where(
                Membership.user_id == user_id, Membership.organisation_id == organisation_id
            )
        )
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


def recent_failures(store: Store, *, email: str, ip: str, since: dt.datetime) -> tuple[int, int]:
    """Failed logins since ``since``: for this account (after its last success), for this IP."""
    with store.transaction() as session:
        last_success = session.scalar(
            select(func.max(LoginAttempt.at)).where(
                LoginAttempt.email == email, LoginAttempt.success.is_(True)
            )
        )
        account_since = max(since, _aware(last_success)) if last_success else since
        by_account = session.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(
                LoginAttempt.email == email,
                LoginAttempt.success.is_(False),
                LoginAttempt.at > account_since,
            )
        )
        by_ip = session.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(LoginAttempt.ip == ip, LoginAttempt.success.is_(False), LoginAttempt.at > since)
        )
        return int(by_account or 0), int(by_ip or 0)


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
