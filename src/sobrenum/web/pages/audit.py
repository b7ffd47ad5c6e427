"""The audit log of an organisation, for its administrators: who did what and when (imports,
settings, register, downloads, backups), newest first, by pages, filtered by kind of action.
Only the organisation's own events: instance-wide events (logins, purges) are not shown."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from sobrenum.store.audit import event_kinds, events_page
from sobrenum.web.deps import OrgAdminDep, StoreDep
from sobrenum.web.pages.common import organisation_context
from sobrenum.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50


@router.get("/collectivites/{organisation_id}/journal", name="audit_log")
def audit_log(
    request: Request,
    access: OrgAdminDep,
    store: StoreDep,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    type: Annotated[str, Query(max_length=40, pattern=r"^[a-z_]*$")] = "",
) -> Response:
    events, total = events_page(
        store,
        access.organisation_id,
        kind=type or None,
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    context = organisation_context(access, "audit")
    context.update(
        events=events,
        total=total,
        page=page,
        pages=max(1, math.ceil(total / PAGE_SIZE)),
        kind=type,
        kinds=event_kinds(store, access.organisation_id),
    )
    return render(request, "pages/audit.html", context)
