"""Settings of the web app: where the data is, the cookie secret, limits, ProConnect.

``Settings.from_env()`` reads ``SOBRENUM_*`` environment variables; tests build
``Settings(...)`` directly. The secret that signs cookies is generated on first run and kept
in the data folder (``secret_key``, readable by its owner only), so a laptop needs no set-up
and several workers on one server share it.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sobrenum.domain import SobrenumError
from sobrenum.store import Store, data_dir

SECRET_FILE_NAME = "secret_key"

ENV_SECRET_KEY = "SOBRENUM_SECRET_KEY"
ENV_SECURE_COOKIES = "SOBRENUM_COOKIES_SECURISES"
ENV_HSTS = "SOBRENUM_HSTS"
ENV_TRUSTED_PROXIES = "SOBRENUM_PROXIES_DE_CONFIANCE"
ENV_PROCONNECT_ISSUER = "SOBRENUM_PROCONNECT_ISSUER"
ENV_PROCONNECT_CLIENT_ID = "SOBRENUM_PROCONNECT_CLIENT_ID"
ENV_PROCONNECT_CLIENT_SECRET = "SOBRENUM_PROCONNECT_CLIENT_SECRET"
ENV_PROCONNECT_SCOPES = "SOBRENUM_PROCONNECT_SCOPES"
ENV_COMPUTE_WORKERS = "SOBRENUM_CALCULS_SIMULTANES"
ENV_COMPUTE_WAIT = "SOBRENUM_CALCULS_ATTENTE"


def _default_workers() -> int:
    return max(os.cpu_count() or 2, 1)


def _positive(name: str, text: str, what: str) -> int:
    try:
        value = int(text.strip())
        if value < 1:
            raise ValueError
    except ValueError as exc:
        raise SobrenumError(f"{name} : {what} attendu (entier positif), reçu « {text} ».") from exc
    return value


@dataclass
class Settings:
    """Everything ``create_app`` needs; every field has a working default."""

    database_url: str | None = None
    """Store URL (``sqlite:///…`` or ``postgresql://…``); default: SQLite in the data folder."""
    data_folder: Path | None = None
    """Folder of the secret key and the default SQLite file; default: ``store.data_dir()``."""
    secret_key: str | None = None
    """Signs the session cookie; default: read (or generated) in the data folder."""
    secure_cookies: bool | None = None
    """``Secure`` cookie flag; ``None``: set when the request came over https."""
    hsts_seconds: int = 365 * 24 * 3600
    """``Strict-Transport-Security: max-age`` sent on https responses (0: not sent)."""
    trusted_proxies: str = "127.0.0.1"
    """Addresses (comma-separated, networks like ``10.0.0.0/8`` too, ``*`` for any) whose
    ``X-Forwarded-Proto`` / ``X-Forwarded-For`` headers are believed: the https proxy."""
    session_hours: float = 12.0
    login_window_minutes: float = 15.0
    max_failures_per_account: int = 5
    max_failures_per_ip: int = 50
    max_upload_bytes: int = 50 * 1024 * 1024
    proconnect_issuer: str | None = None
    proconnect_client_id: str | None = None
    proconnect_client_secret: str | None = None
    proconnect_scopes: str = "openid email given_name usual_name uid siret"
    footprint_cache_size: int = 64
    compute_workers: int = field(default_factory=_default_workers)
    """Heavy computations (footprints, indicators, reports) run at once; default: the CPUs."""
    compute_wait_seconds: float = 20.0
    """How long a request waits for its computation before a 503 « réessayez »."""
    compute_queue: int = 32
    """Computations waiting for a worker beyond which a request gets a 503 at once."""
    store: Store | None = field(default=None, repr=False)
    """An already-open store to use instead of opening ``database_url`` (tests, CLI)."""

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        secure = os.environ.get(ENV_SECURE_COOKIES)
        settings = cls(
            secret_key=os.environ.get(ENV_SECRET_KEY) or None,
            secure_cookies=None if secure is None else secure.lower() in ("1", "oui", "true"),
            proconnect_issuer=os.environ.get(ENV_PROCONNECT_ISSUER) or None,
            proconnect_client_id=os.environ.get(ENV_PROCONNECT_CLIENT_ID) or None,
            proconnect_client_secret=os.environ.get(ENV_PROCONNECT_CLIENT_SECRET) or None,
        )
        hsts = os.environ.get(ENV_HSTS)
        if hsts is not None and hsts.strip():
            try:
                settings.hsts_seconds = max(0, int(hsts.strip()))
            except ValueError as exc:
                raise SobrenumError(
                    f"{ENV_HSTS} : durée en secondes attendue (0 pour ne pas envoyer "
                    f"l'en-tête), reçu « {hsts} »."
                ) from exc
        proxies = os.environ.get(ENV_TRUSTED_PROXIES)
        if proxies is not None:
            settings.trusted_proxies = proxies.strip()
        workers = os.environ.get(ENV_COMPUTE_WORKERS)
        if workers is not None and workers.strip():
            settings.compute_workers = _positive(ENV_COMPUTE_WORKERS, workers, "nombre de calculs")
        wait = os.environ.get(ENV_COMPUTE_WAIT)
        if wait is not None and wait.strip():
            settings.compute_wait_seconds = _positive(ENV_COMPUTE_WAIT, wait, "durée en secondes")
        scopes = os.environ.get(ENV_PROCONNECT_SCOPES)
        if scopes:
            settings.proconnect_scopes = scopes
        for name, value in overrides.items():
            setattr(settings, name, value)
        return settings

    @property
    def folder(self) -> Path:
        return (self.data_folder or data_dir()).expanduser()

    @property
    def proconnect_enabled(self) -> bool:
        return bool(self.proconnect_issuer and self.proconnect_client_id)

    def resolved_secret(self) -> str:
        """The cookie secret: given, else read from the data folder, else generated there."""
        if self.secret_key:
            return self.secret_key
        path = self.folder / SECRET_FILE_NAME
        if path.is_file():
            value = path.read_text(encoding="utf-8").strip()
            if len(value) >= 32:
                return value
        path.parent.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        # Created exclusively, owner-only: two workers starting together keep the first one.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text(encoding="utf-8").strip()
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(value + "\n")
        return value
