"""GLPI REST API (``apirest.php``) client: the fleet read straight from GLPI.

Follows GLPI's documented legacy REST API: ``initSession`` with an ``App-Token`` header
(when the API client requires one) and ``Authorization: user_token …``; ``search/:itemtype``
with ``forcedisplay`` search options and ``range`` paging (``206 Partial Content`` and a
``Content-Range: start-end/total`` header while more rows remain); ``killSession`` at the
end, whatever happened. Errors come back as GLPI's ``["ERROR_CODE", "message"]`` and are
turned into French messages that say what to check.

Rows are returned with GLPI's French column names, as in a CSV export, so the same mapping
applies (see :mod:`sobrenum.inventory.glpi`).
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from sobrenum.domain.errors import SobrenumError
from sobrenum.inventory.glpi import GLPI_ITEMTYPES, ITEMTYPE_COLUMN, rows_to_source_table
from sobrenum.inventory.source import SourceTable

__all__ = [
    "DEFAULT_ITEMTYPES",
    "SEARCH_OPTIONS",
    "GlpiApiError",
    "GlpiClient",
    "read_glpi_api",
]

#: GLPI search option id → French column name. The ids are the same for every asset type
#: (Computer, Monitor, NetworkEquipment, Phone, Printer, Peripheral): 1 name, 2 id,
#: 3 location, 4 type, 5 serial, 6 inventory number, 19 last update, 23 manufacturer,
#: 31 status, 37 purchase date and 38 startup date (financial information), 40 model,
#: 80 entity.
SEARCH_OPTIONS: dict[int, str] = {
    1: "Nom",
    6: "Numéro d'inventaire",  # before ID: the mapper keeps the first of two identifiers
    2: "ID",
    80: "Entité",
    31: "Statut",
    23: "Fabricant",
    4: "Type",
    40: "Modèle",
    5: "Numéro de série",
    3: "Lieu",
    37: "Date d'achat",
    38: "Date de mise en service",
    19: "Dernière modification",
}

DEFAULT_ITEMTYPES: tuple[str, ...] = tuple(GLPI_ITEMTYPES)

# GLPI's separators inside one search cell: between values, and between a value and its id.
_LONGSEP = "$$##$$"
_SHORTSEP = "$#$"


class GlpiApiError(SobrenumError):
    """GLPI could not be read; ``str()`` says why, in French, and what to check."""

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.status = status


_ERROR_MESSAGES: dict[str, str] = {
    "ERROR_GLPI_LOGIN_USER_TOKEN": (
        "GLPI refuse le jeton utilisateur (user_token). Vérifiez le « Jeton d'API » de "
        "l'utilisateur dans GLPI (Préférences > Clés d'accès distant) et recopiez-le en entier."
    ),
    "ERROR_LOGIN_PARAMETERS_MISSING": (
        "GLPI n'a pas reçu de jeton utilisateur : renseignez le user_token (Préférences > "
        "Clés d'accès distant) ; si GLPI est derrière Apache, l'en-tête Authorization doit "
        "être transmis à PHP."
    ),
    "ERROR_APP_TOKEN_PARAMETERS_MISSING": (
        "L'API de GLPI exige un jeton d'application (App-Token) : copiez celui du client "
        "d'API (Configuration > Générale > API) dans la connexion."
    ),
    "ERROR_WRONG_APP_TOKEN_PARAMETER": (
        "GLPI refuse le jeton d'application (App-Token) : vérifiez-le dans Configuration > "
        "Générale > API > client d'API."
    ),
    "ERROR_NOT_ALLOWED_IP": (
        "GLPI n'accepte pas les appels depuis l'adresse de sobrenum : ajoutez-la à la plage "
        "d'adresses du client d'API (Configuration > Générale > API)."
    ),
    "ERROR_SESSION_TOKEN_INVALID": (
        "La session GLPI a expiré ou n'est pas valide ; relancez la lecture."
    ),
    "ERROR_SESSION_TOKEN_MISSING": "La session GLPI n'a pas été ouverte ; relancez la lecture.",
    "ERROR_RIGHT_MISSING": (
        "L'utilisateur GLPI n'a pas le droit de lire ces éléments : donnez à son profil la "
        "lecture du parc, ou utilisez un autre utilisateur."
    ),
    "ERROR_ITEMTYPE_NOT_FOUND_NOR_COMMONDBTM": "GLPI ne connaît pas ce type d'élément.",
    "ERROR_RESOURCE_NOT_FOUND_NOR_COMMONDBTM": "GLPI ne connaît pas ce type d'élément.",
    "ERROR_SQL": (
        "GLPI a rencontré une erreur de base de données : consultez ses journaux "
        "(dossier files/_log)."
    ),
}


def _clean_value(value: Any) -> str | None:
    if value is None or value is False:
        return None
    if isinstance(value, list):
        cleaned = [_clean_value(v) for v in value]
        joined = " | ".join(p for p in cleaned if p is not None)
        return joined or None
    text = str(value)
    parts: list[str] = []
    for piece in text.split(_LONGSEP):
        piece = piece.split(_SHORTSEP)[0]
        piece = html.unescape(piece).strip()
        if piece and piece.upper() != "NULL":
            parts.append(piece)
    return " | ".join(parts) or None


def _parse_content_range(header: str | None) -> tuple[int, int, int] | None:
    """``"0-499/1234"`` → (0, 499, 1234)."""
    if not header:
        return None
    try:
        span, total = header.strip().split("/")
        start, end = span.split("-")
        return int(start), int(end), int(total)
    except ValueError:
        return None


@dataclass
class _Page:
    rows: list[Mapping[str, Any]]
    total: int
    end: int


class GlpiClient:
    """A session on GLPI's REST API; use it as a context manager to always close it.

    ``base_url`` is the API's address, ending in ``apirest.php`` (or ``api.php/v1`` on
    GLPI 11, which keeps the same legacy API).
    """

    def __init__(
        self,
        base_url: str,
        *,
        user_token: str,
        app_token: str | None = None,
        page_size: int = 500,
        timeout: float = 30.0,
        verify: bool = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not user_token or not user_token.strip():
            raise GlpiApiError(
                "Jeton utilisateur GLPI (user_token) manquant : copiez-le depuis GLPI, "
                "Préférences > Clés d'accès distant > Jeton d'API."
            )
        if page_size < 1:
            raise GlpiApiError("La taille de page doit être d'au moins 1 élément.")
        self.base_url = base_url.rstrip("/")
        self.page_size = page_size
        self._user_token = user_token.strip()
        self._app_token = app_token.strip() if app_token else None
        self._session_token: str | None = None
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._app_token:
            headers["App-Token"] = self._app_token
        self._http = httpx.Client(
            base_url=self.base_url + "/",
            headers=headers,
            timeout=timeout,
            verify=verify,
            transport=transport,
            follow_redirects=False,
        )

    # -- session --------------------------------------------------------------------------

    def __enter__(self) -> GlpiClient:
        self.init_session()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def init_session(self) -> None:
        response = self._request(
            "initSession", headers={"Authorization": f"user_token {self._user_token}"}
        )
        body = self._json(response)
        token = body.get("session_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise GlpiApiError(
                "GLPI n'a pas renvoyé de jeton de session : l'adresse est-elle bien celle de "
                "l'API (…/apirest.php) ?"
            )
        self._session_token = token

    def kill_session(self) -> None:
        if self._session_token is None:
            return
        try:
            self._request("killSession")
        finally:
            self._session_token = None

    def close(self) -> None:
        """Close the GLPI session (errors ignored: the session expires anyway) and the client."""
        try:
            self.kill_session()
        except (GlpiApiError, httpx.HTTPError):
            pass
        finally:
            self._http.close()

    # -- search ---------------------------------------------------------------------------

    def search(
        self, itemtype: str, options: Sequence[int] = tuple(SEARCH_OPTIONS)
    ) -> Iterator[dict[str, Any]]:
        """Every item of ``itemtype``, page after page, as ``{option id (str): value}``."""
        start = 0
        while True:
            page = self._search_page(itemtype, options, start, start + self.page_size - 1)
            yield from (dict(r) for r in page.rows)
            start = page.end + 1
            if start >= page.total or not page.rows:
                return

    def _search_page(self, itemtype: str, options: Sequence[int], start: int, end: int) -> _Page:
        params: list[tuple[str, str | int | float | bool | None]] = [
            (f"forcedisplay[{i}]", opt) for i, opt in enumerate(options)
        ]
        params += [("range", f"{start}-{end}"), ("sort", 2), ("order", "ASC")]
        response = self._request(f"search/{itemtype}", params=params, itemtype=itemtype)
        body = self._json(response)
        if not isinstance(body, dict):
            raise GlpiApiError(f"Réponse inattendue de GLPI pour la recherche {itemtype}.")
        total = int(body.get("totalcount") or 0)
        data = body.get("data") or []
        if isinstance(data, dict):  # withindexes=true, or an old GLPI
            data = list(data.values())
        rows = [r for r in data if isinstance(r, Mapping)]
        span = _parse_content_range(response.headers.get("Content-Range"))
        if span is not None:
            total = span[2]
            last = span[1]
        else:
            last = start + len(rows) - 1
        if response.status_code == 206 and last < start:
            raise GlpiApiError(f"GLPI a renvoyé une page vide au milieu de la liste {itemtype}.")
        return _Page(rows=rows, total=total, end=last)

    # -- plumbing -------------------------------------------------------------------------

    def _request(
        self,
        path: str,
        *,
        params: list[tuple[str, str | int | float | bool | None]] | None = None,
        headers: Mapping[str, str] | None = None,
        itemtype: str | None = None,
    ) -> httpx.Response:
        all_headers = dict(headers or {})
        if self._session_token:
            all_headers["Session-Token"] = self._session_token
        try:
            response = self._http.get(path, params=params, headers=all_headers)
        except httpx.TimeoutException as exc:
            raise GlpiApiError(
                f"GLPI ne répond pas à temps ({self.base_url}) : réessayez plus tard ou "
                "réduisez la taille des pages."
            ) from exc
        except httpx.HTTPError as exc:
            raise GlpiApiError(
                f"Impossible de joindre GLPI à l'adresse {self.base_url} : {exc}."
            ) from exc
        if response.status_code in (200, 206):
            return response
        if itemtype and response.status_code == 400:
            code = self._error_code(response)
            if code == "ERROR_RANGE_EXCEED_TOTAL":
                # Asked past the end (the list shrank while we read it): an empty page.
                return httpx.Response(
                    200, json={"totalcount": 0, "data": []}, request=response.request
                )
        raise self._error(response, itemtype)

    @staticmethod
    def _error_code(response: httpx.Response) -> str | None:
        try:
            body = response.json()
        except ValueError:
            return None
        if isinstance(body, list) and body and isinstance(body[0], str):
            return body[0]
        return None

    def _error(self, response: httpx.Response, itemtype: str | None) -> GlpiApiError:
        status = response.status_code
        code = self._error_code(response)
        detail = ""
        try:
            body = response.json()
            if isinstance(body, list) and len(body) > 1:
                detail = str(body[1]).split(";")[0].strip()
        except ValueError:
            pass
        where = f" (lecture des éléments {itemtype})" if itemtype else ""
        if code in _ERROR_MESSAGES:
            message = _ERROR_MESSAGES[code]
            if code.startswith("ERROR_ITEMTYPE") or code.startswith("ERROR_RESOURCE"):
                message = f"GLPI ne connaît pas le type d'élément « {itemtype} »."
            return GlpiApiError(message + where, code=code, status=status)
        if status >= 500:
            return GlpiApiError(
                f"GLPI a répondu par une erreur interne ({status}){where}. Réessayez ; si "
                "l'erreur persiste, consultez les journaux de GLPI (dossier files/_log).",
                code=code,
                status=status,
            )
        if status == 404:
            return GlpiApiError(
                f"Adresse introuvable ({status}) : l'URL de l'API doit se terminer par "
                f"apirest.php (reçu : {self.base_url}).",
                status=status,
            )
        if code is None and "json" not in response.headers.get("Content-Type", ""):
            return GlpiApiError(
                f"La réponse de {self.base_url} n'est pas celle de l'API REST de GLPI (code "
                f"{status}) : vérifiez l'adresse et que l'API est activée (Configuration > "
                "Générale > API).",
                status=status,
            )
        suffix = f" : {code}" + (f" ({detail})" if detail else "") if code else ""
        return GlpiApiError(
            f"GLPI a refusé la requête (code {status}{suffix}){where}.", code=code, status=status
        )

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise GlpiApiError(
                "La réponse n'est pas du JSON : l'adresse est-elle bien celle de l'API REST "
                "de GLPI (…/apirest.php), l'API est-elle activée ?"
            ) from exc


def read_glpi_api(
    base_url: str,
    *,
    user_token: str,
    app_token: str | None = None,
    itemtypes: Sequence[str] = DEFAULT_ITEMTYPES,
    page_size: int = 500,
    timeout: float = 30.0,
    verify: bool = True,
    transport: httpx.BaseTransport | None = None,
) -> SourceTable:
    """Read the asset lists of GLPI through its REST API into one SourceTable.

    Each row names its GLPI item type in ``Type d'élément`` (French) and its GLPI id in
    ``ID``; ``line`` is the row's position in the result (1-based), GLPI having no file lines.
    """
    unknown = [t for t in itemtypes if t not in GLPI_ITEMTYPES]
    if unknown:
        raise GlpiApiError(
            f"Type(s) d'élément GLPI non pris en charge : {', '.join(unknown)} (connus : "
            f"{', '.join(GLPI_ITEMTYPES)})."
        )
    headers = [*SEARCH_OPTIONS.values(), ITEMTYPE_COLUMN]
    rows: list[dict[str, str | None]] = []
    with GlpiClient(
        base_url,
        user_token=user_token,
        app_token=app_token,
        page_size=page_size,
        timeout=timeout,
        verify=verify,
        transport=transport,
    ) as client:
        for itemtype in itemtypes:
            for item in client.search(itemtype):
                row: dict[str, str | None] = {
                    name: _clean_value(item.get(str(opt))) for opt, name in SEARCH_OPTIONS.items()
                }
                row[ITEMTYPE_COLUMN] = GLPI_ITEMTYPES[itemtype]
                rows.append(row)
    single = itemtypes[0] if len(itemtypes) == 1 else None
    return rows_to_source_table(
        headers,
        rows,
        list(range(1, len(rows) + 1)),
        source_format="glpi-api",
        itemtype=single,
    )
