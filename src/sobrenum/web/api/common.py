"""Shared bits of the API routers: the prefix, the documented error responses, and the
bounds every id and year of a path or a query string is checked against (the pages use the
same, see ``web/pages/common.py``): a value out of them is a French 422, never a 500."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path

from sobrenum.web.api.schemas import ErrorOut
from sobrenum.web.deps import MAX_ID

PREFIX = "/api/v1"

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Non authentifié."},
    403: {"model": ErrorOut, "description": "Rôle insuffisant ou jeton CSRF manquant."},
    404: {"model": ErrorOut, "description": "Introuvable ou inaccessible avec ce compte."},
    422: {"model": ErrorOut, "description": "Requête invalide."},
}

FIRST_YEAR = 2000
LAST_YEAR = 2100
"""Years a path, a query string or a form accepts."""

IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
"""A row id in a path: 1 to the database's largest INTEGER."""
YearPath = Annotated[int, Path(ge=FIRST_YEAR, le=LAST_YEAR)]

__all__ = ["ERRORS", "FIRST_YEAR", "LAST_YEAR", "MAX_ID", "PREFIX", "IdPath", "YearPath"]
