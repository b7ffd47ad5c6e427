"""What the account page and the account API share: changing one's own password.

The current password is checked inside the store's write transaction, like a login try: a
wrong one counts as a failed login of the account and the same growing delays apply, so this
form is no faster way to guess a password than the login form.
"""

from __future__ import annotations

import math

from fastapi import Request

from sobrenum.store import Store
from sobrenum.store.users import change_own_password, record_login_attempt
from sobrenum.web.auth import client_ip, seconds_to_wait
from sobrenum.web.deps import CurrentUser
from sobrenum.web.security import (
    PasswordPolicyError,
    check_password_policy,
    hash_password,
    verify_password,
)


class PasswordChangeRefused(Exception):
    """Why a password change was refused (French message), with its HTTP status."""

    def __init__(self, message: str, status_code: int, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.headers = headers


def change_password(
    request: Request, store: Store, user: CurrentUser, *, current: str, new: str
) -> None:
    """Change the signed-in user's password: other sessions closed, API tokens revoked."""
    ip = client_ip(request)
    wait = seconds_to_wait(request.app.state.settings, store, email=user.email, ip=ip)
    if wait > 0:
        seconds = math.ceil(wait)
        raise PasswordChangeRefused(
            f"Trop de tentatives échouées : attendez {seconds} s avant de réessayer.",
            429,
            {"Retry-After": str(seconds)},
        )
    try:
        check_password_policy(new)
    except PasswordPolicyError as exc:
        raise PasswordChangeRefused(str(exc), 422) from exc
    session_id = request.session.get("sid") if user.via == "session" else None
    changed = change_own_password(
        store,
        user.id,
        current_matches=lambda stored: bool(stored) and verify_password(stored, current),
        new_hash=hash_password(new),
        keep_session=session_id if isinstance(session_id, str) else None,
        actor=user.actor,
    )
    if not changed:
        record_login_attempt(store, email=user.email, ip=ip, success=False)
        raise PasswordChangeRefused("Mot de passe actuel incorrect.", 403)
