"""sobrenum as a town's IT team installs it (docs/production.md).

``python -m build`` makes an sdist and, from it, a wheel (or ``$SOBRENUM_TEST_WHEEL`` names a
prebuilt wheel). The wheel is installed with ``--no-deps`` into a fresh virtual environment
that sees the test environment's packages (nothing is downloaded) but not the source tree.
From a folder outside the repository: ``sobrenum demo`` writes its reports, ``sobrenum
demo-web`` prepares the web demo, ``sobrenum servir`` starts without a warning and serves
pages, static files and the dashboard after a login; Debian's nginx with the shipped
configuration (``deploy/nginx-sobrenum.conf``) serves it over https; ``systemd-analyze
verify`` accepts the shipped unit. A file missing from the package (template, static file,
data, migration, translation) fails here.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
HOST = "sobrenum.exemple.fr"


@dataclass
class Installed:
    venv: Path
    work: Path
    env: dict[str, str]

    @property
    def sobrenum(self) -> Path:
        return self.venv / "bin" / "sobrenum"

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.sobrenum), *args],
            cwd=self.work,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def build_wheel(folder: Path) -> Path:
    """sdist, then the wheel from the sdist (what ``python -m build`` does), outside the tree."""
    source = folder / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    dist = folder / "dist"
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert len(list(dist.glob("sobrenum-*.tar.gz"))) == 1
    (wheel,) = dist.glob("sobrenum-*-py3-none-any.whl")
    return wheel


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    folder = tmp_path_factory.mktemp("installation")
    prebuilt = os.environ.get("SOBRENUM_TEST_WHEEL")
    wheel = Path(prebuilt) if prebuilt else build_wheel(folder)
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(
        subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # The dependencies: the test environment's packages, after the wheel on the path.
    (site / "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
            "--quiet", "--no-deps", "--no-index", str(wheel),
        ],
        check=True,
        timeout=300,
    )  # fmt: skip
    work = folder / "ailleurs"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "SOBRENUM_"))}
    env.update(SOBRENUM_DATA=str(folder / "donnees"), HOME=str(folder / "maison"))
    return Installed(venv=venv, work=work, env=env)


def test_the_package_is_imported_from_the_installation(installed: Installed) -> None:
    done = subprocess.run(
        [str(installed.venv / "bin" / "python"), "-c", "import sobrenum; print(sobrenum.__file__)"],
        cwd=installed.work,
        env=installed.env,
        capture_output=True,
        text=True,
        check=True,
    )
    location = Path(done.stdout.strip())
    assert location.is_relative_to(installed.venv), location
    assert not location.is_relative_to(ROOT)


def test_the_demo_runs_from_the_installation(installed: Installed) -> None:
    done = installed.run("demo")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Warning" not in done.stderr, done.stderr
    out = installed.work / "sobrenum-demo"
    for name in ("rapport-empreinte.html", "rapport-conseil-2025.pdf", "rapport-conseil-2025.html"):
        assert (out / name).stat().st_size > 10_000, name
    assert (out / "donnees-ouvertes" / "datapackage.json").is_file()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for(url: str, process: subprocess.Popen[str], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"le serveur s'est arrêté : {process.communicate()}")
        try:
            httpx.get(url, timeout=2, verify=False)
            return
        except httpx.TransportError:
            time.sleep(0.3)
    raise AssertionError(f"{url} ne répond pas")


@pytest.fixture(scope="module")
def server(installed: Installed) -> Iterator[tuple[str, str]]:
    """``sobrenum servir`` of the installation on the web demo: (address, demo password)."""
    # ``demo-web`` prepares the demo in its own database, then would serve it: only prepare.
    prepared = installed.run("demo-web", "--sans-lancer")
    assert prepared.returncode == 0, prepared.stdout + prepared.stderr
    password = re.search(r"mot de passe\s*:?\s+(\S+)", prepared.stdout, re.IGNORECASE)
    assert password, prepared.stdout
    database = f"sqlite:///{Path(installed.env['SOBRENUM_DATA']) / 'demonstration.sqlite'}"
    port = _free_port()
    process = subprocess.Popen(
        [str(installed.sobrenum), "servir", "--base", database, "--port", str(port)],
        cwd=installed.work,
        env=installed.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url + "/connexion", process)
        yield url, password.group(1)
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
        # Nothing but uvicorn's own lines: no warning at start-up or while serving.
        unexpected = [line for line in stderr.splitlines() if line and not line.startswith("INFO:")]
        assert unexpected == [], stderr


def test_the_server_serves_pages_static_files_and_the_dashboard(
    server: tuple[str, str],
) -> None:
    url, password = server
    with httpx.Client(base_url=url, timeout=120, follow_redirects=True) as browser:
        login = browser.get("/connexion")
        assert login.status_code == 200 and '<html lang="fr"' in login.text
        for sheet in re.findall(r'<link rel="stylesheet" href="([^"]+)"', login.text):
            assert browser.get(sheet).status_code == 200, sheet
        token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
        assert token, "pas de jeton CSRF dans le formulaire"
        signed_in = browser.post(
            "/connexion",
            data={
                "email": "demo@exemple.fr",
                "mot_de_passe": password,
                "csrf_token": token.group(1),
                "suivant": "/",
            },
            follow_redirects=False,
        )
        assert signed_in.status_code == 303, signed_in.text[:500]
        home = browser.get("/")
        link = re.search(r'href="[^"]*(/collectivites/\d+)"', home.text)
        assert link, home.text[:1000]
        dashboard = browser.get(link.group(1))
        assert dashboard.status_code == 200
        assert 'data-testid="total-gwp"' in dashboard.text
        assert 'role="img"' in dashboard.text  # the charts, with their text alternative


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_nginx_with_the_shipped_configuration_serves_it_over_https(
    server: tuple[str, str], tmp_path: Path
) -> None:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx (paquet Debian nginx-light) est nécessaire"
    url, _ = server
    app_port = url.rsplit(":", 1)[1]
    http_port, https_port = _free_port(), _free_port()
    cert, key = _certificate(tmp_path)
    site = (ROOT / "deploy" / "nginx-sobrenum.conf").read_text(encoding="utf-8")
    replaced = {
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{app_port};",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
        "listen [::]:80;": "",
        "listen [::]:443 ssl;": "",
        f"/etc/ssl/certs/{HOST}.pem": str(cert),
        f"/etc/ssl/private/{HOST}.key": str(key),
    }
    for old, new in replaced.items():
        assert old in site, old
        site = site.replace(old, new)
    temp = {name: tmp_path / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"""user root;
