"""Downloads: every document or export the web app hands out is one attachment response,
written in the audit log first (``store.audit.record_download``)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

from sobrenum.store import Store
from sobrenum.store.audit import record_download
from sobrenum.web.deps import OrganisationAccess


def attachment(
    store: Store,
    access: OrganisationAccess,
    document: str,
    content: bytes | str,
    *,
    file_name: str,
    media_type: str,
    details: dict[str, Any] | None = None,
) -> Response:
    """``content`` as a file to save, after its download is audited."""
    record_download(
        store,
        document,
        file_name=file_name,
        actor=access.user.actor,
        organisation_id=access.organisation_id,
        details=details,
    )
    return Response(
        content,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{file_name}"'},
    )
