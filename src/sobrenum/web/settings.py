"""Settings of the web app: where the data is, the cookie secret, limits, ProConnect.

``Settings.from_env()`` reads the ``SOBRENUM_*`` environment variables of :data:`ENVIRONMENT`
(every one described in docs/production.md); tests build ``Settings(...)`` directly. The secret that signs cookies is generated on first run and kept
in the data folder (``secret_key``, readable by its owner only), so a laptop needs no set-up
and several workers on one server share it.
"""

from __future__ import annotations

import math
import os
import secrets
import typing
from dataclasses import dataclass, field
from pathlib import Path

from sobrenum.domain import SobrenumError
from sobrenum.store import ENV_DATA_DIR, ENV_DATABASE_URL, Store, data_dir

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


#: Each setting an operator may set: its environment variable and, for numbers, what is
#: expected (the French error says it) and the smallest value. docs/production.md describes
#: every one (a test checks it).
ENVIRONMENT: dict[str, tuple[str, str, float]] = {
    "database_url": (ENV_DATABASE_URL, "", 0),
    "data_folder": (ENV_DATA_DIR, "", 0),
    "secret_key": (ENV_SECRET_KEY, "", 0),
    "secure_cookies": (ENV_SECURE_COOKIES, "oui ou non attendu", 0),
    "hsts_seconds": (ENV_HSTS, "durée en secondes attendue (0 pour ne pas envoyer l'en-tête)", 0),
    "trusted_proxies": (ENV_TRUSTED_PROXIES, "", 0),
    "session_hours": ("SOBRENUM_SESSION_HEURES", "durée en heures attendue", 0),
    "login_window_minutes": ("SOBRENUM_CONNEXION_FENETRE_MINUTES", "durée en minutes attendue", 0),
    "free_failures_per_account": ("SOBRENUM_CONNEXION_ECHECS_COMPTE", "nombre entier attendu", 1),
    "free_failures_per_ip": ("SOBRENUM_CONNEXION_ECHECS_IP", "nombre entier attendu", 1),
    "login_delay_seconds": ("SOBRENUM_CONNEXION_DELAI", "durée en secondes attendue", 0),
    "login_max_delay_seconds": (
        "SOBRENUM_CONNEXION_DELAI_MAX",
        "durée en secondes attendue",
        0,
    ),
    "invitation_days": ("SOBRENUM_INVITATION_JOURS", "durée en jours attendue", 0),
    "max_upload_bytes": ("SOBRENUM_ENVOI_MAX_OCTETS", "taille en octets attendue", 0),
    "proconnect_issuer": (ENV_PROCONNECT_ISSUER, "", 0),
    "proconnect_client_id": (ENV_PROCONNECT_CLIENT_ID, "", 0),
    "proconnect_client_secret": (ENV_PROCONNECT_CLIENT_SECRET, "", 0),
    "proconnect_scopes": (ENV_PROCONNECT_SCOPES, "", 0),
    "footprint_cache_size": ("SOBRENUM_CACHE_EMPREINTES", "nombre entier attendu", 0),
    "compute_workers": (ENV_COMPUTE_WORKERS, "nombre de calculs attendu (entier positif)", 1),
    "compute_wait_seconds": (ENV_COMPUTE_WAIT, "durée en secondes attendue (positive)", 1),
    "compute_queue": ("SOBRENUM_CALCULS_FILE", "nombre entier attendu", 0),
}
#: Where an empty variable means something (no trusted proxy), instead of "not set".
_EMPTY_ALLOWED = {"trusted_proxies"}
_YES, _NO = {"1", "oui", "true", "yes", "on"}, {"0", "non", "false", "no", "off"}


def _default_workers() -> int:
    # Two more than the CPUs: a short computation (a footprint) is not stuck behind two long
    # ones (council report PDFs, which hold the interpreter while WeasyPrint lays them out).
    return (os.cpu_count() or 2) + 2


def _from_text(name: str, text: str, kind: object) -> object:
    """The value of setting ``name`` written ``text`` in its environment variable."""
    variable, expected, smallest = ENVIRONMENT[name]
    try:
        if kind in (bool, bool | None):
            if text.lower() not in _YES | _NO:
                raise ValueError(text)
            return text.lower() in _YES
        value: float
        if kind is int:
            value = int(text)
        elif kind is float:
            value = float(text)
        elif kind == Path | None:
            return Path(text).expanduser()
        else:
            return text
        if not math.isfinite(value) or value < smallest:
            raise ValueError(text)
    except ValueError as exc:
        raise SobrenumError(f"{variable} : {expected}, reçu « {text} ».") from exc
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
    """Failed logins older than this no longer slow down the next ones."""
    free_failures_per_account: int = 3
    """Failed logins of an account (since its last success) before the delays start."""
    free_failures_per_ip: int = 20
    """Failed logins from one address before the delays start."""
    login_delay_seconds: float = 1.0
    """First delay; it doubles with every further failure…"""
    login_max_delay_seconds: float = 60.0
    """…up to this cap: the right password, after the delay, always works."""
    invitation_days: float = 7.0
    """How long an invitation link stays valid."""
    max_upload_bytes: int = 50 * 1024 * 1024
    proconnect_issuer: str | None = None
    proconnect_client_id: str | None = None
    proconnect_client_secret: str | None = None
    proconnect_scopes: str = "openid email given_name usual_name uid siret"
    footprint_cache_size: int = 64
    compute_workers: int = field(default_factory=_default_workers)
    """Heavy computations (footprints, indicators, reports) run at once; default: CPUs + 2."""
    compute_wait_seconds: float = 25.0
    """How long a request waits for its computation before a 503 « réessayez »."""
    compute_queue: int = 32
    """Computations waiting for a worker beyond which a request gets a 503 at once."""
    store: Store | None = field(default=None, repr=False)
    """An already-open store to use instead of opening ``database_url`` (tests, CLI)."""

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Defaults, replaced by the ``SOBRENUM_*`` variables set, then by ``overrides``."""
        settings = cls()
        kinds = typing.get_type_hints(cls)
        for name, (variable, _, _) in ENVIRONMENT.items():
            text = os.environ.get(variable, "").strip()
            if text or (name in _EMPTY_ALLOWED and variable in os.environ):
                setattr(settings, name, _from_text(name, text, kinds[name]))
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