daemon off;
pid {tmp_path / "nginx.pid"};
error_log {tmp_path / "error.log"} warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {tmp_path / "site.conf"};
}}
""",
        encoding="utf-8",
    )
    conf = str(tmp_path / "nginx.conf")
    checked = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", conf], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen(
        [nginx, "-p", str(tmp_path), "-c", conf],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        secure = f"https://127.0.0.1:{https_port}"
        _wait_for(secure + "/connexion", process, seconds=30)
        with httpx.Client(verify=False, timeout=60, headers={"Host": HOST}) as client:
            plain = client.get(f"http://127.0.0.1:{http_port}/connexion")
            assert plain.status_code == 301
            assert plain.headers["location"] == f"https://{HOST}/connexion"
            page = client.get(secure + "/connexion")
        assert page.status_code == 200 and "Connexion" in page.text
        # The app believed nginx's X-Forwarded-Proto: https, so HSTS and Secure cookies.
        assert page.headers["strict-transport-security"].startswith("max-age=")
        assert "Secure" in page.headers["set-cookie"]
    finally:
        process.terminate()
        process.communicate(timeout=30)


def test_the_systemd_unit_verifies(installed: Installed, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze (paquet Debian systemd) est nécessaire"
    unit = (ROOT / "deploy" / "sobrenum.service").read_text(encoding="utf-8")
    assert "ExecStart=/opt/sobrenum/venv/bin/sobrenum servir " in unit
    path = tmp_path / "sobrenum.service"
    path.write_text(unit.replace("/opt/sobrenum/venv/bin/sobrenum", str(installed.sobrenum)))
    done = subprocess.run([analyze, "verify", str(path)], capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr == "", done.stderr
