"""``sobrenum utilisateur creer``, ``sobrenum demo-web`` and ``sobrenum servir`` for real: the
server is started on loopback, and a browser-like client logs in with the printed password."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from sobrenum.cli.main import app
from sobrenum.store import open_store
from sobrenum.store.users import find_user_by_email, memberships_of

runner = CliRunner()
SOBRENUM = str(Path(sys.executable).with_name("sobrenum"))


def test_user_create_first_admin(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'base.sqlite3'}"
    done = runner.invoke(
        app,
        [
            "utilisateur",
            "creer",
            "--courriel",
            "Admin@Exemple.fr",
            "--role",
            "admin-instance",
            "--mot-de-passe-stdin",
            "--base",
            url,
        ],
        input="un mot de passe solide\n",
    )
    assert done.exit_code == 0, done.output
    assert "Compte créé : admin@exemple.fr" in done.output
    short = runner.invoke(
        app,
        [
            "utilisateur",
            "creer",
            "--courriel",
            "b@exemple.fr",
            "--role",
            "admin-instance",
            "--mot-de-passe-stdin",
            "--base",
            url,
        ],
        input="court\n",
    )
    assert short.exit_code == 2 and "au moins 12 caractères" in short.output
    again = runner.invoke(
        app,
        [
            "utilisateur",
            "creer",
            "--courriel",
            "admin@exemple.fr",
            "--role",
            "admin-instance",
            "--mot-de-passe-stdin",
            "--base",
            url,
        ],
        input="un mot de passe solide\n",
    )
    assert again.exit_code == 2 and "existe déjà" in again.output
    with open_store(url) as store:
        user = find_user_by_email(store, "admin@exemple.fr")
        assert user is not None and user.is_instance_admin
        assert (user.password_hash or "").startswith("$argon2id$")
        assert memberships_of(store, user.id) == {}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_demo_web_prepares_the_demo_and_serves_it(tmp_path: Path) -> None:
    """One command: the commune of ``sobrenum demo`` (fleet, strategy, register, frozen
    year) in its own database, an admin account, the server; address and password once."""
    env = {**os.environ, "SOBRENUM_DATA": str(tmp_path), "COLUMNS": "200"}
    env.pop("SOBRENUM_DATABASE_URL", None)
    port = _free_port()
    server = subprocess.Popen(
        [SOBRENUM, "demo-web", "--hote", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        printed: list[str] = []
        while not any("Mot de passe" in line for line in printed):
            line = server.stdout.readline()
            assert line, "".join(printed)
            printed.append(line)
        text = "".join(printed)
        password = re.search(r"Mot de passe : (\S+)", text)
        assert password, text
        assert f"Adresse      : http://127.0.0.1:{port}/" in text
        assert "Identifiant  : demo@exemple.fr" in text
        # Said once, and never « start the server » by the command that starts it.
        assert text.count(password.group(1)) == 1 and "sobrenum servir" not in text
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                httpx.get(f"{base}/connexion", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        with httpx.Client(base_url=base, timeout=30) as browser:
            page = browser.get("/connexion")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token
            logged = browser.post(
                "/connexion",
                data={
                    "email": "demo@exemple.fr",
                    "mot_de_passe": password.group(1),
                    "csrf_token": token.group(1),
                    "suivant": "/",
                },
            )
            assert logged.status_code == 303, logged.text[:500]
            organisations = browser.get("/api/v1/collectivites").json()
            assert [o["nom"] for o in organisations] == ["Commune de Val-Exemple (démonstration)"]
            org_id = organisations[0]["id"]
            footprint = browser.get(f"/api/v1/collectivites/{org_id}/empreinte")
            assert footprint.status_code == 200 and footprint.json()["gwp_annuel"] > 0
            years = browser.get(f"/api/v1/collectivites/{org_id}/strategie/annees").json()
            assert [y["annee"] for y in years] == [2025]
    finally:
        server.terminate()
        server.wait(timeout=20)
    # What `sobrenum demo` has, in the demo's own database (not the default one).
    assert not (tmp_path / "sobrenum.sqlite3").exists()
    from sobrenum.reuse import register
    from sobrenum.store import find_organisation, open_store
    from sobrenum.store import strategy as st

    with open_store(f"sqlite:///{tmp_path / 'demonstration.sqlite'}", upgrade=False) as store:
        org = find_organisation(store, None)
        assert len(st.list_actions(store, org, 2025)) == 4
        targets = {(o.code, o.year): o.target for o in st.objectives(store, org)}
        assert targets[("empreinte_par_agent", 2025)] == 33.0
        assert targets[("empreinte_par_agent", 2030)] == 25.0
        assert {d.code: d.value for d in st.declarations(store, org, 2025)}["ateliers_nombre"] == 6
        assert sorted(e.destination for e in register.list_exits(store, org.id)) == [
            "donation",
            "refurbisher",
        ]


def test_user_password_and_deactivation_commands(tmp_path: Path) -> None:
    """An operator (instance level) resets a password, deactivates, reactivates; audited."""
    from sobrenum.store import list_events

    url = f"sqlite:///{tmp_path / 'base.sqlite3'}"
    base = ["--base", url]
    made = runner.invoke(
        app,
        ["utilisateur", "creer", "--courriel", "dsi@ville.fr", "--role", "admin-instance",
         "--mot-de-passe-stdin", *base],
        input="un mot de passe solide\n",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    weak = runner.invoke(
        app, ["user", "password", "--email", "dsi@ville.fr", "--password-stdin", *base],
        input="aaaaaaaaaaaa\n",
    )  # fmt: skip
    assert weak.exit_code == 2 and "répété" in weak.output
    done = runner.invoke(
        app, ["utilisateur", "mot-de-passe", "--courriel", "dsi@ville.fr", "--mot-de-passe-stdin", *base],
        input="une toute nouvelle phrase\n",
    )  # fmt: skip
    assert done.exit_code == 0 and "changé" in done.output
    off = runner.invoke(app, ["utilisateur", "desactiver", "--courriel", "dsi@ville.fr", *base])
    assert off.exit_code == 0 and "désactivé" in off.output
    with open_store(url) as store:
        user = find_user_by_email(store, "dsi@ville.fr")
        assert user is not None and not user.is_active
        actions = [e.action for e in list_events(store)]
        assert "user.password_set" in actions and "user.deactivate" in actions
    on = runner.invoke(app, ["user", "reactivate", "--email", "dsi@ville.fr", *base])
    assert on.exit_code == 0 and "réactivé" in on.output
    unknown = runner.invoke(app, ["utilisateur", "desactiver", "--courriel", "x@ville.fr", *base])
    assert unknown.exit_code == 2 and "Aucun compte" in unknown.output
