"""Persistence: organisations, their fleet with its history, imports and the audit log.

``open_store(url)`` opens (and migrates) the database; everything else takes the
:class:`Store` it returns. Each name is imported from its module when first asked for, so
that ``from sobrenum.store import open_store`` loads neither the import machinery nor the
fleet schema (pyarrow), and ``sobrenum.store.light`` neither SQLAlchemy nor Alembic.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
        GONE_CONFIRMATION_THRESHOLD,
        DeviceChange,
        GoneConfirmationRequired,
        ImportFailedError,
        ImportPreview,
        ImportRefusedError,
        ImportSummary,
        Scope,
        UndoRefusedError,
        UndoSummary,
        apply_import,
        check_order,
        current_fleet,
        device_history,
        find_import,
        fleet_at,
        inventory_dates,
        last_import_of_source,
        list_imports,
        preview_import,
        undo_import,
    )
    from sobrenum.store.models import (
        DEFAULT_SOURCE,
        ORGANISATION_TYPE_LABELS,
        ORGANISATION_TYPES,
        AuditEvent,
        Device,
        DeviceVersion,
        InventoryImport,
        InventorySource,
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
    from sobrenum.store.sources import (
        SourceError,
        find_source,
        get_or_create_source,
        last_used_source,
        list_sources,
        remember_mapping,
    )

    open = open_store

#: Module of ``sobrenum.store`` → the names it gives the package.
_HOMES: dict[str, tuple[str, ...]] = {
    "audit": ("default_actor", "list_events", "record_event"),
    "database": ("Store", "StoreError", "open_store"),
    "imports": (
        "DeviceChange",
        "GONE_CONFIRMATION_THRESHOLD",
        "GoneConfirmationRequired",
        "ImportFailedError",
        "ImportPreview",
        "ImportRefusedError",
        "ImportSummary",
        "Scope",
        "UndoRefusedError",
        "UndoSummary",
        "apply_import",
        "check_order",
        "current_fleet",
        "device_history",
        "find_import",
        "fleet_at",
        "inventory_dates",
        "last_import_of_source",
        "list_imports",
        "preview_import",
        "undo_import",
    ),
    "light": (
        "ENV_DATABASE_URL",
        "ENV_DATA_DIR",
        "ORGANISATION_TYPES",
        "ORGANISATION_TYPE_LABELS",
        "data_dir",
        "head_revision",
        "resolve_url",
    ),
    "models": (
        "AuditEvent",
        "DEFAULT_SOURCE",
        "Device",
        "DeviceVersion",
        "InventoryImport",
        "InventorySource",
        "Organisation",
    ),
    "organisations": (
        "OrganisationError",
        "create_organisation",
        "find_organisation",
        "get_organisation",
        "list_organisations",
        "normalise_siren",
        "organisation_or_none",
        "organisations_among",
        "update_organisation",
    ),
    "sources": (
        "SourceError",
        "find_source",
        "get_or_create_source",
        "last_used_source",
        "list_sources",
        "remember_mapping",
    ),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    if name == "open":
        name = "open_store"
    home = _HOME_OF.get(name)
    if home is None:
        raise AttributeError(f"module 'sobrenum.store' has no attribute {name!r}")
    value = getattr(import_module(f"sobrenum.store.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_SOURCE",
    "ENV_DATABASE_URL",
    "ENV_DATA_DIR",
    "GONE_CONFIRMATION_THRESHOLD",
    "ORGANISATION_TYPES",
    "ORGANISATION_TYPE_LABELS",
    "AuditEvent",
    "Device",
    "DeviceChange",
    "DeviceVersion",
    "GoneConfirmationRequired",
    "ImportFailedError",
    "ImportPreview",
    "ImportRefusedError",
    "ImportSummary",
    "InventoryImport",
    "InventorySource",
    "Organisation",
    "OrganisationError",
    "Scope",
    "SourceError",
    "Store",
    "StoreError",
    "UndoRefusedError",
    "UndoSummary",
    "apply_import",
    "check_order",
    "create_organisation",
    "current_fleet",
    "data_dir",
    "default_actor",
    "device_history",
    "find_import",
    "find_organisation",
    "find_source",
    "fleet_at",
    "get_or_create_source",
    "get_organisation",
    "head_revision",
    "inventory_dates",
    "last_import_of_source",
    "last_used_source",
    "list_events",
    "list_imports",
    "list_organisations",
    "list_sources",
    "normalise_siren",
    "open",
    "open_store",
    "organisation_or_none",
    "organisations_among",
    "preview_import",
    "record_event",
    "remember_mapping",
    "resolve_url",
    "undo_import",
    "update_organisation",
]
