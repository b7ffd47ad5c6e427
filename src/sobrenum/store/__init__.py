"""Persistence: organisations, their fleet with its history, imports and the audit log.

``open_store(url)`` opens (and migrates) the database; everything else takes the
:class:`Store` it returns.
"""

from sobrenum.store.audit import default_actor, list_events, record_event
from sobrenum.store.database import (
    ENV_DATA_DIR,
    ENV_DATABASE_URL,
    Store,
    StoreError,
    data_dir,
    head_revision,
    open_store,
    resolve_url,
)
from sobrenum.store.imports import (
    DeviceChange,
    ImportFailedError,
    ImportRefusedError,
    ImportSummary,
    apply_import,
    current_fleet,
    device_history,
    find_import,
    fleet_at,
    inventory_dates,
    list_imports,
)
from sobrenum.store.models import (
    ORGANISATION_TYPE_LABELS,
    ORGANISATION_TYPES,
    AuditEvent,
    Device,
    DeviceVersion,
    InventoryImport,
    Organisation,
)
from sobrenum.store.organisations import (
    OrganisationError,
    create_organisation,
    find_organisation,
    get_organisation,
    list_organisations,
    normalise_siren,
    organisation_or_none,
    organisations_among,
    update_organisation,
)

open = open_store

__all__ = [
    "ENV_DATABASE_URL",
    "ENV_DATA_DIR",
    "ORGANISATION_TYPES",
    "ORGANISATION_TYPE_LABELS",
    "AuditEvent",
    "Device",
    "DeviceChange",
    "DeviceVersion",
    "ImportFailedError",
    "ImportRefusedError",
    "ImportSummary",
    "InventoryImport",
    "Organisation",
    "OrganisationError",
    "Store",
    "StoreError",
    "apply_import",
    "create_organisation",
    "current_fleet",
    "data_dir",
    "default_actor",
    "device_history",
    "find_import",
    "find_organisation",
    "fleet_at",
    "get_organisation",
    "head_revision",
    "inventory_dates",
    "list_events",
    "list_imports",
    "list_organisations",
    "normalise_siren",
    "open",
    "open_store",
    "organisation_or_none",
    "organisations_among",
    "record_event",
    "resolve_url",
    "update_organisation",
]
