"""Retention of personal data: what is kept only for a while, then purged.

- login attempts (e-mail typed, IP address): ``LOGIN_ATTEMPT_DAYS`` days — long enough to
  slow down guessing, short enough not to become a record of who logs in from where;
- the audit log (who did what, with details such as the IP address of a failed login):
  ``AUDIT_DAYS`` days, the traceability period the CNIL recommends (six months to a year,
  délibération 2021-122);
- expired browser sessions (IP address, browser): removed once expired.

``purge_expired`` deletes what is strictly older than the period: a row exactly at the limit
is kept. It runs when the web app starts, then once a day, and with ``sobrenum purger``.
docs/donnees-personnelles.md lists every personal datum kept, why and for how long.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete

from sobrenum.store.audit import record_event
from sobrenum.store.database import Store
from sobrenum.store.models import AuditEvent
from sobrenum.store.users import LoginAttempt, WebSession

LOGIN_ATTEMPT_DAYS = 30
AUDIT_DAYS = 365


@dataclass(frozen=True)
class PurgeResult:
    login_attempts: int
    audit_events: int
    web_sessions: int

    @property
    def total(self) -> int:
        return self.login_attempts + self.audit_events + self.web_sessions


def purge_expired(
    store: Store,
    *,
    now: dt.datetime | None = None,
    login_attempt_days: int = LOGIN_ATTEMPT_DAYS,
    audit_days: int = AUDIT_DAYS,
    actor: str | None = None,
) -> PurgeResult:
    """Delete the login attempts, audit events and expired sessions past their retention."""
    moment = now or dt.datetime.now(dt.UTC)
    with store.write_transaction() as session:
        attempts = session.execute(
            delete(LoginAttempt).where(
                LoginAttempt.at < moment - dt.timedelta(days=login_attempt_days)
            )
        )
        events = session.execute(
            delete(AuditEvent).where(AuditEvent.at < moment - dt.timedelta(days=audit_days))
        )
        sessions = session.execute(delete(WebSession).where(WebSession.expires_at < moment))
        result = PurgeResult(
            login_attempts=int(getattr(attempts, "rowcount", 0) or 0),
            audit_events=int(getattr(events, "rowcount", 0) or 0),
            web_sessions=int(getattr(sessions, "rowcount", 0) or 0),
        )
        if result.total:
            record_event(
                session,
                "retention.purge",
                actor=actor,
                details={
                    "login_attempts": result.login_attempts,
                    "audit_events": result.audit_events,
                    "web_sessions": result.web_sessions,
                },
            )
    return result
