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
from sobrenum.reuse import history, list_beneficiaries, list_exits, reuse_rate
from sobrenum.reuse.inclusion import inclusion_indicators
from sobrenum.store import AuditEvent, Organisation, Store, list_events, open_store, record_event
from sobrenum.store.retention import AUDIT_DAYS, LOGIN_ATTEMPT_DAYS, purge_expired
from sobrenum.store.users import LoginAttempt, WebSession
from test_backup import seed
from web_support import add_user, csrf_of, login, make_app, other_organisation

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


# --- erasure of a beneficiary --------------------------------------------------------------


def _all_text(store: Store) -> str:
    """Every value of every table, as text (to look for what must be gone)."""
    from sobrenum.store.models import load_all_tables

    out = []
    with store.transaction() as session:
        for table in load_all_tables().sorted_tables:
            for row in session.execute(select(table)):
                out.append(repr(tuple(row)))
    return "\n".join(out)


def test_erasing_a_beneficiary_keeps_the_counts_and_removes_the_person(
    store: Store, organisation: Organisation, tmp_path: Path
) -> None:
    seed(store, organisation)
    org = organisation.id
    (person,) = list_beneficiaries(store, org)
    assert "J.D." in _all_text(store) and "59000" in _all_text(store)
    before = (inclusion_indicators(store, org, 2025), reuse_rate(store, org, 2025))
    history_before = [(e.id, e.details) for e in history(store, org)]

    client = TestClient(make_app(store, tmp_path), follow_redirects=False)
    add_user(store, "editeur@ville.fr", organisation=organisation, role="editor")
    token = _token(client, "editeur@ville.fr")
    base = f"/api/v1/collectivites/{org}/reemploi/beneficiaires"
    assert client.delete(f"{base}/2147483647", headers=token).status_code == 404
    assert client.delete(f"{base}/{person.id}", headers=token).status_code == 204
    assert client.delete(f"{base}/{person.id}", headers=token).status_code == 204  # idempotent

    text_after = _all_text(store)
    assert "J.D." not in text_after and "59000" not in text_after
    (erased,) = list_beneficiaries(store, org)
    assert (erased.pseudonym, erased.postcode, erased.public_type) == ("—", None, "senior")
    assert (inclusion_indicators(store, org, 2025), reuse_rate(store, org, 2025)) == before
    # The register's append-only history is untouched (its triggers were not needed).
    assert [(e.id, e.details) for e in history(store, org)] == history_before
    erasures = [e for e in list_events(store, organisation_id=org) if "erase" in e.action]
    assert [e.details for e in erasures] == [{"beneficiary_id": person.id}]


def test_erasing_a_beneficiary_from_the_page(
    store: Store, organisation: Organisation, tmp_path: Path
) -> None:
    seed(store, organisation)
    (person,) = list_beneficiaries(store, organisation.id)
    client = TestClient(make_app(store, tmp_path), follow_redirects=False)
    add_user(store, "editeur@ville.fr", organisation=organisation, role="editor")
    login(client, "editeur@ville.fr")
    page = client.get(f"/collectivites/{organisation.id}/reemploi")
    assert "Effacer les données d'un bénéficiaire" in page.text
    done = client.post(
        f"/collectivites/{organisation.id}/reemploi/beneficiaire/effacer",
        data={"beneficiaire": str(person.id), "csrf_token": csrf_of(client)},
    )
    assert done.status_code == 303
    assert list_beneficiaries(store, organisation.id)[0].pseudonym == "—"
    refused = client.post(
        f"/collectivites/{organisation.id}/reemploi/beneficiaire/effacer",
        data={"beneficiaire": "²", "csrf_token": csrf_of(client)},
    )
    assert refused.status_code == 422 and "numéro invalide" in refused.text


# --- audited downloads and the audit log page ----------------------------------------------


def _token(client: TestClient, email: str) -> dict[str, str]:
    login(client, email)
    made = client.post(
        "/api/v1/moi/jetons", json={"nom": "t"}, headers={"x-csrf-token": csrf_of(client)}
    )
    client.cookies.clear()
    return {"Authorization": f"Bearer {made.json()['jeton']}"}


def test_every_download_is_audited(
    store: Store, organisation: Organisation, tmp_path: Path
) -> None:
    seed(store, organisation)
    org = organisation.id
    client = TestClient(make_app(store, tmp_path), follow_redirects=False)
    add_user(store, "editeur@ville.fr", organisation=organisation, role="editor")
    api = _token(client, "editeur@ville.fr")
    base = f"/api/v1/collectivites/{org}/reemploi"
    client.put(
        f"{base}/achats",
        json={"annee": 2025, "type_produit_acquis": "papier", "montant_total": 100},
        headers=api,
    )
    (exit_row,) = list_exits(store, org, 2025)
    assert exit_row.wipe_id is not None
    for url in (
        f"{base}/dons.csv?annee=2025",
        f"{base}/agec.csv?siret=21750001600019&annee=2025",
        f"{base}/effacements/{exit_row.wipe_id}/certificat.pdf",
        f"{base}/sorties/{exit_row.id}/convention.pdf",
    ):
        assert client.get(url, headers=api).status_code == 200, url
    exports = {
        e.action: (e.actor, e.details)
        for e in list_events(store, organisation_id=org, limit=100)
        if e.action.startswith("export.")
    }
    assert set(exports) == {
        "export.donations",
        "export.agec",
        "export.wipe_certificate",
        "export.donation_agreement",
    }
    assert all(actor.startswith("editeur@ville.fr (jeton") for actor, _ in exports.values())
    assert exports["export.agec"][1] == {"file": "declaration-agec-2025.csv", "year": 2025}


def test_audit_log_page_for_the_organisation_admins_only(
    store: Store, organisation: Organisation, tmp_path: Path
) -> None:
    seed(store, organisation)
    other = other_organisation(store)
    with store.transaction() as session:
        record_event(session, "secret.other", actor="b@b.fr", organisation_id=other.id)
        for n in range(60):
            record_event(session, "export.test", actor="x", organisation_id=organisation.id,
                         details={"n": n})  # fmt: skip
    client = TestClient(make_app(store, tmp_path), follow_redirects=False)
    add_user(store, "admin@ville.fr", organisation=organisation, role="admin")
    add_user(store, "editeur@ville.fr", organisation=organisation, role="editor")
    url = f"/collectivites/{organisation.id}/journal"
    login(client, "editeur@ville.fr")
    assert client.get(url).status_code == 403
    client.cookies.clear()
    login(client, "admin@ville.fr")
    page = client.get(url)
    assert page.status_code == 200
    assert "secret.other" not in page.text and "b@b.fr" not in page.text
    assert "Page 1 sur 2" in page.text and "n : 59" in page.text  # newest first
    second = client.get(url, params={"page": 2})
    assert "n : 59" not in second.text and "import" in second.text
    filtered = client.get(url, params={"type": "reuse"})
    assert "reuse.exit.record" in filtered.text and "export.test" not in filtered.text
    assert client.get(url, params={"type": "x'; --"}).status_code == 422
    assert client.get(f"/collectivites/{other.id}/journal").status_code == 404
