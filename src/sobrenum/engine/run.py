"""Running the engine on a backend (DuckDB in-process by default)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from sobrenum.domain import FLEET_SCHEMA
from sobrenum.engine.compute import (
    MODEL_FACTOR_ID,
    MODEL_GWP,
    ORGANISATION_ID,
    Parameters,
    counted,
    impacts,
    totals,
)
from sobrenum.engine.connections import connection
from sobrenum.engine.validate import ensure_computable
from sobrenum.referential import Referential


@dataclass
class Footprint:
    """A validated fleet with what it is computed with; results are built on demand."""

    fleet: ir.Table
    referential: Referential
    parameters: Parameters
    backend: ibis.BaseBackend

    @cached_property
    def impacts(self) -> ir.Table:
        """Per device × criterion × phase (a lazy expression: nothing runs until read)."""
        return impacts(self.fleet, self.referential, self.parameters)

    def totals(self, by: Sequence[str] = ("criterion",)) -> pa.Table:
        return self.backend.to_pyarrow(totals(self.fleet, self.referential, self.parameters, by))

    def device_counts(self, by: Sequence[str] = ("category",)) -> pa.Table:
        """The year's devices (retired before the year left out), per ``by``."""
        f = counted(self.fleet, self.parameters)
        keys = list(by)
        expr = f.group_by(keys).aggregate(devices=f.quantity.fill_null(1).sum()).order_by(keys)
        return self.backend.to_pyarrow(expr)

    def devices(self, asset_ids: Sequence[str]) -> pa.Table:
        """The impact rows of some devices, for drill-down."""
        rows = self.impacts.filter(self.impacts.asset_id.isin(list(asset_ids)))
        return self.backend.to_pyarrow(rows.order_by(["asset_id", "criterion", "phase"]))


def as_fleet_table(fleet: pa.Table) -> pa.Table:
    """Complete an Arrow fleet with the canonical columns it lacks (nulls), typed."""
    columns = []
    for name in FLEET_SCHEMA.names:
        typ = FLEET_SCHEMA.field(name).type
        columns.append(
            fleet[name].cast(typ) if name in fleet.column_names else pa.nulls(len(fleet), typ)
        )
    names = list(FLEET_SCHEMA.names)
    extras = {
        "source_line": pa.int64(),
        MODEL_GWP: pa.float64(),
        MODEL_FACTOR_ID: pa.string(),
        ORGANISATION_ID: pa.string(),
    }
    for name, typ in extras.items():
        if name in fleet.column_names:
            columns.append(fleet[name].cast(typ))
            names.append(name)
    return pa.table(columns, names=names)


def compute(
    fleet: pa.Table | ir.Table,
    referential: Referential,
    parameters: Parameters,
    backend: ibis.BaseBackend | None = None,
    today: dt.date | None = None,
) -> Footprint:
    """Validate the fleet, then build its impacts on ``backend`` (by default a DuckDB
    connection of its own, see :func:`connection`).

    Raises :class:`sobrenum.domain.InvalidDataError` naming the rows that cannot be computed.
    """
    con = backend or connection()
    # An Arrow fleet is scanned in place by the backend (no copy into its storage).
    table = ibis.memtable(as_fleet_table(fleet)) if isinstance(fleet, pa.Table) else fleet
    ensure_computable(table, referential, today, backend=con)
    return Footprint(table, referential, parameters, con)
