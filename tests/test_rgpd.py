"""Personal data (RGPD): retention then purge (boundaries), owner-only files, erasure of a
donation beneficiary, audited downloads, the audit log page of an organisation's admins."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select, text
from typer.testing import CliRunner

from sobrenum.cli.main import app as cli
from sobrenum.store import AuditEvent, Store, open_store, record_event
from sobrenum.store.retention import AUDIT_DAYS, LOGIN_ATTEMPT_DAYS, purge_expired
from sobrenum.store.users import LoginAttempt, WebSession
from web_support import add_user, make_app

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def _seed_old_rows(store: Store) -> None:
    user = add_user(store, "agent@ville.fr")
    limit_login = NOW - dt.timedelta(days=LOGIN_ATTEMPT_DAYS)
    limit_audit = NOW - dt.timedelta(days=AUDIT_DAYS)
    second = dt.timedelta(seconds=1)
    with store.transaction() as session:
        for at, email in [
            (limit_login - second, "trop-vieux@ville.fr"),
            (limit_login, "a-la-limite@ville.fr"),
            (limit_login + second, "recent@ville.fr"),
        ]:
            session.add(LoginAttempt(at=at, email=email, ip="192.0.2.1", success=False))
        for at, action in [
            (limit_audit - second, "old.event"),
            (limit_audit, "boundary.event"),
            (limit_audit + second, "recent.event"),
        ]:
            event = record_event(session, action, actor="x", details={"ip": "192.0.2.1"})
            event.at = at
        session.add(WebSession(id="e" * 64, user_id=user.id, expires_at=NOW - second))
        session.add(WebSession(id="f" * 64, user_id=user.id, expires_at=NOW + second))


def test_purge_keeps_the_boundary_and_deletes_what_is_older(store: Store) -> None:
    _seed_old_rows(store)
    result = purge_expired(store, now=NOW)
    assert (result.login_attempts, result.audit_events, result.web_sessions) == (1, 1, 1)
    with store.transaction() as session:
        emails = sorted(session.scalars(select(LoginAttempt.email)))
        actions = set(session.scalars(select(AuditEvent.action)))
        sessions = list(session.scalars(select(WebSession.id)))
    assert emails == ["a-la-limite@ville.fr", "recent@ville.fr"]
    assert {"boundary.event", "recent.event", "retention.purge"} <= actions
    assert "old.event" not in actions
    assert sessions == ["f" * 64]
    # Run again: nothing left to purge, and no new event written for nothing.
    assert purge_expired(store, now=NOW).total == 0


def test_cli_purger(store: Store, database_url: str) -> None:
    with store.transaction() as session:
        session.add(
            LoginAttempt(
                at=dt.datetime.now(dt.UTC) - dt.timedelta(days=LOGIN_ATTEMPT_DAYS + 1),
                email="vieux@ville.fr",
                ip="192.0.2.9",
                success=False,
            )
        )
    done = CliRunner().invoke(cli, ["purger", "--base", database_url])
    assert done.exit_code == 0, done.output
    assert "1 tentative(s) de connexion de plus de 30 jours" in done.output


def test_the_web_app_purges_at_start_up(store: Store, tmp_path: Path) -> None:
    with store.transaction() as session:
        session.add(
            LoginAttempt(
                at=dt.datetime.now(dt.UTC) - dt.timedelta(days=LOGIN_ATTEMPT_DAYS + 1),
                email="vieux@ville.fr",
                ip="192.0.2.9",
                success=False,
            )
        )
    with TestClient(make_app(store, tmp_path)) as client:
        assert client.get("/connexion").status_code == 200
    with store.transaction() as session:
        assert session.scalar(select(LoginAttempt.email)) is None


def test_database_file_and_folder_are_owner_only(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        path = tmp_path / "donnees" / "sobrenum.sqlite3"
        with open_store(f"sqlite:///{path}") as store, store.transaction() as session:
            session.execute(text("SELECT 1"))
        for found in path.parent.glob("sobrenum.sqlite3*"):
            assert stat.S_IMODE(found.stat().st_mode) == 0o600, found.name
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        # A file left world-readable by an older version is tightened when opened.
        path.chmod(0o644)
        open_store(f"sqlite:///{path}").close()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        os.umask(old_umask)


def test_secret_key_is_owner_only(store: Store, tmp_path: Path) -> None:
    make_app(store, tmp_path)
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
