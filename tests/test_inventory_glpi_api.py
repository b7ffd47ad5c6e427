"""GLPI REST API client against a local replay of GLPI's documented responses."""

from __future__ import annotations

import pytest

from glpi_replay.server import ReplayGlpi, ReplayState
from sobrenum.inventory.glpi_api import GlpiApiError, GlpiClient, read_glpi_api

TYPES = ["Portable", "Unité centrale", "Tout-en-un"]
STATUSES = ["En service", "En stock", "Rebut"]


def computers(n: int) -> list[dict[str, object]]:
    return [
        {
            "1": f"PC-{i:05d}",
            "2": i,
            "80": "Entité racine &#62; Ville de Saint-Lô",
            "31": STATUSES[i % 3],
            "23": "Dell Inc." if i % 2 else "HP",
            "4": TYPES[i % 3],
            "40": "Latitude 5420" if i % 2 else "HP EliteBook 840 G8 Notebook PC",
            "5": f"SN{i:06d}",
            "6": f"INV-{i:05d}" if i % 5 else None,
            "3": "Hôtel de ville",
            "37": "2021-03-15",
            "38": None,
            "19": "2024-05-02 10:12:00",
        }
        for i in range(1, n + 1)
    ]


def state(**kw: object) -> ReplayState:
    s = ReplayState(**kw)  # type: ignore[arg-type]
    s.items = {
        "Computer": computers(1234),
        "Monitor": [
            {
                "1": "ECR-1",
                "2": 1,
                "80": "Ville",
                "23": "Dell",
                "40": "P2422H",
                "4": None,
                "31": "En service",
                "6": "E-1",
            },
            {
                "1": "ECR-2",
                "2": 2,
                "80": "Ville",
                "23": "Iiyama",
                "40": "XU2493HS",
                "4": "",
                "31": "En service",
                "6": "E-2",
            },
        ],
        "NetworkEquipment": [
            {
                "1": "SW-CORE",
                "2": 7,
                "80": "Ville",
                "4": "Switch",
                "23": "Cisco",
                "40": "C9300-48P",
                "31": "En service",
            },
            {
                "1": "AP-ECOLE",
                "2": 8,
                "80": "Ville",
                "4": "Borne WiFi",
                "23": "Ubiquiti",
                "40": "U6-Pro$$##$$U6-Pro-Max",
                "31": "En service",
            },
        ],
        "Phone": [],
        "Printer": [
            {
                "1": "COPIEUR-RDC",
                "2": 3,
                "80": "Ville",
                "4": "Multifonction",
                "23": "Ricoh",
                "40": "IM C3000",
                "31": "En service",
            },
        ],
        "Peripheral": [],
    }
    return s


def test_reads_every_asset_type_over_several_pages() -> None:
    st = state()
    with ReplayGlpi(st) as glpi:
        src = read_glpi_api(
            glpi.url, user_token=st.user_token, app_token=st.app_token, page_size=500
        )
    assert src.source_format == "glpi-api"
    assert src.table.num_rows == 1234 + 2 + 2 + 1
    t = src.table.to_pydict()
    assert t["Nom"][:2] == ["PC-00001", "PC-00002"]
    assert t["Nom"][1233] == "PC-01234"
    assert t["ID"][0] == "1"
    assert t["Entité"][0] == "Entité racine > Ville de Saint-Lô"  # HTML entities decoded
    assert t["Numéro d'inventaire"][4] is None
    assert t["Catégorie"][:3] == ["desktop", "all_in_one", "laptop"]
    assert t["Statut"][:3] == ["En stock", "Sorti du parc", "En service"]
    assert t["Statut GLPI"][1] == "Rebut"
    assert t["Type d'élément"][1234:] == ["Moniteur"] * 2 + ["Matériel réseau"] * 2 + ["Imprimante"]
    assert t["Catégorie"][1234:] == [
        "monitor",
        "monitor",
        "switch",
        "wifi_access_point",
        "multifunction_printer",
    ]
    assert t["Modèle"][1237] == "U6-Pro | U6-Pro-Max"  # GLPI's multi-value separator
    assert src.line.to_pylist()[:3] == [1, 2, 3]
    # Three pages of computers, asked with the documented parameters; session closed.
    ranges = [q["range"] for e, q in st.requests if e == "search/Computer"]
    assert ranges == ["0-499", "500-999", "1000-1499"]
    first = next(q for e, q in st.requests if e == "search/Computer")
    assert first["forcedisplay[0]"] == "1" and "forcedisplay[12]" in first
    assert len(st.killed) == 1 and not st.sessions


def test_server_smaller_pages_are_followed() -> None:
    st = state(max_range=200)
    with (
        ReplayGlpi(st) as glpi,
        GlpiClient(
            glpi.url, user_token=st.user_token, app_token=st.app_token, page_size=500
        ) as client,
    ):
        names = [row["1"] for row in client.search("Computer")]
    assert len(names) == 1234 and len(set(names)) == 1234
    ranges = [q["range"] for e, q in st.requests if e == "search/Computer"]
    assert ranges[:2] == ["0-499", "200-699"]


def test_one_item_type_gets_a_category_hint() -> None:
    st = state()
    with ReplayGlpi(st) as glpi:
        src = read_glpi_api(
            glpi.url, user_token=st.user_token, app_token=st.app_token, itemtypes=["Monitor"]
        )
    assert src.hints == {"glpi_itemtype": "Monitor", "category": "monitor"}


def test_invalid_user_token_is_explained_in_french() -> None:
    st = state()
    with ReplayGlpi(st) as glpi, pytest.raises(GlpiApiError) as err:
        read_glpi_api(glpi.url, user_token="mauvais-jeton", app_token=st.app_token)
    assert err.value.code == "ERROR_GLPI_LOGIN_USER_TOKEN" and err.value.status == 401
    assert "jeton utilisateur" in str(err.value)
    assert "Clés d'accès distant" in str(err.value)


def test_missing_or_wrong_app_token() -> None:
    st = state()
    with ReplayGlpi(st) as glpi:
        with pytest.raises(GlpiApiError, match="exige un jeton d'application"):
            read_glpi_api(glpi.url, user_token=st.user_token)
        with pytest.raises(GlpiApiError, match="refuse le jeton d'application"):
            read_glpi_api(glpi.url, user_token=st.user_token, app_token="faux")


def test_server_error_names_the_list_and_closes_the_session() -> None:
    st = state()
    st.fail_search["Monitor"] = 500
    with ReplayGlpi(st) as glpi, pytest.raises(GlpiApiError) as err:
        read_glpi_api(glpi.url, user_token=st.user_token, app_token=st.app_token)
    assert err.value.status == 500
    assert "erreur interne (500)" in str(err.value) and "Monitor" in str(err.value)
    assert len(st.killed) == 1  # killSession even after the failure


def test_wrong_address_and_unreachable_server() -> None:
    st = state()
    with ReplayGlpi(st) as glpi:
        wrong = glpi.url.replace("/apirest.php", "/glpi")
        with pytest.raises(GlpiApiError, match=r"apirest\.php"):
            read_glpi_api(wrong, user_token=st.user_token, app_token=st.app_token)
        port = glpi.url.split(":")[2].split("/")[0]
    with pytest.raises(GlpiApiError, match="Impossible de joindre GLPI"):
        read_glpi_api(f"http://127.0.0.1:{port}/apirest.php", user_token="x", timeout=2)
    with pytest.raises(GlpiApiError, match="non pris en charge"):
        read_glpi_api("http://127.0.0.1:9/apirest.php", user_token="x", itemtypes=["Ticket"])
