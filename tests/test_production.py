"""Every setting is documented in the production guide, and read from the environment."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from sobrenum.domain import SobrenumError
from sobrenum.web.settings import ENVIRONMENT, Settings

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "production.md"


def guide_rows() -> dict[str, str]:
    """The settings table of the guide: field → variable."""
    rows = re.findall(r"^\| `(SOBRENUM_[A-Z_]+)` \| `([a-z_]+)` \|", GUIDE.read_text("utf-8"), re.M)
    return {name: variable for variable, name in rows}


def test_every_setting_is_documented_with_its_variable() -> None:
    fields = {f.name for f in dataclasses.fields(Settings)} - {"store"}
    assert set(ENVIRONMENT) == fields, "chaque réglage a sa variable d'environnement"
    assert guide_rows() == {name: variable for name, (variable, _, _) in ENVIRONMENT.items()}


def test_every_variable_read_by_the_code_is_documented() -> None:
    text = GUIDE.read_text("utf-8")
    read = {
        name
        for path in (ROOT / "src").rglob("*.py")
        for name in re.findall(r'"(SOBRENUM_[A-Z_]+)"', path.read_text("utf-8"))
    }
    assert read, "aucune variable trouvée"
    assert sorted(v for v in read if f"`{v}`" not in text) == []


def test_the_guide_links_the_shipped_deployment_files() -> None:
    text = GUIDE.read_text("utf-8")
    for name in ("deploy/sobrenum.service", "deploy/nginx-sobrenum.conf"):
        assert (ROOT / name).is_file() and name in text
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "docs/production.md" in readme


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for variable, _, _ in ENVIRONMENT.values():
        monkeypatch.delenv(variable, raising=False)
    defaults = Settings.from_env()
    assert defaults == Settings(compute_workers=defaults.compute_workers)
    values = {
        "SOBRENUM_SESSION_HEURES": "1.5",
        "SOBRENUM_ENVOI_MAX_OCTETS": "0",  # boundary: zero is allowed (no upload)
        "SOBRENUM_CONNEXION_ECHECS_COMPTE": "1",  # boundary: the smallest
        "SOBRENUM_COOKIES_SECURISES": "Oui",
        "SOBRENUM_DATA": str(tmp_path),
        "SOBRENUM_PROCONNECT_SCOPES": "  ",  # blank: the default stays
        "SOBRENUM_PROXIES_DE_CONFIANCE": "",  # empty: no proxy is believed
        "SOBRENUM_CALCULS_FILE": str(10**30),  # huge integers are read as such
    }
    for variable, value in values.items():
        monkeypatch.setenv(variable, value)
    settings = Settings.from_env(free_failures_per_ip=7)
    assert settings.session_hours == 1.5
    assert settings.max_upload_bytes == 0
    assert settings.free_failures_per_account == 1
    assert settings.secure_cookies is True
    assert settings.data_folder == tmp_path
    assert settings.proconnect_scopes == defaults.proconnect_scopes
    assert settings.trusted_proxies == ""
    assert settings.compute_queue == 10**30
    assert settings.free_failures_per_ip == 7  # an override wins over the environment


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SOBRENUM_COOKIES_SECURISES", "peut-être", "oui ou non attendu"),
        ("SOBRENUM_SESSION_HEURES", "douze", "durée en heures attendue"),
        ("SOBRENUM_SESSION_HEURES", "nan", "durée en heures attendue"),
        ("SOBRENUM_ENVOI_MAX_OCTETS", "-1", "taille en octets attendue"),
        ("SOBRENUM_CONNEXION_ECHECS_COMPTE", "0", "nombre entier attendu"),
        ("SOBRENUM_CACHE_EMPREINTES", "6.5", "nombre entier attendu"),
    ],
)
def test_a_bad_value_is_refused_in_french_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(
        SobrenumError, match=rf"^{variable} : {message}, reçu « {re.escape(value)} »"
    ):
        Settings.from_env()
