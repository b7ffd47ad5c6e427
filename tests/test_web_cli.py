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


def test_demo_web_then_serve(tmp_path: Path) -> None:
    env = {**os.environ, "SOBRENUM_DATA": str(tmp_path), "COLUMNS": "200"}
    env.pop("SOBRENUM_DATABASE_URL", None)
    prepared = subprocess.run(
        [SOBRENUM, "demo-web"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert prepared.returncode == 0, prepared.stderr
    password = re.search(r"mot de passe (\S+)", prepared.stdout)
    assert password, prepared.stdout
    port = _free_port()
    server = subprocess.Popen(
        [SOBRENUM, "servir", "--hote", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/connexion", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
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
            footprint = browser.get(f"/api/v1/collectivites/{organisations[0]['id']}/empreinte")
            assert footprint.status_code == 200 and footprint.json()["gwp_annuel"] > 0
    finally:
        server.terminate()
        server.wait(timeout=20)
