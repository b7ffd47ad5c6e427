"""Errors in French: JSON ``{"detail": …}`` for the API, an HTML page for browsers.

A browser asking a page without being logged in is sent to the login page.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError, DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from sobrenum.domain import SobrenumError
from sobrenum.store.database import is_busy
from sobrenum.web.footprints import ServerBusy

log = logging.getLogger("sobrenum.web")

DEFAULT_DETAILS: dict[int, str] = {
    400: "Requête invalide.",
    401: "Authentification requise : connectez-vous.",
    403: "Accès refusé.",
    404: "Page ou ressource introuvable.",
    405: "Méthode non autorisée pour cette adresse.",
    406: "Format de réponse non disponible.",
    409: "Conflit avec l'état actuel des données.",
    413: "Fichier ou requête trop volumineux.",
    415: "Type de contenu non pris en charge.",
    422: "Données invalides.",
    429: "Trop de requêtes : réessayez plus tard.",
    500: "Erreur interne du serveur.",
    503: "Service momentanément indisponible : réessayez dans quelques secondes.",
}

#: Seconds a client is told to wait when the database is busy with another writer.
DATABASE_RETRY_AFTER = 5
DATABASE_BUSY = (
    "La base de données est occupée par une autre opération (un import, par exemple) : "
    "rien n'a été enregistré, réessayez dans quelques secondes."
)

FIELD_LABELS: dict[str, str] = {
    "body": "corps",
    "query": "paramètre",
    "path": "adresse",
    "header": "en-tête",
    "cookie": "cookie",
}

ERROR_TYPES: dict[str, str] = {
    "missing": "obligatoire",
    "int_parsing": "doit être un nombre entier",
    "int_type": "doit être un nombre entier",
    "float_parsing": "doit être un nombre",
    "float_type": "doit être un nombre",
    "bool_parsing": "doit être vrai ou faux",
    "bool_type": "doit être vrai ou faux",
    "string_type": "doit être un texte",
    "date_parsing": "doit être une date AAAA-MM-JJ",
    "date_from_datetime_parsing": "doit être une date AAAA-MM-JJ",
    "date_type": "doit être une date AAAA-MM-JJ",
    "greater_than_equal": "trop petit",
    "greater_than": "trop petit",
    "less_than_equal": "trop grand",
    "less_than": "trop grand",
    "string_too_short": "trop court",
    "string_too_long": "trop long",
    "literal_error": "valeur non autorisée",
    "enum": "valeur non autorisée",
    "json_invalid": "JSON invalide",
    "model_attributes_type": "objet JSON attendu",
    "dict_type": "objet JSON attendu",
    "list_type": "liste attendue",
    "extra_forbidden": "champ inconnu",
    "value_error": "valeur invalide",
    "string_pattern_mismatch": "format invalide",
    "int_from_float": "doit être un nombre entier",
    "finite_number": "doit être un nombre fini",
    "too_long": "trop d'éléments",
    "url_parsing": "adresse invalide",
}


def wants_json(request: Request) -> bool:
    """API paths and clients that do not ask for HTML get JSON errors."""
    if request.url.path.startswith("/api/"):
        return True
    if request.headers.get("hx-request"):
        return False
    accept = request.headers.get("accept", "")
    return "text/html" not in accept


def describe_validation(errors: list[Any]) -> list[dict[str, Any]]:
    out = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        where = FIELD_LABELS.get(loc[0], loc[0]) if loc else ""
        name = ".".join(loc[1:]) if len(loc) > 1 else where
        problem = ERROR_TYPES.get(str(error.get("type")), "valeur invalide")
        out.append({"champ": name, "emplacement": where, "probleme": problem})
    return out


def _page(
    request: Request, status_code: int, detail: str, *, retry_url: str | None = None
) -> Response:
    from sobrenum.web.templating import render

    return render(
        request,
        "error.html",
        {"status_code": status_code, "detail": detail, "retry_url": retry_url},
        status_code=status_code,
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail
        if (
            not isinstance(detail, str)
            or detail in ("Not Found", "Method Not Allowed")
            or (detail and detail == _english_phrase(exc.status_code))
        ):
            detail = DEFAULT_DETAILS.get(exc.status_code, "Erreur.")
        headers = getattr(exc, "headers", None)
        if wants_json(request):
            return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=headers)
        if exc.status_code == status.HTTP_401_UNAUTHORIZED and request.method in ("GET", "HEAD"):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/connexion?suivant={quote(target, safe='/')}", 303)
        return _page(request, exc.status_code, detail)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = describe_validation(list(exc.errors()))
        summary = "; ".join(f"{p['champ']} : {p['probleme']}" for p in problems[:5])
        detail = f"Requête invalide — {summary}." if summary else "Requête invalide."
        if wants_json(request):
            return JSONResponse({"detail": detail, "erreurs": problems}, status_code=422)
        return _page(request, 422, detail)

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> Response:
        # The database refused a value (a NUL character, a number out of range…).
        detail = (
            "Valeur refusée par la base de données (caractère interdit ou nombre hors limites)."
        )
        if wants_json(request):
            return JSONResponse({"detail": detail}, status_code=422)
        return _page(request, 422, detail)

    @app.exception_handler(ServerBusy)
    async def server_busy(request: Request, exc: ServerBusy) -> Response:
        return _unavailable(request, str(exc), exc.retry_after)

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError) -> Response:
        if is_busy(exc):
            log.warning("database busy on %s %s: %s", request.method, request.url.path, exc)
            return _unavailable(request, DATABASE_BUSY, DATABASE_RETRY_AFTER)
        return await server_error(request, exc)

    @app.exception_handler(SobrenumError)
    async def domain_error(request: Request, exc: SobrenumError) -> Response:
        if wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=400)
        return _page(request, 400, str(exc))

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        detail = "Erreur interne du serveur : l'incident a été journalisé."
        if wants_json(request):
            return JSONResponse({"detail": detail}, status_code=500)
        return _page(request, 500, detail)


def _unavailable(request: Request, detail: str, retry_after: int) -> Response:
    """503 with ``Retry-After``: nothing went wrong that a retry in a moment will not fix.

    The page of a GET offers a « Réessayer » link to the same address (the computation goes
    on meanwhile, so the retry finds it done or joins it); no automatic reload, which would
    take the pace out of the reader's hands."""
    headers = {"retry-after": str(retry_after)}
    if wants_json(request):
        return JSONResponse({"detail": detail}, status_code=503, headers=headers)
    retry = None
    if request.method in ("GET", "HEAD"):
        retry = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = _page(request, 503, detail, retry_url=retry)
    response.headers.update(headers)
    return response


def _english_phrase(code: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return ""
