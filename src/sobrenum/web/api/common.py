"""Shared bits of the API routers: the prefix and the documented error responses."""

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

IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
