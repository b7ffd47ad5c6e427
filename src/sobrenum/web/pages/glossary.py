"""The glossary: the words of the footprint and of the reuse register in plain French, each
with an anchor that the pages' « ? » links point to (``pages/_help.html``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sobrenum.web.deps import CurrentUserDep
from sobrenum.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/glossaire", name="glossary")
def glossary(request: Request, user: CurrentUserDep) -> Response:
    return render(request, "pages/glossary.html")
